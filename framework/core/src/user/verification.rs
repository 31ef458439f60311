//! `send_verification_email` and `verify_email`: proving an address, and
//! moving an account to a new one.

use serde_json::{Map, Value};

use super::AccountService;
use super::columns::Col;
use super::tokens::Purpose;
use crate::command::{Cmd, CommandContext, CommandSpec};
use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::shared::user::{AccessTokenDto, SendVerificationEmailDto, VerifyEmailDto};

impl AccountService {
    /// Mails a verification token (`send_verification_email`).
    ///
    /// Without `newEmail`, to the logged-in user's address (`true` at once
    /// when it is already verified). With `newEmail` and the current
    /// password, to the new address, which becomes the account's email once
    /// verified. Throttled per user.
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`]; [`Error::WrongPassword`] (code 5, checked
    /// first, as `login` checks a password: the account's throttle and
    /// lockout apply, [`Error::TooEarly`] and [`Error::LockedOut`], and a
    /// wrong one counts as a failed login); [`Error::EmailAlreadyTaken`] (code 16);
    /// [`Error::EmailAlreadySent`] (code 6); [`Error::MailNotSent`], after
    /// which the account is as it was; a database error.
    ///
    /// # Cancel safety
    ///
    /// Dropped between the write and the mail, a token nobody received stays
    /// stored (and counts in the throttle) until it expires or is replaced.
    pub async fn send_verification_email(
        &self,
        dto: SendVerificationEmailDto,
        ctx: &CrudContext,
    ) -> Result<bool> {
        let user_id = ctx
            .user_id()
            .ok_or(Error::LoginRequired("send verification email"))?;
        let user = self
            .account(user_id)
            .await?
            .ok_or(Error::TargetUserNotFound)?;
        let mut extra = Map::new();
        let address = match dto.new_email {
            Some(new_email) => {
                let password = dto.password.unwrap_or_default();
                self.check_current_password(&user, &password).await?;
                if self.account_where(Col::Email, &new_email).await?.is_some() {
                    return Err(Error::EmailAlreadyTaken);
                }
                extra.insert("nextEmail".to_owned(), Value::String(new_email.clone()));
                new_email
            }
            None => {
                if user.verified_email == Some(true) {
                    return Ok(true);
                }
                // A token for the current address must not verify an email
                // change asked for earlier.
                if user.next_email.is_some() {
                    extra.insert("nextEmail".to_owned(), Value::Null);
                }
                user.email.clone()
            }
        };
        let pending = self
            .store_token(&user, Purpose::EmailVerification, &address, extra)
            .await?;
        let sent = self
            .inner
            .email
            .send_verification(&address, &pending.token.wire)
            .await;
        if let Err(err) = sent {
            self.withdraw_token(pending).await?;
            return Err(Error::MailNotSent(Box::new(err)));
        }
        Ok(true)
    }

    /// Uses a verification token (`verify_email`): the email is verified,
    /// and when the token was for a new address the account moves to it and
    /// every token of the user is revoked. With `logMeIn`, a new token is
    /// answered.
    ///
    /// # Errors
    ///
    /// [`Error::TargetUserNotFound`] (code 9); [`Error::InvalidEmailToken`]
    /// (code 7) for a malformed, wrong, used or expired token;
    /// [`Error::EmailAlreadyTaken`] when another account took the new
    /// address meanwhile; a database error.
    ///
    /// # Cancel safety
    ///
    /// One transaction: dropped before its commit, the token is unused.
    pub async fn verify_email(&self, dto: VerifyEmailDto) -> Result<AccessTokenDto> {
        let (random, user) = self.token_user(&dto.token_id).await?;
        let address = user
            .next_email
            .clone()
            .unwrap_or_else(|| user.email.clone());
        let mut data = Map::new();
        data.insert("verifiedEmail".to_owned(), Value::Bool(true));
        if let Some(next) = &user.next_email {
            data.insert("email".to_owned(), Value::String(next.clone()));
            data.insert("nextEmail".to_owned(), Value::Null);
        }
        let rvkd = match self
            .consume_token(&user, Purpose::EmailVerification, random, &address, data)
            .await
        {
            Err(Error::UniqueViolation) => return Err(Error::EmailAlreadyTaken),
            other => other?,
        };
        let lifetime = self.token_lifetime(None)?;
        self.answer_token(&user.id, rvkd, dto.log_me_in, lifetime)
    }

    pub(super) fn send_verification_email_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |ctx: CommandContext, dto: SendVerificationEmailDto| {
            let users = users.clone();
            async move { users.send_verification_email(dto, &ctx.crud).await }
        })
        .secure_only()
        .into_spec()
    }

    pub(super) fn verify_email_command(&self) -> CommandSpec {
        let users = self.clone();
        Cmd::new(move |ctx: CommandContext, dto: VerifyEmailDto| {
            let users = users.clone();
            async move {
                let answer = users.verify_email(dto).await?;
                users.cookie_answer(&ctx, answer)
            }
        })
        .secure_only()
        .into_spec()
    }
}
