//! `timeout_user`: locking a user out for a while.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};

use super::AccountService;
use super::sessions::by_id;
use crate::command::{Cmd, CommandContext, CommandSpec};
use crate::context::{CrudContext, Verb};
use crate::error::{Error, PropertyFailure, Result, Target, ValidationError};
use crate::shared::user::{TimeoutUserDto, USER_SERVICE};
use crate::storage::format_timestamp;

/// Attempts before the last write, which is not guarded.
const GUARDED_ATTEMPTS: usize = 3;

impl AccountService {
    /// Times a user out (`timeout_user`), as eicrud does: each timeout lasts
    /// `timeoutDurationMinutes × timeoutCount` and raises the count, so
    /// repeated timeouts grow longer. The user's next request, whatever its
    /// method, and its logins are refused with 401 code 2 until then.
    /// Abilities are not checked here; the target's role must be in
    /// `allowedRoles`.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] (`min`) for less than one minute;
    /// [`Error::TargetUserNotFound`] (code 9); [`Error::NotAllowedToTimeout`]
    /// (401); a database error.
    ///
    /// # Cancel safety
    ///
    /// One UPDATE: if dropped, the timeout is written entirely or not at all.
    pub async fn timeout_user(&self, dto: TimeoutUserDto) -> Result<()> {
        if dto.timeout_duration_minutes < 1 {
            return Err(Error::Validation(ValidationError {
                target: Target::Data,
                type_name: "TimeoutUserDto".to_owned(),
                failures: vec![PropertyFailure {
                    property: "timeoutDurationMinutes".to_owned(),
                    constraints: vec!["min"],
                }],
            }));
        }
        let ctx = CrudContext::internal(Verb::Patch, USER_SERVICE);
        for attempt in 0..=GUARDED_ATTEMPTS {
            let user = self
                .account(&dto.user_id)
                .await?
                .ok_or(Error::TargetUserNotFound)?;
            if !dto.allowed_roles.contains(&user.role) {
                return Err(Error::NotAllowedToTimeout { role: user.role });
            }
            let count = user.timeout_count.unwrap_or(0).max(1);
            let until = timeout_end(crate::storage::now(), dto.timeout_duration_minutes, count);
            let mut data = Map::new();
            data.insert(
                "timeout".to_owned(),
                Value::String(format_timestamp(&until)),
            );
            data.insert(
                "timeoutCount".to_owned(),
                Value::from(count.saturating_add(1)),
            );
            // Guarded by the count read, so that two moderators at once
            // escalate twice instead of once.
            let mut query = by_id(&user.id);
            if attempt < GUARDED_ATTEMPTS {
                query.insert("timeoutCount".to_owned(), Value::from(user.timeout_count));
            }
            if self.inner.crud.patch(query, data, &ctx).await?.count > 0 {
                return Ok(());
            }
        }
        Err(Error::TargetUserNotFound)
    }

    pub(super) fn timeout_user_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |_ctx: CommandContext, dto: TimeoutUserDto| {
            let users = users.clone();
            async move { users.timeout_user(dto).await }
        })
        .secure_only()
        .into_spec()
    }
}

/// `now + minutes × count`, saturating at the latest representable time.
fn timeout_end(now: DateTime<Utc>, minutes: i64, count: i64) -> DateTime<Utc> {
    minutes
        .checked_mul(count)
        .and_then(TimeDelta::try_minutes)
        .and_then(|span| now.checked_add_signed(span))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_escalate_and_saturate() {
        let now = Utc::now();
        assert_eq!(timeout_end(now, 15, 1), now + TimeDelta::minutes(15));
        assert_eq!(timeout_end(now, 15, 3), now + TimeDelta::minutes(45));
        assert_eq!(timeout_end(now, i64::MAX, 2), DateTime::<Utc>::MAX_UTC);
    }
}
