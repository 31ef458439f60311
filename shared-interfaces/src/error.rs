//! The error body on the wire and its stable codes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of every error answer.
///
/// It keeps eicrud's shape (`message`, `error`, `statusCode`; for eicrud's own
/// errors `message` holds a JSON text `{"message","code"[,"data"]}`) and adds
/// `code` and `data` at the top level so that clients need not parse twice.
///
/// ```
/// use ferrocrud_shared::{ErrorCode, WireError};
///
/// let body = r#"{"message":"{\"message\":\"Invalid credentials\",\"code\":5}","error":"Unauthorized","statusCode":401,"code":5}"#;
/// let err: WireError = serde_json::from_str(body).unwrap();
/// assert_eq!(err.code(), Some(ErrorCode::InvalidCredentials));
/// assert_eq!(err.text(), "Invalid credentials");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WireError {
    /// Human-readable text, or for coded errors a JSON text with `message`, `code` and `data`.
    pub message: String,
    /// The HTTP reason phrase (`Bad Request`, `Forbidden`, ...).
    #[serde(default)]
    pub error: String,
    /// The HTTP status.
    pub status_code: u16,
    /// The stable error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Details that go with the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl WireError {
    /// The stable code, read from the top level or, for bodies from an eicrud
    /// server, from the JSON text in `message`.
    pub fn code(&self) -> Option<ErrorCode> {
        self.code
            .or_else(|| {
                self.inner()
                    .and_then(|inner| inner.get("code")?.as_u64())
                    .map(|c| c as u16)
            })
            .and_then(ErrorCode::from_u16)
    }

    /// The human-readable text, unwrapped from the JSON in `message` when needed.
    pub fn text(&self) -> String {
        self.inner()
            .and_then(|inner| inner.get("message")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| self.message.clone())
    }

    fn inner(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        if !self.message.starts_with('{') {
            return None;
        }
        serde_json::from_str(&self.message).ok()
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = $code:literal, $text:literal; )*) => {
        /// Stable error codes. 1 to 24 are eicrud's, with eicrud's meaning;
        /// 100 and above are ferrocrud's own.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        #[repr(u16)]
        pub enum ErrorCode {
            $( $(#[$doc])* $name = $code, )*
        }

        impl ErrorCode {
            /// Every code, in numeric order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The code for a number.
            pub fn from_u16(code: u16) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$name), )*
                    _ => None,
                }
            }

            /// The default text of the code.
            pub fn text(self) -> &'static str {
                match self {
                    $( Self::$name => $text, )*
                }
            }
        }
    };
}

error_codes! {
    /// A captcha must be solved first.
    CaptchaRequired = 1, "Captcha required";
    /// The account is timed out; `data` is the ISO end time.
    TimedOut = 2, "Account locked. Please wait until";
    /// Too many login attempts (425 too fast, 429 locked out).
    TooManyLoginAttempts = 3, "Too many login attempts. Please wait";
    /// The token's revocation counter no longer matches the user's.
    TokenMismatch = 4, "Token rvkd count mismatch";
    /// Wrong email or password.
    InvalidCredentials = 5, "Invalid credentials";
    /// An email was already sent recently.
    EmailAlreadySent = 6, "Email already sent, check your spam folder or try again later";
    /// The token or code has expired.
    TokenExpired = 7, "Token expired";
    /// A two-factor code is required.
    TwoFaRequired = 8, "2FA required";
    /// No such user.
    UserNotFound = 9, "User not found";
    /// The input failed validation.
    ValidationError = 10, "Validation error";
    /// The password is longer than allowed.
    PasswordTooLong = 11, "Password too long";
    /// Too many ids in an `in` query.
    InRequiredLength = 12, "In query max id length";
    /// The batch is larger than the role allows.
    MaxBatchSizeExceeded = 13, "Max batch size exceeded";
    /// The command was called again too soon; `data.nextAllowedCall` is epoch ms.
    WaitUntil = 14, "Wait until";
    /// The table holds the maximum number of rows.
    MaxItemsInDb = 15, "Too many items in DB.";
    /// The email or username is taken.
    EmailAlreadyTaken = 16, "An account with this username already exists.";
    /// The command cannot be called with GET.
    GetMethodNotAllowed = 17, "GET method not allowed.";
    /// No row matches the query.
    EntityNotFound = 18, "Entity not found";
    /// The payload must be an array.
    PayloadMustBeArray = 19, "Payload must be an array";
    /// A client-chosen id needs `allowIdOverride`.
    IdOverrideNotSet = 20, "Id is not empty and allowIdOverride is not set";
    /// The id of a row cannot be changed.
    CannotUpdateId = 21, "Cannot update id field";
    /// The id is required.
    IdFieldIsRequiredForSave = 22, "Id field is required for saveBatch";
    /// A field's JSON is longer than allowed.
    FieldSizeIsTooBig = 23, "Field ({problemField}) size is too big. Add a @$MaxSize decorator on the field or increase defaultMaxSize.";
    /// An array has more items than allowed.
    ArrayLengthIsTooBig = 24, "Array ({problemField}) length is too big. Add a @$MaxArLength decorator on the field or increase defaultMaxArLength.";
    /// A `query` or `options` parameter, or the body, is not valid JSON.
    MalformedJson = 100, "Malformed JSON";
    /// The request body is larger than the server accepts.
    BodyTooLarge = 101, "Request body too large";
    /// No service of that name.
    ServiceNotFound = 102, "Service not found";
    /// No command of that name in the service.
    CommandNotFound = 103, "Command not found";
    /// No role rule allows the request.
    Forbidden = 104, "Forbidden";
    /// The command must be called with POST.
    SecureModeRequired = 105, "Command must be used in secure mode (POST)";
    /// The per-user maximum number of calls of this command is reached.
    MaxUsesReached = 106, "You have reached the maximum uses for this command";
    /// The bearer token is malformed, forged or expired.
    InvalidToken = 107, "Invalid token";
    /// The request needs a logged-in user.
    NotAuthenticated = 108, "User not found.";
    /// A unique field already holds this value.
    UniqueViolation = 109, "Unique constraint violated";
    /// A query-string parameter other than `query` and `options`.
    UnknownParameter = 110, "Unknown query parameter";
    /// The route or method does not exist.
    NotFound = 111, "Not found";
    /// The mail transport failed; nothing was changed, try again later.
    MailNotSent = 112, "The email could not be sent. Please try again later.";
    /// A request body that is not `application/json` (415).
    UnsupportedMediaType = 113, "The request body must be application/json";
    /// `mockRole` names a role the caller may not act as (403).
    MockRoleRefused = 114, "Mock role not allowed";
    /// The request body did not arrive in time (408).
    RequestTimeout = 115, "The request body was not received in time";
    /// The database cannot be reached (connection refused or lost, no
    /// connection free in time); nothing is known to have been written.
    /// Try again later (503).
    DatabaseUnavailable = 116, "The database is unavailable. Please try again later.";
    /// Too many password checks are running and waiting already; nothing
    /// was done. Try again after the answer's `Retry-After` seconds (503).
    ServerBusy = 117, "The server is busy. Please try again shortly.";
    /// Something went wrong on the server; details are in its log.
    Internal = 500, "Internal server error";
}

impl From<ErrorCode> for u16 {
    fn from(code: ErrorCode) -> u16 {
        code as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(*code as u16), "duplicate code {code:?}");
            assert_eq!(ErrorCode::from_u16(*code as u16), Some(*code));
            assert!(!code.text().is_empty());
        }
    }

    #[test]
    fn eicrud_codes_keep_their_numbers() {
        assert_eq!(ErrorCode::TimedOut as u16, 2);
        assert_eq!(ErrorCode::TokenMismatch as u16, 4);
        assert_eq!(ErrorCode::EmailAlreadyTaken as u16, 16);
        assert_eq!(ErrorCode::FieldSizeIsTooBig as u16, 23);
    }

    #[test]
    fn code_read_from_an_eicrud_body() {
        let body = r#"{"message":"{\"message\":\"Token rvkd count mismatch\",\"code\":4}","error":"Unauthorized","statusCode":401}"#;
        let err: WireError = serde_json::from_str(body).unwrap();
        assert_eq!(err.code(), Some(ErrorCode::TokenMismatch));
        assert_eq!(err.text(), "Token rvkd count mismatch");
    }
}
