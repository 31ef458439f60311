//! From a bearer token to the request's user.

use chrono::Utc;
use serde_json::Value;

use super::{CrudUserService, entity};
use crate::context::CurrentUser;
use crate::error::{Error, Result};

/// Wire names of the user columns never handed to application code as "the row".
const SECRET_FIELDS: &[&str] = &[
    "password",
    "emailVerificationToken",
    "passwordResetToken",
    "lastTwoFACode",
];

pub(super) async fn authenticate(users: &CrudUserService, token: &str) -> Result<CurrentUser> {
    let claims = users.keys().verify(token)?;
    let user = users.find_by_id(&claims.id).await?;
    let rvkd = user.as_ref().and_then(|u| u.rvkd);
    // eicrud compares the counters first: a revoked token of a deleted user is a mismatch.
    if rvkd != claims.rvkd {
        return Err(Error::TokenMismatch);
    }
    let user = user.ok_or(Error::UserNotFound)?;
    check_timeout(&user)?;
    Ok(current_user(user))
}

pub(super) fn check_timeout(user: &entity::Model) -> Result<()> {
    match user.timeout {
        Some(until) if until > Utc::now() => Err(Error::TimedOut { until }),
        _ => Ok(()),
    }
}

fn current_user(user: entity::Model) -> CurrentUser {
    let mut row = match serde_json::to_value(&user) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for field in SECRET_FIELDS {
        row.remove(*field);
    }
    CurrentUser {
        id: user.id,
        role: user.role,
        rvkd: user.rvkd,
        row,
    }
}
