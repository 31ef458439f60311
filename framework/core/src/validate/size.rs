//! Step 2 of validation: eicrud's size rules (codes 23 and 24).
//!
//! A field's size is the length of its JSON text as JavaScript measures it,
//! `JSON.stringify(value).length`: UTF-16 code units, numbers written the
//! JavaScript way. It is computed without building the text.

use std::fmt::{self, Write as _};

use serde_json::{Map, Number, Value};

use super::rules::{Nested, ObjectRules};
use crate::error::Error;

/// Checks the sizes of `map`'s keys in input order; objects nested in fields
/// holding objects are checked key by key. `list_field` is the field that may
/// hold a list of values, each checked on its own.
pub(crate) fn check_sizes(
    rules: &ObjectRules,
    map: &Map<String, Value>,
    list_field: Option<&str>,
    objects: &[ObjectRules],
) -> Result<(), Error> {
    for (key, value) in map {
        let Some(field) = rules.get(key) else {
            check_size(key, value, rules.unknown_max_size)?;
            continue;
        };
        match (field.nested(), value) {
            (_, Value::Array(items)) if list_field == Some(key.as_str()) => {
                for item in items {
                    check_size(key, item, field.fallback_max_size)?;
                }
            }
            (Some(Nested::Object(index)), Value::Object(inner)) => {
                check_size(key, value, field.max_size)?;
                check_sizes(&objects[index], inner, None, objects)?;
            }
            (Some(Nested::Array(index)), Value::Array(items)) => {
                check_size(key, value, field.max_size)?;
                check_length(key, items, field.max_length)?;
                for item in items {
                    if let Value::Object(inner) = item {
                        check_sizes(&objects[index], inner, None, objects)?;
                    }
                }
            }
            (_, value) => {
                if let Value::Array(items) = value {
                    check_length(key, items, field.max_length)?;
                }
                check_size(key, value, field.fallback_max_size)?;
            }
        }
    }
    Ok(())
}

fn check_size(key: &str, value: &Value, max: Option<usize>) -> Result<(), Error> {
    let Some(max) = max else { return Ok(()) };
    let size = json_len(value);
    if size > max {
        return Err(Error::FieldTooBig {
            field: key.to_owned(),
            size,
            max,
        });
    }
    Ok(())
}

fn check_length(key: &str, items: &[Value], max: Option<usize>) -> Result<(), Error> {
    match max {
        Some(max) if items.len() > max => Err(Error::ArrayTooLong {
            field: key.to_owned(),
            length: items.len(),
            max,
        }),
        _ => Ok(()),
    }
}

/// `JSON.stringify(value).length`.
pub(crate) fn json_len(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(n) => number_len(n),
        Value::String(s) => string_len(s),
        Value::Array(items) => {
            2 + items.iter().map(json_len).sum::<usize>() + items.len().saturating_sub(1)
        }
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| string_len(k) + 1 + json_len(v))
                .sum::<usize>()
                + map.len().saturating_sub(1)
        }
    }
}

/// Length of a JSON string literal: quotes, escapes, UTF-16 code units.
fn string_len(s: &str) -> usize {
    // Byte by byte (no char decoding): each byte adds its share of the
    // literal's length, from a table.
    2 + s
        .bytes()
        .map(|b| usize::from(LITERAL_LEN[usize::from(b)]))
        .sum::<usize>()
}

/// What each byte of a UTF-8 string adds to the length of its JSON literal
/// in UTF-16 code units: 2 for the characters JSON escapes with a backslash
/// and a letter, 6 for the other control characters (`\u00XX`), 1 for other
/// ASCII and for the first byte of a 2- or 3-byte sequence, 2 for the first
/// byte of a 4-byte one (a surrogate pair), 0 for continuation bytes.
static LITERAL_LEN: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'"' | b'\\' | 0x08 | 0x0c | b'\n' | b'\r' | b'\t' => 2,
            0x00..=0x1f => 6,
            0x20..=0x7f => 1,
            0x80..=0xbf => 0,
            0xc0..=0xef => 1,
            0xf0..=0xff => 2,
        };
        b += 1;
    }
    table
};

fn number_len(n: &Number) -> usize {
    if let Some(u) = n.as_u64() {
        digits(u)
    } else if let Some(i) = n.as_i64() {
        1 + digits(i.unsigned_abs())
    } else {
        n.as_f64().map_or(4, float_len)
    }
}

fn digits(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// Length of JavaScript's `Number.prototype.toString()` of a finite float.
fn float_len(f: f64) -> usize {
    if f == 0.0 {
        return 1;
    }
    let sign = usize::from(f < 0.0);
    // Rust's `{:e}` gives the shortest round-trip digits, as JavaScript does.
    let mut sci = Scientific::default();
    if write!(sci, "{:e}", f.abs()).is_err() {
        return sign + 1;
    }
    let k = sci.digits;
    let n = sci.exponent + 1;
    let len = if k as i64 <= n && n <= 21 {
        n as usize
    } else if 0 < n && n <= 21 {
        k + 1
    } else if -6 < n && n <= 0 {
        2 + (-n) as usize + k
    } else {
        let mantissa = if k == 1 { 1 } else { k + 1 };
        mantissa + 2 + digits((n - 1).unsigned_abs())
    };
    sign + len
}

/// Counts the digits and reads the exponent of a `{:e}` rendering.
#[derive(Default)]
struct Scientific {
    digits: usize,
    exponent: i64,
    in_exponent: bool,
    negative_exponent: bool,
}

impl fmt::Write for Scientific {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            match c {
                'e' => self.in_exponent = true,
                '-' if self.in_exponent => self.negative_exponent = true,
                '0'..='9' if self.in_exponent => {
                    let d = i64::from(c as u8 - b'0');
                    self.exponent =
                        self.exponent * 10 + if self.negative_exponent { -d } else { d };
                }
                '0'..='9' => self.digits += 1,
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_count_quotes_escapes_and_utf16_units() {
        assert_eq!(json_len(&json!("p".repeat(60))), 62);
        assert_eq!(json_len(&json!("a\"b\\c\n")), 2 + 9);
        assert_eq!(json_len(&json!("\u{1}")), 8);
        assert_eq!(json_len(&json!("é😀")), 2 + 3);
        assert_eq!(json_len(&json!("/\u{7f}\u{2028}")), 5);
    }

    proptest! {
        #[test]
        fn string_len_counts_as_javascript_does(s in any::<String>()) {
            let expected = 2 + s
                .chars()
                .map(|c| match c {
                    '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
                    '\0'..='\u{1f}' => 6,
                    c => c.len_utf16(),
                })
                .sum::<usize>();
            prop_assert_eq!(string_len(&s), expected);
        }
    }

    #[test]
    fn containers_count_separators() {
        assert_eq!(json_len(&json!([])), 2);
        assert_eq!(json_len(&json!({})), 2);
        assert_eq!(json_len(&json!(["a", 1, null, true, false])), 23);
        assert_eq!(json_len(&json!({"a": 1, "bc": [2]})), 16);
    }

    #[test]
    fn numbers_are_written_the_javascript_way() {
        let cases: [(f64, &str); 13] = [
            (3.0, "3"),
            (-2.5, "-2.5"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-10, "-2.5e-10"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (-0.0, "0"),
        ];
        for (f, js) in cases {
            assert_eq!(float_len(f), js.len(), "{f}");
        }
        assert_eq!(json_len(&json!(-1234)), 5);
        assert_eq!(json_len(&json!(u64::MAX)), 20);
        assert_eq!(json_len(&json!(i64::MIN)), 20);
    }

    fn json_values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::vec(("[a-z\"]{0,3}", inner), 0..4)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn matches_serde_json_on_integers_and_text(value in json_values()) {
            let text = serde_json::to_string(&value).expect("serializable");
            prop_assert_eq!(json_len(&value), text.encode_utf16().count());
        }
    }
}
