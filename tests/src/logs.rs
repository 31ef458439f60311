//! The logs of the whole end-to-end run, checked for secrets.
//!
//! The first test server of a test binary installs a global JSON
//! subscriber (`info` and the access log, or `FERROCRUD_TEST_LOG_FILTER`)
//! writing to one file per process ([`path`]). Every secret the tests send
//! or receive through [`send_to`](crate::send_to) and
//! [`TestServer::mails`](crate::TestServer::mails) is noted: passwords,
//! codes and tokens in request bodies, bearer tokens, access tokens and
//! cookies in answers, tokens and codes in mails. When each test ends,
//! [`check`] reads the lines written since the previous check and fails
//! the test if any holds a noted secret, something shaped like a JWT, or a
//! password field. So the run as a whole proves its logs hold no secret:
//! the last test to end reads up to the end of the file.

use std::collections::HashSet;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use ferrocrud::http::request_id::ACCESS_TARGET;
use serde_json::Value;
use tracing_subscriber::EnvFilter;

/// The JSON keys whose string values are secrets, wherever they appear.
const SECRET_KEYS: [&str; 6] = ["password", "token", "code", "secret", "jwt", "csrf"];

/// Shortest noted secret: shorter values (a `"code": "1"` in some DTO)
/// would match innocent text.
const MIN_SECRET_LEN: usize = 6;

struct Capture {
    path: PathBuf,
    /// How far [`check`] has read.
    checked: Mutex<u64>,
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("ferrocrud-e2e-logs-{}.jsonl", std::process::id()));
        let file = std::fs::File::create(&path).expect("log file");
        let filter = std::env::var("FERROCRUD_TEST_LOG_FILTER")
            .unwrap_or_else(|_| format!("info,{ACCESS_TARGET}=info"));
        let installed = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(EnvFilter::new(filter))
            .with_writer(Mutex::new(file))
            .try_init();
        assert!(
            installed.is_ok(),
            "no other global subscriber: {installed:?}"
        );
        Capture {
            path,
            checked: Mutex::new(0),
        }
    })
}

/// The file holding this test binary's logs, capturing from now on.
pub fn path() -> &'static Path {
    &capture().path
}

fn secrets() -> &'static Mutex<HashSet<String>> {
    static SECRETS: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SECRETS.get_or_init(Mutex::default)
}

/// Notes a value that must never be logged.
pub fn note_secret(secret: &str) {
    if secret.len() >= MIN_SECRET_LEN {
        secrets()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(secret.to_owned());
    }
}

/// Notes the secrets of a JSON value: the string values of keys that name
/// a password, token, code or secret, at any depth.
pub fn note_secrets_in(value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = key.to_ascii_lowercase();
                match value {
                    Value::String(text) if SECRET_KEYS.iter().any(|k| key.contains(k)) => {
                        note_secret(text);
                    }
                    _ => note_secrets_in(value),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(note_secrets_in),
        _ => {}
    }
}

/// Whether `text` looks like a JWT: three base64url parts, the first a
/// JSON object's encoding (`eyJ`).
fn looks_like_jwt(word: &str) -> bool {
    let mut parts = word.split('.');
    let (Some(head), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let base64url = |part: &str| {
        part.len() >= 8
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    head.starts_with("eyJ") && base64url(head) && base64url(claims) && base64url(signature)
}

/// What is wrong with one log line, if anything.
fn leak_in(line: &str, secrets: &HashSet<String>) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    for key in ["password\":\"", "password=", "bearer ey", "set-cookie:"] {
        if lower.contains(key) {
            return Some(format!("`{key}`"));
        }
    }
    let words = line.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '"' | ','
                    | ':'
                    | '{'
                    | '}'
                    | '['
                    | ']'
                    | '='
                    | '\\'
                    | '\''
                    | '('
                    | ')'
                    | ';'
                    | '&'
                    | '?'
            )
    });
    for word in words.filter(|word| !word.is_empty()) {
        if secrets.contains(word) {
            return Some(format!("the secret `{word}`"));
        }
        if looks_like_jwt(word) {
            return Some(format!("a JWT `{word}`"));
        }
    }
    None
}

/// Reads the log lines written since the previous check and panics,
/// naming them, when any holds a secret.
///
/// # Panics
///
/// On a leak, or when the log file cannot be read.
pub fn check() {
    let capture = capture();
    let mut checked = capture
        .checked
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut file = std::fs::File::open(&capture.path).expect("log file");
    file.seek(SeekFrom::Start(*checked)).expect("seek");
    let mut text = Vec::new();
    file.read_to_end(&mut text).expect("read the log file");
    // A line still being written waits for the next check.
    let complete = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    *checked += complete as u64;
    let text = String::from_utf8_lossy(&text[..complete]);
    let secrets = secrets().lock().unwrap_or_else(PoisonError::into_inner);
    let leaks: Vec<String> = text
        .lines()
        .filter_map(|line| leak_in(line, &secrets).map(|what| format!("{what} in {line}")))
        .collect();
    assert!(
        leaks.is_empty(),
        "secrets reached the logs:\n{}",
        leaks.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_must_not_be_logged() {
        let secrets: HashSet<String> = ["pass-word-123".to_owned()].into();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEyMyJ9.c2lnbmF0dXJlLXNpZ24";
        for line in [
            r#"{"message":"failed","password":"x"}"#,
            r#"{"fields":"email=a password=b"}"#,
            r#"{"message":"login with pass-word-123"}"#,
            &format!(r#"{{"header":"Bearer {jwt}"}}"#),
            &format!(r#"{{"token":"{jwt}"}}"#),
        ] {
            assert!(leak_in(line, &secrets).is_some(), "{line}");
        }
        for line in [
            r#"{"target":"ferrocrud::access","operation":"cmd/reset_password","status":201}"#,
            r#"{"request_id":"c308a0380515811600000000000000ae","duration_us":12}"#,
        ] {
            assert_eq!(leak_in(line, &secrets), None, "{line}");
        }
    }

    #[test]
    fn notes_secret_fields_at_any_depth() {
        note_secrets_in(&serde_json::json!({
            "email": "someone@example.com",
            "newPassword": "noted-new-pass",
            "nested": [{"token_id": "noted-token-1"}],
            "twoFaCode": "12"
        }));
        let secrets = secrets().lock().unwrap();
        assert!(secrets.contains("noted-new-pass"));
        assert!(secrets.contains("noted-token-1"));
        assert!(!secrets.contains("someone@example.com"));
        assert!(!secrets.contains("12"), "too short to note");
    }
}
