//! NUL characters: PostgreSQL's text types cannot hold one, so input holding
//! one is refused on every backend before any statement runs.

use serde_json::{Map, Value};

/// The constraint a property with a NUL character fails.
pub(crate) const CONSTRAINT: &str = "noNulCharacter";

/// The path of the first key or string of `object` that holds a NUL
/// character: `title`, `profile.bio`, `tags.2`. A NUL in a key is shown as
/// `\0`.
pub(crate) fn find(object: &Map<String, Value>) -> Option<String> {
    object.iter().find_map(|(key, value)| {
        if has_nul(key) {
            return Some(key.replace('\0', "\\0"));
        }
        below(value).map(|rest| format!("{key}{rest}"))
    })
}

/// `Some("")` when `value` is a string with a NUL, `Some(".b")` or
/// `Some(".2")` when one is below it.
fn below(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => has_nul(text).then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| below(item).map(|rest| format!(".{i}{rest}"))),
        Value::Object(map) => find(map).map(|inner| format!(".{inner}")),
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

fn has_nul(text: &str) -> bool {
    memchr::memchr(0, text.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn find_in(value: Value) -> Option<String> {
        match value {
            Value::Object(map) => find(&map),
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn names_the_first_property_holding_a_nul() {
        assert_eq!(
            find_in(json!({"title": "ok", "body": "a\u{0}b"})),
            Some("body".into())
        );
        assert_eq!(
            find_in(json!({"profile": {"bio": "\u{0}"}})),
            Some("profile.bio".into())
        );
        assert_eq!(
            find_in(json!({"tags": ["a", "b\u{0}"]})),
            Some("tags.1".into())
        );
        assert_eq!(find_in(json!({"a\u{0}": 1})), Some("a\\0".into()));
    }

    #[test]
    fn passes_text_without_nul() {
        assert_eq!(
            find_in(json!({"title": "a\u{1}é😀", "n": 0, "list": [null, true]})),
            None
        );
    }
}
