//! `logout_everywhere` and `change_password`: ending every session of a user.

use serde_json::{Map, Value};

use super::AccountService;
use super::crud::{PASSWORD, RVKD};
use super::tokens::Purpose;
use crate::command::{Cmd, CommandContext, CommandSpec};
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result};
use crate::service::Increment;
use crate::shared::CrudOptions;
use crate::shared::user::{AccessTokenDto, ChangePasswordDto, LogoutEverywhereDto, USER_SERVICE};

impl AccountService {
    /// Revokes every token of a user (`logout_everywhere`): its `rvkd` grows
    /// by one, atomically. Abilities are not checked here.
    ///
    /// # Errors
    ///
    /// [`Error::TargetUserNotFound`]; a database error.
    ///
    /// # Cancel safety
    ///
    /// One transaction: dropped before its commit, nothing is revoked.
    pub async fn logout_everywhere(&self, dto: LogoutEverywhereDto) -> Result<()> {
        let query = by_id(&dto.user_id);
        let ctx = CrudContext::internal(Verb::Patch, USER_SERVICE);
        match self
            .inner
            .crud
            .patch_one_with(query, Map::new(), &[Increment::new(RVKD, 1)], &ctx)
            .await
        {
            Err(Error::EntityNotFound) => Err(Error::TargetUserNotFound),
            other => other.map(|_| ()),
        }
    }

    /// Sets a new password for the logged-in user, who gives the current one
    /// (`change_password`). Every token of the user is revoked and any
    /// pending password-reset token withdrawn; with `logMeIn`, a new token
    /// is answered.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidExpiresIn`], [`Error::LoginRequired`],
    /// [`Error::PasswordTooLong`], [`Error::Validation`] (too short),
    /// [`Error::WrongPassword`], or a database error. The current password
    /// is checked as `login` checks one: [`Error::TooEarly`] and
    /// [`Error::LockedOut`] from the account's login throttle and lockout,
    /// and a wrong password counts as a failed login.
    ///
    /// # Cancel safety
    ///
    /// The change is one transaction: dropped before its commit, the
    /// password is unchanged.
    pub async fn change_password(
        &self,
        dto: ChangePasswordDto,
        ctx: &CrudContext,
    ) -> Result<AccessTokenDto> {
        let lifetime = self.token_lifetime(dto.expires_in_sec)?;
        let user_id = ctx
            .user_id()
            .ok_or(Error::LoginRequired("change password"))?;
        self.inner
            .crud
            .check_password(&dto.new_password, "ChangePasswordDto", "newPassword")?;
        let user = self
            .account(user_id)
            .await?
            .ok_or(Error::TargetUserNotFound)?;
        self.check_current_password(&user, &dto.old_password)
            .await?;
        let mut data = Map::new();
        data.insert(PASSWORD.to_owned(), Value::String(dto.new_password));
        data.insert(Purpose::PasswordReset.token_field().to_owned(), Value::Null);
        data.insert(
            Purpose::PasswordReset.count_field().to_owned(),
            Value::from(0),
        );
        let rvkd = match self.update_returning_rvkd(by_id(&user.id), data).await {
            Err(Error::EntityNotFound) => return Err(Error::TargetUserNotFound),
            other => other?,
        };
        self.answer_token(&user.id, rvkd, dto.log_me_in, lifetime)
    }

    /// Updates the first user matching `query` through the user rules, in
    /// one transaction; answers its `rvkd` after the update.
    ///
    /// # Errors
    ///
    /// [`Error::EntityNotFound`] when no user matches; the update's errors.
    pub(super) async fn update_returning_rvkd(
        &self,
        query: Map<String, Value>,
        data: Map<String, Value>,
    ) -> Result<Option<i64>> {
        let mut ctx = CrudContext::internal(Verb::Patch, USER_SERVICE);
        ctx.options = CrudOptions {
            return_updated_entity: Some(true),
            fields: Some(vec![RVKD.to_owned()]),
            ..CrudOptions::default()
        };
        let updated = self.inner.crud.patch_one(query, data, &ctx).await?;
        Ok(updated
            .updated
            .as_ref()
            .and_then(|row| row.get(RVKD))
            .and_then(Value::as_i64))
    }

    /// `{accessToken}` for the user when `log_me_in`, else `{}`.
    pub(super) fn answer_token(
        &self,
        user_id: &str,
        rvkd: Option<i64>,
        log_me_in: Option<bool>,
        lifetime: i64,
    ) -> Result<AccessTokenDto> {
        let access_token = match log_me_in {
            Some(true) => Some(self.inner.keys.issue(user_id, rvkd, lifetime, None)?.0),
            _ => None,
        };
        Ok(AccessTokenDto { access_token })
    }

    pub(super) fn logout_everywhere_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |_ctx: CommandContext, dto: LogoutEverywhereDto| {
            let users = users.clone();
            async move { users.logout_everywhere(dto).await }
        })
        .secure_only()
        .into_spec()
    }

    pub(super) fn change_password_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |ctx: CommandContext, dto: ChangePasswordDto| {
            let users = users.clone();
            async move {
                let answer = users.change_password(dto, &ctx.crud).await?;
                users.cookie_answer(&ctx, answer)
            }
        })
        .secure_only()
        .into_spec()
    }
}

/// `{"id": id}`.
pub(super) fn by_id(id: &str) -> Map<String, Value> {
    let mut query = Map::new();
    query.insert("id".to_owned(), Value::String(id.to_owned()));
    query
}
