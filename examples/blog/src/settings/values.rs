//! The kinds of values settings hold, parsed from what a layer gives: TOML
//! values from the file, text from the environment.

use std::net::SocketAddr;

use figment::value::Value;

use super::SECRET_KEYS;
use super::secret::{redact_url, redacted};

/// What a value should have been, when it does not parse.
pub(super) type Expected = &'static str;

/// Development or production.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Environment {
    /// A missing JWT secret is generated and kept in the data directory.
    #[default]
    Development,
    /// The JWT secret must be set, at least
    /// [`MIN_SECRET_BYTES`](super::MIN_SECRET_BYTES) long and none of the
    /// [`PLACEHOLDER_SECRETS`](super::PLACEHOLDER_SECRETS).
    Production,
}

/// How the server logs, to standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Text for a console, without the access log.
    #[default]
    Text,
    /// One JSON object per line, with an access log line per request.
    Json,
}

pub(super) fn text(value: &Value) -> Result<String, Expected> {
    value
        .as_str()
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
        .ok_or("a non-empty string")
}

/// A whole number, given as a number (file) or as text (environment).
pub(super) fn whole<T: std::str::FromStr + TryFrom<u128>>(value: &Value) -> Option<T> {
    match value {
        Value::String(_, text) => text.trim().parse().ok(),
        Value::Num(_, num) => num.to_u128_lossy().and_then(|n| T::try_from(n).ok()),
        _ => None,
    }
}

pub(super) fn port(value: &Value) -> Result<u16, Expected> {
    whole(value).ok_or("a port number")
}

pub(super) fn seconds(value: &Value) -> Result<u64, Expected> {
    whole(value).ok_or("a whole number of seconds")
}

pub(super) fn millis(value: &Value) -> Result<u64, Expected> {
    whole(value).ok_or("a whole number of milliseconds")
}

pub(super) fn database_url(value: &Value) -> Result<String, Expected> {
    text(value)
        .ok()
        .filter(|url| {
            ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
        })
        .ok_or("a `sqlite:` or `postgres://` URL")
}

pub(super) fn log_format(value: &Value) -> Result<LogFormat, Expected> {
    match value.as_str() {
        Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        _ => Err("`text` or `json`"),
    }
}

pub(super) fn environment(value: &Value) -> Result<Environment, Expected> {
    match value.as_str() {
        Some("development") => Ok(Environment::Development),
        Some("production") => Ok(Environment::Production),
        _ => Err("`development` or `production`"),
    }
}

/// A socket address, or `off` (or empty) for none.
pub(super) fn socket_addr_or_off(value: &Value) -> Result<Option<SocketAddr>, Expected> {
    const EXPECTED: Expected = "a socket address (`127.0.0.1:9464`) or `off`";
    match value.as_str().map(str::trim) {
        Some("" | "off") => Ok(None),
        Some(addr) => addr.parse().map(Some).map_err(|_| EXPECTED),
        None => Err(EXPECTED),
    }
}

/// The value of `key` as messages show it: secrets redacted, passwords in
/// URLs too, and when `quoted` text other than whole numbers in quotes (a
/// port from the environment is text: shown as the number it is).
pub(super) fn shown(key: &str, value: &Value, quoted: bool) -> String {
    let text = match value {
        Value::String(_, text) => text.clone(),
        Value::Char(_, c) => c.to_string(),
        Value::Bool(_, b) => b.to_string(),
        Value::Num(_, num) => num
            .to_i128()
            .map(|n| n.to_string())
            .or_else(|| num.to_u128().map(|n| n.to_string()))
            .or_else(|| num.to_f64().map(|n| n.to_string()))
            .unwrap_or_default(),
        Value::Empty(..) => String::new(),
        Value::Dict(..) => "{…}".to_owned(),
        Value::Array(..) => "[…]".to_owned(),
    };
    if SECRET_KEYS.contains(&key) {
        return redacted(&text);
    }
    let text = if key == "database_url" {
        redact_url(&text)
    } else {
        text
    };
    if quoted && matches!(value, Value::String(..)) && text.parse::<u128>().is_err() {
        format!("{text:?}")
    } else {
        text
    }
}
