//! Fuzz target: [`ferrocrud::fuzzing::condition_eval`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ferrocrud::fuzzing::condition_eval(data));
