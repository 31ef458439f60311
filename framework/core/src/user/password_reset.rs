//! `send_password_reset_email` and `reset_password`: a new password through
//! a mailed token.

use serde_json::{Map, Value};

use super::AccountService;
use super::columns::Col;
use super::crud::PASSWORD;
use super::tokens::{Pending, Purpose};
use crate::command::{Cmd, CommandContext, CommandSpec};
use crate::error::{Error, Result};
use crate::shared::user::{AccessTokenDto, ResetPasswordDto, SendPasswordResetEmailDto};

impl AccountService {
    /// Mails a password-reset token (`send_password_reset_email`).
    ///
    /// Answers `true` whatever happens to the address: an unknown address,
    /// a throttled one (at most `max_emails_before_wait` tokens until the
    /// last expires, counted per user) and a known one take the same work,
    /// one read and one write, and the mail is sent after the answer. If it
    /// cannot be sent, the token is withdrawn and the failure logged.
    ///
    /// # Errors
    ///
    /// A database error.
    ///
    /// # Cancel safety
    ///
    /// Dropped between the write and the start of the mail task, a token
    /// nobody received stays stored until it expires or is replaced.
    pub async fn send_password_reset_email(&self, dto: SendPasswordResetEmailDto) -> Result<bool> {
        let purpose = Purpose::PasswordReset;
        let Some(user) = self.account_where(Col::Email, &dto.email).await? else {
            self.store_decoy_token(purpose, &dto.email).await?;
            return Ok(true);
        };
        match self
            .store_token(&user, purpose, &user.email, Map::new())
            .await
        {
            Ok(pending) => {
                let users = self.clone();
                let to = user.email;
                tokio::spawn(async move { users.mail_reset_token(to, pending).await });
            }
            Err(Error::EmailAlreadySent) => {
                tracing::debug!(user = %user.id, "password reset throttled");
                self.store_decoy_token(purpose, &dto.email).await?;
            }
            Err(err) => return Err(err),
        }
        Ok(true)
    }

    async fn mail_reset_token(&self, to: String, pending: Pending) {
        let sent = self
            .inner
            .email
            .send_password_reset(&to, &pending.token.wire)
            .await;
        if let Err(err) = sent {
            tracing::error!(error = %err, "password reset email not sent; token withdrawn");
            if let Err(err) = self.withdraw_token(pending).await {
                tracing::error!(error = %err, "unsent password reset token not withdrawn");
            }
        }
    }

    /// Sets a new password with a reset token (`reset_password`). The token
    /// is used up and every token of the user is revoked; with `logMeIn`, a
    /// new token is answered.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidExpiresIn`]; [`Error::PasswordTooLong`] (code 11) and
    /// [`Error::Validation`] (too short); [`Error::TargetUserNotFound`]
    /// (code 9); [`Error::InvalidEmailToken`] (code 7) for a malformed,
    /// wrong, used or expired token; a database error.
    ///
    /// # Cancel safety
    ///
    /// One transaction: dropped before its commit, the token is unused and
    /// the password unchanged.
    pub async fn reset_password(&self, dto: ResetPasswordDto) -> Result<AccessTokenDto> {
        let lifetime = self.token_lifetime(dto.expires_in_sec)?;
        self.inner
            .crud
            .check_password(&dto.new_password, "ResetPasswordDto", "newPassword")?;
        let (random, user) = self.token_user(&dto.token_id).await?;
        let mut data = Map::new();
        data.insert(PASSWORD.to_owned(), Value::String(dto.new_password));
        let rvkd = self
            .consume_token(&user, Purpose::PasswordReset, random, &user.email, data)
            .await?;
        self.answer_token(&user.id, rvkd, dto.log_me_in, lifetime)
    }

    pub(super) fn send_password_reset_email_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(
            move |_ctx: CommandContext, dto: SendPasswordResetEmailDto| {
                let users = users.clone();
                async move { users.send_password_reset_email(dto).await }
            },
        )
        .into_spec()
    }

    pub(super) fn reset_password_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |ctx: CommandContext, dto: ResetPasswordDto| {
            let users = users.clone();
            async move {
                let answer = users.reset_password(dto).await?;
                users.cookie_answer(&ctx, answer)
            }
        })
        .secure_only()
        .into_spec()
    }
}
