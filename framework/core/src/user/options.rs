//! [`UserOptions`]: settings of the user service.

use std::time::Duration;

use crate::auth::PasswordParams;

/// Settings of the user service; every field but the secret has eicrud's default.
#[derive(Clone)]
pub struct UserOptions {
    /// The secret tokens are signed with (HKDF-derived as eicrud does).
    pub jwt_secret: String,
    /// argon2id cost.
    pub password: PasswordParams,
    /// Longest password accepted (eicrud: 64).
    pub password_max_length: usize,
    /// Token lifetime when the client asks for none (eicrud: 30 minutes).
    pub token_lifetime: Duration,
    /// Longest token lifetime a client may ask for (eicrud: 30 days).
    pub max_token_lifetime: Duration,
    /// Least time between two login attempts on one identifier (eicrud: 600 ms; zero disables).
    pub min_time_between_login_attempts: Duration,
}

impl UserOptions {
    /// Defaults with this signing secret.
    pub fn new(jwt_secret: impl Into<String>) -> Self {
        Self {
            jwt_secret: jwt_secret.into(),
            password: PasswordParams::default(),
            password_max_length: 64,
            token_lifetime: Duration::from_secs(30 * 60),
            max_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            min_time_between_login_attempts: Duration::from_millis(600),
        }
    }
}

impl std::fmt::Debug for UserOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserOptions")
            .field("jwt_secret", &"<redacted>")
            .field("password", &self.password)
            .field("password_max_length", &self.password_max_length)
            .field("token_lifetime", &self.token_lifetime)
            .field("max_token_lifetime", &self.max_token_lifetime)
            .field(
                "min_time_between_login_attempts",
                &self.min_time_between_login_attempts,
            )
            .finish()
    }
}
