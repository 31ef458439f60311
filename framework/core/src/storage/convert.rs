//! JSON ↔ database values, per [`ColumnKind`].

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Value;
use sea_orm::{DbErr, QueryResult};
use serde_json::{Map, Number, Value as Json};

use super::info::{ColumnInfo, ColumnKind, EntityInfo};
use super::time::{format_timestamp, parse_timestamp};
use crate::error::{Error, PropertyFailure, Target, ValidationError};

impl ColumnInfo {
    /// Converts a JSON value to this column's database value.
    ///
    /// `null` becomes a typed SQL `NULL` whether or not the column is
    /// nullable; callers that write check [`ColumnInfo::nullable`].
    ///
    /// # Errors
    ///
    /// The name of the failed check (`isString`, `isInt`, `max`, ...) when the
    /// value does not fit the column.
    ///
    /// ```
    /// # use ferrocrud::storage::{ColumnKind, EntityInfo};
    /// # fn demo(info: &EntityInfo) {
    /// let title = info.column("title").unwrap();
    /// assert!(title.to_value(&serde_json::json!("hello")).is_ok());
    /// assert_eq!(title.to_value(&serde_json::json!(3)), Err("isString"));
    /// # }
    /// ```
    pub fn to_value(&self, json: &Json) -> Result<Value, &'static str> {
        if json.is_null() {
            return Ok(self.null_value());
        }
        let fail = self.kind.constraint();
        Ok(match self.kind {
            ColumnKind::Text => Value::String(Some(json.as_str().ok_or(fail)?.to_owned())),
            ColumnKind::Int => {
                let n = integer(json).ok_or(fail)?;
                let n = i32::try_from(n).map_err(|_| if n > 0 { "max" } else { "min" })?;
                Value::Int(Some(n))
            }
            ColumnKind::BigInt => Value::BigInt(Some(integer(json).ok_or(fail)?)),
            ColumnKind::Float => Value::Double(Some(json.as_f64().ok_or(fail)?)),
            ColumnKind::Bool => Value::Bool(Some(json.as_bool().ok_or(fail)?)),
            ColumnKind::DateTime => {
                let text = json.as_str().ok_or(fail)?;
                Value::ChronoDateTimeUtc(Some(parse_timestamp(text).ok_or(fail)?))
            }
            ColumnKind::Json => Value::Json(Some(Box::new(json.clone()))),
        })
    }

    /// A `NULL` of this column's type (PostgreSQL wants typed parameters).
    pub(crate) fn null_value(&self) -> Value {
        match self.kind {
            ColumnKind::Text => Value::String(None),
            ColumnKind::Int => Value::Int(None),
            ColumnKind::BigInt => Value::BigInt(None),
            ColumnKind::Float => Value::Double(None),
            ColumnKind::Bool => Value::Bool(None),
            ColumnKind::DateTime => Value::ChronoDateTimeUtc(None),
            ColumnKind::Json => Value::Json(None),
        }
    }

    /// Reads this column from a row as JSON (`null` for SQL `NULL`), at its
    /// position in the SELECT list: by position, not by name, which would
    /// look the name up in the row's column map.
    pub(crate) fn read(&self, row: &QueryResult, position: usize) -> Result<Json, DbErr> {
        Ok(match self.kind {
            ColumnKind::Text => row
                .try_get_by_index::<Option<String>>(position)?
                .map(Json::String),
            ColumnKind::Int => row
                .try_get_by_index::<Option<i32>>(position)?
                .map(Json::from),
            ColumnKind::BigInt => row
                .try_get_by_index::<Option<i64>>(position)?
                .map(Json::from),
            ColumnKind::Float => row.try_get_by_index::<Option<f64>>(position)?.map(float),
            ColumnKind::Bool => row
                .try_get_by_index::<Option<bool>>(position)?
                .map(Json::Bool),
            ColumnKind::DateTime => row
                .try_get_by_index::<Option<DateTime<Utc>>>(position)?
                .map(|t| Json::String(format_timestamp(&t))),
            ColumnKind::Json => row.try_get_by_index::<Option<Json>>(position)?,
        }
        .unwrap_or(Json::Null))
    }
}

/// The JSON a client reads back for a value ferrocrud wrote: timestamps in
/// wire form, integral floats as integers (as JavaScript prints them).
pub(crate) fn value_to_json(value: &Value) -> Json {
    match value {
        Value::String(Some(s)) => Json::String(s.clone()),
        Value::Int(Some(n)) => Json::from(*n),
        Value::BigInt(Some(n)) => Json::from(*n),
        Value::Double(Some(f)) => float(*f),
        Value::Bool(Some(b)) => Json::Bool(*b),
        Value::ChronoDateTimeUtc(Some(t)) => Json::String(format_timestamp(t)),
        Value::Json(Some(j)) => (**j).clone(),
        _ => Json::Null,
    }
}

/// Reads a row selected with the columns `indexes` (entity indexes, in
/// SELECT order) into a JSON object.
pub(crate) fn read_row(
    info: &EntityInfo,
    indexes: &[usize],
    row: &QueryResult,
) -> Result<Map<String, Json>, DbErr> {
    let mut object = Map::with_capacity(indexes.len());
    for (position, &i) in indexes.iter().enumerate() {
        let column = &info.columns()[i];
        object.insert(column.wire.clone(), column.read(row, position)?);
    }
    Ok(object)
}

/// Collects the properties that failed, then reports them all at once.
#[derive(Debug, Default)]
pub(crate) struct Failures(Vec<PropertyFailure>);

impl Failures {
    pub(crate) fn push(&mut self, property: &str, constraint: &'static str) {
        self.0.push(PropertyFailure {
            property: property.to_owned(),
            constraints: vec![constraint],
        });
    }

    pub(crate) fn into_result(self, info: &EntityInfo, target: Target) -> Result<(), Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(ValidationError {
            target,
            type_name: info.type_name().to_owned(),
            failures: self.0,
        }))
    }
}

/// A JSON number with no fractional part, as an `i64`.
fn integer(json: &Json) -> Option<i64> {
    if let Some(n) = json.as_i64() {
        return Some(n);
    }
    let f = json.as_f64()?;
    // JavaScript clients may send 3.0 for 3; accept integral values in range.
    (f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64).then_some(f as i64)
}

/// An `f64` as JavaScript would print it: integral values without `.0`,
/// non-finite values as `null`.
fn float(f: f64) -> Json {
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if f.fract() == 0.0 && f.abs() < SAFE {
        return Json::from(f as i64);
    }
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn column(kind: ColumnKind) -> ColumnInfo {
        ColumnInfo {
            wire: "field".into(),
            name: "field",
            kind,
            nullable: true,
            unique: false,
            primary_key: false,
            has_default: false,
            secret: false,
            managed: false,
            explicit: false,
        }
    }

    #[test]
    fn converts_each_kind() {
        let cases = [
            (ColumnKind::Text, json!("x"), json!("x")),
            (ColumnKind::Int, json!(7), json!(7)),
            (ColumnKind::Int, json!(7.0), json!(7)),
            (
                ColumnKind::BigInt,
                json!(9_000_000_000_i64),
                json!(9_000_000_000_i64),
            ),
            (ColumnKind::Float, json!(1.5), json!(1.5)),
            (ColumnKind::Float, json!(2), json!(2)),
            (ColumnKind::Bool, json!(true), json!(true)),
            (
                ColumnKind::DateTime,
                json!("2026-11-22T19:03:44.9651+01:00"),
                json!("2026-11-22T18:03:44.965Z"),
            ),
            (ColumnKind::Json, json!({"a": [1]}), json!({"a": [1]})),
        ];
        for (kind, input, output) in cases {
            let value = column(kind).to_value(&input).expect("converts");
            assert_eq!(value_to_json(&value), output, "{kind:?}");
        }
    }

    #[test]
    fn refuses_wrong_types() {
        let cases = [
            (ColumnKind::Text, json!(1), "isString"),
            (ColumnKind::Text, json!({"$in": ["a"]}), "isString"),
            (ColumnKind::Int, json!("1"), "isInt"),
            (ColumnKind::Int, json!(1.5), "isInt"),
            (ColumnKind::Int, json!(3_000_000_000_i64), "max"),
            (ColumnKind::Int, json!(-3_000_000_000_i64), "min"),
            (ColumnKind::BigInt, json!(true), "isInt"),
            (ColumnKind::Float, json!("1.5"), "isNumber"),
            (ColumnKind::Bool, json!(1), "isBoolean"),
            (ColumnKind::DateTime, json!("2026-11-22"), "isDate"),
            (ColumnKind::DateTime, json!(1_795_370_624_965_i64), "isDate"),
        ];
        for (kind, input, constraint) in cases {
            assert_eq!(
                column(kind).to_value(&input),
                Err(constraint),
                "{kind:?} {input}"
            );
        }
    }

    #[test]
    fn null_is_a_typed_null() {
        assert_eq!(
            column(ColumnKind::Int).to_value(&Json::Null),
            Ok(Value::Int(None))
        );
        assert_eq!(value_to_json(&Value::Int(None)), Json::Null);
    }

    #[test]
    fn floats_print_like_javascript() {
        assert_eq!(float(3.0), json!(3));
        assert_eq!(float(-0.5), json!(-0.5));
        assert_eq!(float(f64::NAN), Json::Null);
        assert_eq!(float(1e300), json!(1e300));
    }
}
