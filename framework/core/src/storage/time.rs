//! Timestamps on the wire: ISO-8601, UTC, milliseconds, `Z`.
//!
//! eicrud sends JavaScript `Date`s, which serialize as `2026-11-22T18:03:44.965Z`.
//! ferrocrud stores timestamps truncated to the millisecond, so that what a
//! client reads back is exactly what was stored, and writes them in that form.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, Timelike, Utc};
use schemars::{JsonSchema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serializer};

/// The `chrono` format of wire timestamps: `2026-11-22T18:03:44.965Z`.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// Formats a timestamp the way eicrud sends dates.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use ferrocrud::storage::format_timestamp;
///
/// let t = Utc.with_ymd_and_hms(2026, 11, 22, 18, 3, 44).unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-22T18:03:44.000Z");
/// ```
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    let nanos = t.nanosecond();
    let year = t.year();
    // Four-digit years and no leap second: written digit by digit, which is
    // several times faster than interpreting the format string. The rest
    // (signed or five-digit years, leap seconds) as chrono writes them.
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return t.format(TIMESTAMP_FORMAT).to_string();
    }
    let mut out = String::with_capacity(24);
    push_digits(&mut out, year.unsigned_abs(), 4);
    out.push('-');
    push_digits(&mut out, t.month(), 2);
    out.push('-');
    push_digits(&mut out, t.day(), 2);
    out.push('T');
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, t.second(), 2);
    out.push('.');
    push_digits(&mut out, nanos / 1_000_000, 3);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for power in (0..width).rev() {
        let digit = value / 10u32.pow(power) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// Parses an RFC 3339 timestamp (any offset), converts it to UTC and
/// truncates it to the millisecond; `None` if it is not RFC 3339.
///
/// ```
/// use ferrocrud::storage::{format_timestamp, parse_timestamp};
///
/// let t = parse_timestamp("2026-11-22T19:03:44.965432+01:00").unwrap();
/// assert_eq!(format_timestamp(&t), "2026-11-22T18:03:44.965Z");
/// assert!(parse_timestamp("yesterday").is_none());
/// ```
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| truncate_to_millis(t.with_timezone(&Utc)))
}

/// Drops everything below the millisecond.
pub fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond() / 1_000_000 * 1_000_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// The current time, truncated to the millisecond.
pub(crate) fn now() -> DateTime<Utc> {
    truncate_to_millis(Utc::now())
}

/// serde `with` target for a `DateTimeUtc` field: writes wire timestamps
/// (`2026-11-22T18:03:44.965Z`), reads any RFC 3339 timestamp.
///
/// This is a type rather than a module on purpose: `schemars` reads
/// `#[serde(with = "…")]` as the name of a type whose schema stands for the
/// field, and serde calls `…::serialize` / `…::deserialize`, which a type's
/// associated functions satisfy as well as a module's. So one attribute works
/// for both derives:
///
/// ```
/// use ferrocrud::storage::DateTimeUtc;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(rename_all = "camelCase")]
/// struct Row {
///     #[serde(with = "ferrocrud::storage::timestamp")]
///     created_at: DateTimeUtc,
/// }
///
/// let row: Row = serde_json::from_str(r#"{"createdAt":"2026-11-22T18:03:44.965Z"}"#).unwrap();
/// assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"createdAt":"2026-11-22T18:03:44.965Z"}"#);
/// let schema = schemars::schema_for!(Row);
/// assert_eq!(schema.pointer("/properties/createdAt/format").unwrap(), "date-time");
/// ```
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct timestamp;

impl timestamp {
    /// Writes `t` as a wire timestamp.
    ///
    /// # Errors
    ///
    /// Only the serializer's own errors.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_timestamp(t))
    }

    /// Reads an RFC 3339 timestamp.
    ///
    /// # Errors
    ///
    /// When the value is not an RFC 3339 string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(deserializer)
    }
}

impl JsonSchema for timestamp {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        <DateTime<Utc> as JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        <DateTime<Utc> as JsonSchema>::json_schema(generator)
    }
}

/// serde `with` target for an `Option<DateTimeUtc>` field; see [`timestamp`].
///
/// ```
/// use ferrocrud::storage::DateTimeUtc;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// #[serde(rename_all = "camelCase")]
/// struct Row {
///     #[serde(with = "ferrocrud::storage::timestamp_opt")]
///     seen_at: Option<DateTimeUtc>,
/// }
///
/// let row: Row = serde_json::from_str(r#"{"seenAt":null}"#).unwrap();
/// assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"seenAt":null}"#);
/// ```
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct timestamp_opt;

impl timestamp_opt {
    /// Writes `t` as a wire timestamp, or `null`.
    ///
    /// # Errors
    ///
    /// Only the serializer's own errors.
    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => serializer.serialize_some(&format_timestamp(t)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads an RFC 3339 timestamp or `null`.
    ///
    /// # Errors
    ///
    /// When the value is neither `null` nor an RFC 3339 string.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(deserializer)
    }
}

impl JsonSchema for timestamp_opt {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        <Option<DateTime<Utc>> as JsonSchema>::schema_name()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        <Option<DateTime<Utc>> as JsonSchema>::json_schema(generator)
    }

    fn _schemars_private_is_option() -> bool {
        <Option<DateTime<Utc>> as JsonSchema>::_schemars_private_is_option()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        let t = Utc
            .timestamp_millis_opt(1_795_370_624_965)
            .single()
            .expect("valid");
        assert_eq!(format_timestamp(&t), "2026-11-22T18:03:44.965Z");
    }

    proptest::proptest! {
        #[test]
        fn formats_as_chrono_does(millis in -70_000_000_000_000i64..300_000_000_000_000) {
            let t = Utc.timestamp_millis_opt(millis).single().expect("in chrono's range");
            proptest::prop_assert_eq!(format_timestamp(&t), t.format(TIMESTAMP_FORMAT).to_string());
        }
    }

    #[test]
    fn formats_years_and_leap_seconds_beyond_four_digits_as_chrono_does() {
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .expect("a leap second")
            .and_utc();
        for t in [
            leap,
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
        ] {
            assert_eq!(format_timestamp(&t), t.format(TIMESTAMP_FORMAT).to_string());
        }
    }

    #[test]
    fn parse_truncates_and_converts_to_utc() {
        let t = parse_timestamp("2026-11-22T18:03:44.9659Z").expect("parses");
        assert_eq!(t.timestamp_subsec_nanos(), 965_000_000);
        let t = parse_timestamp("2026-11-22T20:03:44Z").expect("parses");
        assert_eq!(format_timestamp(&t), "2026-11-22T20:03:44.000Z");
        let t = parse_timestamp("2026-11-22T20:03:44-02:00").expect("parses");
        assert_eq!(format_timestamp(&t), "2026-11-22T22:03:44.000Z");
    }

    #[test]
    fn parse_refuses_non_rfc3339() {
        for text in [
            "",
            "2026-11-22",
            "2026-11-22 18:03:44",
            "now",
            "1795370624965",
        ] {
            assert!(parse_timestamp(text).is_none(), "{text}");
        }
    }

    #[test]
    fn optional_field_is_not_required_in_schema() {
        #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
        struct Row {
            #[serde(with = "crate::storage::timestamp_opt")]
            at: Option<DateTime<Utc>>,
            #[serde(with = "crate::storage::timestamp")]
            due: DateTime<Utc>,
        }
        let schema = schemars::schema_for!(Row);
        assert_eq!(
            schema.get("required"),
            Some(&serde_json::json!(["due"])),
            "{schema:?}"
        );
    }
}
