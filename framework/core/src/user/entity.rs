//! The default user entity, and [`user_model!`](crate::user_model), which
//! writes the account columns into an application's own user Model.
//!
//! The account columns are eicrud's `CrudUser` fields, with eicrud's names on
//! the wire. The misspelt `…AttempCount` names are eicrud's storage contract
//! and are kept so that data moves over unchanged. Secret columns (password
//! hash, token hashes, two-factor code hash) carry `x-secret` and are never
//! sent to clients; the columns only the framework writes carry `x-managed`;
//! `role` carries `x-explicit`.

use sea_orm::entity::prelude::*;

/// Declares a user Model: the account columns the user service needs, then
/// the application's own fields.
///
/// The Model is the `user` service's [`Resource`](crate::shared::Resource)
/// and derives `Clone`, `Debug`, `PartialEq`, sea-orm's
/// `DeriveEntityModel`, serde's `Serialize` and `Deserialize` (camelCase on
/// the wire) and schemars' `JsonSchema`, so the calling module needs
/// `sea-orm`, `serde` and `schemars` among its crate's dependencies (as any
/// entity does), `use sea_orm::entity::prelude::*;`, and declares `Relation`
/// and `ActiveModelBehavior` itself. The application's fields are validated
/// from their type and attributes, like any entity's.
///
/// ```
/// mod user {
///     use sea_orm::entity::prelude::*;
///
///     ferrocrud::user_model! {
///         /// A user of the application.
///         #[sea_orm(table_name = "user")]
///         pub struct Model {
///             /// Shown beside the user's posts; at most 48 characters.
///             #[schemars(length(max = 48))]
///             pub display_name: Option<String>,
///         }
///     }
///
///     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
///     pub enum Relation {}
///
///     impl ActiveModelBehavior for ActiveModel {}
/// }
///
/// # fn main() -> ferrocrud::Result<()> {
/// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// # rt.block_on(async {
/// use ferrocrud::storage::Db;
/// use ferrocrud::user::{CrudUserService, UserOptions};
///
/// let db = Db::connect("sqlite::memory:").await?;
/// let options = UserOptions::new("a long random secret");
/// let users = CrudUserService::<user::Entity>::with_entity(db, options, ferrocrud::email::ConsoleMailer)?;
/// assert!(users.crud().info().column("displayName").is_some());
/// # Ok(())
/// # })
/// # }
/// ```
///
/// A Model written by hand works as well when it declares every account
/// column with the same type: the user service checks it when it is built
/// and names any column that is missing or mistyped.
#[macro_export]
macro_rules! user_model {
    (
        $(#[$model_attr:meta])*
        $vis:vis struct Model {
            $(
                $(#[$field_attr:meta])*
                $field_vis:vis $field:ident : $field_type:ty
            ),* $(,)?
        }
    ) => {
        #[derive(
            Clone,
            Debug,
            PartialEq,
            sea_orm::DeriveEntityModel,
            serde::Serialize,
            serde::Deserialize,
            schemars::JsonSchema,
        )]
        #[serde(rename_all = "camelCase")]
        $(#[$model_attr])*
        $vis struct Model {
            /// UUID v7.
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            /// Unique, lower-cased.
            #[sea_orm(unique)]
            pub email: String,
            /// argon2id PHC string (or an imported bcrypt hash).
            #[schemars(extend("x-secret" = true, "x-managed" = true))]
            pub password: String,
            /// The user's role; written only through a rule that names it.
            #[schemars(extend("x-explicit" = true))]
            pub role: String,
            /// Optional unique username.
            #[sea_orm(unique, nullable)]
            pub username: Option<String>,
            /// Time of the last login attempt.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub last_login_attempt: Option<sea_orm::prelude::DateTimeUtc>,
            /// Consecutive failed logins.
            #[schemars(extend("x-managed" = true))]
            pub failed_login_count: Option<i64>,
            /// Unused by eicrud; kept for data compatibility.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub last_reset_email_sent: Option<sea_orm::prelude::DateTimeUtc>,
            /// Revocation counter: tokens are valid while theirs equals this.
            #[schemars(extend("x-managed" = true))]
            pub rvkd: Option<i64>,
            /// The address an email change waits to verify.
            #[schemars(extend("x-managed" = true))]
            pub next_email: Option<String>,
            /// Whether the email is verified.
            #[schemars(extend("x-managed" = true))]
            pub verified_email: Option<bool>,
            /// Hash of the pending email-verification token.
            #[schemars(extend("x-secret" = true, "x-managed" = true))]
            pub email_verification_token: Option<String>,
            /// When the last verification email was sent.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub last_email_verification_sent: Option<sea_orm::prelude::DateTimeUtc>,
            /// Verification emails sent since the last success.
            #[schemars(extend("x-managed" = true))]
            pub verified_email_attemp_count: Option<i64>,
            /// When the last password-reset email was sent.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub last_password_reset_sent: Option<sea_orm::prelude::DateTimeUtc>,
            /// Hash of the pending password-reset token.
            #[schemars(extend("x-secret" = true, "x-managed" = true))]
            pub password_reset_token: Option<String>,
            /// Reset emails sent since the last success.
            #[schemars(extend("x-managed" = true))]
            pub password_reset_attemp_count: Option<i64>,
            /// eicrud's per-service item counters (kept for data compatibility).
            #[sea_orm(column_type = "Json", nullable)]
            #[schemars(extend("x-managed" = true))]
            pub crud_user_count_map: Option<sea_orm::prelude::Json>,
            /// eicrud's per-command use counters (kept for data compatibility).
            #[sea_orm(column_type = "Json", nullable)]
            #[schemars(extend("x-managed" = true))]
            pub cmd_user_count_map: Option<sea_orm::prelude::Json>,
            /// eicrud's per-command last-use times (kept for data compatibility).
            #[sea_orm(column_type = "Json", nullable)]
            #[schemars(extend("x-managed" = true))]
            pub cmd_user_last_use_map: Option<sea_orm::prelude::Json>,
            /// Errors caused.
            #[schemars(extend("x-managed" = true))]
            pub error_count: Option<i64>,
            /// Denied requests made.
            #[schemars(extend("x-managed" = true))]
            pub incident_count: Option<i64>,
            /// Times the traffic threshold was passed.
            #[schemars(extend("x-managed" = true))]
            pub high_traffic_count: Option<i64>,
            /// Trust score.
            #[schemars(extend("x-managed" = true))]
            pub trust: Option<i64>,
            /// When the trust score was computed.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub last_computed_trust: Option<sea_orm::prelude::DateTimeUtc>,
            /// Timed out until this time.
            #[serde(default, with = "::ferrocrud::storage::timestamp_opt")]
            #[schemars(extend("x-managed" = true))]
            pub timeout: Option<sea_orm::prelude::DateTimeUtc>,
            /// Number of timeouts (they escalate).
            #[schemars(extend("x-managed" = true))]
            pub timeout_count: Option<i64>,
            /// Whether the user solved a captcha.
            #[schemars(extend("x-managed" = true))]
            pub did_captcha: Option<bool>,
            /// Whether a captcha is asked of the user.
            #[schemars(extend("x-managed" = true))]
            pub captcha_requested: Option<bool>,
            /// Whether login needs an emailed code.
            #[sea_orm(column_name = "two_f_a")]
            #[serde(rename = "twoFA")]
            #[schemars(extend("x-managed" = true))]
            pub two_f_a: Option<bool>,
            /// Hash of the last two-factor code.
            #[sea_orm(column_name = "last_two_f_a_code")]
            #[serde(rename = "lastTwoFACode")]
            #[schemars(extend("x-secret" = true, "x-managed" = true))]
            pub last_two_f_a_code: Option<String>,
            /// When the last two-factor code was sent.
            #[sea_orm(column_name = "last_two_f_a_code_sent")]
            #[serde(
                rename = "lastTwoFACodeSent",
                default,
                with = "::ferrocrud::storage::timestamp_opt"
            )]
            #[schemars(extend("x-managed" = true))]
            pub last_two_f_a_code_sent: Option<sea_orm::prelude::DateTimeUtc>,
            /// Two-factor codes sent.
            #[sea_orm(column_name = "two_f_a_code_count")]
            #[serde(rename = "twoFACodeCount")]
            #[schemars(extend("x-managed" = true))]
            pub two_f_a_code_count: Option<i64>,
            /// eicrud's bcrypt rounds (kept for data compatibility).
            #[schemars(extend("x-managed" = true))]
            pub salt_rounds: Option<i64>,
            /// Tokens of this user are never renewed.
            #[schemars(extend("x-managed" = true))]
            pub no_token_refresh: Option<bool>,
            $(
                $(#[$field_attr])*
                $field_vis $field: $field_type,
            )*
            /// Creation time.
            #[serde(with = "::ferrocrud::storage::timestamp")]
            pub created_at: sea_orm::prelude::DateTimeUtc,
            /// Last change.
            #[serde(with = "::ferrocrud::storage::timestamp")]
            pub updated_at: sea_orm::prelude::DateTimeUtc,
        }

        impl ::ferrocrud::shared::Resource for Model {
            const SERVICE: &'static str = ::ferrocrud::shared::user::USER_SERVICE;
        }
    };
}

crate::user_model! {
    /// A user account: the account columns and nothing more. Applications
    /// that need their own fields declare their user with
    /// [`user_model!`](crate::user_model).
    #[sea_orm(table_name = "user")]
    #[schemars(rename = "User")]
    pub struct Model {}
}

/// The user entity has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
