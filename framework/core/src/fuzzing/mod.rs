//! Fuzz harnesses: the bodies of the `fuzz/` targets, shared with the corpus
//! replay test (`tests/fuzz_corpus.rs`).
//!
//! Each harness takes any bytes and returns normally, whatever they are: a
//! panic is a bug, either in the code under test or in an invariant the
//! harness asserts. Not an API: compiled only with the `fuzzing` feature.

mod condition;
mod params;
mod route;
mod token;
mod validate;

pub use self::condition::condition_eval;
pub use self::params::query_params;
pub use self::route::route_parse;
pub use self::token::token_parse;
pub use self::validate::body_validation;

/// A fuzz harness: any bytes in, no panic out.
pub type Harness = fn(&[u8]);

/// Every harness by its fuzz target's name (the name of its directory under
/// `fuzz/corpus/` and of its file under `fuzz/fuzz_targets/`).
pub const TARGETS: &[(&str, Harness)] = &[
    ("query_params", query_params),
    ("body_validation", body_validation),
    ("condition_eval", condition_eval),
    ("token_parse", token_parse),
    ("route_parse", route_parse),
];
