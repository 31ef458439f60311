//! From a token, or a login and password, to the request's user.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::AccountService;
use super::cache::CachedUser;
use crate::auth::Claims;
use serde_json::{Map, Value};

use crate::context::{CrudContext, CurrentUser, Verb};
use crate::error::{Error, Result};
use crate::shared::user::LoginDto;
use crate::shared::user::USER_SERVICE;

pub(super) async fn authenticate(users: &AccountService, token: &str) -> Result<CurrentUser> {
    let claims = users.keys().verify(token)?;
    users.authenticate_claims(claims).await
}

impl AccountService {
    /// User `id` as token checks see it: from the cache, else read and
    /// cached. `None` when there is no such user.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the database fails.
    pub(crate) async fn cached_user(&self, id: &str) -> Result<Option<Arc<CachedUser>>> {
        let cache = &self.inner.cache;
        if let Some(user) = cache.get(id) {
            return Ok(Some(user));
        }
        let seen = cache.generation();
        let mut ctx = CrudContext::internal(Verb::Get, USER_SERVICE);
        ctx.options.skip_service_hooks = Some(true);
        let mut query = Map::new();
        query.insert("id".to_owned(), Value::String(id.to_owned()));
        let Some(Value::Object(row)) = self.inner.crud.find_one_row(query, &ctx).await? else {
            return Ok(None);
        };
        let user =
            CachedUser::from_row(row).ok_or(Error::Internal("user row lacks account fields"))?;
        let user = Arc::new(user);
        cache.insert(Arc::clone(&user), seen);
        Ok(Some(user))
    }

    /// The user verified claims stand for, from this instance's user cache
    /// or the database.
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
    /// As [`AccountService::login`].
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

async fn load(users: &AccountService, claims: Claims) -> Result<CurrentUser> {
    let user = users.cached_user(&claims.id).await?;
    let rvkd = user.as_ref().and_then(|u| u.rvkd);
    // eicrud compares the counters first: a revoked token of a deleted user is a mismatch.
    if rvkd != claims.rvkd {
        return Err(Error::TokenMismatch);
    }
    let user = user.ok_or(Error::UserNotFound)?;
    check_timeout(user.timeout)?;
    Ok(CurrentUser {
        id: user.id.clone(),
        role: user.role.clone(),
        rvkd: user.rvkd,
        row: Arc::clone(&user.row),
        claims: Some(claims),
        no_token_refresh: user.no_token_refresh,
    })
}

pub(super) fn check_timeout(timeout: Option<DateTime<Utc>>) -> Result<()> {
    match timeout {
        Some(until) if until > Utc::now() => Err(Error::TimedOut { until }),
        _ => Ok(()),
    }
}
