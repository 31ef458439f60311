//! The one mapping from [`Error`] to an eicrud-shaped answer.
//!
//! Every error kind has a status, a stable [`ErrorCode`] and a public
//! message. eicrud's own coded errors carry a JSON text
//! `{"message","code"[,"data"]}` in `message`; every body also carries `code`
//! (and `data` when there is any) at the top level. Internal details never
//! reach the client: they are logged where the answer is made.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Error;
use crate::shared::ErrorCode;
use crate::user::cookies::CLEAR_JWT_COOKIE;

/// How an error is written on the wire.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireParts {
    pub(crate) status: StatusCode,
    pub(crate) code: ErrorCode,
    /// The text; for coded errors the text inside the JSON `message`.
    pub(crate) text: String,
    /// Whether `message` is eicrud's JSON text with `message`, `code`, `data`.
    pub(crate) coded: bool,
    pub(crate) data: Option<Value>,
}

impl WireParts {
    fn plain(status: StatusCode, code: ErrorCode, text: impl Into<String>) -> Self {
        Self {
            status,
            code,
            text: text.into(),
            coded: false,
            data: None,
        }
    }

    fn coded(status: StatusCode, code: ErrorCode, data: Option<Value>) -> Self {
        let mut text = code.text().to_owned();
        if let Some(Value::Object(map)) = &data
            && let Some(Value::String(field)) = map.get("problemField")
        {
            text = text.replace("{problemField}", field);
        }
        Self {
            status,
            code,
            text,
            coded: true,
            data,
        }
    }
}

/// The status, code, message and data of an error, as the table says.
pub(crate) fn wire_parts(err: &Error) -> WireParts {
    use ErrorCode as C;
    use StatusCode as S;
    match err {
        Error::MalformedJson { what, .. } => WireParts::plain(
            S::BAD_REQUEST,
            C::MalformedJson,
            format!("Malformed JSON in {what}"),
        ),
        Error::UnknownParameter(name) => WireParts::plain(
            S::BAD_REQUEST,
            C::UnknownParameter,
            format!("property {name} should not exist"),
        ),
        Error::BodyTooLarge => WireParts::plain(
            S::PAYLOAD_TOO_LARGE,
            C::BodyTooLarge,
            "Request body is too large",
        ),
        Error::MockRoleRefused(role) => WireParts::plain(
            S::FORBIDDEN,
            C::MockRoleRefused,
            format!("Role may not act as {role}"),
        ),
        Error::BodyReadTimeout => WireParts::plain(
            S::REQUEST_TIMEOUT,
            C::RequestTimeout,
            C::RequestTimeout.text(),
        ),
        Error::CachedNeedsId => WireParts::plain(
            S::BAD_REQUEST,
            C::ValidationError,
            "The cached option needs the id in the query",
        ),
        Error::UnsupportedMediaType => WireParts::plain(
            S::UNSUPPORTED_MEDIA_TYPE,
            C::UnsupportedMediaType,
            C::UnsupportedMediaType.text(),
        ),
        Error::BadRequest(text) => WireParts::plain(S::BAD_REQUEST, C::ValidationError, *text),
        Error::Validation(v) => WireParts::plain(S::BAD_REQUEST, C::ValidationError, v.to_string()),
        Error::FieldTooBig { field, size, max } => WireParts::coded(
            S::BAD_REQUEST,
            C::FieldSizeIsTooBig,
            Some(json!({ "problemField": field, "fieldSize": size, "maxSize": max })),
        ),
        Error::ArrayTooLong { field, length, max } => WireParts::coded(
            S::BAD_REQUEST,
            C::ArrayLengthIsTooBig,
            Some(json!({ "problemField": field, "fieldLength": length, "maxLength": max })),
        ),
        Error::ServiceNotFound(name) => WireParts::plain(
            S::BAD_REQUEST,
            C::ServiceNotFound,
            format!("Service not found: {name}"),
        ),
        Error::CommandNotFound(name) => WireParts::plain(
            S::FORBIDDEN,
            C::CommandNotFound,
            format!("Command {name} not found in security map"),
        ),
        Error::SecureModeRequired => WireParts::plain(
            S::FORBIDDEN,
            C::SecureModeRequired,
            C::SecureModeRequired.text(),
        ),
        Error::GetMethodNotAllowed => WireParts::coded(S::FORBIDDEN, C::GetMethodNotAllowed, None),
        Error::Denied(denied) => WireParts::plain(S::FORBIDDEN, C::Forbidden, denied.to_string()),
        Error::MaxBatchSizeExceeded { max, size, field } => {
            let mut data = json!({ "maxBatchSize": max, "batchSize": size });
            if let (Some(field), Value::Object(map)) = (field, &mut data) {
                map.insert("field".into(), Value::String(field.clone()));
            }
            WireParts::coded(S::BAD_REQUEST, C::MaxBatchSizeExceeded, Some(data))
        }
        Error::PayloadMustBeArray => WireParts::coded(S::BAD_REQUEST, C::PayloadMustBeArray, None),
        Error::EmptyBatch => WireParts::plain(
            S::BAD_REQUEST,
            C::MaxBatchSizeExceeded,
            "Batchsize must be at least 1",
        ),
        Error::InRequiredLength { max, len } => WireParts::coded(
            S::BAD_REQUEST,
            C::InRequiredLength,
            Some(json!({ "maxBatchSize": max, "idsLength": len })),
        ),
        Error::MaxUsesReached { max } => WireParts::plain(
            S::FORBIDDEN,
            C::MaxUsesReached,
            format!("You have reached the maximum uses for this command ({max})"),
        ),
        Error::WaitUntil { next_allowed_call } => WireParts::coded(
            S::TOO_MANY_REQUESTS,
            C::WaitUntil,
            Some(json!({ "nextAllowedCall": next_allowed_call })),
        ),
        Error::ExcludedField(field) => WireParts::plain(
            S::BAD_REQUEST,
            C::ValidationError,
            format!("Always excluded field {field} cannot be in fields option."),
        ),
        Error::IdOverrideNotSet => WireParts::coded(S::BAD_REQUEST, C::IdOverrideNotSet, None),
        Error::CannotUpdateId => WireParts::coded(S::BAD_REQUEST, C::CannotUpdateId, None),
        Error::EntityNotFound => WireParts::coded(S::BAD_REQUEST, C::EntityNotFound, None),
        Error::UniqueViolation => {
            WireParts::plain(S::CONFLICT, C::UniqueViolation, C::UniqueViolation.text())
        }
        Error::ManagedField(field) => WireParts::plain(
            S::BAD_REQUEST,
            C::ValidationError,
            format!("Field {field} is managed by the server and cannot be written."),
        ),
        Error::InvalidQuery(text) => {
            WireParts::plain(S::BAD_REQUEST, C::ValidationError, text.clone())
        }
        Error::EmailAlreadyTaken => WireParts::coded(S::BAD_REQUEST, C::EmailAlreadyTaken, None),
        Error::InvalidCredentials => WireParts::coded(S::UNAUTHORIZED, C::InvalidCredentials, None),
        Error::WrongPassword => WireParts::coded(S::BAD_REQUEST, C::InvalidCredentials, None),
        Error::PasswordTooLong => WireParts::coded(S::BAD_REQUEST, C::PasswordTooLong, None),
        Error::InvalidToken(text) => WireParts::plain(S::UNAUTHORIZED, C::InvalidToken, *text),
        Error::TokenMismatch => WireParts::coded(S::UNAUTHORIZED, C::TokenMismatch, None),
        Error::UserNotFound => WireParts::coded(S::UNAUTHORIZED, C::UserNotFound, None),
        Error::NotAuthenticated => {
            WireParts::plain(S::UNAUTHORIZED, C::NotAuthenticated, "User not found.")
        }
        Error::TimedOut { until } => WireParts::coded(
            S::UNAUTHORIZED,
            C::TimedOut,
            Some(Value::String(
                until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )),
        ),
        Error::TooEarly => WireParts::coded(
            StatusCode::from_u16(425).unwrap_or(S::TOO_MANY_REQUESTS),
            C::TooManyLoginAttempts,
            None,
        ),
        Error::LockedOut { wait_seconds } => WireParts::coded(
            S::TOO_MANY_REQUESTS,
            C::TooManyLoginAttempts,
            Some(Value::String(format!("{wait_seconds} seconds"))),
        ),
        Error::InvalidExpiresIn { value, max } => WireParts::plain(
            S::BAD_REQUEST,
            C::ValidationError,
            format!("Invalid expiresInSec: {value} max: {max}"),
        ),
        Error::LoginRequired(action) => WireParts::plain(
            S::FORBIDDEN,
            C::NotAuthenticated,
            format!("Must be logged to {action}"),
        ),
        Error::TargetUserNotFound => WireParts::coded(S::BAD_REQUEST, C::UserNotFound, None),
        Error::InvalidEmailToken => WireParts::coded(S::BAD_REQUEST, C::TokenExpired, None),
        Error::EmailAlreadySent => WireParts::coded(S::BAD_REQUEST, C::EmailAlreadySent, None),
        Error::MailNotSent(_) => WireParts::plain(
            S::SERVICE_UNAVAILABLE,
            C::MailNotSent,
            "The email could not be sent. Please try again later.",
        ),
        Error::NotAllowedToTimeout { role } => WireParts::plain(
            S::UNAUTHORIZED,
            C::Forbidden,
            format!("Not allowed to timeout user of role {role}"),
        ),
        Error::CsrfMismatch => {
            WireParts::plain(S::UNAUTHORIZED, C::InvalidToken, "CSRF token mismatch.")
        }
        Error::CsrfJwtMismatch => {
            WireParts::plain(S::UNAUTHORIZED, C::InvalidToken, "CSRF token JWT mismatch.")
        }
        Error::DatabaseUnavailable(_) => WireParts::plain(
            S::SERVICE_UNAVAILABLE,
            C::DatabaseUnavailable,
            C::DatabaseUnavailable.text(),
        ),
        Error::HashingOverloaded { .. } => {
            WireParts::plain(S::SERVICE_UNAVAILABLE, C::ServerBusy, C::ServerBusy.text())
        }
        Error::Setup(_) | Error::Database(_) | Error::ModelMismatch { .. } | Error::Internal(_) => {
            WireParts::plain(
                S::INTERNAL_SERVER_ERROR,
                C::Internal,
                "Internal server error",
            )
        }
        Error::MailTransport { .. } => WireParts::plain(
            S::SERVICE_UNAVAILABLE,
            C::MailNotSent,
            C::MailNotSent.text(),
        ),
        Error::TwoFaRequired => WireParts::coded(S::UNAUTHORIZED, C::TwoFaRequired, None),
        Error::TwoFaCodeExpired => WireParts::coded(S::UNAUTHORIZED, C::TokenExpired, None),
    }
}

/// The reason phrase eicrud (NestJS) puts in `error`.
fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        425 => "Too early",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "Internal Server Error",
    }
}

/// Serialises the body. 425 and 429 answers put `statusCode` first, as eicrud does.
pub(crate) fn body(parts: &WireParts) -> String {
    let message = if parts.coded {
        let mut inner = serde_json::Map::new();
        inner.insert("message".into(), Value::String(parts.text.clone()));
        inner.insert("code".into(), Value::from(parts.code as u16));
        if let Some(data) = &parts.data {
            inner.insert("data".into(), data.clone());
        }
        Value::Object(inner).to_string()
    } else {
        parts.text.clone()
    };
    let status = parts.status.as_u16();
    let mut map = serde_json::Map::new();
    if status == 425 || status == 429 {
        map.insert("statusCode".into(), Value::from(status));
        map.insert("error".into(), Value::from(reason(parts.status)));
        map.insert("message".into(), Value::String(message));
    } else {
        map.insert("message".into(), Value::String(message));
        map.insert("error".into(), Value::from(reason(parts.status)));
        map.insert("statusCode".into(), Value::from(status));
    }
    map.insert("code".into(), Value::from(parts.code as u16));
    if let Some(data) = &parts.data {
        map.insert("data".into(), data.clone());
    }
    Value::Object(map).to_string()
}

/// An error on its way out, with whether the session cookie must be cleared
/// (every 401 raised while authenticating the request clears it).
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) error: Error,
    pub(crate) clear_cookie: bool,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        Self {
            error,
            clear_cookie: false,
        }
    }
}

impl ApiError {
    /// An error raised by the authentication guard.
    pub(crate) fn from_guard(error: Error) -> Self {
        let clear_cookie = wire_parts(&error).status == StatusCode::UNAUTHORIZED;
        Self {
            error,
            clear_cookie,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let parts = wire_parts(&self.error);
        let retry_after = match &self.error {
            Error::HashingOverloaded { retry_after } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        if retry_after.is_some() {
            // Counted by the hashing metrics; one line each would flood the log.
            tracing::debug!(error = %self.error, "request refused");
        } else if parts.status.is_server_error() {
            tracing::error!(error = %self.error, source = ?std::error::Error::source(&self.error), "request failed");
        } else {
            tracing::trace!(target: "ferrocrud::rejection", error = %self.error, "request refused");
        }
        let mut response = (parts.status, body(&parts)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::JSON_CONTENT_TYPE),
        );
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.clear_cookie {
            headers.insert(
                header::SET_COOKIE,
                HeaderValue::from_static(CLEAR_JWT_COOKIE),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_too_big_matches_eicrud() {
        let parts = wire_parts(&Error::FieldTooBig {
            field: "password".into(),
            size: 62,
            max: 50,
        });
        assert_eq!(
            body(&parts),
            r#"{"message":"{\"message\":\"Field (password) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.\",\"code\":23,\"data\":{\"problemField\":\"password\",\"fieldSize\":62,\"maxSize\":50}}","error":"Bad Request","statusCode":400,"code":23,"data":{"problemField":"password","fieldSize":62,"maxSize":50}}"#
        );
    }

    #[test]
    fn too_early_puts_status_first() {
        let parts = wire_parts(&Error::TooEarly);
        assert_eq!(parts.status.as_u16(), 425);
        assert_eq!(
            body(&parts),
            r#"{"statusCode":425,"error":"Too early","message":"{\"message\":\"Too many login attempts. Please wait\",\"code\":3}","code":3}"#
        );
    }

    #[test]
    fn invalid_credentials_and_plain_errors() {
        assert_eq!(
            body(&wire_parts(&Error::InvalidCredentials)),
            r#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Unauthorized","statusCode":401,"code":5}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::ServiceNotFound("nope-service".into()))),
            r#"{"message":"Service not found: nope-service","error":"Bad Request","statusCode":400,"code":102}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::NotAuthenticated)),
            r#"{"message":"User not found.","error":"Unauthorized","statusCode":401,"code":108}"#
        );
    }

    #[test]
    fn hashing_overload_is_503_with_retry_after() {
        let response = ApiError::from(Error::HashingOverloaded {
            retry_after: std::time::Duration::from_millis(300),
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(
            body(&wire_parts(&Error::HashingOverloaded {
                retry_after: std::time::Duration::from_secs(2),
            })),
            r#"{"message":"The server is busy. Please try again shortly.","error":"Service Unavailable","statusCode":503,"code":117}"#
        );
    }

    #[test]
    fn internal_errors_say_nothing() {
        let parts = wire_parts(&Error::Internal("thread died"));
        assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(parts.text, "Internal server error");
    }

    #[test]
    fn mail_transport_errors_are_503_and_hide_the_detail() {
        let err = Error::MailTransport {
            kind: crate::email::MessageKind::PasswordReset,
            source: "550 5.1.1 relay secret-host.internal refused".into(),
        };
        let parts = wire_parts(&err);
        assert_eq!(parts.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(parts.code as u16, 112);
        assert_eq!(
            body(&parts),
            r#"{"message":"The email could not be sent. Please try again later.","error":"Service Unavailable","statusCode":503,"code":112}"#
        );
    }

    #[test]
    fn an_unreachable_database_is_503_code_116_and_other_database_errors_500() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr};
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let unavailable = [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::Conn(RuntimeErr::SqlxError(
                sea_orm::sqlx::Error::Io(refused).into(),
            )),
            DbErr::Query(RuntimeErr::SqlxError(
                sea_orm::sqlx::Error::PoolTimedOut.into(),
            )),
        ];
        for err in unavailable {
            let err = Error::from(err);
            assert!(matches!(err, Error::DatabaseUnavailable(_)), "{err:?}");
            assert_eq!(
                body(&wire_parts(&err)),
                r#"{"message":"The database is unavailable. Please try again later.","error":"Service Unavailable","statusCode":503,"code":116}"#
            );
        }
        let failed = Error::from(DbErr::Query(RuntimeErr::Internal("bad SQL".into())));
        assert!(matches!(failed, Error::Database(_)), "{failed:?}");
        assert_eq!(
            wire_parts(&failed).status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(wire_parts(&failed).code, ErrorCode::Internal);
    }

    #[test]
    fn guard_401s_clear_the_cookie() {
        assert!(ApiError::from_guard(Error::TokenMismatch).clear_cookie);
        assert!(!ApiError::from_guard(Error::ServiceNotFound("x".into())).clear_cookie);
    }

    #[test]
    fn two_factor_errors_are_eicrud_s_401_codes_8_and_7() {
        assert_eq!(
            body(&wire_parts(&Error::TwoFaRequired)),
            r#"{"message":"{\"message\":\"2FA required\",\"code\":8}","error":"Unauthorized","statusCode":401,"code":8}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::TwoFaCodeExpired)),
            r#"{"message":"{\"message\":\"Token expired\",\"code\":7}","error":"Unauthorized","statusCode":401,"code":7}"#
        );
    }

    #[test]
    fn account_command_errors_match_eicrud() {
        assert_eq!(
            body(&wire_parts(&Error::InvalidEmailToken)),
            r#"{"message":"{\"message\":\"Token expired\",\"code\":7}","error":"Bad Request","statusCode":400,"code":7}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::TargetUserNotFound)),
            r#"{"message":"{\"message\":\"User not found\",\"code\":9}","error":"Bad Request","statusCode":400,"code":9}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::EmailAlreadySent)),
            r#"{"message":"{\"message\":\"Email already sent, check your spam folder or try again later\",\"code\":6}","error":"Bad Request","statusCode":400,"code":6}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::WrongPassword)),
            r#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Bad Request","statusCode":400,"code":5}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::LoginRequired("change password"))),
            r#"{"message":"Must be logged to change password","error":"Forbidden","statusCode":403,"code":108}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::NotAllowedToTimeout {
                role: "admin".into()
            })),
            r#"{"message":"Not allowed to timeout user of role admin","error":"Unauthorized","statusCode":401,"code":104}"#
        );
        assert_eq!(
            body(&wire_parts(&Error::InvalidExpiresIn {
                value: 9999999999,
                max: 2592000
            })),
            r#"{"message":"Invalid expiresInSec: 9999999999 max: 2592000","error":"Bad Request","statusCode":400,"code":10}"#
        );
    }

    #[test]
    fn lockout_is_429_with_the_wait_in_seconds() {
        assert_eq!(
            body(&wire_parts(&Error::LockedOut { wait_seconds: 36 })),
            r#"{"statusCode":429,"error":"Too Many Requests","message":"{\"message\":\"Too many login attempts. Please wait\",\"code\":3,\"data\":\"36 seconds\"}","code":3,"data":"36 seconds"}"#
        );
    }

    #[test]
    fn mail_failures_are_503_without_detail() {
        let parts = wire_parts(&Error::MailNotSent(Box::new(Error::Internal(
            "smtp: connection refused",
        ))));
        assert_eq!(parts.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body(&parts),
            r#"{"message":"The email could not be sent. Please try again later.","error":"Service Unavailable","statusCode":503,"code":112}"#
        );
    }
}
