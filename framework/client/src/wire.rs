//! The wire: query-string encoding, requests and answers, decoding.
//!
//! No I/O here; [`crate::client`] sends what this module builds.

use std::fmt::Write as _;

use ferrocrud_shared::{DeleteResponse, PatchResponse};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ClientError};

/// Appends `text` to `out`, encoded as `@eicrud/client` (axios) encodes a
/// query-string value: `encodeURIComponent`, then `:`, `$`, `,`, `[`, `]`
/// left as is and spaces as `+`. The one difference: `'` is sent as `%27`,
/// as the URL parser would rewrite it anyway.
pub(crate) fn push_encoded(out: &mut String, text: &str) {
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'('
            | b')'
            | b':'
            | b'$'
            | b','
            | b'['
            | b']' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// The query string of a call: `options` first, then `query`, each a JSON
/// text, as `@eicrud/client` orders them. `None` when both are absent.
pub(crate) fn query_string(options: Option<&str>, query: Option<&str>) -> Option<String> {
    let mut out = String::new();
    for (key, value) in [("options", options), ("query", query)] {
        let Some(value) = value else { continue };
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        push_encoded(&mut out, value);
    }
    (!out.is_empty()).then_some(out)
}

/// Serializes a value to JSON text.
pub(crate) fn to_json<S: Serialize + ?Sized>(
    value: &S,
    what: &'static str,
) -> Result<String, ClientError> {
    serde_json::to_string(value).map_err(|source| ClientError::Encode { what, source })
}

/// Serializes a value to a JSON value.
pub(crate) fn to_value<S: Serialize>(value: S, what: &'static str) -> Result<Value, ClientError> {
    serde_json::to_value(value).map_err(|source| ClientError::Encode { what, source })
}

/// One HTTP request, ready to send (and to send again).
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    /// A JSON body.
    pub(crate) body: Option<Vec<u8>>,
}

/// A received answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// The answer when its status is a success, else its [`ApiError`].
    pub(crate) fn success(self) -> Result<Answer, ClientError> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            Err(ApiError::from_answer(self.status, &self.body).into())
        }
    }

    /// Decodes a success body.
    ///
    /// An empty body reads as JSON `null` (so as `()` or `None`); a body
    /// that is not JSON reads as a JSON string, as eicrud sends a command's
    /// string result as raw text.
    pub(crate) fn decode<R: DeserializeOwned>(&self) -> Result<R, ClientError> {
        let body = self.body.as_slice();
        let fail = |source| ClientError::decode(self.status, body, source);
        if body.iter().all(u8::is_ascii_whitespace) {
            return serde_json::from_value(Value::Null).map_err(fail);
        }
        match serde_json::from_slice(body) {
            Ok(value) => Ok(value),
            Err(err) => {
                let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
                match std::str::from_utf8(body) {
                    Ok(text) if !is_json => serde_json::from_value(Value::String(text.to_owned()))
                        .map_err(|_| fail(err)),
                    _ => Err(fail(err)),
                }
            }
        }
    }
}

/// [`PatchResponse`] as read: `ferrocrud_shared`'s derive asks `T: Default`
/// of a `#[serde(default)]` field, which entities need not be.
#[derive(Deserialize)]
pub(crate) struct PatchAnswer<T> {
    pub(crate) count: u64,
    updated: Option<T>,
}

impl<T> From<PatchAnswer<T>> for PatchResponse<T> {
    fn from(answer: PatchAnswer<T>) -> Self {
        PatchResponse {
            count: answer.count,
            updated: answer.updated,
        }
    }
}

/// [`DeleteResponse`] as read (see [`PatchAnswer`]).
#[derive(Deserialize)]
pub(crate) struct DeleteAnswer<T> {
    pub(crate) count: u64,
    deleted: Option<T>,
}

impl<T> From<DeleteAnswer<T>> for DeleteResponse<T> {
    fn from(answer: DeleteAnswer<T>) -> Self {
        DeleteResponse {
            count: answer.count,
            deleted: answer.deleted,
        }
    }
}

/// Whether credentials may be sent to `url`: `https`, or a loopback host.
pub(crate) fn is_secure(url: &Url) -> bool {
    if url.scheme() == "https" {
        return true;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    let bracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    if let Some(ip) = bracketed.and_then(|h| h.parse::<std::net::Ipv6Addr>().ok()) {
        return ip.is_loopback();
    }
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return ip.is_loopback();
    }
    host.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoded(text: &str) -> String {
        let mut out = String::new();
        push_encoded(&mut out, text);
        out
    }

    #[test]
    fn encodes_like_the_captured_axios_requests() {
        // From reference/eicrud-wire.md: "post findOne" and "unknown service".
        let query = json!({"id": "2597e974a5b465a4acffc96a", "owner": "d573ace2e3076cddbb3bd770"});
        assert_eq!(
            query_string(Some("{}"), Some(&query.to_string())).as_deref(),
            Some(
                "options=%7B%7D&query=%7B%22id%22:%222597e974a5b465a4acffc96a%22,%22owner%22:%22d573ace2e3076cddbb3bd770%22%7D"
            )
        );
        assert_eq!(
            query_string(Some(r#"{"limit":1}"#), None).as_deref(),
            Some("options=%7B%22limit%22:1%7D")
        );
        assert_eq!(query_string(None, None), None);
    }

    #[test]
    fn encodes_reserved_and_non_ascii_characters() {
        assert_eq!(encoded("a b+c&d=e#f?g/h"), "a+b%2Bc%26d%3De%23f%3Fg%2Fh");
        assert_eq!(encoded("it's"), "it%27s");
        assert_eq!(encoded("é"), "%C3%A9");
        assert_eq!(encoded("-_.!~*()"), "-_.!~*()");
        assert_eq!(encoded("%"), "%25");
    }

    #[test]
    fn encoded_text_survives_the_url_parser_and_decodes_back() {
        let text = r#"{"title":"it's a [test], 100% $ure: é & ok?"}"#;
        let qs = query_string(None, Some(text)).expect("a query string");
        let mut url = Url::parse("http://127.0.0.1/crud").expect("a url");
        url.set_query(Some(&qs));
        assert_eq!(url.query(), Some(qs.as_str()));
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs, vec![("query".to_owned(), text.to_owned())]);
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn empty_body_decodes_as_unit_and_none() {
        answer(201, "").decode::<()>().expect("unit");
        assert_eq!(answer(200, "").decode::<Option<u32>>().expect("none"), None);
        assert_eq!(
            answer(200, "null").decode::<Option<u32>>().expect("none"),
            None
        );
        assert!(matches!(
            answer(200, "").decode::<bool>(),
            Err(ClientError::Decode { status: 200, .. })
        ));
    }

    #[test]
    fn raw_text_decodes_as_a_string() {
        assert_eq!(
            answer(200, "hello world").decode::<String>().expect("text"),
            "hello world"
        );
        assert_eq!(
            answer(200, r#""quoted""#).decode::<String>().expect("json"),
            "quoted"
        );
        // JSON of the wrong type is an error, not text.
        assert!(answer(200, "12").decode::<String>().is_err());
    }

    #[test]
    fn success_or_api_error() {
        assert!(answer(201, "{}").success().is_ok());
        let err = answer(
            403,
            r#"{"message":"no","error":"Forbidden","statusCode":403}"#,
        )
        .success()
        .expect_err("an error");
        assert_eq!(err.status(), Some(403));
    }

    #[test]
    fn secure_urls() {
        let secure = |u: &str| is_secure(&Url::parse(u).expect("a url"));
        assert!(secure("https://api.example.com"));
        assert!(secure("http://localhost:3000"));
        assert!(secure("http://LOCALHOST"));
        assert!(secure("http://127.0.0.1:8080"));
        assert!(secure("http://127.1.2.3"));
        assert!(secure("http://[::1]:3000"));
        assert!(!secure("http://api.example.com"));
        // eicrud's prefix test lets these through; a parsed host does not.
        assert!(!secure("http://localhost.evil.example"));
        assert!(!secure("http://127.0.0.1.evil.example"));
        assert!(!secure("http://10.0.0.1"));
    }
}
