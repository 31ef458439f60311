//! Schema extension keywords that ferrocrud's validation reads.
//!
//! Validation rules live on the Rust type, through schemars attributes: the
//! standard ones (`length`, `range`, `email`, `regex`) and these extensions.
//! [`KNOWN`] lists them all: a server refuses to start when an entity's or a
//! DTO's schema carries another `x-` keyword (a misspelt `x-secrets` would
//! otherwise be ignored, and the field sent to clients).
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// A post's body.
//! #[derive(Deserialize, JsonSchema)]
//! struct Body {
//!     /// Up to 1000 characters of JSON instead of the default 50.
//!     #[schemars(extend("x-max-size" = 1000))]
//!     content: String,
//!     /// Trimmed, then lower-cased, before any check.
//!     #[schemars(extend("x-transform" = ["trim", "lowercase"]))]
//!     tag: String,
//! }
//!
//! let schema = schemars::schema_for!(Body);
//! assert_eq!(schema.as_value()["properties"]["content"][ferrocrud_shared::schema::MAX_SIZE], 1000);
//! ```

/// Maximum length of the field's JSON text (eicrud's `@$MaxSize`); `-1` disables the check.
pub const MAX_SIZE: &str = "x-max-size";
/// Maximum number of items of an array field (eicrud's `@$MaxArLength`); `-1` disables the check.
pub const MAX_LENGTH: &str = "x-max-length";
/// Transforms applied in order before validation: `"trim"`, `"lowercase"`, `"uppercase"`.
pub const TRANSFORM: &str = "x-transform";
/// The field is dropped from input without error (eicrud's `@$Delete`).
pub const DELETE: &str = "x-delete";
/// The field is never sent to clients (password hashes, token hashes).
pub const SECRET: &str = "x-secret";
/// Only the server writes the field: a client's create or update that sets it
/// is refused with 400 naming the field, whatever its abilities.
pub const MANAGED: &str = "x-managed";
/// A client writes the field only through an ability that names it in its
/// field list; a rule without a field list does not cover it.
pub const EXPLICIT: &str = "x-explicit";

/// Every extension keyword ferrocrud reads; any other `x-` keyword in a
/// schema is a setup error.
///
/// ```
/// use ferrocrud_shared::schema::{KNOWN, SECRET};
///
/// assert!(KNOWN.contains(&SECRET));
/// assert!(!KNOWN.contains(&"x-secrets"));
/// ```
pub const KNOWN: &[&str] = &[
    MAX_SIZE, MAX_LENGTH, TRANSFORM, DELETE, SECRET, MANAGED, EXPLICIT,
];
