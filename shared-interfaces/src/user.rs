//! DTOs of the built-in user service's commands.
//!
//! Field names and rules are eicrud's, so `@eicrud/client` works unchanged.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Command, Resource};

/// The service name of the built-in user service.
pub const USER_SERVICE: &str = "user";

/// The built-in user service as a [`Resource`]: the `Service` of the user
/// commands' DTOs, for code that has no user entity type at hand (the
/// server's user Model names the same service).
///
/// ```
/// use ferrocrud_shared::{Command, Resource, user::{LoginDto, UserService}};
///
/// assert_eq!(UserService::SERVICE, "user");
/// assert_eq!(LoginDto::SERVICE, UserService::SERVICE);
/// ```
#[derive(Debug, Clone, Copy)]
pub enum UserService {}

impl Resource for UserService {
    const SERVICE: &'static str = USER_SERVICE;
}

/// `create_account`: a guest creates an account.
///
/// Besides eicrud's fields, the DTO carries the application's own user fields
/// (`profile`, flattened on the wire: `{"email": …, "displayName": …}`). The
/// server checks them against its user entity's type, refuses any other
/// field, and lets abilities decide who may set which.
///
/// ```
/// use ferrocrud_shared::user::CreateAccountDto;
///
/// let mut dto = CreateAccountDto {
///     email: "ann@example.test".into(),
///     password: "a long password".into(),
///     role: "user".into(),
///     ..Default::default()
/// };
/// dto.profile.insert("displayName".into(), "Ann".into());
/// let wire = serde_json::to_value(&dto).unwrap();
/// assert_eq!(wire["displayName"], "Ann");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
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
    /// The application's own user fields, by wire name. Left out of this
    /// type's schema: the server adds its user entity's fields to it.
    #[serde(flatten)]
    #[schemars(skip)]
    pub profile: serde_json::Map<String, serde_json::Value>,
}

impl Command for CreateAccountDto {
    type Service = UserService;
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
    type Service = UserService;
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
    type Service = UserService;
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
    type Service = UserService;
    const NAME: &'static str = "logout";
    type Return = ();
}

/// `logout_everywhere`: revoke every token of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogoutEverywhereDto {
    /// The user whose tokens are revoked; abilities usually demand the caller's own id.
    pub user_id: String,
}

impl Command for LogoutEverywhereDto {
    type Service = UserService;
    const NAME: &'static str = "logout_everywhere";
    type Return = ();
}

/// `send_verification_email`: mail a token that verifies the current email,
/// or, with `newEmail` and the current password, one that moves the account
/// to a new email.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendVerificationEmailDto {
    /// The new email; trimmed and lower-cased. The token goes to this address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(email, extend("x-transform" = ["trim", "lowercase"]))]
    pub new_email: Option<String>,
    /// The current password, required with `newEmail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl Command for SendVerificationEmailDto {
    type Service = UserService;
    const NAME: &'static str = "send_verification_email";
    type Return = bool;
}

/// `verify_email`: use the token of a verification email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VerifyEmailDto {
    /// The mailed token, `<random>_<userId>`.
    #[serde(rename = "token_id")]
    #[schemars(extend("x-max-size" = 200))]
    pub token_id: String,
    /// Answer with an access token too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_me_in: Option<bool>,
}

impl Command for VerifyEmailDto {
    type Service = UserService;
    const NAME: &'static str = "verify_email";
    type Return = AccessTokenDto;
}

/// `send_password_reset_email`: mail a password-reset token. Answers `true`
/// whether or not an account has this email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendPasswordResetEmailDto {
    /// The account's email; trimmed and lower-cased.
    #[schemars(email, extend("x-transform" = ["trim", "lowercase"]))]
    pub email: String,
}

impl Command for SendPasswordResetEmailDto {
    type Service = UserService;
    const NAME: &'static str = "send_password_reset_email";
    type Return = bool;
}

/// `reset_password`: set a new password with the token of a reset email.
/// Every token of the user is revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetPasswordDto {
    /// The mailed token, `<random>_<userId>`.
    #[serde(rename = "token_id")]
    #[schemars(extend("x-max-size" = 200))]
    pub token_id: String,
    /// The new password.
    pub new_password: String,
    /// Answer with an access token too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_me_in: Option<bool>,
    /// Lifetime of that token in seconds (at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_sec: Option<i64>,
}

impl Command for ResetPasswordDto {
    type Service = UserService;
    const NAME: &'static str = "reset_password";
    type Return = AccessTokenDto;
}

/// `change_password`: a logged-in user sets a new password, giving the
/// current one. Every token of the user is revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordDto {
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub new_password: String,
    /// Answer with an access token too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_me_in: Option<bool>,
    /// Lifetime of that token in seconds (at most 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_sec: Option<i64>,
}

impl Command for ChangePasswordDto {
    type Service = UserService;
    const NAME: &'static str = "change_password";
    type Return = AccessTokenDto;
}

/// The answer of `verify_email`, `reset_password` and `change_password`:
/// `{}`, or `{accessToken}` when `logMeIn` was set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessTokenDto {
    /// A token issued after the change, when `logMeIn` was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
}

/// `timeout_user`: lock a user out for a while; each timeout of the same
/// user lasts longer (`minutes × timeoutCount`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeoutUserDto {
    /// The user to time out.
    pub user_id: String,
    /// Base duration in minutes, at least 1 (checked by the command, so
    /// that a missing value reports `isInt` as eicrud does).
    pub timeout_duration_minutes: i64,
    /// Roles the target may have; abilities usually restrict this list.
    pub allowed_roles: Vec<String>,
}

impl Command for TimeoutUserDto {
    type Service = UserService;
    const NAME: &'static str = "timeout_user";
    type Return = ();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_command_dtos_use_eicrud_wire_names() {
        let reset = ResetPasswordDto {
            token_id: "abc_u1".into(),
            new_password: "pass-word-1".into(),
            log_me_in: Some(true),
            expires_in_sec: None,
        };
        assert_eq!(
            serde_json::to_string(&reset).unwrap(),
            r#"{"token_id":"abc_u1","newPassword":"pass-word-1","logMeIn":true}"#
        );
        let timeout: TimeoutUserDto = serde_json::from_str(
            r#"{"userId":"u","timeoutDurationMinutes":1,"allowedRoles":["user"]}"#,
        )
        .unwrap();
        assert_eq!(timeout.allowed_roles, ["user"]);
        assert_eq!(
            serde_json::to_string(&AccessTokenDto::default()).unwrap(),
            "{}"
        );
        assert!(
            serde_json::from_str::<LogoutEverywhereDto>(r#"{"userId":"u","x":1}"#).is_err(),
            "unknown fields are refused"
        );
    }
}
