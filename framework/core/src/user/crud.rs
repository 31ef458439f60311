//! [`UserCrud`]: the user entity's CRUD service, with the rules every write
//! of a user obeys, whoever makes it.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::cache::UserCache;
use super::columns;
use crate::auth::PasswordHasher;
use crate::context::CrudContext;
use crate::error::{Error, PropertyFailure, Result, SetupError, Target, ValidationError};
use crate::service::core::ServiceCore;
use crate::service::{DynService, Increment, Map};
use crate::shared::{DeleteResponse, FindResponse, PatchResponse};
use crate::storage::{EntityInfo, run_statements};

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
/// - every update and delete drops the rows it may have touched from the
///   instance's user cache before it answers, so the next token check reads
///   them again.
///
/// Every operation of [`DynService`] is available; reads are the generic
/// service's (secret columns are never returned).
#[derive(Clone, Debug)]
pub struct UserCrud {
    service: Arc<ServiceCore>,
    hasher: PasswordHasher,
    min_length: usize,
    max_length: usize,
    cache: Arc<UserCache>,
}

impl UserCrud {
    /// The user entity's service under the user rules: `service` is checked
    /// against the account columns, which are then marked secret, managed
    /// and explicit as [`columns`](super::columns) says, whatever the
    /// Model's schema says.
    pub(super) fn new(
        mut service: ServiceCore,
        hasher: PasswordHasher,
        options: &super::UserOptions,
        cache: Arc<UserCache>,
    ) -> Result<Self> {
        columns::check_user_entity(&service.info)?;
        for spec in columns::COLUMNS {
            service.info.mark(
                spec.name,
                spec.secret,
                spec.managed,
                spec.name == columns::ROLE,
            );
        }
        if !options.fields_that_reset_revoked_count.is_empty() {
            let fields: Vec<&str> = options
                .fields_that_reset_revoked_count
                .iter()
                .map(String::as_str)
                .collect();
            let increment = Increment::new(RVKD, 1).when_any_set(&fields);
            increment
                .check(&service.info)
                .map_err(|err| SetupError::InvalidSetting {
                    name: "fields_that_reset_revoked_count",
                    reason: err.to_string(),
                })?;
            service.increments.push(increment);
        }
        Ok(Self {
            service: Arc::new(service),
            hasher,
            min_length: options.password_min_length,
            max_length: options.password_max_length,
            cache,
        })
    }

    /// Drops from the user cache the users a write may have changed.
    fn forget(&self, touched: Touched) {
        match touched {
            Touched::Users(ids) => ids.iter().for_each(|id| self.cache.forget(id)),
            Touched::Everyone => self.cache.clear(),
        }
    }

    /// What the service knows of the user table.
    pub fn info(&self) -> &EntityInfo {
        &self.service.info
    }

    /// Creates the user table and its indexes when missing.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the database refuses a statement.
    pub async fn ensure_table(&self) -> Result<()> {
        run_statements(&self.service.db, &self.service.create_table).await
    }

    /// Creates a user from data whose password is already hashed (account
    /// creation), without the user rules.
    pub(super) async fn create_hashed(&self, data: Map, ctx: &CrudContext) -> Result<Value> {
        self.service.create(data, ctx).await
    }

    /// Reads one user as a client would see it (secrets left out), without
    /// the service's hooks.
    pub(super) async fn find_one_row(
        &self,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<Option<Value>> {
        self.service.find_one(query, ctx).await
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
            let type_name = self.service.info.type_name();
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

    /// [`CrudService::create`](crate::service::CrudService::create) with the password hashed.
    ///
    /// # Errors
    ///
    /// As [`CrudService::create`](crate::service::CrudService::create); the password policy's errors.
    pub async fn create(&self, mut data: Map, ctx: &CrudContext) -> Result<Value> {
        self.hash_password(&mut data).await?;
        self.service.create(data, ctx).await
    }

    /// [`CrudService::create_batch`](crate::service::CrudService::create_batch) with the passwords hashed.
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

    /// [`CrudService::patch`](crate::service::CrudService::patch) under the user rules.
    ///
    /// # Errors
    ///
    /// As [`CrudService::patch`](crate::service::CrudService::patch); [`Error::ManagedField`] when the data sets
    /// `rvkd`; the password policy's errors.
    ///
    /// # Cancel safety
    ///
    /// One UPDATE, revocation included: all of it is written, or nothing.
    pub async fn patch(&self, query: Map, data: Map, ctx: &CrudContext) -> Result<PatchResponse> {
        let data = self.update_data(data).await?;
        let touched = Touched::by_query(&query);
        let written = self.service.patch(query, data, &[], ctx).await;
        self.forget(touched);
        written
    }

    /// [`CrudService::patch_one`](crate::service::CrudService::patch_one) under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch`] and [`CrudService::patch_one`](crate::service::CrudService::patch_one).
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_one`](crate::service::CrudService::patch_one).
    pub async fn patch_one(
        &self,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.patch_one_with(query, data, &[], ctx).await
    }

    /// [`CrudService::patch_one_with`](crate::service::CrudService::patch_one_with) under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch_one`].
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_one`](crate::service::CrudService::patch_one).
    pub async fn patch_one_with(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        let data = self.update_data(data).await?;
        let touched = Touched::by_query(&query);
        let written = self.service.patch_one(query, data, increments, ctx).await;
        self.forget(touched);
        written
    }

    /// [`CrudService::patch_in`](crate::service::CrudService::patch_in) under the user rules.
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
        let touched = Touched::by_ids(&ids);
        let written = self.service.patch_in(ids, query, data, ctx).await;
        self.forget(touched);
        written
    }

    /// [`CrudService::patch_batch`](crate::service::CrudService::patch_batch) under the user rules.
    ///
    /// # Errors
    ///
    /// As [`UserCrud::patch`], for any pair.
    ///
    /// # Cancel safety
    ///
    /// As [`CrudService::patch_batch`](crate::service::CrudService::patch_batch).
    pub async fn patch_batch(
        &self,
        updates: Vec<(Map, Map)>,
        ctx: &CrudContext,
    ) -> Result<Vec<PatchResponse>> {
        let mut checked = Vec::with_capacity(updates.len());
        for (query, data) in updates {
            checked.push((query, self.update_data(data).await?));
        }
        let touched = Touched::by_queries(checked.iter().map(|(query, _)| query));
        let written = self.service.patch_batch(checked, ctx).await;
        self.forget(touched);
        written
    }

    /// [`CrudService::delete`](crate::service::CrudService::delete), dropping the deleted users from the cache.
    ///
    /// # Errors
    ///
    /// As [`CrudService::delete`](crate::service::CrudService::delete).
    pub async fn delete(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        let touched = Touched::by_query(&query);
        let deleted = self.service.delete(query, ctx).await;
        self.forget(touched);
        deleted
    }

    /// [`CrudService::delete_one`](crate::service::CrudService::delete_one), dropping the deleted user from the cache.
    ///
    /// # Errors
    ///
    /// As [`CrudService::delete_one`](crate::service::CrudService::delete_one).
    pub async fn delete_one(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        let touched = Touched::by_query(&query);
        let deleted = self.service.delete_one(query, ctx).await;
        self.forget(touched);
        deleted
    }

    /// [`CrudService::delete_in`](crate::service::CrudService::delete_in), dropping the deleted users from the cache.
    ///
    /// # Errors
    ///
    /// As [`CrudService::delete_in`](crate::service::CrudService::delete_in).
    pub async fn delete_in(
        &self,
        ids: Vec<Value>,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<DeleteResponse> {
        let touched = Touched::by_ids(&ids);
        let deleted = self.service.delete_in(ids, query, ctx).await;
        self.forget(touched);
        deleted
    }
}

/// The users a write may change, worked out before the write takes its query.
#[derive(Debug)]
enum Touched {
    /// Only these ids.
    Users(Vec<String>),
    /// Any user.
    Everyone,
}

impl Touched {
    /// A query naming one `id` selects that user at most; any other query
    /// may select anyone.
    fn by_query(query: &Map) -> Self {
        match query.get("id") {
            Some(Value::String(id)) => Self::Users(vec![id.clone()]),
            _ => Self::Everyone,
        }
    }

    /// Plain ids select those users; anything else may select anyone.
    fn by_ids(ids: &[Value]) -> Self {
        ids.iter()
            .map(|id| id.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map_or(Self::Everyone, Self::Users)
    }

    /// The users any of `queries` may select.
    fn by_queries<'a>(queries: impl Iterator<Item = &'a Map>) -> Self {
        let mut ids = Vec::new();
        for query in queries {
            match Self::by_query(query) {
                Self::Users(one) => ids.extend(one),
                Self::Everyone => return Self::Everyone,
            }
        }
        Self::Users(ids)
    }
}

impl DynService for UserCrud {
    fn name(&self) -> &str {
        &self.service.name
    }

    fn info(&self) -> &EntityInfo {
        &self.service.info
    }

    fn model_schema(&self) -> &schemars::Schema {
        &self.service.schema
    }

    fn ensure_table(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(UserCrud::ensure_table(self))
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
        Box::pin(UserCrud::delete(self, query, ctx))
    }

    fn delete_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(UserCrud::delete_one(self, query, ctx))
    }

    fn delete_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(UserCrud::delete_in(self, ids, query, ctx))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::PasswordParams;
    use crate::context::Verb;
    use crate::storage::Db;
    use crate::user::{CrudUserService, UserOptions};

    fn obj(value: Value) -> Map {
        value.as_object().cloned().expect("an object")
    }

    fn ctx() -> CrudContext {
        CrudContext::internal(Verb::Patch, "user")
    }

    async fn users(db: Db) -> CrudUserService {
        let mut options = UserOptions::new("unit secret");
        options.password = PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let users = CrudUserService::new(db, options).expect("user service");
        users.crud().ensure_table().await.expect("user table");
        users
    }

    async fn stored(users: &CrudUserService, id: &str) -> crate::user::entity::Model {
        users
            .find_by_id(id)
            .await
            .expect("database")
            .expect("the user")
    }

    crate::db_test!(every_password_write_is_hashed, |db| {
        let users = users(db).await;
        let crud = users.crud();
        let created = crud
            .create(
                obj(json!({"email": "a@b.test", "password": "clear-text-1", "role": "user"})),
                &ctx(),
            )
            .await
            .expect("create");
        assert_eq!(created.get("password"), None, "secrets are never answered");
        let id = created["id"].as_str().expect("id").to_owned();
        let row = stored(&users, &id).await;
        assert!(row.password.starts_with("$argon2id$"));
        assert!(
            users
                .hasher()
                .verify("clear-text-1", Some(row.password))
                .await
                .expect("verify")
        );

        let batch = crud
            .create_batch(
                vec![obj(
                    json!({"email": "c@b.test", "password": "clear-text-2", "role": "user"}),
                )],
                &ctx(),
            )
            .await
            .expect("create batch");
        let other = batch[0]["id"].as_str().expect("id").to_owned();
        assert!(
            stored(&users, &other)
                .await
                .password
                .starts_with("$argon2id$")
        );

        crud.patch_batch(
            vec![
                (
                    obj(json!({"id": id})),
                    obj(json!({"password": "clear-text-3"})),
                ),
                (obj(json!({"id": other})), obj(json!({"trust": 1}))),
            ],
            &ctx(),
        )
        .await
        .expect("patch batch");
        let row = stored(&users, &id).await;
        assert!(
            users
                .hasher()
                .verify("clear-text-3", Some(row.password))
                .await
                .expect("verify")
        );
        assert_eq!(row.rvkd, Some(1));
        assert_eq!(
            stored(&users, &other).await.rvkd,
            None,
            "no credential changed"
        );

        crud.patch_in(
            vec![json!(id)],
            Map::new(),
            obj(json!({"username": "ann"})),
            &ctx(),
        )
        .await
        .expect("patch in");
        assert_eq!(stored(&users, &id).await.rvkd, Some(2));
    });

    crate::db_test!(password_policy_applies_to_crud_writes, |db| {
        let users = users(db).await;
        let crud = users.crud();
        let err = crud
            .create(
                obj(json!({"email": "a@b.test", "password": "short", "role": "user"})),
                &ctx(),
            )
            .await
            .expect_err("too short");
        assert_eq!(
            err.to_string(),
            "Validation error Data: An instance of User has failed the validation:\n - property password has failed the following constraints: minLength \n"
        );
        let err = crud
            .create(
                obj(json!({"email": "a@b.test", "password": "p".repeat(65), "role": "user"})),
                &ctx(),
            )
            .await
            .expect_err("too long");
        assert!(matches!(err, Error::PasswordTooLong), "{err:?}");
        let err = crud
            .create(
                obj(json!({"email": "a@b.test", "password": 12345678, "role": "user"})),
                &ctx(),
            )
            .await
            .expect_err("not a string");
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
    });

    crate::db_test!(rvkd_is_never_written_by_data, |db| {
        let users = users(db).await;
        let crud = users.crud();
        let created = crud
            .create(
                obj(json!({"email": "a@b.test", "password": "clear-text-1", "role": "user"})),
                &ctx(),
            )
            .await
            .expect("create");
        let id = created["id"].as_str().expect("id").to_owned();
        for data in [
            json!({"rvkd": 0}),
            json!({"rvkd": null, "password": "clear-text-2"}),
        ] {
            let err = crud
                .patch(obj(json!({"id": id})), obj(data), &ctx())
                .await
                .expect_err("rvkd is managed");
            assert!(
                matches!(err, Error::ManagedField(ref f) if f == RVKD),
                "{err:?}"
            );
        }
        let err = crud
            .patch_batch(
                vec![(obj(json!({"id": id})), obj(json!({"rvkd": 5})))],
                &ctx(),
            )
            .await
            .expect_err("in batches too");
        assert!(matches!(err, Error::ManagedField(_)));
        assert_eq!(stored(&users, &id).await.rvkd, None);
    });

    #[tokio::test]
    async fn unknown_revocation_fields_fail_at_setup() {
        let db = crate::storage::testing::TestDb::sqlite().await;
        let mut options = UserOptions::new("unit secret");
        options.fields_that_reset_revoked_count = vec!["nope".into()];
        let err = CrudUserService::new(db, options).expect_err("unknown field");
        assert!(
            err.to_string().contains("fields_that_reset_revoked_count"),
            "{err}"
        );
    }
}
