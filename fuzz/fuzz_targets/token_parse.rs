//! Fuzz target: [`ferrocrud::fuzzing::token_parse`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocrud::fuzzing::token_parse(data));
