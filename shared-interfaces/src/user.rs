//! DTOs of the built-in user service's commands.
//!
//! Field names and rules are eicrud's, so `@eicrud/client` works unchanged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Command;

/// The service name of the built-in user service.
pub const USER_SERVICE: &str = "user";

/// `create_account`: a guest creates an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateAccountDto {
    /// The account's email; trimmed and lower-cased.
    #[schemars(email, extend("x-transform" = ["trim", "lowercase"]))]
    pub email: String,
    /// At least 8 characters.
    #[schemars(length(min = 8))]
    pub password: String,
    /// The role asked for; abilities decide which roles a caller may create.
    pub role: String,
    /// Optional username; trimmed and lower-cased. Defaults to the email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-transform" = ["trim", "lowercase"]))]
    pub username: Option<String>,
    /// Answer with an access token too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_me_in: Option<bool>,
}

impl Command for CreateAccountDto {
    const SERVICE: &'static str = USER_SERVICE;
    const NAME: &'static str = "create_account";
    type Return = CreateAccountReturnDto;
}

/// The answer of `create_account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateAccountReturnDto {
    /// The new user's id.
    pub user_id: String,
    /// A token for the new account, when `logMeIn` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
}

/// `login`: exchange credentials for an access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginDto {
    /// The login identifier (the email, or the username where configured); trimmed and lower-cased.
    #[schemars(extend("x-transform" = ["trim", "lowercase"]))]
    pub email: String,
    /// The password.
    pub password: String,
    /// The two-factor code, for accounts that use it.
    #[serde(
        rename = "twoFA_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub two_fa_code: Option<String>,
    /// Token lifetime in seconds (at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_sec: Option<i64>,
}

impl Command for LoginDto {
    const SERVICE: &'static str = USER_SERVICE;
    const NAME: &'static str = "login";
    type Return = LoginResponseDto;
}

/// The answer of `login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponseDto {
    /// The access token (`<jwt>#<csrf>` in cookie mode).
    pub access_token: String,
    /// The user's id.
    pub user_id: String,
}

/// `check_jwt`: is my token still good? Renews it when configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckJwtDto {
    /// Unused; eicrud's DTO carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Command for CheckJwtDto {
    const SERVICE: &'static str = USER_SERVICE;
    const NAME: &'static str = "check_jwt";
    type Return = CheckJwtResponseDto;
}

/// The answer of `check_jwt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckJwtResponseDto {
    /// A renewed token, when the server renewed it.
    pub access_token: Option<String>,
    /// The renewed token's lifetime in seconds.
    pub refresh_token_sec: Option<i64>,
    /// The user's id.
    pub user_id: String,
}

/// `logout`: forget the session cookie.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutDto {}

impl Command for LogoutDto {
    const SERVICE: &'static str = USER_SERVICE;
    const NAME: &'static str = "logout";
    type Return = ();
}
