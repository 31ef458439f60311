//! Writes: create, patch and delete, single, batch and `in`.
//!
//! A write of more than one statement runs in one transaction: dropped
//! before its commit, it rolls back and nothing is written.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Condition;
use serde_json::Value as Json;

use super::Map;
use super::core::{PreparedInsert, ServiceCore};
use super::hooks::{Family, recover};
use super::increment::Increment;
use super::model_hooks::RowHooks;
use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::shared::{DeleteResponse, PatchResponse};
use crate::storage::{Changes, table};

impl ServiceCore {
    pub(crate) async fn create(&self, data: Map, ctx: &CrudContext) -> Result<Json> {
        let created = self.create_with_hooks(vec![data], ctx, true).await?;
        Ok(created.into_iter().next().unwrap_or(Json::Null))
    }

    pub(crate) async fn create_batch(
        &self,
        data: Vec<Map>,
        ctx: &CrudContext,
    ) -> Result<Vec<Json>> {
        self.create_with_hooks(data, ctx, false).await
    }

    /// Creates rows with hooks. `single` answers one value (an error hook's
    /// replacement is a single value then, not a list).
    async fn create_with_hooks(
        &self,
        data: Vec<Map>,
        ctx: &CrudContext,
        single: bool,
    ) -> Result<Vec<Json>> {
        let hooks = self.hooks(ctx);
        let model_hooks = self.model_hooks(ctx);
        let result = async {
            let mut data = data;
            if let Some(hooks) = hooks {
                hooks.before_create(ctx, &mut data).await?;
            }
            let mut prepared = data
                .into_iter()
                .map(|item| self.prepare_insert(item))
                .collect::<Result<Vec<PreparedInsert>>>()?;
            if let Some(model_hooks) = model_hooks {
                prepared = self
                    .before_create_models(model_hooks, ctx, prepared)
                    .await?;
            }
            let mut created = self.insert_all(prepared).await?;
            if let Some(model_hooks) = model_hooks {
                model_hooks.after_create(ctx, &created).await?;
            }
            if let Some(hooks) = hooks {
                hooks.after_create(ctx, &mut created).await?;
            }
            if single && created.is_empty() {
                return Err(Error::Internal("a create hook removed the created row"));
            }
            Ok(created)
        }
        .await;
        match result {
            Ok(created) => Ok(created),
            Err(error) if single => Ok(vec![recover(hooks, Family::Create, ctx, error).await?]),
            Err(error) => recover(hooks, Family::Create, ctx, error).await,
        }
    }

    /// Runs the model hooks' `before_create` on checked rows, and checks
    /// what they left as the data of a create: the fields of the row, then
    /// those the hooks set that the row did not have.
    async fn before_create_models(
        &self,
        model_hooks: &dyn RowHooks,
        ctx: &CrudContext,
        prepared: Vec<PreparedInsert>,
    ) -> Result<Vec<PreparedInsert>> {
        let before: Vec<Map> = prepared.iter().map(|p| self.row_object(&p.row)).collect();
        let mut rows = before.clone();
        model_hooks.before_create(ctx, &mut rows).await?;
        if rows.len() != before.len() {
            return Err(Error::Internal("a model hook changed the number of rows"));
        }
        rows.into_iter()
            .zip(before)
            .map(|(mut row, before)| {
                let mut data = Map::with_capacity(row.len());
                for field in before.keys() {
                    if let Some(value) = row.shift_remove(field) {
                        data.insert(field.clone(), value);
                    }
                }
                data.extend(row.into_iter().filter(|(_, value)| !value.is_null()));
                self.prepare_insert(data)
            })
            .collect()
    }

    /// Inserts checked rows: one statement, or one transaction for several.
    async fn insert_all(&self, prepared: Vec<PreparedInsert>) -> Result<Vec<Json>> {
        let mut created = Vec::with_capacity(prepared.len());
        if let [_] = prepared.as_slice() {
            for PreparedInsert { row, output } in prepared {
                table::insert(&self.db, &self.info, row).await?;
                created.push(Json::Object(output));
            }
            return Ok(created);
        }
        let txn = self.db.begin_write().await?;
        for PreparedInsert { row, output } in prepared {
            table::insert(&txn, &self.info, row).await?;
            created.push(Json::Object(output));
        }
        txn.commit().await?;
        Ok(created)
    }

    pub(crate) async fn patch(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        first(
            self.update_with_hooks(vec![(query, data)], increments, ctx, Mode::Many, true)
                .await?,
        )
    }

    pub(crate) async fn patch_in(
        &self,
        ids: Vec<Json>,
        query: Map,
        data: Map,
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        self.patch(self.with_ids(query, ids), data, &[], ctx).await
    }

    pub(crate) async fn patch_one(
        &self,
        query: Map,
        data: Map,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<PatchResponse> {
        first(
            self.update_with_hooks(vec![(query, data)], increments, ctx, Mode::One, true)
                .await?,
        )
    }

    pub(crate) async fn patch_batch(
        &self,
        updates: Vec<(Map, Map)>,
        ctx: &CrudContext,
    ) -> Result<Vec<PatchResponse>> {
        self.update_with_hooks(updates, &[], ctx, Mode::Many, false)
            .await
    }

    async fn update_with_hooks(
        &self,
        updates: Vec<(Map, Map)>,
        increments: &[Increment],
        ctx: &CrudContext,
        mode: Mode,
        single: bool,
    ) -> Result<Vec<PatchResponse>> {
        let hooks = self.hooks(ctx);
        let result = async {
            let mut updates = updates;
            if let Some(hooks) = hooks {
                hooks.before_update(ctx, &mut updates).await?;
            }
            let mut results = match mode {
                Mode::Many => self.update_many(updates, increments).await?,
                Mode::One => self.update_one(updates, increments, ctx).await?,
            };
            if let Some(hooks) = hooks {
                hooks.after_update(ctx, &mut results).await?;
            }
            Ok(results)
        }
        .await;
        match result {
            Ok(results) => Ok(results),
            Err(error) if single => Ok(vec![recover(hooks, Family::Update, ctx, error).await?]),
            Err(error) => recover(hooks, Family::Update, ctx, error).await,
        }
    }

    /// Bulk UPDATEs: one statement, or one transaction for several.
    async fn update_many(
        &self,
        updates: Vec<(Map, Map)>,
        increments: &[Increment],
    ) -> Result<Vec<PatchResponse>> {
        let prepared = updates
            .iter()
            .map(|(query, data)| {
                Ok((
                    self.info.condition(query, true)?,
                    self.prepare_update(data, increments)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        if prepared.len() == 1 {
            return self.run_updates(&self.db, prepared).await;
        }
        let txn = self.db.begin_write().await?;
        let results = self.run_updates(&txn, prepared).await?;
        txn.commit().await?;
        Ok(results)
    }

    async fn run_updates<C: ConnectionTrait>(
        &self,
        conn: &C,
        prepared: Vec<(Condition, Changes)>,
    ) -> Result<Vec<PatchResponse>> {
        let mut results = Vec::with_capacity(prepared.len());
        for (condition, changes) in prepared {
            let count = table::update(conn, &self.info, condition, changes).await?;
            results.push(PatchResponse {
                count,
                updated: None,
            });
        }
        Ok(results)
    }

    /// For each (query, data): the first matching row is updated, in one
    /// transaction with the read that finds it.
    async fn update_one(
        &self,
        updates: Vec<(Map, Map)>,
        increments: &[Increment],
        ctx: &CrudContext,
    ) -> Result<Vec<PatchResponse>> {
        let return_updated = ctx.options.return_updated_entity == Some(true);
        let columns = self.projection(ctx)?;
        let txn = self.db.begin_write().await?;
        let mut results = Vec::with_capacity(updates.len());
        for (query, data) in &updates {
            let changes = self.prepare_update(data, increments)?;
            let find = self.first_row(query, &[], ctx)?;
            let row = table::select(&txn, &self.info, find)
                .await?
                .into_iter()
                .next()
                .ok_or(Error::EntityNotFound)?;
            let id = self.row_id(&row)?;
            let count = table::update(
                &txn,
                &self.info,
                self.info.id_condition(id.clone()),
                changes,
            )
            .await?;
            let updated = if return_updated {
                let mut reread = self.first_row(&Map::new(), &columns, ctx)?;
                reread.condition = self.info.id_condition(id);
                reread.lock = false;
                table::select(&txn, &self.info, reread)
                    .await?
                    .into_iter()
                    .next()
                    .map(|row| self.project(row, &columns))
            } else {
                None
            };
            results.push(PatchResponse { count, updated });
        }
        txn.commit().await?;
        Ok(results)
    }

    pub(crate) async fn delete(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        self.delete_with_hooks(query, ctx, Mode::Many).await
    }

    pub(crate) async fn delete_in(
        &self,
        ids: Vec<Json>,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<DeleteResponse> {
        self.delete(self.with_ids(query, ids), ctx).await
    }

    pub(crate) async fn delete_one(&self, query: Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        self.delete_with_hooks(query, ctx, Mode::One).await
    }

    async fn delete_with_hooks(
        &self,
        query: Map,
        ctx: &CrudContext,
        mode: Mode,
    ) -> Result<DeleteResponse> {
        let hooks = self.hooks(ctx);
        let result = async {
            let mut query = query;
            if let Some(hooks) = hooks {
                hooks.before_delete(ctx, &mut query).await?;
            }
            let mut result = match mode {
                Mode::Many => {
                    let condition = self.info.condition(&query, true)?;
                    let count = table::delete(&self.db, &self.info, condition).await?;
                    DeleteResponse {
                        count,
                        deleted: None,
                    }
                }
                Mode::One => self.delete_first(&query, ctx).await?,
            };
            if let Some(hooks) = hooks {
                hooks.after_delete(ctx, &mut result).await?;
            }
            Ok(result)
        }
        .await;
        match result {
            Ok(result) => Ok(result),
            Err(error) => recover(hooks, Family::Delete, ctx, error).await,
        }
    }

    /// Deletes the first row matching the query, in one transaction with the
    /// read that finds it.
    async fn delete_first(&self, query: &Map, ctx: &CrudContext) -> Result<DeleteResponse> {
        let return_deleted = ctx.options.return_updated_entity == Some(true);
        let columns = if return_deleted {
            self.projection(ctx)?
        } else {
            Vec::new()
        };
        let find = self.first_row(query, &columns, ctx)?;
        let txn = self.db.begin_write().await?;
        let row = table::select(&txn, &self.info, find)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::EntityNotFound)?;
        let id = self.row_id(&row)?;
        let count = table::delete(&txn, &self.info, self.info.id_condition(id)).await?;
        txn.commit().await?;
        Ok(DeleteResponse {
            count,
            deleted: return_deleted.then(|| self.project(row, &columns)),
        })
    }
}

/// Whether an operation acts on every matching row or on the first.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Many,
    One,
}

fn first(results: Vec<PatchResponse>) -> Result<PatchResponse> {
    results
        .into_iter()
        .next()
        .ok_or(Error::Internal("an update hook removed the result"))
}
