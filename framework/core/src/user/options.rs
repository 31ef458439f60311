//! [`UserOptions`]: settings of the user service.

use std::time::Duration;

use crate::auth::{HashingLimits, PasswordParams};

/// Settings of the user service; every field but the secret has eicrud's
/// default, or a safer one where eicrud's is a known weakness (see
/// `docs/COMPATIBILITY.md`).
#[derive(Clone)]
pub struct UserOptions {
    /// The secret tokens are signed with (HKDF-derived as eicrud does).
    pub jwt_secret: String,
    /// argon2id cost.
    pub password: PasswordParams,
    /// Hashes running at once and waiting; beyond them a login, sign-up or
    /// password change is answered 503 with `Retry-After` (code 117).
    pub password_hashing: HashingLimits,
    /// Shortest password accepted, by every command that sets one (eicrud: 8, on create only).
    pub password_min_length: usize,
    /// Longest password accepted (eicrud: 64).
    pub password_max_length: usize,
    /// Token lifetime when the client asks for none (eicrud: 30 minutes).
    pub token_lifetime: Duration,
    /// Longest token lifetime a client may ask for (eicrud: 30 days).
    pub max_token_lifetime: Duration,
    /// Least time between two login attempts on one identifier (eicrud: 600 ms;
    /// zero disables). Counted in whole milliseconds, rounded down but never below one.
    pub min_time_between_login_attempts: Duration,
    /// Failed logins after which the account waits `failures²` seconds (eicrud: 6).
    pub max_failed_logins: u32,
    /// Longest lockout wait (eicrud: 300 s).
    pub max_lockout: Duration,
    /// Time after the last failed login at which the failures are forgotten
    /// (12 h, Keycloak's "failure reset time"; never less than
    /// `max_lockout`). Accounts and identifiers that match none forget
    /// alike, so that the rows kept for the latter can expire without
    /// telling which identifiers are accounts.
    pub failed_login_reset: Duration,
    /// Least time between two purges, by one instance, of the login counters
    /// that no longer hold anything back (60 s); see
    /// [`AccountService::purge_login_counters`](super::AccountService::purge_login_counters).
    pub login_counter_purge_interval: Duration,
    /// User fields whose change revokes every session (bumps `rvkd`).
    pub fields_that_reset_revoked_count: Vec<String>,
    /// Lifetime of an email-verification token (eicrud: 24 h).
    pub verification_email_timeout: Duration,
    /// Lifetime of a password-reset token (eicrud: 6 h).
    pub password_reset_email_timeout: Duration,
    /// Lifetime of a two-factor code (eicrud: 15 min).
    pub two_fa_code_timeout: Duration,
    /// Emails of one kind sent before waiting for the previous token to expire (eicrud: 2).
    pub max_emails_before_wait: u32,
    /// Whether `check_jwt` renews tokens (eicrud: off).
    pub renew_jwt: bool,
    /// Part of a token's lifetime after which `check_jwt` renews it (0.2: after a fifth).
    pub renew_after_fraction: f64,
    /// Longest time a token check trusts this instance's copy of a user
    /// (60 s; zero turns the cache off). Entries are dropped at once on every
    /// write through the user service and, on PostgreSQL, on every write of
    /// the user table from anywhere; the limit only bounds how long a write
    /// to an SQLite file by another program goes unseen.
    pub user_cache_ttl: Duration,
    /// Most users kept in that cache (10,000, about 10 MiB).
    pub user_cache_capacity: usize,
}

impl UserOptions {
    /// Defaults with this signing secret.
    pub fn new(jwt_secret: impl Into<String>) -> Self {
        Self {
            jwt_secret: jwt_secret.into(),
            password: PasswordParams::default(),
            password_hashing: HashingLimits::default(),
            password_min_length: 8,
            password_max_length: 64,
            token_lifetime: Duration::from_secs(30 * 60),
            max_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            min_time_between_login_attempts: Duration::from_millis(600),
            max_failed_logins: 6,
            max_lockout: Duration::from_secs(300),
            failed_login_reset: Duration::from_secs(12 * 3600),
            login_counter_purge_interval: Duration::from_secs(60),
            fields_that_reset_revoked_count: vec![
                "password".into(),
                "email".into(),
                "username".into(),
            ],
            verification_email_timeout: Duration::from_secs(24 * 3600),
            password_reset_email_timeout: Duration::from_secs(6 * 3600),
            two_fa_code_timeout: Duration::from_secs(15 * 60),
            max_emails_before_wait: 2,
            renew_jwt: false,
            renew_after_fraction: 0.2,
            user_cache_ttl: Duration::from_secs(60),
            user_cache_capacity: 10_000,
        }
    }
}

impl std::fmt::Debug for UserOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserOptions")
            .field("jwt_secret", &"<redacted>")
            .field("password", &self.password)
            .field("password_hashing", &self.password_hashing)
            .field("password_min_length", &self.password_min_length)
            .field("password_max_length", &self.password_max_length)
            .field("token_lifetime", &self.token_lifetime)
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field(
                "min_time_between_login_attempts",
                &self.min_time_between_login_attempts,
            )
            .field("max_failed_logins", &self.max_failed_logins)
            .field("max_lockout", &self.max_lockout)
            .field("failed_login_reset", &self.failed_login_reset)
            .field(
                "login_counter_purge_interval",
                &self.login_counter_purge_interval,
            )
            .field(
                "fields_that_reset_revoked_count",
                &self.fields_that_reset_revoked_count,
            )
            .field(
                "verification_email_timeout",
                &self.verification_email_timeout,
            )
            .field(
                "password_reset_email_timeout",
                &self.password_reset_email_timeout,
            )
            .field("two_fa_code_timeout", &self.two_fa_code_timeout)
            .field("max_emails_before_wait", &self.max_emails_before_wait)
            .field("renew_jwt", &self.renew_jwt)
            .field("renew_after_fraction", &self.renew_after_fraction)
            .field("user_cache_ttl", &self.user_cache_ttl)
            .field("user_cache_capacity", &self.user_cache_capacity)
            .finish()
    }
}
