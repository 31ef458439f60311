//! Fuzz target: [`ferrocrud::fuzzing::body_validation`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocrud::fuzzing::body_validation(data));
