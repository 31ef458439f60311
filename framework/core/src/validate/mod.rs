//! Input validation: the rules of a Rust type, checked on JSON before it is
//! deserialized.
//!
//! One source of truth: the type, with its serde and schemars attributes. At
//! start, the type's JSON Schema is compiled once into a [`Validator`], a
//! table of [`FieldRule`]s; per request, [`Validator::validate`] checks a
//! JSON object in memory, as eicrud does, in three steps, after one check of
//! its own: a key or string holding a NUL character (which PostgreSQL's text
//! cannot store) fails the whole object at once, naming its path, with the
//! constraint `noNulCharacter`, on every backend;
//!
//! 1. **transforms**: `x-transform` (`"trim"`, `"lowercase"`, `"uppercase"`,
//!    in the listed order, on strings and on each string of an array);
//!    `x-delete` keys are dropped;
//! 2. **sizes**: each key's JSON text, measured like JavaScript's
//!    `JSON.stringify(v).length`, must fit `x-max-size` (`-1`: no limit), else
//!    [`ValidationOptions::default_max_size`] ([`Error::FieldTooBig`], eicrud
//!    code 23). Arrays of objects hold at most `x-max-length` items, else
//!    [`ValidationOptions::default_max_ar_length`] ([`Error::ArrayTooLong`],
//!    code 24), and their objects' fields are measured one by one; arrays of
//!    scalars are measured as one text (so id lists need an `x-max-size`);
//! 3. **rules**: unknown properties (`whitelistValidation`), then each
//!    declared field's first failing constraint, in one
//!    [`Error::Validation`], with eicrud's text.
//!
//! # Declaring rules
//!
//! | Attribute | Schema | Constraint reported |
//! |---|---|---|
//! | `#[schemars(range(max = n))]`, `range(min = n)` | `maximum`, `minimum` | `max`, `min` |
//! | `#[schemars(length(max = n))]`, `length(min = n)` on text | `maxLength`, `minLength` | `maxLength`, `minLength` |
//! | `#[schemars(length(max = n))]`, `length(min = n)` on a `Vec` | `maxItems`, `minItems` | `arrayMaxSize`, `arrayMinSize` |
//! | a `HashSet` or `BTreeSet` | `uniqueItems` | `arrayUnique` |
//! | `#[schemars(email)]` | `format: email` | `isEmail` |
//! | `IpAddr`, `Ipv4Addr`, `Ipv6Addr`; `format: uuid` | `format: ip`, ... | `isIp`, `isUuid` |
//! | `DateTime<Utc>`, `NaiveDate`, `NaiveDateTime` | `format: date-time`, ... | `isDateString` |
//! | `#[schemars(regex(pattern = r"..."))]` | `pattern` | `matches` |
//! | a unit-variant `enum` | `enum`, `const` | `isIn` |
//! | the type itself | `type` | `isString`, `isInt`, `isNumber`, `isBoolean`, `isArray`, `isObject` |
//! | a nested struct | `$ref` | `nestedValidation` |
//! | `#[schemars(extend("x-max-size" = n))]` | `x-max-size` | code 23 |
//! | `#[schemars(extend("x-max-length" = n))]` | `x-max-length` | code 24 |
//! | `#[schemars(extend("x-transform" = ["trim", "lowercase"]))]` | `x-transform` | – |
//! | `#[schemars(extend("x-delete" = true))]`, `extend("x-secret" = true)` | `x-delete`, `x-secret` | – |
//!
//! Any other `x-` keyword is refused at start with
//! [`SetupError::UnknownKeyword`],
//! naming the keyword and the type: a misspelt `x-secrets` would otherwise be
//! ignored and the field sent to clients. `x-managed` (a column only the
//! server sets) is known too.
//!
//! Checks run in the table's order and the first failing one is reported: a
//! value of the wrong type fails every check (`"many"` for a bounded integer
//! reports `max`), and so does a missing required field. `Option` fields, and
//! fields that are not required, accept `null`. Integer types' own ranges
//! (`u32` is at least 0) are checked as `min`/`max` on numbers only, so a
//! missing `u32` reports `isInt`. Lengths count UTF-16 code units, as
//! JavaScript does.
//!
//! ```
//! use ferrocrud::config::ValidationOptions;
//! use ferrocrud::error::{Error, Target};
//! use ferrocrud::validate::{Mode, Validator};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use serde_json::json;
//!
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct Post {
//!     title: String,
//!     /// Up to 1000 characters of JSON instead of 50.
//!     #[schemars(extend("x-max-size" = 1000))]
//!     content: String,
//!     #[schemars(range(min = 0, max = 1000000))]
//!     likes: Option<i64>,
//!     #[schemars(email, extend("x-transform" = ["trim", "lowercase"]))]
//!     author_email: String,
//!     #[schemars(length(min = 8))]
//!     secret_code: Option<String>,
//! }
//!
//! let validator = Validator::for_type::<Post>("Post", &ValidationOptions::default())?;
//!
//! let mut body = json!({
//!     "title": "Hello",
//!     "content": "x".repeat(900),
//!     "authorEmail": "  Ann@Example.COM ",
//! });
//! let object = body.as_object_mut().unwrap();
//! validator.validate(object, Mode::Full, Target::Data)?;
//! assert_eq!(object["authorEmail"], "ann@example.com");
//! let post: Post = serde_json::from_value(body)?;
//! assert_eq!(post.likes, None);
//!
//! let mut body = json!({ "content": "", "authorEmail": "a@b.co", "likes": "many" });
//! let err = validator
//!     .validate(body.as_object_mut().unwrap(), Mode::Full, Target::Data)
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "Validation error Data: An instance of Post has failed the validation:\n \
//!      - property title has failed the following constraints: isString \n \
//!      - property likes has failed the following constraints: max \n"
//! );
//!
//! let mut body = json!({ "title": "t".repeat(60) });
//! let err = validator
//!     .validate(body.as_object_mut().unwrap(), Mode::Partial, Target::Data)
//!     .unwrap_err();
//! assert!(matches!(err, Error::FieldTooBig { size: 62, max: 50, .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Supported schemas
//!
//! Structs (`properties`, `required`, `additionalProperties: false`), nested
//! structs and arrays of them (`$ref` or inline, recursion included),
//! `Option`, strings, integers, numbers, booleans, arrays of any of these,
//! unit-variant enums and constants, untagged enums of scalars (`anyOf` or
//! `oneOf` of scalar schemas: the value must pass one), `serde_json::Value`
//! (anything). Formats `email`, `date-time`, `date`, `partial-date-time`,
//! `uuid`, `ip`, `ipv4`, `ipv6` and the integer formats are checked; other
//! formats are annotations. `pattern` is compiled by the `regex` crate, so
//! look-arounds and back-references are refused.
//!
//! Refused at compile time with [`SetupError::UnsupportedSchema`]: maps
//! (`additionalProperties` schemas, `patternProperties`), enums with data and
//! other `anyOf`/`oneOf` over objects, `allOf` of several schemas, tuples,
//! `multipleOf`, `not`, conditionals, and any keyword not listed here.

mod compile;
mod format;
mod keywords;
mod nul;
mod rules;
mod size;
mod transform;

use std::ops::ControlFlow;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

pub use self::rules::FieldRule;
use self::rules::ObjectRules;
pub(crate) use self::transform::canonicalise_date_times;
use crate::config::ValidationOptions;
use crate::error::{Error, PropertyFailure, SetupError, Target, ValidationError};

/// Which fields must be present, and what an id field may hold.
///
/// Nested objects are always checked whole, as in [`Full`](Mode::Full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode<'a> {
    /// A whole object: required fields must be present (create bodies,
    /// command DTO bodies).
    Full,
    /// A partial object: absent fields are skipped (patch data, queries of
    /// `one` routes).
    Partial,
    /// A query: like [`Partial`](Mode::Partial), but `list_field` (the id
    /// field on `many` routes) may also be an array, each item checked and
    /// measured against the field's rules (the number of items is the
    /// route's business).
    Query {
        /// The field that may hold a list of values.
        list_field: Option<&'a str>,
    },
}

impl<'a> Mode<'a> {
    fn list_field(self) -> Option<&'a str> {
        match self {
            Self::Query { list_field } => list_field,
            Self::Full | Self::Partial => None,
        }
    }
}

/// The compiled rules of a type: built once at start, checks JSON objects.
///
/// Cheap to clone; `Send` and `Sync`.
#[derive(Debug, Clone)]
pub struct Validator {
    type_name: String,
    root: ObjectRules,
    /// The object types nested in the type, by index.
    objects: Arc<[ObjectRules]>,
}

impl Validator {
    /// Compiles the rules of `T` from its JSON Schema.
    ///
    /// `type_name` is the name clients see in validation messages (`Post`,
    /// `CreateAccountDto`).
    ///
    /// # Errors
    ///
    /// [`SetupError::UnsupportedSchema`] when the schema uses a construct the
    /// validator cannot check (see the [module docs](self)).
    pub fn for_type<T: JsonSchema>(
        type_name: &str,
        options: &ValidationOptions,
    ) -> Result<Self, SetupError> {
        let schema = SchemaGenerator::default().into_root_schema_for::<T>();
        Self::from_schema(type_name, &schema, options)
    }

    /// Compiles the rules of a JSON Schema (draft 2020-12, as schemars writes it).
    ///
    /// # Errors
    ///
    /// [`SetupError::UnsupportedSchema`] when the schema uses a construct the
    /// validator cannot check (see the [module docs](self)).
    pub fn from_schema(
        type_name: &str,
        schema: &Schema,
        options: &ValidationOptions,
    ) -> Result<Self, SetupError> {
        let compiled = compile::compile(type_name, schema.as_value(), options)?;
        Ok(Self {
            type_name: type_name.to_owned(),
            root: compiled.root,
            objects: compiled.objects.into(),
        })
    }

    /// The same rules without `fields`, which become unknown properties
    /// (e.g. `createdAt`, `updatedAt`: not writable).
    #[must_use]
    pub fn without_fields(mut self, fields: &[&str]) -> Self {
        self.root
            .fields
            .retain(|field| !fields.contains(&field.name.as_str()));
        self.root.reindex();
        self
    }

    /// The type's name in messages.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The fields' wire names, in declaration order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.root.fields.iter().map(FieldRule::name)
    }

    /// The top-level fields holding `date-time`s (or arrays of them).
    pub fn date_time_fields(&self) -> impl Iterator<Item = &str> {
        self.root
            .fields
            .iter()
            .filter(|f| f.rule.holds_date_times())
            .map(|f| f.name.as_str())
    }

    /// Whether the type has a field of that wire name.
    pub fn has_field(&self, name: &str) -> bool {
        self.root.get(name).is_some()
    }

    /// The fields marked `x-secret`, in declaration order.
    pub fn secret_fields(&self) -> impl Iterator<Item = &str> {
        self.root
            .fields
            .iter()
            .filter(|field| field.is_secret())
            .map(FieldRule::name)
    }

    /// The rules of one field.
    pub fn field(&self, name: &str) -> Option<&FieldRule> {
        self.root.get(name)
    }

    /// Transforms `object` in place, then checks sizes and rules.
    ///
    /// In [`Mode::Full`], a `null` for an optional field whose type has no
    /// `null` (a `#[serde(default)]` field) is removed, so the default applies.
    ///
    /// # Errors
    ///
    /// [`Error::FieldTooBig`] or [`Error::ArrayTooLong`] for the first key,
    /// in input order, over its size limit; otherwise
    /// [`Error::Validation`] listing unknown properties, then each failing
    /// field with its first failing constraint.
    pub fn validate(
        &self,
        object: &mut Map<String, Value>,
        mode: Mode<'_>,
        target: Target,
    ) -> Result<(), Error> {
        if let Some(property) = nul::find(object) {
            return Err(Error::Validation(ValidationError {
                target,
                type_name: self.type_name.clone(),
                failures: vec![PropertyFailure {
                    property,
                    constraints: vec![nul::CONSTRAINT],
                }],
            }));
        }
        let objects = &self.objects;
        transform::prepare(&self.root, object, mode == Mode::Full, objects);
        size::check_sizes(&self.root, object, mode.list_field(), objects)?;
        let mut failures = Vec::new();
        let _ = self
            .root
            .visit(object, mode, objects, &mut |property, constraint| {
                failures.push(PropertyFailure {
                    property: property.to_owned(),
                    constraints: vec![constraint],
                });
                ControlFlow::Continue(())
            });
        if failures.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(ValidationError {
            target,
            type_name: self.type_name.clone(),
            failures,
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use ferrocrud_shared::user::{CreateAccountDto, LoginDto};
    use proptest::prelude::*;
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Post {
        id: String,
        title: String,
        #[schemars(extend("x-max-size" = 1000))]
        content: String,
        #[schemars(range(min = 0, max = 1000000))]
        likes: Option<i64>,
        owner: String,
        created_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct TimeoutUserDto {
        user_id: String,
        timeout_duration_minutes: i64,
        #[schemars(extend("x-max-size" = 200))]
        allowed_roles: Vec<String>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Address {
        #[schemars(length(min = 2), extend("x-transform" = ["trim"]))]
        city: String,
        zip: Option<u32>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(rename_all = "lowercase")]
    enum Color {
        Red,
        Blue,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(untagged)]
    enum Reference {
        Text(String),
        Number(i64),
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Profile {
        name: String,
        address: Option<Address>,
        #[schemars(extend("x-max-length" = 3))]
        friends: Vec<Address>,
        #[serde(default)]
        past_addresses: Vec<Address>,
        #[schemars(extend("x-max-size" = 200, "x-transform" = ["lowercase"]))]
        tags: Vec<String>,
        #[schemars(extend("x-max-size" = -1))]
        meta: Option<serde_json::Value>,
        color: Option<Color>,
        reference: Option<Reference>,
        age: Option<u8>,
        #[serde(default)]
        verified: bool,
        #[schemars(extend("x-delete" = true))]
        internal: Option<String>,
        #[schemars(extend("x-secret" = true))]
        password_hash: Option<String>,
        created_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[allow(dead_code)] // only their schemas and deserialization are used
    #[serde(deny_unknown_fields)]
    struct Node {
        name: String,
        #[serde(default)]
        children: Vec<Node>,
    }

    fn validator<T: JsonSchema>(name: &str) -> Validator {
        Validator::for_type::<T>(name, &ValidationOptions::default()).expect("supported schema")
    }

    fn run(validator: &Validator, mut body: Value, mode: Mode<'_>) -> Result<Value, Error> {
        let object = body.as_object_mut().expect("an object");
        validator.validate(object, mode, Target::Data)?;
        Ok(body)
    }

    fn message(validator: &Validator, body: Value, mode: Mode<'_>) -> String {
        run(validator, body, mode).expect_err("invalid").to_string()
    }

    fn failures(validator: &Validator, body: Value, mode: Mode<'_>) -> Vec<(String, &'static str)> {
        match run(validator, body, mode) {
            Err(Error::Validation(err)) => err
                .failures
                .into_iter()
                .map(|f| (f.property, f.constraints[0]))
                .collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn pairs(expected: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        expected.iter().map(|&(p, c)| (p.to_owned(), c)).collect()
    }

    // ----- CreateAccountDto and LoginDto: eicrud's captured answers ---------

    #[test]
    fn create_account_missing_password_reports_min_length() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        assert_eq!(
            message(
                &v,
                json!({"email": "hmws5b9wo.x2@peer.test", "role": "user"}),
                Mode::Full
            ),
            "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property password has failed the following constraints: minLength \n"
        );
    }

    #[test]
    fn create_account_short_password_reports_min_length() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"email": "hmws5b9wo.x3@peer.test", "password": "short", "role": "user"});
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property password has failed the following constraints: minLength \n"
        );
    }

    #[test]
    fn create_account_missing_role_reports_is_string() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"email": "hmws5b9wo.x2b@peer.test", "password": "pass-A-123456"});
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property role has failed the following constraints: isString \n"
        );
    }

    #[test]
    fn create_account_invalid_email_reports_is_email() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"email": "not-an-email", "password": "pass-A-123456", "role": "user"});
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property email has failed the following constraints: isEmail \n"
        );
    }

    #[test]
    fn create_account_unknown_field_reports_whitelist() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"email": "hmws5b9wo.x5@peer.test", "password": "pass-A-123456", "role": "user", "isAdmin": true});
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of CreateAccountDto has failed the validation:\n - property isAdmin has failed the following constraints: whitelistValidation \n"
        );
    }

    #[test]
    fn create_account_oversized_password_is_code_23() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body =
            json!({"email": "hmws5b9wo.x4@peer.test", "password": "p".repeat(60), "role": "user"});
        match run(&v, body, Mode::Full) {
            Err(Error::FieldTooBig { field, size, max }) => {
                assert_eq!((field.as_str(), size, max), ("password", 62, 50));
            }
            other => panic!("expected FieldTooBig, got {other:?}"),
        }
    }

    #[test]
    fn create_account_email_is_trimmed_and_lowercased_before_is_email() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body =
            json!({"email": "  HMWS.C@PEER.TEST ", "password": "pass-A-123456", "role": "user"});
        let body = run(&v, body, Mode::Full).expect("valid");
        assert_eq!(body["email"], "hmws.c@peer.test");
        let dto: CreateAccountDto = serde_json::from_value(body).expect("deserializes");
        assert_eq!(dto.email, "hmws.c@peer.test");
    }

    #[test]
    fn create_account_accepts_nulls_of_optional_fields_only() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"email": "a@b.co", "password": "pass-A-123456", "role": "user", "username": null, "logMeIn": null});
        let body = run(&v, body, Mode::Full).expect("valid");
        let dto: CreateAccountDto = serde_json::from_value(body).expect("deserializes");
        assert_eq!((dto.username, dto.log_me_in), (None, None));
        let body = json!({"email": "a@b.co", "password": "pass-A-123456", "role": null});
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("role", "isString")])
        );
    }

    #[test]
    fn create_account_lists_every_failing_property() {
        let v = validator::<CreateAccountDto>("CreateAccountDto");
        let body = json!({"zz": 1, "email": 5, "isAdmin": true, "logMeIn": "yes"});
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[
                ("zz", "whitelistValidation"),
                ("isAdmin", "whitelistValidation"),
                ("email", "isEmail"),
                ("password", "minLength"),
                ("role", "isString"),
                ("logMeIn", "isBoolean"),
            ])
        );
    }

    #[test]
    fn login_missing_password_reports_is_string() {
        let v = validator::<LoginDto>("LoginDto");
        assert_eq!(
            message(&v, json!({"email": "hmws5b9wo.a@peer.test"}), Mode::Full),
            "Validation error Data: An instance of LoginDto has failed the validation:\n - property password has failed the following constraints: isString \n"
        );
    }

    #[test]
    fn login_oversized_password_is_code_23() {
        let v = validator::<LoginDto>("LoginDto");
        let body = json!({"email": "hmws5b9wo.a@peer.test", "password": "p".repeat(70)});
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::FieldTooBig {
                size: 72,
                max: 50,
                ..
            })
        ));
    }

    #[test]
    fn login_renamed_field_and_integers() {
        let v = validator::<LoginDto>("LoginDto");
        let body = json!({"email": "a@b.co", "password": "x", "twoFA_code": "123456", "expiresInSec": 1800.0});
        let body = run(&v, body, Mode::Full).expect("valid");
        assert!(body["expiresInSec"].is_i64());
        let dto: LoginDto = serde_json::from_value(body).expect("deserializes");
        assert_eq!(dto.expires_in_sec, Some(1800));
    }

    // ----- Post and TimeoutUserDto ----------------------------------------

    fn post() -> Value {
        json!({"id": "p1", "title": "Hello", "content": "x", "owner": "u1"})
    }

    #[test]
    fn post_missing_title_reports_is_string() {
        let v = validator::<Post>("Post");
        let mut body = post();
        body.as_object_mut().map(|o| o.remove("title"));
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of Post has failed the validation:\n - property title has failed the following constraints: isString \n"
        );
    }

    #[test]
    fn post_likes_of_the_wrong_type_reports_max() {
        let v = validator::<Post>("Post");
        let mut body = post();
        body["likes"] = json!("many");
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of Post has failed the validation:\n - property likes has failed the following constraints: max \n"
        );
    }

    #[test]
    fn post_unknown_field_reports_whitelist() {
        let v = validator::<Post>("Post");
        let mut body = post();
        body["hacker"] = json!(true);
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of Post has failed the validation:\n - property hacker has failed the following constraints: whitelistValidation \n"
        );
    }

    #[test]
    fn post_content_follows_its_own_max_size() {
        let v = validator::<Post>("Post");
        let mut body = post();
        body["content"] = json!("c".repeat(900));
        run(&v, body.clone(), Mode::Full).expect("900 characters fit");
        body["content"] = json!("c".repeat(1200));
        match run(&v, body, Mode::Full) {
            Err(Error::FieldTooBig { field, size, max }) => {
                assert_eq!((field.as_str(), size, max), ("content", 1202, 1000));
            }
            other => panic!("expected FieldTooBig, got {other:?}"),
        }
    }

    #[test]
    fn sizes_are_checked_before_rules_and_in_input_order() {
        let v = validator::<Post>("Post");
        let body = json!({"hacker": "h".repeat(60), "title": "t".repeat(60)});
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::FieldTooBig { field, .. }) if field == "hacker"
        ));
    }

    #[test]
    fn post_checks_ranges_and_dates() {
        let v = validator::<Post>("Post");
        let mut body = post();
        body["likes"] = json!(1_000_001);
        body["createdAt"] = json!("yesterday");
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("likes", "max"), ("createdAt", "isDateString")])
        );
        let mut body = post();
        body["likes"] = json!(-1);
        body["createdAt"] = json!("2024-05-01T12:00:00.000Z");
        assert_eq!(failures(&v, body, Mode::Full), pairs(&[("likes", "min")]));
    }

    #[test]
    fn timeout_user_missing_minutes_reports_is_int() {
        let v = validator::<TimeoutUserDto>("TimeoutUserDto");
        let body = json!({"userId": "a1797a427d89495b37905f1e", "allowedRoles": ["user"]});
        assert_eq!(
            message(&v, body, Mode::Full),
            "Validation error Data: An instance of TimeoutUserDto has failed the validation:\n - property timeoutDurationMinutes has failed the following constraints: isInt \n"
        );
    }

    #[test]
    fn partial_mode_skips_absent_fields() {
        let v = validator::<Post>("Post");
        run(&v, json!({"likes": 3}), Mode::Partial).expect("valid patch");
        assert_eq!(
            failures(&v, json!({"title": null}), Mode::Partial),
            pairs(&[("title", "isString")])
        );
        let err = message(&v, json!({"title": 1}), Mode::Partial);
        assert!(err.starts_with("Validation error Data: An instance of Post"));
        let mut query = json!({"owner": 1});
        let err = v
            .validate(
                query.as_object_mut().expect("object"),
                Mode::Partial,
                Target::Query,
            )
            .expect_err("invalid");
        assert!(err.to_string().starts_with("Validation error Query: "));
    }

    #[test]
    fn query_mode_checks_each_id_of_a_list() {
        let v = validator::<Post>("Post");
        let ids: Vec<String> = (0..10).map(|i| format!("{i:024}")).collect();
        let mode = Mode::Query {
            list_field: Some("id"),
        };
        run(&v, json!({"id": ids, "owner": "u1"}), mode).expect("an id list");
        run(&v, json!({"id": "p1"}), mode).expect("one id");
        assert_eq!(
            failures(&v, json!({"id": ["a", 2]}), mode),
            pairs(&[("id", "isString")])
        );
        assert!(matches!(
            run(&v, json!({"id": ["a", "b".repeat(60)]}), mode),
            Err(Error::FieldTooBig {
                size: 62,
                max: 50,
                ..
            })
        ));
        assert!(matches!(
            run(&v, json!({"id": ids}), Mode::Partial),
            Err(Error::FieldTooBig { .. })
        ));
        assert_eq!(
            failures(&v, json!({"id": ["a"]}), Mode::Partial),
            pairs(&[("id", "isString")])
        );
        assert_eq!(
            failures(&v, json!({"owner": ["a"]}), mode),
            pairs(&[("owner", "isString")])
        );
    }

    // ----- nested objects, arrays, enums ----------------------------------

    fn profile() -> Value {
        json!({"name": "Ann", "friends": [], "tags": []})
    }

    #[test]
    fn profile_accepts_a_full_object() {
        let v = validator::<Profile>("Profile");
        let body = json!({
            "name": "Ann",
            "address": {"city": " Paris ", "zip": 75001.0},
            "friends": [{"city": "Oslo"}],
            "tags": ["A", "b"],
            "meta": {"anything": ["goes", 1, {"deep": true}], "long": "m".repeat(300)},
            "color": "red",
            "reference": 12,
            "age": 200,
            "verified": null,
            "internal": "dropped",
            "createdAt": "2024-05-01T12:00:00Z",
        });
        let body = run(&v, body, Mode::Full).expect("valid");
        assert_eq!(body["address"]["city"], "Paris");
        assert!(body["address"]["zip"].is_u64());
        assert_eq!(body["tags"], json!(["a", "b"]));
        assert!(body.get("internal").is_none());
        assert!(body.get("verified").is_none());
        let profile: Profile = serde_json::from_value(body).expect("deserializes");
        assert!(!profile.verified && profile.internal.is_none());
    }

    #[test]
    fn nested_failures_report_the_top_level_property() {
        let v = validator::<Profile>("Profile");
        let mut body = profile();
        body["address"] = json!({"city": "X"});
        body["friends"] = json!([{"city": "Oslo"}, {"city": "Rome", "hacker": 1}]);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[
                ("address", "nestedValidation"),
                ("friends", "nestedValidation")
            ])
        );
        let mut body = profile();
        body["address"] = json!("Paris");
        body["friends"] = json!([{"zip": 1}]);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("address", "isObject"), ("friends", "nestedValidation")])
        );
        let mut body = profile();
        body["friends"] = json!(["Oslo"]);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("friends", "isObject")])
        );
    }

    #[test]
    fn nested_fields_are_measured_one_by_one() {
        let v = validator::<Profile>("Profile");
        let mut body = profile();
        body["friends"] = json!([{"city": "c".repeat(30)}, {"city": "c".repeat(30)}]);
        run(&v, body.clone(), Mode::Full).expect("each city fits");
        body["address"] = json!({"city": "c".repeat(60)});
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::FieldTooBig { field, size: 62, max: 50 }) if field == "city"
        ));
    }

    #[test]
    fn arrays_of_objects_are_limited_in_length() {
        let v = validator::<Profile>("Profile");
        let mut body = profile();
        body["friends"] = json!([{"city": "ab"}, {"city": "ab"}, {"city": "ab"}, {"city": "ab"}]);
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::ArrayTooLong { field, length: 4, max: 3 }) if field == "friends"
        ));
        let mut body = profile();
        body["pastAddresses"] = json!(vec![json!({"city": "ab"}); 21]);
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::ArrayTooLong {
                length: 21,
                max: 20,
                ..
            })
        ));
        assert_eq!(v.field("friends").and_then(FieldRule::max_length), Some(3));
        assert_eq!(
            v.field("pastAddresses").and_then(FieldRule::max_length),
            Some(20)
        );
        assert_eq!(v.field("pastAddresses").and_then(FieldRule::max_size), None);
    }

    #[test]
    fn arrays_of_scalars_are_measured_as_one_text() {
        let v = validator::<Profile>("Profile");
        let mut body = profile();
        body["tags"] = json!(vec!["tag-0123456789"; 12]);
        assert!(matches!(
            run(&v, body, Mode::Full),
            Err(Error::FieldTooBig { max: 200, .. })
        ));
        let mut body = profile();
        body["tags"] = json!(["a", 1]);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("tags", "isString")])
        );
    }

    #[test]
    fn enums_and_untagged_enums() {
        let v = validator::<Profile>("Profile");
        let mut body = profile();
        body["color"] = json!("green");
        body["reference"] = json!(true);
        body["age"] = json!(300);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("color", "isIn"), ("reference", "isString"), ("age", "max")])
        );
        let mut body = profile();
        body["reference"] = json!("r-1");
        body["age"] = json!("old");
        assert_eq!(failures(&v, body, Mode::Full), pairs(&[("age", "isInt")]));
    }

    #[test]
    fn recursive_types_validate_at_every_depth() {
        let v = validator::<Node>("Node");
        let body = json!({"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]});
        let body = run(&v, body, Mode::Full).expect("valid tree");
        let node: Node = serde_json::from_value(body).expect("deserializes");
        assert_eq!(node.children[0].children[0].name, "c");
        let body = json!({"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]});
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("children", "nestedValidation")])
        );
    }

    // ----- introspection and options --------------------------------------

    #[test]
    fn introspection() {
        let v = validator::<Profile>("Profile");
        assert_eq!(v.type_name(), "Profile");
        assert_eq!(
            v.fields().take(3).collect::<Vec<_>>(),
            ["name", "address", "friends"]
        );
        assert!(v.has_field("pastAddresses") && !v.has_field("past_addresses"));
        assert_eq!(v.secret_fields().collect::<Vec<_>>(), ["passwordHash"]);
        let name = v.field("name").expect("a field");
        assert!(name.is_required() && !name.accepts_null() && !name.is_secret());
        assert_eq!(name.max_size(), Some(50));
        assert_eq!(v.field("meta").and_then(FieldRule::max_size), None);
        assert_eq!(v.field("tags").and_then(FieldRule::max_size), Some(200));
        assert!(v.field("internal").is_some_and(FieldRule::is_deleted));
        assert!(v.field("verified").is_some_and(FieldRule::accepts_null));
    }

    #[test]
    fn without_fields_makes_fields_unknown() {
        let v = validator::<Post>("Post").without_fields(&["createdAt", "id"]);
        assert!(!v.has_field("createdAt"));
        assert_eq!(
            v.fields().collect::<Vec<_>>(),
            ["title", "content", "likes", "owner"]
        );
        let body = json!({"id": "p", "title": "t", "content": "c", "owner": "o", "createdAt": "2024-05-01T12:00:00Z"});
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[
                ("id", "whitelistValidation"),
                ("createdAt", "whitelistValidation")
            ])
        );
    }

    #[test]
    fn default_max_size_zero_disables_the_rule() {
        let options = ValidationOptions {
            default_max_size: 0,
            default_max_ar_length: 0,
        };
        let v = Validator::for_type::<Profile>("Profile", &options).expect("supported");
        let mut body = profile();
        body["name"] = json!("n".repeat(500));
        body["unknown"] = json!("u".repeat(500));
        body["pastAddresses"] = json!(vec![json!({"city": "ab"}); 40]);
        assert_eq!(
            failures(&v, body, Mode::Full),
            pairs(&[("unknown", "whitelistValidation")])
        );
        assert_eq!(v.field("name").and_then(FieldRule::max_size), None);
    }

    #[test]
    fn validator_is_send_sync_and_cheap_to_share() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Validator>();
    }

    // ----- properties -------------------------------------------------------

    fn json_values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::from),
            Just(json!("a@b.co")),
            Just(json!(" Ann@Example.COM ")),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::vec((keys(), inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    fn keys() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "id",
                "title",
                "content",
                "likes",
                "owner",
                "createdAt",
                "email",
                "password",
                "role",
                "username",
                "logMeIn",
                "name",
                "address",
                "city",
                "zip",
                "friends",
                "pastAddresses",
                "tags",
                "meta",
                "color",
                "reference",
                "age",
                "verified",
                "internal",
                "children",
            ])
            .prop_map(str::to_owned),
            "[a-zA-Z$]{1,6}",
        ]
    }

    fn objects() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::vec((keys(), json_values()), 0..8)
            .prop_map(|entries| entries.into_iter().collect())
    }

    fn create_account_bodies() -> impl Strategy<Value = Map<String, Value>> {
        let email = prop_oneof![
            Just(json!("a@b.co")),
            Just(json!("  HMWS.C@PEER.TEST ")),
            Just(json!("bad")),
            Just(json!(null))
        ];
        let password = prop_oneof![
            Just(json!("pass-A-123456")),
            Just(json!("short")),
            Just(json!(3))
        ];
        let role = prop_oneof![
            Just(json!("user")),
            Just(json!(null)),
            Just(json!(["user"]))
        ];
        let username = prop_oneof![Just(json!(null)), Just(json!(" Ann ")), Just(json!(false))];
        let log_me_in = prop_oneof![Just(json!(null)), Just(json!(true)), Just(json!(1.0))];
        (
            prop::option::of(email),
            prop::option::of(password),
            prop::option::of(role),
            prop::option::of(username),
            prop::option::of(log_me_in),
        )
            .prop_map(|(email, password, role, username, log_me_in)| {
                [
                    ("email", email),
                    ("password", password),
                    ("role", role),
                    ("username", username),
                    ("logMeIn", log_me_in),
                ]
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                .collect()
            })
    }

    fn all_validators() -> Vec<Validator> {
        vec![
            validator::<CreateAccountDto>("CreateAccountDto"),
            validator::<LoginDto>("LoginDto"),
            validator::<Post>("Post"),
            validator::<Profile>("Profile"),
            validator::<Node>("Node"),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_objects(object in objects()) {
            for v in all_validators() {
                for mode in [Mode::Full, Mode::Partial, Mode::Query { list_field: Some("id") }] {
                    let mut copy = object.clone();
                    let _ = v.validate(&mut copy, mode, Target::Data);
                }
            }
        }

        #[test]
        fn what_passes_full_passes_partial(object in create_account_bodies()) {
            let v = validator::<CreateAccountDto>("CreateAccountDto");
            let mut full = object.clone();
            if v.validate(&mut full, Mode::Full, Target::Data).is_ok() {
                let mut partial = object;
                prop_assert!(v.validate(&mut partial, Mode::Partial, Target::Data).is_ok());
                prop_assert!(serde_json::from_value::<CreateAccountDto>(Value::Object(full)).is_ok());
            }
        }

        #[test]
        fn what_passes_full_passes_partial_on_any_object(object in objects()) {
            for v in all_validators() {
                let mut full = object.clone();
                if v.validate(&mut full, Mode::Full, Target::Data).is_ok() {
                    let mut partial = object.clone();
                    prop_assert!(v.validate(&mut partial, Mode::Partial, Target::Data).is_ok());
                }
            }
        }

        #[test]
        fn validation_is_idempotent(object in objects(), body in create_account_bodies()) {
            for v in all_validators() {
                for input in [&object, &body] {
                    let mut once = input.clone();
                    let first = v.validate(&mut once, Mode::Full, Target::Data).is_ok();
                    let mut twice = once.clone();
                    let second = v.validate(&mut twice, Mode::Full, Target::Data).is_ok();
                    prop_assert_eq!(&once, &twice);
                    prop_assert_eq!(first, second);
                }
            }
        }
    }
}
