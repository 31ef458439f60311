//! `create_account`, and accounts made by application code.

use std::sync::Arc;
use std::time::Duration;

use schemars::Schema;
use serde_json::{Map, Value};

use super::AccountService;
use super::columns;
use super::columns::Col;
use crate::command::usage;
use crate::context::{CrudContext, Verb};
use crate::error::{Error, Result};
use crate::service::DynService;
use crate::shared::user::{CreateAccountDto, CreateAccountReturnDto, USER_SERVICE};
use crate::storage::camel_case;

/// The key, in the call counters, of the account-creation mails of an
/// address.
const ACCOUNT_MAIL_KEY: &str = "account_creation_mail";

/// At most one account-creation mail per address in this time: an address
/// whose account is deleted and created again, over and over, is not
/// flooded.
const ACCOUNT_MAIL_INTERVAL: Duration = Duration::from_secs(10 * 60);

impl AccountService {
    /// Whether the account-creation mail may go to `to`: one per address per
    /// [`ACCOUNT_MAIL_INTERVAL`], claimed in the database for every instance.
    /// The account exists already: a failed claim skips the mail, nothing
    /// else.
    async fn claim_account_mail(&self, to: &str) -> bool {
        let now = chrono::Utc::now().timestamp_millis();
        let interval = i64::try_from(ACCOUNT_MAIL_INTERVAL.as_millis()).unwrap_or(i64::MAX);
        match usage::claim_call(&self.inner.db, to, ACCOUNT_MAIL_KEY, now, interval).await {
            Ok(()) => true,
            Err(Error::WaitUntil { .. }) => {
                tracing::debug!(
                    "an account-creation mail went to this address recently: not sent again"
                );
                false
            }
            Err(error) => {
                tracing::warn!(%error, "account creation email not sent");
                false
            }
        }
    }

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
        for (field, value) in dto.profile {
            if self.is_account_field(&field) {
                return Err(Error::ManagedField(field));
            }
            data.insert(field, value);
        }
        let created = match self.inner.crud.create_hashed(data, ctx).await {
            Err(Error::UniqueViolation) => return Err(Error::EmailAlreadyTaken),
            other => other?,
        };
        let user_id = created
            .get("id")
            .and_then(Value::as_str)
            .ok_or(Error::Internal("created user has no id"))?
            .to_owned();
        let to = dto.email;
        if self.claim_account_mail(&to).await {
            let email = Arc::clone(&self.inner.email);
            tokio::spawn(async move {
                if let Err(err) = email.send_account_creation(&to).await {
                    tracing::warn!(error = %err, "account creation email not sent");
                }
            });
        }
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

    /// Whether `field` (a wire name) is one of the account columns, which
    /// `create_account` sets from its own fields or never.
    fn is_account_field(&self, field: &str) -> bool {
        columns::COLUMNS
            .iter()
            .any(|spec| camel_case(spec.name) == field)
    }

    /// The schema `create_account` validates its DTO with: eicrud's fields,
    /// then the application's own user fields as the user entity declares
    /// them (types, bounds, formats), and nothing else.
    pub(super) fn create_account_schema(&self, mut schema: Schema) -> Schema {
        let model = DynService::model_schema(&self.inner.crud).as_value();
        let model_properties = model.get("properties").and_then(Value::as_object);
        let model_required: Vec<&str> = model
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(root) = schema.as_object_mut() {
            let mut added_required = Vec::new();
            if let Some(Value::Object(properties)) = root.get_mut("properties") {
                for column in self.inner.crud.info().columns() {
                    let field = &column.wire;
                    if self.is_account_field(field) {
                        continue;
                    }
                    if let Some(property) = model_properties.and_then(|p| p.get(field)) {
                        properties.insert(field.clone(), property.clone());
                        if model_required.contains(&field.as_str()) && !column.nullable {
                            added_required.push(Value::String(field.clone()));
                        }
                    }
                }
            }
            if !added_required.is_empty() {
                let required = root
                    .entry("required")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(required) = required {
                    required.extend(added_required);
                }
            }
            if let Some(Value::Object(defs)) = model.get("$defs") {
                let target = root
                    .entry("$defs")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(target) = target {
                    for (name, def) in defs {
                        target.entry(name.clone()).or_insert_with(|| def.clone());
                    }
                }
            }
        }
        schema
    }

    /// Creates the account if no user has this email (for seeding
    /// administrators at start). Abilities are not checked.
    ///
    /// # Errors
    ///
    /// As [`AccountService::create_account`].
    pub async fn ensure_account(&self, email: &str, password: &str, role: &str) -> Result<bool> {
        let email = email.trim().to_lowercase();
        if self.account_where(Col::Email, &email).await?.is_some() {
            return Ok(false);
        }
        let dto = CreateAccountDto {
            email,
            password: password.to_owned(),
            role: role.to_owned(),
            username: None,
            log_me_in: None,
            profile: Default::default(),
        };
        self.create_account(dto, &CrudContext::internal(Verb::Post, USER_SERVICE))
            .await?;
        Ok(true)
    }
}
