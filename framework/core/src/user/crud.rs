//! [`UserCrud`]: the user entity's CRUD service, with the rules every write
//! of a user obeys, whoever makes it.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::entity;
use crate::auth::PasswordHasher;
use crate::context::CrudContext;
use crate::error::{Error, PropertyFailure, Result, SetupError, Target, ValidationError};
use crate::service::{CrudService, DynService, Increment, Map};
use crate::shared::{DeleteResponse, FindResponse, PatchResponse};
use crate::storage::EntityInfo;

/// The wire name of the revocation counter.
pub(super) const RVKD: &str = "rvkd";
/// The wire name of the password hash.
pub(super) const PASSWORD: &str = "password";

/// The user entity's CRUD service as the HTTP layer serves it and the
/// account commands write through it:
///
/// - a `password` in the data is checked against the length policy and
///   stored as an argon2id hash, never as given, even when an administrator
///   patches it;
/// - an update that sets a field of
///   [`fields_that_reset_revoked_count`](super::UserOptions::fields_that_reset_revoked_count)
///   (password, email, username by default) adds one to `rvkd` in the same
///   UPDATE, so every token issued before fails with 401 code 4;
/// - `rvkd` itself cannot be written: it only grows, so a revoked token can
///   never become valid again.
///
/// Every operation of [`DynService`] is available; reads are the generic
/// service's (secret columns are never returned).
#[derive(Clone, Debug)]
pub struct UserCrud {
    service: CrudService<entity::Entity>,
    hasher: PasswordHasher,
    min_length: usize,
    max_length: usize,
}

impl UserCrud {
    pub(super) fn new(
        service: CrudService<entity::Entity>,
        hasher: PasswordHasher,
        options: &super::UserOptions,
    ) -> Result<Self> {
        let fields: Vec<&str> = options
            .fields_that_reset_revoked_count
            .iter()
            .map(String::as_str)
            .collect();
        let service = if fields.is_empty() {
            service
        } else {
            service
                .with_increment(Increment::new(RVKD, 1).when_any_set(&fields))
                .map_err(|err| SetupError::InvalidSetting {
                    name: "fields_that_reset_revoked_count",
                    reason: err.to_string(),
                })?
        };
        Ok(Self {
            service,
            hasher,
            min_length: options.password_min_length,
            max_length: options.password_max_length,
        })
    }

    /// The generic service underneath, for writes whose password is already
    /// hashed (account creation).
    pub(super) fn service(&self) -> &CrudService<entity::Entity> {
        &self.service
    }

    /// Checks a new password against the length policy; `dto` and `field`
    /// name it in the validation message.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`] (code 11) above the maximum;
    /// [`Error::Validation`] (`minLength`) below the minimum.
    pub(super) fn check_password(&self, password: &str, dto: &str, field: &str) -> Result<()> {
        let length = password.chars().count();
        if length > self.max_length {
            return Err(Error::PasswordTooLong);
        }
        if length < self.min_length {
            return Err(Error::Validation(ValidationError {
                target: Target::Data,
                type_name: dto.to_owned(),
                failures: vec![PropertyFailure {
                    property: field.to_owned(),
                    constraints: vec!["minLength"],
                }],
            }));
        }
        Ok(())
    }

    /// Replaces a string `password` by its hash, after the policy check.
    /// Other values are left for the service's type check to refuse.
    async fn hash_password(&self, data: &mut Map) -> Result<()> {
        if let Some(Value::String(password)) = data.get(PASSWORD) {
            let password = password.clone();
            let type_name = self.service.info().type_name();
            self.check_password(&password, type_name, PASSWORD)?;
            let hash = self.hasher.hash(&password).await?;
            data.insert(PASSWORD.to_owned(), Value::String(hash));
        }
        Ok(())
    }

    /// The data of an update, checked and with its password hashed.
    async fn update_data(&self, mut data: Map) -> Result<Map> {
        if data.contains_key(RVKD) {
            return Err(Error::ManagedField(RVKD.to_owned()));
        }
        self.hash_password(&mut data).await?;
        Ok(data)
    }

    /// [`CrudService::create`] with the password hashed.
    ///
    /// # Errors
    ///
    /// As [`CrudService::create`]; the password policy's errors.
    pub async fn create(&self, mut data: Map, ctx: &CrudContext) -> Result<Value> {
        self.hash_password(&mut data).await?;
        self.service.create(data, ctx).await
    }

    /// [`CrudService::create_batch`] with the passwords hashed.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::create`], for any row.
    pub async fn create_batch(&self, data: Vec<Map>, ctx: &CrudContext) -> Result<Vec<Value>> {
        let mut hashed = Vec::with_capacity(data.len());
        for mut item in data {
            self.hash_password(&mut item).await?;
            hashed.push(item);
        }
        self.service.create_batch(hashed, ctx).await
    }

    /// [`CrudService::patch`] under the user rules.
    ///
    /// # Errors
    ///
    /// As [`CrudService::patch`]; [`Error::ManagedField`] when the data sets
    /// `rvkd`; the password policy's errors.
    ///
    /// # Cancel safety
    ///
    /// One UPDATE, revocation included: all of it is written, or nothing.
    pub async fn patch(&self, query: Map, data: Map, ctx: &CrudContext) -> Result<PatchResponse> {
        let data = self.update_data(data).await?;
        self.service.patch(query, data, ctx).await
    }

    /// [`CrudService::patch_one`] under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch`] and [`CrudService::patch_one`].
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_one`].
    pub async fn patch_one(
        &self,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.patch_one_with(query, data, &[], ctx).await
    }

    /// [`CrudService::patch_one_with`] under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch_one`].
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_one`].
    pub async fn patch_one_with(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        let data = self.update_data(data).await?;
        self.service
            .patch_one_with(query, data, increments, ctx)
            .await
    }

    /// [`CrudService::patch_in`] under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch`].
    ///
    /// # Cancel safety
    ///
    /// As [`UserCrud::patch`].
    pub async fn patch_in(
        &self,
        ids: Vec<Value>,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        let data = self.update_data(data).await?;
        self.service.patch_in(ids, query, data, ctx).await
    }

    /// [`CrudService::patch_batch`] under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch`], for any pair.
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_batch`].
    pub async fn patch_batch(
        &self,
        updates: Vec<(Map, Map)>,
        ctx: &CrudContext,
    ) -> Result<Vec<PatchResponse>> {
        let mut checked = Vec::with_capacity(updates.len());
        for (query, data) in updates {
            checked.push((query, self.update_data(data).await?));
        }
        self.service.patch_batch(checked, ctx).await
    }
}

impl DynService for UserCrud {
    fn name(&self) -> &str {
        self.service.name()
    }

    fn info(&self) -> &EntityInfo {
        self.service.info()
    }

    fn model_schema(&self) -> &schemars::Schema {
        self.service.model_schema()
    }

    fn ensure_table(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.service.ensure_table())
    }

    fn create<'a>(&'a self, data: Map, ctx: &'a CrudContext) -> BoxFuture<'a, Result<Value>> {
        Box::pin(UserCrud::create(self, data, ctx))
    }

    fn create_batch<'a>(
        &'a self,
        data: Vec<Map>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<Value>>> {
        Box::pin(UserCrud::create_batch(self, data, ctx))
    }

    fn find_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Option<Value>>> {
        Box::pin(self.service.find_one(query, ctx))
    }

    fn find<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(self.service.find(query, ctx))
    }

    fn find_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(self.service.find_in(ids, query, ctx))
    }

    fn find_ids<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(self.service.find_ids(query, ctx))
    }

    fn patch<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(UserCrud::patch(self, query, data, ctx))
    }

    fn patch_one<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(UserCrud::patch_one(self, query, data, ctx))
    }

    fn patch_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(UserCrud::patch_in(self, ids, query, data, ctx))
    }

    fn patch_batch<'a>(
        &'a self,
        updates: Vec<(Map, Map)>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<PatchResponse>>> {
        Box::pin(UserCrud::patch_batch(self, updates, ctx))
    }

    fn delete<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(self.service.delete(query, ctx))
    }

    fn delete_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(self.service.delete_one(query, ctx))
    }

    fn delete_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(self.service.delete_in(ids, query, ctx))
    }
}
