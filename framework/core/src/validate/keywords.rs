//! Per-type keywords of a schema: bounds, lengths, formats, items.

use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use super::compile::{Compiler, is_annotation};
use super::format::Format;
use super::rules::{Bound, Kind, Num, ValueRule};
use crate::error::SetupError;

impl Compiler<'_> {
    /// Adds one keyword of a schema of type `kind` (`""`: no type) to `rule`.
    pub(super) fn keyword(
        &mut self,
        rule: &mut ValueRule,
        kind: &str,
        keyword: &str,
        value: &Value,
        path: &str,
    ) -> Result<(), SetupError> {
        let count = |value: &Value| {
            value
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| self.error(path, format!("`{keyword}` is not a count")))
        };
        let number = |value: &Value| {
            value
                .as_number()
                .and_then(Num::from_json)
                .ok_or_else(|| self.error(path, format!("`{keyword}` is not a number")))
        };
        let numeric = matches!(kind, "integer" | "number");
        match (keyword, kind) {
            ("type" | "enum" | "const", _) => {}
            ("properties" | "required" | "additionalProperties", "object") => {}
            ("maximum" | "exclusiveMaximum", _) if numeric => {
                let exclusive = keyword == "exclusiveMaximum";
                rule.max = tighter(
                    rule.max,
                    Bound {
                        value: number(value)?,
                        exclusive,
                        implied: false,
                    },
                    true,
                );
            }
            ("minimum" | "exclusiveMinimum", _) if numeric => {
                let exclusive = keyword == "exclusiveMinimum";
                rule.min = tighter(
                    rule.min,
                    Bound {
                        value: number(value)?,
                        exclusive,
                        implied: false,
                    },
                    false,
                );
            }
            ("maxLength", "string") => rule.max_length = Some(count(value)?),
            ("minLength", "string") => rule.min_length = Some(count(value)?),
            ("pattern", "string") => {
                let pattern = value
                    .as_str()
                    .ok_or_else(|| self.error(path, "`pattern` is not a string"))?;
                let regex = Regex::new(pattern).map_err(|e| {
                    self.error(path, format!("`pattern` {pattern:?} is not supported: {e}"))
                })?;
                rule.pattern = Some(regex);
            }
            ("format", "string") => rule.format = value.as_str().and_then(Format::parse),
            ("format", "integer") => {
                if let Some((min, max)) = value.as_str().and_then(integer_range) {
                    rule.min = implied(rule.min, min, false);
                    rule.max = implied(rule.max, max, true);
                }
            }
            ("format", _) => {}
            ("items", "array") => {
                let items = self.value(value, path)?;
                rule.kind = Kind::Array(Box::new(items));
            }
            ("maxItems", "array") => rule.max_items = Some(count(value)?),
            ("minItems", "array") => rule.min_items = Some(count(value)?),
            ("uniqueItems", "array") => rule.unique_items = value.as_bool() == Some(true),
            ("prefixItems", "array") => {
                return Err(self.error(path, "tuples (`prefixItems`) are not supported"));
            }
            (k, _) if is_annotation(k) => {}
            (k, "") => {
                return Err(self.error(
                    path,
                    format!("keyword `{k}` without a `type` is not supported"),
                ));
            }
            (k, kind) => {
                return Err(self.error(
                    path,
                    format!("keyword `{k}` on type `{kind}` is not supported"),
                ));
            }
        }
        Ok(())
    }
}

/// The stricter of two bounds.
fn tighter(current: Option<Bound>, new: Bound, is_max: bool) -> Option<Bound> {
    let Some(current) = current else {
        return Some(new);
    };
    let order = new.value.partial_cmp(&current.value);
    let new_is_tighter = match order {
        Some(Ordering::Less) => is_max,
        Some(Ordering::Greater) => !is_max,
        Some(Ordering::Equal) => new.exclusive,
        None => false,
    };
    Some(if new_is_tighter { new } else { current })
}

/// A bound of an integer format: the type's own range, marked as implied
/// when the schema's bound is that range.
fn implied(current: Option<Bound>, natural: i128, is_max: bool) -> Option<Bound> {
    let natural_bound = Bound {
        value: Num::Int(natural),
        exclusive: false,
        implied: true,
    };
    match current {
        None => Some(natural_bound),
        Some(bound) if bound.value == Num::Int(natural) && !bound.exclusive => Some(natural_bound),
        Some(bound) => tighter(Some(natural_bound), bound, is_max),
    }
}

/// The range of an integer `format`.
fn integer_range(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" | "uint" => (0, u64::MAX.into()),
        _ => return None,
    })
}
