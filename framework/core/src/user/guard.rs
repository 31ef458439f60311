//! From a token, or a login and password, to the request's user.

use chrono::Utc;
use serde_json::Value;

use super::{CrudUserService, entity};
use crate::auth::Claims;
use crate::context::CurrentUser;
use crate::error::{Error, Result};
use crate::shared::user::LoginDto;

/// Wire names of the user columns never handed to application code as "the row".
const SECRET_FIELDS: &[&str] = &[
    "password",
    "emailVerificationToken",
    "passwordResetToken",
    "lastTwoFACode",
];

pub(super) async fn authenticate(users: &CrudUserService, token: &str) -> Result<CurrentUser> {
    let claims = users.keys().verify(token)?;
    users.authenticate_claims(claims).await
}

impl CrudUserService {
    /// The user verified claims stand for, read fresh from the database.
    ///
    /// # Errors
    ///
    /// [`Error::TokenMismatch`] (revoked), [`Error::UserNotFound`],
    /// [`Error::TimedOut`], or a database error.
    pub async fn authenticate_claims(&self, claims: Claims) -> Result<CurrentUser> {
        load(self, claims).await
    }

    /// Logs in with a login and password for this request only
    /// (`Authorization: Basic`), through every login check: throttle,
    /// lockout, two-factor, timeout. Such a request carries no token and is
    /// never renewed.
    ///
    /// # Errors
    ///
    /// As [`CrudUserService::login`].
    pub async fn authenticate_basic(&self, login: &str, password: &str) -> Result<CurrentUser> {
        let dto = LoginDto {
            email: login.trim().to_lowercase(),
            password: password.to_owned(),
            two_fa_code: None,
            expires_in_sec: None,
        };
        let answer = self.login(dto).await?;
        let claims = self.keys().verify(&answer.access_token)?;
        let mut user = load(self, claims).await?;
        user.claims = None;
        Ok(user)
    }
}

async fn load(users: &CrudUserService, claims: Claims) -> Result<CurrentUser> {
    let user = users.find_by_id(&claims.id).await?;
    let rvkd = user.as_ref().and_then(|u| u.rvkd);
    // eicrud compares the counters first: a revoked token of a deleted user is a mismatch.
    if rvkd != claims.rvkd {
        return Err(Error::TokenMismatch);
    }
    let user = user.ok_or(Error::UserNotFound)?;
    check_timeout(&user)?;
    Ok(current_user(user, claims))
}

pub(super) fn check_timeout(user: &entity::Model) -> Result<()> {
    match user.timeout {
        Some(until) if until > Utc::now() => Err(Error::TimedOut { until }),
        _ => Ok(()),
    }
}

fn current_user(user: entity::Model, claims: Claims) -> CurrentUser {
    let mut row = match serde_json::to_value(&user) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for field in SECRET_FIELDS {
        row.shift_remove(*field);
    }
    CurrentUser {
        no_token_refresh: user.no_token_refresh == Some(true),
        id: user.id,
        role: user.role,
        rvkd: user.rvkd,
        row,
        claims: Some(claims),
    }
}
