//! Fuzz target: [`ferrocrud::fuzzing::route_parse`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocrud::fuzzing::route_parse(data));
