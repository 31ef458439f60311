//! [`CrudService`]: every eicrud operation on one entity.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use schemars::JsonSchema;
use sea_orm::EntityTrait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::core::ServiceCore;
use super::hooks::Hooks;
use super::model_hooks::{ModelHooks, TypedRowHooks};
use super::{DynService, Increment, Map};
use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::shared::{DeleteResponse, FindResponse, PatchResponse, Resource};
use crate::storage::{Db, EntityInfo, create_table_statements, run_statements};

/// The CRUD service of entity `E`: eicrud's operations, JSON in and JSON out,
/// with the service's [`Hooks`] around them.
///
/// Cheap to clone (one `Arc`). The HTTP layer validates and authorizes
/// before calling it; application code may call it directly, which skips
/// validation and authorization but not hooks. Options (`limit`, `offset`,
/// `fields`, `exclude`, `orderBy`, `returnUpdatedEntity`, `skipServiceHooks`)
/// come from `ctx.options`.
///
/// ```
/// # use ferrocrud::storage::DateTimeUtc;
/// # mod post {
/// #     use sea_orm::entity::prelude::*;
/// #     #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// #     #[sea_orm(table_name = "post")]
/// #     #[serde(rename_all = "camelCase")]
/// #     pub struct Model {
/// #         #[sea_orm(primary_key, auto_increment = false)]
/// #         pub id: String,
/// #         pub title: String,
/// #         #[serde(with = "ferrocrud::storage::timestamp")]
/// #         pub created_at: ferrocrud::storage::DateTimeUtc,
/// #         #[serde(with = "ferrocrud::storage::timestamp")]
/// #         pub updated_at: ferrocrud::storage::DateTimeUtc,
/// #     }
/// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
/// #     pub enum Relation {}
/// #     impl ActiveModelBehavior for ActiveModel {}
/// #     impl ferrocrud::shared::Resource for Model {
/// #         const SERVICE: &'static str = "post";
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::context::{CrudContext, Verb};
/// use ferrocrud::service::CrudService;
/// use ferrocrud::storage::Db;
/// use serde_json::json;
///
/// let db = Db::connect("sqlite::memory:").await?;
/// let posts = CrudService::<post::Entity>::new(db)?;
/// posts.ensure_table().await?;
///
/// let ctx = CrudContext::internal_for::<post::Model>(Verb::Post);
/// let data = json!({"title": "first"}).as_object().cloned().unwrap();
/// let created = posts.create(data, &ctx).await?;
/// assert_eq!(created["title"], "first");
///
/// let page = posts.find(serde_json::Map::new(), &ctx).await?;
/// assert_eq!(page.total, Some(1));
/// # Ok(())
/// # }
/// ```
pub struct CrudService<E> {
    core: Arc<ServiceCore>,
    entity: PhantomData<fn() -> E>,
}

impl<E> Clone for CrudService<E> {
    fn clone(&self) -> Self {
        Self {
            core: Arc::clone(&self.core),
            entity: PhantomData,
        }
    }
}

impl<E> fmt::Debug for CrudService<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CrudService").field(&self.core).finish()
    }
}

impl<E> CrudService<E>
where
    E: EntityTrait,
    E::Model: JsonSchema + Resource,
{
    /// The service of `E` over `db`, named by its Model's
    /// [`Resource::SERVICE`] (the path segment, kebab-case).
    ///
    /// Reads the entity and its Model's JSON schema once.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`] when ferrocrud cannot serve the entity (see
    /// [`EntityInfo::new`]).
    pub fn new(db: Db) -> Result<Self> {
        Self::named(<E::Model as Resource>::SERVICE, db)
    }
}

impl<E> CrudService<E>
where
    E: EntityTrait,
    E::Model: JsonSchema,
{
    /// The service of `E` under a name the framework chooses (the user
    /// service is always `user`, whatever the application's user Model says).
    pub(crate) fn named(name: &str, db: Db) -> Result<Self> {
        let schema = schemars::schema_for!(E::Model);
        let info = EntityInfo::new::<E>(&schema)?;
        let create_table = create_table_statements::<E>(db.backend());
        Ok(Self {
            core: Arc::new(ServiceCore {
                name: name.to_owned(),
                info,
                schema,
                db,
                hooks: None,
                model_hooks: None,
                increments: Vec::new(),
                create_table,
            }),
            entity: PhantomData,
        })
    }
}

impl<E: EntityTrait> CrudService<E> {
    /// The same service with `hooks` around its operations (replacing any).
    #[must_use]
    pub fn with_hooks(self, hooks: impl Hooks) -> Self {
        let mut core = Arc::unwrap_or_clone(self.core);
        core.hooks = Some(Arc::new(hooks));
        Self {
            core: Arc::new(core),
            entity: PhantomData,
        }
    }

    /// The same service with `hooks` over its Model around creates and
    /// reads (replacing any), beside its JSON [`Hooks`].
    ///
    /// Without model hooks, no row is converted to a Model.
    #[must_use]
    pub fn with_model_hooks(self, hooks: impl ModelHooks<E::Model>) -> Self
    where
        E::Model: Serialize + DeserializeOwned + Send + Sync,
    {
        let mut core = Arc::unwrap_or_clone(self.core);
        let typed = TypedRowHooks::new(hooks, core.info.type_name());
        core.model_hooks = Some(Arc::new(typed));
        Self {
            core: Arc::new(core),
            entity: PhantomData,
        }
    }

    /// The same service with a counter every update adds to (see
    /// [`Increment`]), in the UPDATE that applies the update.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`] when the increment names a field the entity
    /// lacks, or a counter that is not an integer field.
    pub fn with_increment(self, increment: Increment) -> Result<Self> {
        increment.check(&self.core.info)?;
        let mut core = Arc::unwrap_or_clone(self.core);
        core.increments.push(increment);
        Ok(Self {
            core: Arc::new(core),
            entity: PhantomData,
        })
    }

    /// This service as a trait object, for a registry of services by name.
    pub fn into_dyn(self) -> Arc<dyn DynService> {
        Arc::new(self)
    }

    /// The service's untyped body, for wrappers that add rules of their own
    /// (the user service's [`UserCrud`](crate::user::UserCrud)).
    pub(crate) fn into_core(self) -> ServiceCore {
        Arc::unwrap_or_clone(self.core)
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// The entity's table and columns.
    pub fn info(&self) -> &EntityInfo {
        &self.core.info
    }

    /// The JSON schema of the entity's Model.
    pub fn model_schema(&self) -> &schemars::Schema {
        &self.core.schema
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.core.db
    }

    /// Creates the entity's table and indexes if they do not exist.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when a statement fails.
    ///
    /// # Cancel safety
    ///
    /// Each statement is atomic and idempotent; a dropped call is completed
    /// by the next one.
    pub async fn ensure_table(&self) -> Result<()> {
        run_statements(&self.core.db, &self.core.create_table).await
    }

    /// Creates one row and answers it: the id (a new UUID v7 unless `data`
    /// has a non-empty one), the fields given in their order, then
    /// `createdAt` and `updatedAt` (set to now). Secret fields are left out.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] for unknown fields, values of the wrong type or
    /// missing required fields; [`Error::UniqueViolation`]; [`Error::Database`].
    ///
    /// # Cancel safety
    ///
    /// One INSERT: if dropped, the row is written entirely or not at all.
    pub async fn create(&self, data: Map, ctx: &CrudContext) -> Result<Value> {
        self.core.create(data, ctx).await
    }

    /// Creates rows in one transaction: all are written, or none.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create), for any row.
    ///
    /// # Cancel safety
    ///
    /// Dropped before its commit, the transaction rolls back: nothing is
    /// written.
    pub async fn create_batch(&self, data: Vec<Map>, ctx: &CrudContext) -> Result<Vec<Value>> {
        self.core.create_batch(data, ctx).await
    }

    /// The first row matching the query (every column, unset ones as `null`,
    /// in entity order, projected by `fields`/`exclude`), or `None`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidQuery`] for unknown fields; [`Error::Validation`] for
    /// values of the wrong type; [`Error::Database`].
    pub async fn find_one(&self, query: Map, ctx: &CrudContext) -> Result<Option<Value>> {
        self.core.find_one(query, ctx).await
    }

    /// The rows matching the query: `{data, total, limit}`, where `total`
    /// counts every match whatever `limit` and `offset`, and `limit` is
    /// echoed when set. An array on the id field means any of those ids.
    ///
    /// # Errors
    ///
    /// As [`find_one`](Self::find_one).
    pub async fn find(&self, query: Map, ctx: &CrudContext) -> Result<FindResponse<Value>> {
        self.core.find(query, ctx).await
    }

    /// [`find`](Self::find) restricted to rows whose id is in `ids`.
    ///
    /// # Errors
    ///
    /// As [`find_one`](Self::find_one).
    pub async fn find_in(
        &self,
        ids: Vec<Value>,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<FindResponse<Value>> {
        self.core.find_in(ids, query, ctx).await
    }

    /// [`find`](Self::find), answering ids only.
    ///
    /// # Errors
    ///
    /// As [`find_one`](Self::find_one).
    pub async fn find_ids(&self, query: Map, ctx: &CrudContext) -> Result<FindResponse<Value>> {
        self.core.find_ids(query, ctx).await
    }

    /// Updates every row matching the query (one UPDATE); `updatedAt` is set
    /// to now.
    ///
    /// # Errors
    ///
    /// [`Error::CannotUpdateId`] when `data` holds the id; as
    /// [`create`](Self::create) for `data` and [`find_one`](Self::find_one)
    /// for the query.
    ///
    /// # Cancel safety
    ///
    /// One UPDATE: if dropped, every matching row is updated or none.
    pub async fn patch(&self, query: Map, data: Map, ctx: &CrudContext) -> Result<PatchResponse> {
        self.core.patch(query, data, &[], ctx).await
    }

    /// [`patch`](Self::patch) that also adds to counters (beyond the
    /// service's own [`with_increment`](Self::with_increment) ones).
    ///
    /// # Errors
    ///
    /// As [`patch`](Self::patch); [`Error::InvalidQuery`] for a bad
    /// increment; [`Error::ManagedField`] when `data` sets an incremented
    /// counter.
    ///
    /// # Cancel safety
    ///
    /// As [`patch`](Self::patch).
    pub async fn patch_with(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.core.patch(query, data, increments, ctx).await
    }

    /// Updates the first row matching the query; with `returnUpdatedEntity`
    /// the answer holds it as updated.
    ///
    /// # Errors
    ///
    /// [`Error::EntityNotFound`] when no row matches; as [`patch`](Self::patch).
    ///
    /// # Cancel safety
    ///
    /// The read and the update are one transaction; dropped before its
    /// commit, nothing is written.
    pub async fn patch_one(
        &self,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.core.patch_one(query, data, &[], ctx).await
    }

    /// [`patch_one`](Self::patch_one) that also adds to counters (beyond the
    /// service's own [`with_increment`](Self::with_increment) ones).
    ///
    /// # Errors
    ///
    /// As [`patch_one`](Self::patch_one) and [`patch_with`](Self::patch_with).
    ///
    /// # Cancel safety
    ///
    /// As [`patch_one`](Self::patch_one).
    pub async fn patch_one_with(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.core.patch_one(query, data, increments, ctx).await
    }

    /// [`patch`](Self::patch) restricted to rows whose id is in `ids`.
    ///
    /// # Errors
    ///
    /// As [`patch`](Self::patch).
    ///
    /// # Cancel safety
    ///
    /// As [`patch`](Self::patch).
    pub async fn patch_in(
        &self,
        ids: Vec<Value>,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.core.patch_in(ids, query, data, ctx).await
    }

    /// A [`patch`](Self::patch) per (query, data) pair, in one transaction:
    /// all are applied, or none.
    ///
    /// # Errors
    ///
    /// As [`patch`](Self::patch), for any pair.
    ///
    /// # Cancel safety
    ///
    /// Dropped before its commit, the transaction rolls back: nothing is
    /// written.
    pub async fn patch_batch(
        &self,
        updates: Vec<(Map, Map)>,
        ctx: &CrudContext,
    ) -> Result<Vec<PatchResponse>> {
        self.core.patch_batch(updates, ctx).await
    }

    /// Deletes every row matching the query (one DELETE).
    ///
    /// # Errors
    ///
    /// As [`find_one`](Self::find_one).
    ///
    /// # Cancel safety
    ///
    /// One DELETE: if dropped, every matching row is deleted or none.
    pub async fn delete(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        self.core.delete(query, ctx).await
    }

    /// Deletes the first row matching the query; with `returnUpdatedEntity`
    /// the answer holds it as it was.
    ///
    /// # Errors
    ///
    /// [`Error::EntityNotFound`] when no row matches; as
    /// [`find_one`](Self::find_one).
    ///
    /// # Cancel safety
    ///
    /// The read and the delete are one transaction; dropped before its
    /// commit, nothing is deleted.
    pub async fn delete_one(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        self.core.delete_one(query, ctx).await
    }

    /// [`delete`](Self::delete) restricted to rows whose id is in `ids`.
    ///
    /// # Errors
    ///
    /// As [`delete`](Self::delete).
    ///
    /// # Cancel safety
    ///
    /// As [`delete`](Self::delete).
    pub async fn delete_in(
        &self,
        ids: Vec<Value>,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<DeleteResponse> {
        self.core.delete_in(ids, query, ctx).await
    }
}

impl<E> CrudService<E>
where
    E: EntityTrait,
    E::Model: DeserializeOwned,
{
    /// [`find`](Self::find) as Models (through the Model's serde attributes).
    ///
    /// Reads never return secret fields, so a Model with one must give it a
    /// `#[serde(default)]` to be read this way.
    ///
    /// # Errors
    ///
    /// As [`find`](Self::find); [`Error::ModelMismatch`] when a row does not
    /// deserialize into the Model (e.g. `fields` left a field out).
    pub async fn find_models(&self, query: Map, ctx: &CrudContext) -> Result<Vec<E::Model>> {
        let page = self.find(query, ctx).await?;
        page.data
            .into_iter()
            .map(|row| self.to_model(row))
            .collect()
    }

    /// [`find_one`](Self::find_one) as a Model.
    ///
    /// # Errors
    ///
    /// As [`find_models`](Self::find_models).
    pub async fn find_one_model(&self, query: Map, ctx: &CrudContext) -> Result<Option<E::Model>> {
        self.find_one(query, ctx)
            .await?
            .map(|row| self.to_model(row))
            .transpose()
    }

    fn to_model(&self, row: Value) -> Result<E::Model> {
        serde_json::from_value(row).map_err(|source| Error::ModelMismatch {
            entity: self.core.info.type_name().to_owned(),
            source,
        })
    }
}
