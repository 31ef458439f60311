//! [`DynService`]: a service behind a trait object, for registries by name.

use std::fmt;

use futures_util::future::BoxFuture;
use sea_orm::EntityTrait;
use serde_json::Value;

use super::Map;
use super::crud::CrudService;
use crate::context::CrudContext;
use crate::error::Result;
use crate::shared::{DeleteResponse, FindResponse, PatchResponse};
use crate::storage::EntityInfo;

/// Every operation of a [`CrudService`], without its entity type, so that
/// services of different entities can sit in one map as
/// `Arc<dyn DynService>`.
///
/// Each method does what the `CrudService` method of the same name does
/// (errors and cancel safety included).
///
/// ```
/// # fn demo(registry: &std::collections::HashMap<String, std::sync::Arc<dyn ferrocrud::service::DynService>>) {
/// let post = registry.get("post");
/// # }
/// ```
pub trait DynService: Send + Sync + fmt::Debug {
    /// The service's name.
    fn name(&self) -> &str;
    /// The entity's table and columns.
    fn info(&self) -> &EntityInfo;
    /// The JSON schema of the entity's Model.
    fn model_schema(&self) -> &schemars::Schema;
    /// See [`CrudService::ensure_table`].
    fn ensure_table(&self) -> BoxFuture<'_, Result<()>>;
    /// See [`CrudService::create`].
    fn create<'a>(&'a self, data: Map, ctx: &'a CrudContext) -> BoxFuture<'a, Result<Value>>;
    /// See [`CrudService::create_batch`].
    fn create_batch<'a>(
        &'a self,
        data: Vec<Map>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<Value>>>;
    /// See [`CrudService::find_one`].
    fn find_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Option<Value>>>;
    /// See [`CrudService::find`].
    fn find<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>>;
    /// See [`CrudService::find_in`].
    fn find_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>>;
    /// See [`CrudService::find_ids`].
    fn find_ids<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>>;
    /// See [`CrudService::patch`].
    fn patch<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>>;
    /// See [`CrudService::patch_one`].
    fn patch_one<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>>;
    /// See [`CrudService::patch_in`].
    fn patch_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>>;
    /// See [`CrudService::patch_batch`].
    fn patch_batch<'a>(
        &'a self,
        updates: Vec<(Map, Map)>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<PatchResponse>>>;
    /// See [`CrudService::delete`].
    fn delete<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>>;
    /// See [`CrudService::delete_one`].
    fn delete_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>>;
    /// See [`CrudService::delete_in`].
    fn delete_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>>;
}

impl<E: EntityTrait> DynService for CrudService<E> {
    fn name(&self) -> &str {
        CrudService::name(self)
    }

    fn info(&self) -> &EntityInfo {
        CrudService::info(self)
    }

    fn model_schema(&self) -> &schemars::Schema {
        CrudService::model_schema(self)
    }

    fn ensure_table(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(CrudService::ensure_table(self))
    }

    fn create<'a>(&'a self, data: Map, ctx: &'a CrudContext) -> BoxFuture<'a, Result<Value>> {
        Box::pin(CrudService::create(self, data, ctx))
    }

    fn create_batch<'a>(
        &'a self,
        data: Vec<Map>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<Value>>> {
        Box::pin(CrudService::create_batch(self, data, ctx))
    }

    fn find_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Option<Value>>> {
        Box::pin(CrudService::find_one(self, query, ctx))
    }

    fn find<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(CrudService::find(self, query, ctx))
    }

    fn find_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(CrudService::find_in(self, ids, query, ctx))
    }

    fn find_ids<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<FindResponse<Value>>> {
        Box::pin(CrudService::find_ids(self, query, ctx))
    }

    fn patch<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(CrudService::patch(self, query, data, ctx))
    }

    fn patch_one<'a>(
        &'a self,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(CrudService::patch_one(self, query, data, ctx))
    }

    fn patch_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        data: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<PatchResponse>> {
        Box::pin(CrudService::patch_in(self, ids, query, data, ctx))
    }

    fn patch_batch<'a>(
        &'a self,
        updates: Vec<(Map, Map)>,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<Vec<PatchResponse>>> {
        Box::pin(CrudService::patch_batch(self, updates, ctx))
    }

    fn delete<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(CrudService::delete(self, query, ctx))
    }

    fn delete_one<'a>(
        &'a self,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(CrudService::delete_one(self, query, ctx))
    }

    fn delete_in<'a>(
        &'a self,
        ids: Vec<Value>,
        query: Map,
        ctx: &'a CrudContext,
    ) -> BoxFuture<'a, Result<DeleteResponse>> {
        Box::pin(CrudService::delete_in(self, ids, query, ctx))
    }
}
