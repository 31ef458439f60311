//! `login`: credentials for an access token, with its throttle.

use super::{CrudUserService, guard};
use crate::command::usage;
use crate::error::{Error, Result};
use crate::shared::user::{LoginDto, LoginResponseDto};

/// The key of the login throttle in the call counters.
const LOGIN_KEY: &str = "login";

impl CrudUserService {
    /// Checks credentials and issues an access token (`login`).
    ///
    /// An unknown login and a wrong password give the same error after the
    /// same work.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidExpiresIn`], [`Error::PasswordTooLong`],
    /// [`Error::InvalidCredentials`], [`Error::TimedOut`], or a database error.
    pub async fn login(&self, dto: LoginDto) -> Result<LoginResponseDto> {
        let options = &self.inner.options;
        self.throttle_login(&dto.email).await?;
        let lifetime = self.token_lifetime(dto.expires_in_sec)?;
        if dto.password.chars().count() > options.password_max_length {
            return Err(Error::PasswordTooLong);
        }
        let user = self.find_by_login(&dto.email).await?;
        let hash = user.as_ref().map(|u| u.password.clone());
        let ok = self.inner.hasher.verify(&dto.password, hash).await?;
        let user = match (ok, user) {
            (true, Some(user)) => user,
            _ => return Err(Error::InvalidCredentials),
        };
        guard::check_timeout(&user)?;
        let (access_token, _) = self.inner.keys.issue(&user.id, user.rvkd, lifetime, None)?;
        Ok(LoginResponseDto {
            access_token,
            user_id: user.id,
        })
    }

    /// One login attempt per identifier per `min_time_between_login_attempts`,
    /// known or not, claimed atomically in the database so that every server
    /// instance sees it.
    async fn throttle_login(&self, login: &str) -> Result<()> {
        let interval = self.inner.options.min_time_between_login_attempts;
        if interval.is_zero() {
            return Ok(());
        }
        let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        let now = chrono::Utc::now().timestamp_millis();
        match usage::claim_call(self.inner.db.connection(), login, LOGIN_KEY, now, interval).await {
            Err(Error::WaitUntil { .. }) => Err(Error::TooEarly),
            other => other,
        }
    }

    pub(super) fn token_lifetime(&self, expires_in_sec: Option<i64>) -> Result<i64> {
        let max = self.inner.options.max_token_lifetime.as_secs() as i64;
        match expires_in_sec {
            None => Ok(self.inner.options.token_lifetime.as_secs() as i64),
            Some(value) if value <= 0 || value > max => Err(Error::InvalidExpiresIn { value, max }),
            Some(value) => Ok(value),
        }
    }
}
