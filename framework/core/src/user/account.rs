//! `create_account`, and accounts made by application code.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::CrudUserService;
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result};
use crate::shared::user::{CreateAccountDto, CreateAccountReturnDto, USER_SERVICE};

impl CrudUserService {
    /// Creates an account (`create_account`). Abilities are not checked
    /// here: the HTTP layer checks them before calling.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`], [`Error::EmailAlreadyTaken`], or a database error.
    ///
    /// # Cancel safety
    ///
    /// The account is written in one statement: dropped before it, nothing is written.
    pub async fn create_account(
        &self,
        dto: CreateAccountDto,
        ctx: &CrudContext,
    ) -> Result<CreateAccountReturnDto> {
        let options = &self.inner.options;
        if dto.password.chars().count() > options.password_max_length {
            return Err(Error::PasswordTooLong);
        }
        let hash = self.inner.hasher.hash(&dto.password).await?;
        let mut data = Map::new();
        data.insert("email".into(), Value::String(dto.email.clone()));
        data.insert("password".into(), Value::String(hash));
        data.insert("role".into(), Value::String(dto.role.clone()));
        if let Some(username) = &dto.username {
            data.insert("username".into(), Value::String(username.clone()));
        }
        let created = match self.inner.crud.service().create(data, ctx).await {
            Err(Error::UniqueViolation) => return Err(Error::EmailAlreadyTaken),
            other => other?,
        };
        let user_id = created
            .get("id")
            .and_then(Value::as_str)
            .ok_or(Error::Internal("created user has no id"))?
            .to_owned();
        let email = Arc::clone(&self.inner.email);
        let to = dto.email;
        tokio::spawn(async move {
            if let Err(err) = email.send_account_creation(&to).await {
                tracing::warn!(error = %err, "account creation email not sent");
            }
        });
        let access_token = if dto.log_me_in == Some(true) {
            let lifetime = options.token_lifetime.as_secs() as i64;
            Some(self.inner.keys.issue(&user_id, None, lifetime, None)?.0)
        } else {
            None
        };
        Ok(CreateAccountReturnDto {
            user_id,
            access_token,
        })
    }

    /// Creates the account if no user has this email (for seeding
    /// administrators at start). Abilities are not checked.
    ///
    /// # Errors
    ///
    /// As [`CrudUserService::create_account`].
    pub async fn ensure_account(&self, email: &str, password: &str, role: &str) -> Result<bool> {
        let email = email.trim().to_lowercase();
        if self.find_by_login(&email).await?.is_some() {
            return Ok(false);
        }
        let dto = CreateAccountDto {
            email,
            password: password.to_owned(),
            role: role.to_owned(),
            username: None,
            log_me_in: None,
        };
        self.create_account(dto, &CrudContext::internal(Verb::Post, USER_SERVICE))
            .await?;
        Ok(true)
    }
}
