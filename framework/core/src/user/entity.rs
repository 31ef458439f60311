//! The user entity: eicrud's `CrudUser` fields, with eicrud's names on the wire.
//!
//! The misspelt `…AttempCount` names are eicrud's storage contract and are
//! kept so that data moves over unchanged. Secret columns (password hash,
//! token hashes, two-factor code hash) carry `x-secret` and are never sent to
//! clients.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A user account.
#[derive(
    Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize, schemars::JsonSchema,
)]
#[sea_orm(table_name = "user")]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "User")]
pub struct Model {
    /// UUID v7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Unique, lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    /// argon2id PHC string (or an imported bcrypt hash).
    #[schemars(extend("x-secret" = true))]
    pub password: String,
    /// The user's role.
    pub role: String,
    /// Optional unique username.
    #[sea_orm(unique, nullable)]
    pub username: Option<String>,
    /// Time of the last login attempt.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub last_login_attempt: Option<DateTimeUtc>,
    /// Consecutive failed logins.
    pub failed_login_count: Option<i64>,
    /// Unused by eicrud; kept for data compatibility.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub last_reset_email_sent: Option<DateTimeUtc>,
    /// Revocation counter: tokens are valid while theirs equals this.
    pub rvkd: Option<i64>,
    /// The address an email change waits to verify.
    pub next_email: Option<String>,
    /// Whether the email is verified.
    pub verified_email: Option<bool>,
    /// Hash of the pending email-verification token.
    #[schemars(extend("x-secret" = true))]
    pub email_verification_token: Option<String>,
    /// When the last verification email was sent.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub last_email_verification_sent: Option<DateTimeUtc>,
    /// Verification emails sent since the last success.
    pub verified_email_attemp_count: Option<i64>,
    /// When the last password-reset email was sent.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub last_password_reset_sent: Option<DateTimeUtc>,
    /// Hash of the pending password-reset token.
    #[schemars(extend("x-secret" = true))]
    pub password_reset_token: Option<String>,
    /// Reset emails sent since the last success.
    pub password_reset_attemp_count: Option<i64>,
    /// eicrud's per-service item counters (kept for data compatibility).
    #[sea_orm(column_type = "Json", nullable)]
    pub crud_user_count_map: Option<Json>,
    /// eicrud's per-command use counters (kept for data compatibility).
    #[sea_orm(column_type = "Json", nullable)]
    pub cmd_user_count_map: Option<Json>,
    /// eicrud's per-command last-use times (kept for data compatibility).
    #[sea_orm(column_type = "Json", nullable)]
    pub cmd_user_last_use_map: Option<Json>,
    /// Errors caused.
    pub error_count: Option<i64>,
    /// Denied requests made.
    pub incident_count: Option<i64>,
    /// Times the traffic threshold was passed.
    pub high_traffic_count: Option<i64>,
    /// Trust score.
    pub trust: Option<i64>,
    /// When the trust score was computed.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub last_computed_trust: Option<DateTimeUtc>,
    /// Timed out until this time.
    #[serde(default, with = "crate::storage::timestamp_opt")]
    pub timeout: Option<DateTimeUtc>,
    /// Number of timeouts (they escalate).
    pub timeout_count: Option<i64>,
    /// Whether the user solved a captcha.
    pub did_captcha: Option<bool>,
    /// Whether a captcha is asked of the user.
    pub captcha_requested: Option<bool>,
    /// Whether login needs an emailed code.
    #[sea_orm(column_name = "two_f_a")]
    #[serde(rename = "twoFA")]
    pub two_f_a: Option<bool>,
    /// Hash of the last two-factor code.
    #[sea_orm(column_name = "last_two_f_a_code")]
    #[serde(rename = "lastTwoFACode")]
    #[schemars(extend("x-secret" = true))]
    pub last_two_f_a_code: Option<String>,
    /// When the last two-factor code was sent.
    #[sea_orm(column_name = "last_two_f_a_code_sent")]
    #[serde(
        rename = "lastTwoFACodeSent",
        default,
        with = "crate::storage::timestamp_opt"
    )]
    pub last_two_f_a_code_sent: Option<DateTimeUtc>,
    /// Two-factor codes sent.
    #[sea_orm(column_name = "two_f_a_code_count")]
    #[serde(rename = "twoFACodeCount")]
    pub two_f_a_code_count: Option<i64>,
    /// eicrud's bcrypt rounds (kept for data compatibility).
    pub salt_rounds: Option<i64>,
    /// Tokens of this user are never renewed.
    pub no_token_refresh: Option<bool>,
    /// Creation time.
    #[serde(with = "crate::storage::timestamp")]
    pub created_at: DateTimeUtc,
    /// Last change.
    #[serde(with = "crate::storage::timestamp")]
    pub updated_at: DateTimeUtc,
}

/// The user entity has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl crate::shared::Resource for Model {
    const SERVICE: &'static str = crate::shared::user::USER_SERVICE;
}
