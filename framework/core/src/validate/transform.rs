//! Step 1 of validation: transforms (`x-transform`), dropped keys
//! (`x-delete`) and date-times in canonical form.

use serde_json::{Map, Value};

use super::format::is_js_whitespace;
use super::rules::{Nested, ObjectRules};
use crate::storage::{format_timestamp, parse_timestamp};

/// A string transform, applied before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    /// JavaScript's `trim()`.
    Trim,
    /// JavaScript's `toLowerCase()`.
    Lowercase,
    /// JavaScript's `toUpperCase()`.
    Uppercase,
}

impl Transform {
    /// The names `x-transform` accepts.
    pub(crate) const NAMES: [&'static str; 3] = ["trim", "lowercase", "uppercase"];

    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "trim" => Some(Self::Trim),
            "lowercase" => Some(Self::Lowercase),
            "uppercase" => Some(Self::Uppercase),
            _ => None,
        }
    }

    /// Applies the transform; allocates only when the text changes.
    fn apply(self, s: &mut String) {
        match self {
            Self::Trim => {
                let trimmed = s.trim_matches(is_js_whitespace);
                if trimmed.len() != s.len() {
                    *s = trimmed.to_owned();
                }
            }
            Self::Lowercase => {
                if s.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
                    *s = s.to_lowercase();
                }
            }
            Self::Uppercase => {
                if s.chars().any(|c| c.to_uppercase().ne(std::iter::once(c))) {
                    *s = s.to_uppercase();
                }
            }
        }
    }
}

/// Applies `transforms` in order to a string, or to each string of an array;
/// other values are left as they are.
pub(crate) fn apply(transforms: &[Transform], value: &mut Value) {
    match value {
        Value::String(s) => transforms.iter().for_each(|t| t.apply(s)),
        Value::Array(items) => {
            for item in items {
                if let Value::String(s) = item {
                    transforms.iter().for_each(|t| t.apply(s));
                }
            }
        }
        _ => {}
    }
}

/// Rewrites an RFC 3339 date-time, or each one of an array, in the form the
/// server stores and sends (UTC, milliseconds, `Z`). Conditions compare
/// date-times as text; in this one form, text order is the order of
/// instants, as the database compares them. Anything else is left for the
/// format check to refuse.
pub(crate) fn canonicalise_date_times(value: &mut Value) {
    match value {
        Value::String(text) => canonicalise_date_time(text),
        Value::Array(items) => {
            for item in items {
                if let Value::String(text) = item {
                    canonicalise_date_time(text);
                }
            }
        }
        _ => {}
    }
}

fn canonicalise_date_time(text: &mut String) {
    if let Some(instant) = parse_timestamp(text) {
        let canonical = format_timestamp(&instant);
        if canonical != *text {
            *text = canonical;
        }
    }
}

/// Drops `x-delete` keys, applies transforms, and, in full objects, drops
/// `null`s of optional fields whose type has no `null` (absent is what they
/// mean there); then does the same inside nested objects, which are always full.
pub(crate) fn prepare(
    rules: &ObjectRules,
    map: &mut Map<String, Value>,
    full: bool,
    objects: &[ObjectRules],
) {
    for &i in &rules.deleted {
        map.shift_remove(&rules.fields[i].name);
    }
    if full {
        for &i in &rules.null_is_absent {
            let name = &rules.fields[i].name;
            if map.get(name).is_some_and(Value::is_null) {
                map.shift_remove(name);
            }
        }
    }
    for &i in &rules.transformed {
        let field = &rules.fields[i];
        if let Some(value) = map.get_mut(&field.name) {
            apply(&field.transforms, value);
        }
    }
    for &i in &rules.date_times {
        if let Some(value) = map.get_mut(&rules.fields[i].name) {
            canonicalise_date_times(value);
        }
    }
    for &i in &rules.nested {
        let field = &rules.fields[i];
        match (field.nested(), map.get_mut(&field.name)) {
            (Some(Nested::Object(index)), Some(Value::Object(inner))) => {
                prepare(&objects[index], inner, true, objects);
            }
            (Some(Nested::Array(index)), Some(Value::Array(items))) => {
                for item in items {
                    if let Value::Object(inner) = item {
                        prepare(&objects[index], inner, true, objects);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn run(transforms: &[Transform], value: Value) -> Value {
        let mut value = value;
        apply(transforms, &mut value);
        value
    }

    #[test]
    fn trims_then_lowercases() {
        let transforms = [Transform::Trim, Transform::Lowercase];
        assert_eq!(
            run(&transforms, json!("  HMWS.C@PEER.TEST ")),
            json!("hmws.c@peer.test")
        );
    }

    #[test]
    fn trims_javascript_white_space_only() {
        assert_eq!(
            run(&[Transform::Trim], json!("\u{feff}\t a b\u{3000}\n")),
            json!("a b")
        );
        assert_eq!(run(&[Transform::Trim], json!("\u{85}a")), json!("\u{85}a"));
    }

    #[test]
    fn applies_to_each_string_of_an_array() {
        assert_eq!(
            run(&[Transform::Uppercase], json!(["ab", 1, null, "cD"])),
            json!(["AB", 1, null, "CD"])
        );
    }

    #[test]
    fn leaves_other_values_alone() {
        let transforms = [Transform::Trim, Transform::Lowercase];
        assert_eq!(run(&transforms, json!(12)), json!(12));
        assert_eq!(run(&transforms, json!({"a": " B "})), json!({"a": " B "}));
    }

    #[test]
    fn follows_unicode_case_mapping() {
        assert_eq!(
            run(&[Transform::Uppercase], json!("straße")),
            json!("STRASSE")
        );
        assert_eq!(
            run(&[Transform::Lowercase], json!("ΟΔΟΣ")),
            json!("οδο\u{3c2}")
        );
    }

    #[test]
    fn date_times_take_the_stored_form() {
        let mut value = json!("2029-12-31T23:30:00-01:00");
        canonicalise_date_times(&mut value);
        assert_eq!(value, json!("2030-01-01T00:30:00.000Z"));
        let mut list = json!(["2030-01-01T00:00:00.123456+01:00", "soon", 3]);
        canonicalise_date_times(&mut list);
        assert_eq!(list, json!(["2029-12-31T23:00:00.123Z", "soon", 3]));
    }

    proptest! {
        #[test]
        fn canonical_date_times_sort_as_their_instants(a in 0i64..4_102_444_800_000, b in 0i64..4_102_444_800_000, offset in -86_399i32..86_399) {
            use chrono::{FixedOffset, TimeZone, Utc};
            let zone = FixedOffset::east_opt(offset).expect("in range");
            let text = |ms: i64| {
                let mut value = json!(Utc.timestamp_millis_opt(ms).unwrap().with_timezone(&zone).to_rfc3339());
                canonicalise_date_times(&mut value);
                value.as_str().expect("text").to_owned()
            };
            prop_assert_eq!(text(a).cmp(&text(b)), a.cmp(&b));
        }
    }

    #[test]
    fn names_parse() {
        for name in Transform::NAMES {
            assert!(Transform::parse(name).is_some());
        }
        assert_eq!(Transform::parse("Trim"), None);
    }

    fn transform_lists() -> impl Strategy<Value = Vec<Transform>> {
        prop::collection::vec(
            prop_oneof![
                Just(Transform::Trim),
                Just(Transform::Lowercase),
                Just(Transform::Uppercase)
            ],
            0..4,
        )
    }

    proptest! {
        #[test]
        fn transforms_are_idempotent(s in any::<String>(), transforms in transform_lists()) {
            let once = run(&transforms, json!(s));
            let twice = run(&transforms, once.clone());
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn trim_lowercase_is_idempotent_on_emails(s in "[ \\t]{0,3}[A-Za-zÀ-ÿ.@]{0,20}[ \\n]{0,3}") {
            let transforms = [Transform::Trim, Transform::Lowercase];
            let once = run(&transforms, json!(s));
            prop_assert_eq!(run(&transforms, once.clone()), once);
        }
    }
}
