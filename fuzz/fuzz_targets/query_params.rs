//! Fuzz target: [`ferrocrud::fuzzing::query_params`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocrud::fuzzing::query_params(data));
