//! Body validation: the compiled validators of real types, on any JSON.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::ValidationOptions;
use crate::error::{Error, Target};
use crate::shared::user::{
    ChangePasswordDto, CreateAccountDto, LoginDto, ResetPasswordDto, TimeoutUserDto,
};
use crate::validate::{Mode, Validator};

/// An article: one field of each kind the validator supports (lengths,
/// ranges, patterns, formats, enums, sets, nested and recursive objects,
/// arrays of objects, untagged scalars, transforms, `x-` keywords).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // Only the schema is used.
struct Article {
    #[schemars(length(min = 1, max = 48), extend("x-transform" = ["trim"]))]
    title: String,
    #[schemars(length(max = 900), extend("x-max-size" = 1000))]
    content: Option<String>,
    #[schemars(length(max = 32), regex(pattern = r"^[a-z0-9-]+$"))]
    category: String,
    #[schemars(length(min = 1, max = 5), extend("x-max-size" = 200))]
    tags: Option<Vec<String>>,
    labels: Option<BTreeSet<String>>,
    #[schemars(range(min = 0, max = 1_000_000))]
    likes: Option<i64>,
    #[schemars(range(min = -1.5, max = 99.5))]
    score: Option<f64>,
    views: Option<u32>,
    #[serde(default)]
    pinned: bool,
    #[schemars(email, extend("x-transform" = ["trim", "lowercase"]))]
    author_email: Option<String>,
    #[schemars(extend("x-transform" = ["trim", "uppercase"]))]
    code: Option<String>,
    status: Option<Status>,
    published_at: Option<DateTime<Utc>>,
    day: Option<NaiveDate>,
    origin: Option<IpAddr>,
    #[schemars(extend("format" = "uuid"))]
    ref_id: Option<String>,
    address: Option<Address>,
    #[schemars(extend("x-max-length" = 3))]
    authors: Option<Vec<Author>>,
    thread: Option<Comment>,
    extra: Option<Value>,
    either: Option<TextOrNumber>,
    #[schemars(extend("x-delete" = true))]
    dropped: Option<String>,
    #[schemars(extend("x-secret" = true, "x-max-size" = -1))]
    secret: Option<String>,
}

/// A unit-variant enum.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Published,
}

/// A nested object.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // Only the schema is used.
struct Address {
    #[schemars(length(max = 20))]
    city: String,
    #[schemars(range(min = 1000, max = 99999))]
    zip: Option<i32>,
}

/// An item of an array of objects.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // Only the schema is used.
struct Author {
    #[schemars(length(min = 1, max = 30), extend("x-transform" = ["trim"]))]
    name: String,
    #[schemars(email)]
    email: Option<String>,
}

/// A recursive object.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // Only the schema is used.
struct Comment {
    #[schemars(length(max = 40))]
    text: String,
    replies: Option<Vec<Comment>>,
}

/// An untagged enum of scalars.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only the schema is used.
enum TextOrNumber {
    Text(String),
    Number(i64),
}

/// One compiled validator and the field a query may send as a list.
struct Case {
    validator: Validator,
    list_field: &'static str,
}

/// The validators the harness checks: the user entity's (as the query and
/// as the data validator the server builds from it), the user service's
/// command DTOs, and [`Article`].
fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let options = ValidationOptions::default();
        let compile = |validator: Result<Validator, _>| -> Validator {
            validator.expect("the harness's types have supported schemas")
        };
        let user = compile(Validator::for_type::<crate::user::entity::Model>(
            "User", &options,
        ));
        let user_data = user
            .clone()
            .without_fields(&["id", "createdAt", "updatedAt"]);
        vec![
            Case {
                validator: user,
                list_field: "id",
            },
            Case {
                validator: user_data,
                list_field: "email",
            },
            Case {
                validator: compile(Validator::for_type::<Article>("Article", &options)),
                list_field: "title",
            },
            Case {
                validator: compile(Validator::for_type::<CreateAccountDto>(
                    "CreateAccountDto",
                    &options,
                )),
                list_field: "email",
            },
            Case {
                validator: compile(Validator::for_type::<LoginDto>("LoginDto", &options)),
                list_field: "email",
            },
            Case {
                validator: compile(Validator::for_type::<ResetPasswordDto>(
                    "ResetPasswordDto",
                    &options,
                )),
                list_field: "tokenId",
            },
            Case {
                validator: compile(Validator::for_type::<ChangePasswordDto>(
                    "ChangePasswordDto",
                    &options,
                )),
                list_field: "newPassword",
            },
            Case {
                validator: compile(Validator::for_type::<TimeoutUserDto>(
                    "TimeoutUserDto",
                    &options,
                )),
                list_field: "userId",
            },
        ]
    })
}

/// Validates the JSON object after the first byte with the validator that
/// byte chooses, in every mode and for both targets.
///
/// Checks that a refusal is one of the documented errors, naming the target
/// and type; that the target changes nothing else; that a query without a
/// list field is checked as a partial object; and that an object accepted
/// (transformed in place) is accepted again unchanged.
pub fn body_validation(data: &[u8]) {
    let Some((&choice, json)) = data.split_first() else {
        return;
    };
    let cases = cases();
    let Some(case) = cases.get(usize::from(choice) % cases.len()) else {
        return;
    };
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let modes = [
        Mode::Full,
        Mode::Partial,
        Mode::Query { list_field: None },
        Mode::Query {
            list_field: Some(case.list_field),
        },
    ];
    let mut partial = None;
    for mode in modes {
        let mut as_data = object.clone();
        let mut as_query = object.clone();
        let data_result = check(&case.validator, &mut as_data, mode, Target::Data);
        let query_result = check(&case.validator, &mut as_query, mode, Target::Query);
        assert_eq!(data_result, query_result, "{mode:?} {object:?}");
        assert_eq!(as_data, as_query, "{mode:?} {object:?}");
        match mode {
            Mode::Partial => partial = Some((data_result.clone(), as_data.clone())),
            Mode::Query { list_field: None } => {
                assert_eq!(
                    partial.as_ref(),
                    Some(&(data_result.clone(), as_data.clone())),
                    "a query without a list field is a partial object: {object:?}"
                );
            }
            _ => {}
        }
        if data_result.is_ok() {
            let mut again = as_data.clone();
            let result = check(&case.validator, &mut again, mode, Target::Data);
            assert_eq!(result, Ok(()), "{mode:?}: {object:?} became {as_data:?}");
            assert_eq!(again, as_data, "{mode:?}: {object:?}");
        }
    }
}

/// The outcome of one validation, with what tells targets apart removed.
type Outcome = Result<(), String>;

/// Validates and checks the refusal's kind, target and type name.
fn check(
    validator: &Validator,
    object: &mut Map<String, Value>,
    mode: Mode<'_>,
    target: Target,
) -> Outcome {
    match validator.validate(object, mode, target) {
        Ok(()) => Ok(()),
        Err(Error::Validation(err)) => {
            assert_eq!(err.target, target);
            assert_eq!(err.type_name, validator.type_name());
            assert!(!err.failures.is_empty());
            Err(format!("{:?}", err.failures))
        }
        Err(err @ (Error::FieldTooBig { .. } | Error::ArrayTooLong { .. })) => Err(err.to_string()),
        Err(other) => panic!("unexpected refusal {other:?}"),
    }
}
