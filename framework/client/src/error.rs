//! [`ClientError`]: what can go wrong with a call, and [`ApiError`]: an error
//! answer from the server.

use std::fmt;

use ferrocrud_shared::{ErrorCode, WireError};
use serde_json::Value;

/// The longest part of an undecodable body kept in [`ClientError::Decode`].
const KEPT_BODY: usize = 1024;

/// What can go wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The request could not be sent or its answer not read (connection,
    /// TLS, timeout).
    #[error("request failed")]
    Transport(#[from] reqwest::Error),
    /// A success answer whose body is not what the call expects.
    #[error("cannot decode the answer (status {status})")]
    Decode {
        /// The HTTP status of the answer.
        status: u16,
        /// The start of the body (at most 1 KiB).
        body: String,
        /// Why it did not decode.
        #[source]
        source: serde_json::Error,
    },
    /// The query, data or DTO could not be turned into JSON.
    #[error("cannot encode the {what}")]
    Encode {
        /// `query`, `data`, `options` or `dto`.
        what: &'static str,
        /// Why it did not encode.
        #[source]
        source: serde_json::Error,
    },
    /// The query of an `*_in` call is not a JSON object (nor `null`).
    #[error("the {what} must be a JSON object")]
    NotAnObject {
        /// What was not an object.
        what: &'static str,
    },
    /// The call would send credentials (the stored token or a login) over
    /// plain `http` to a host other than localhost, and
    /// [`allow_insecure_url`](crate::ClientConfig::allow_insecure_url) is not
    /// set.
    #[error("refusing to send credentials over plain http to {url}")]
    InsecureUrl {
        /// The configured server URL.
        url: String,
    },
    /// The stored token cannot be sent in a header (it holds control
    /// characters).
    #[error("the stored token is not a valid header value")]
    InvalidToken,
    /// The configured server URL cannot be used.
    #[error("invalid server url {url}: {reason}")]
    InvalidUrl {
        /// The configured server URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl ClientError {
    /// The server's error answer, if the server answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The HTTP status of the server's error answer.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|api| api.status)
    }

    /// The stable code of the server's error answer.
    ///
    /// ```
    /// # use ferrocrud_client::ClientError;
    /// # use ferrocrud_client::shared::ErrorCode;
    /// fn is_taken(err: &ClientError) -> bool {
    ///     err.code() == Some(ErrorCode::EmailAlreadyTaken)
    /// }
    /// ```
    pub fn code(&self) -> Option<ErrorCode> {
        self.api().and_then(|api| api.code)
    }

    pub(crate) fn decode(status: u16, body: &[u8], source: serde_json::Error) -> Self {
        let mut end = body.len().min(KEPT_BODY);
        let text = loop {
            match std::str::from_utf8(&body[..end]) {
                Ok(text) => break text,
                Err(err) if err.error_len().is_none() => end = err.valid_up_to(),
                Err(_) => break "<binary>",
            }
        };
        ClientError::Decode {
            status,
            body: text.to_owned(),
            source,
        }
    }
}

impl From<ApiError> for ClientError {
    fn from(api: ApiError) -> Self {
        ClientError::Api(Box::new(api))
    }
}

/// An error answer from the server.
///
/// Bodies from ferrocrud (top-level `code` and `data`) and from eicrud
/// (`code` and `data` inside a JSON text in `message`) read the same.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The stable error code, when the server sent one this crate knows.
    pub code: Option<ErrorCode>,
    /// The human-readable text (unwrapped from eicrud's JSON-in-message).
    pub message: String,
    /// Details that go with the code (e.g. `{"maxBatchSize":5,"batchSize":6}`
    /// for code 13).
    pub data: Option<Value>,
    /// The body as received. When the body is not an error body (plain text,
    /// a proxy's page), `message` holds its text.
    pub body: WireError,
}

impl ApiError {
    /// Reads an error answer.
    pub(crate) fn from_answer(status: u16, body: &[u8]) -> Self {
        let body = serde_json::from_slice::<WireError>(body).unwrap_or_else(|_| WireError {
            message: String::from_utf8_lossy(body).trim().to_owned(),
            error: String::new(),
            status_code: status,
            code: None,
            data: None,
        });
        let data = body.data.clone().or_else(|| inner_data(&body.message));
        ApiError {
            status,
            code: body.code(),
            message: body.text(),
            data,
            body,
        }
    }

    /// The largest batch the server accepts, from the `maxBatchSize` of a
    /// 400 answer with code 12 (`IN_REQUIRED_LENGTH`) or 13
    /// (`MAX_BATCH_SIZE_EXCEEDED`).
    pub fn max_batch_size(&self) -> Option<usize> {
        let batch_code = matches!(
            self.code,
            Some(ErrorCode::MaxBatchSizeExceeded | ErrorCode::InRequiredLength)
        );
        if self.status != 400 || !batch_code {
            return None;
        }
        let max = self.data.as_ref()?.get("maxBatchSize")?.as_u64()?;
        usize::try_from(max).ok()
    }
}

/// The `data` of eicrud's JSON text in `message`.
fn inner_data(message: &str) -> Option<Value> {
    if !message.starts_with('{') {
        return None;
    }
    let mut inner: serde_json::Map<String, Value> = serde_json::from_str(message).ok()?;
    inner.remove("data").filter(|data| !data.is_null())
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(
                f,
                "server answered {} (code {}): {}",
                self.status,
                u16::from(code),
                self.message
            ),
            None => write!(f, "server answered {}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_eicrud_coded_body() {
        let body = br#"{"message":"{\"message\":\"Max batch size exceeded\",\"code\":13,\"data\":{\"maxBatchSize\":5,\"batchSize\":6}}","error":"Bad Request","statusCode":400}"#;
        let err = ApiError::from_answer(400, body);
        assert_eq!(err.code, Some(ErrorCode::MaxBatchSizeExceeded));
        assert_eq!(err.message, "Max batch size exceeded");
        assert_eq!(
            err.data,
            Some(serde_json::json!({"maxBatchSize": 5, "batchSize": 6}))
        );
        assert_eq!(err.max_batch_size(), Some(5));
        assert_eq!(err.body.error, "Bad Request");
    }

    #[test]
    fn reads_a_ferrocrud_body_with_top_level_code() {
        let body = br#"{"message":"{\"message\":\"In query max id length\",\"code\":12,\"data\":{\"maxBatchSize\":3,\"idsLength\":4}}","error":"Bad Request","statusCode":400,"code":12,"data":{"maxBatchSize":3,"idsLength":4}}"#;
        let err = ApiError::from_answer(400, body);
        assert_eq!(err.code, Some(ErrorCode::InRequiredLength));
        assert_eq!(err.max_batch_size(), Some(3));
    }

    #[test]
    fn reads_a_plain_body() {
        let body = br#"{"message":"Role guest is not allowed to GET post - guest failed on all ","error":"Forbidden","statusCode":403}"#;
        let err = ApiError::from_answer(403, body);
        assert_eq!(err.code, None);
        assert_eq!(err.data, None);
        assert_eq!(
            err.message,
            "Role guest is not allowed to GET post - guest failed on all "
        );
        assert_eq!(err.max_batch_size(), None);
        assert_eq!(
            err.to_string(),
            "server answered 403: Role guest is not allowed to GET post - guest failed on all "
        );
    }

    #[test]
    fn reads_a_body_that_is_not_json() {
        let err = ApiError::from_answer(502, b"Bad Gateway\n");
        assert_eq!(err.message, "Bad Gateway");
        assert_eq!(err.body.status_code, 502);
        assert_eq!(err.code, None);
    }

    #[test]
    fn max_batch_size_needs_a_400_with_a_batch_code() {
        let body = br#"{"message":"x","statusCode":429,"code":13,"data":{"maxBatchSize":5}}"#;
        assert_eq!(ApiError::from_answer(429, body).max_batch_size(), None);
        let body = br#"{"message":"x","statusCode":400,"code":23,"data":{"maxBatchSize":5}}"#;
        assert_eq!(ApiError::from_answer(400, body).max_batch_size(), None);
    }

    #[test]
    fn display_names_the_code() {
        let body = br#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Unauthorized","statusCode":401}"#;
        let err = ClientError::from(ApiError::from_answer(401, body));
        assert_eq!(
            err.to_string(),
            "server answered 401 (code 5): Invalid credentials"
        );
        assert_eq!(err.status(), Some(401));
        assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
    }

    #[test]
    fn decode_keeps_a_bounded_utf8_prefix() {
        let source = serde_json::from_str::<u8>("x").expect_err("not a number");
        let mut body = "é".repeat(600).into_bytes();
        body.push(b'!');
        let ClientError::Decode { body, .. } = ClientError::decode(200, &body, source) else {
            panic!("not a decode error");
        };
        assert!(body.len() <= KEPT_BODY);
        assert!(body.chars().all(|c| c == 'é'));
    }
}
