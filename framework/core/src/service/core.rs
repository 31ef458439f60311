//! [`ServiceCore`]: the non-generic body of every `CrudService<E>`.
//!
//! Everything here is compiled once, whatever the entity; `CrudService<E>`
//! only adds types.

use std::fmt;
use std::sync::Arc;

use sea_orm::Statement;
use sea_orm::sea_query::{Order, Value};
use serde_json::Value as Json;

use super::Map;
use super::hooks::Hooks;
use super::increment::{Increment, applicable};
use super::model_hooks::RowHooks;
use crate::context::CrudContext;
use crate::error::{Error, Result, Target};
use crate::storage::{Changes, Db, EntityInfo, Failures, Select, now, value_to_json};

/// The state of one service: its entity, database and hooks.
#[derive(Clone)]
pub(crate) struct ServiceCore {
    pub(crate) name: String,
    pub(crate) info: EntityInfo,
    pub(crate) schema: schemars::Schema,
    pub(crate) db: Db,
    pub(crate) hooks: Option<Arc<dyn Hooks>>,
    /// The [`ModelHooks`](super::ModelHooks), without their Model type.
    pub(crate) model_hooks: Option<Arc<dyn RowHooks>>,
    /// Counters every update adds to (when their trigger fields are set).
    pub(crate) increments: Vec<Increment>,
    /// CREATE TABLE / INDEX IF NOT EXISTS, built for the database's backend.
    pub(crate) create_table: Vec<Statement>,
}

impl fmt::Debug for ServiceCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCore")
            .field("name", &self.name)
            .field("table", &self.info.table())
            .field("backend", &self.db.backend())
            .field("hooks", &self.hooks.is_some())
            .field("model_hooks", &self.model_hooks.is_some())
            .field("increments", &self.increments)
            .finish_non_exhaustive()
    }
}

/// A row ready to insert and the object the caller receives for it.
pub(crate) struct PreparedInsert {
    pub(crate) row: Vec<(usize, Value)>,
    pub(crate) output: Map,
}

/// Pagination of a read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
}

impl ServiceCore {
    /// The hooks to run for this call: none when `skipServiceHooks` is set.
    pub(crate) fn hooks(&self, ctx: &CrudContext) -> Option<&dyn Hooks> {
        if ctx.options.skip_service_hooks == Some(true) {
            return None;
        }
        self.hooks.as_deref()
    }

    /// The model hooks to run for this call: none when `skipServiceHooks` is set.
    pub(crate) fn model_hooks(&self, ctx: &CrudContext) -> Option<&dyn RowHooks> {
        if ctx.options.skip_service_hooks == Some(true) {
            return None;
        }
        self.model_hooks.as_deref()
    }

    /// Whether a read returns whole rows: every column but the secrets.
    pub(crate) fn reads_whole_rows(&self, ctx: &CrudContext) -> Result<bool> {
        let whole = self.info.columns().iter().filter(|c| !c.secret).count();
        Ok(self.projection(ctx)?.len() == whole)
    }

    /// A row to insert as a JSON object, secret fields included, in the
    /// row's order.
    pub(crate) fn row_object(&self, row: &[(usize, Value)]) -> Map {
        row.iter()
            .map(|(index, value)| {
                (
                    self.info.columns()[*index].wire.clone(),
                    value_to_json(value),
                )
            })
            .collect()
    }

    /// `limit` and `offset` of the options; zero means "not set".
    pub(crate) fn page(ctx: &CrudContext) -> Result<Page> {
        let read = |value: Option<i64>, option: &str| -> Result<Option<u64>> {
            match value {
                None | Some(0) => Ok(None),
                Some(n) => u64::try_from(n)
                    .map(Some)
                    .map_err(|_| Error::InvalidQuery(format!("{option} must not be negative"))),
            }
        };
        Ok(Page {
            limit: read(ctx.options.limit, "limit")?,
            offset: read(ctx.options.offset, "offset")?,
        })
    }

    /// The columns the options ask for (secrets never among them).
    pub(crate) fn projection(&self, ctx: &CrudContext) -> Result<Vec<usize>> {
        self.info.projection(
            ctx.options.fields.as_deref(),
            ctx.options.exclude.as_deref(),
        )
    }

    /// The order the options ask for, then the id.
    pub(crate) fn order(&self, ctx: &CrudContext) -> Result<Vec<(usize, Order)>> {
        self.info.order(ctx.options.order_by.as_ref())
    }

    /// A SELECT of the first row matching a `one` query, locked for update,
    /// reading `columns` and the id.
    pub(crate) fn first_row(
        &self,
        query: &Map,
        columns: &[usize],
        ctx: &CrudContext,
    ) -> Result<Select> {
        let mut columns = columns.to_vec();
        if !columns.contains(&self.info.id_index()) {
            columns.push(self.info.id_index());
            columns.sort_unstable();
        }
        Ok(Select {
            condition: self.info.condition(query, false)?,
            columns,
            order: self.order(ctx)?,
            limit: Some(1),
            offset: None,
            lock: true,
        })
    }

    /// The id of a row read with [`first_row`](Self::first_row), as a value to bind.
    pub(crate) fn row_id(&self, row: &Map) -> Result<Value> {
        let id = row
            .get(&self.info.id().wire)
            .ok_or(Error::Internal("row read without its id"))?;
        self.info
            .id()
            .to_value(id)
            .map_err(|_| Error::Internal("row id is not a string"))
    }

    /// Keeps only the projected columns of a row read with `first_row`.
    pub(crate) fn project(&self, mut row: Map, columns: &[usize]) -> Json {
        if !columns.contains(&self.info.id_index()) {
            row.shift_remove(&self.info.id().wire);
        }
        Json::Object(row)
    }

    /// Checks and converts the data of a create.
    ///
    /// The id is the client's if it sent a non-empty one, else a new UUID v7;
    /// `createdAt` and `updatedAt` are set to now whatever the data says. The
    /// answer holds the id, the fields given (in their order, secrets left
    /// out), then `createdAt` and `updatedAt`.
    pub(crate) fn prepare_insert(&self, data: Map) -> Result<PreparedInsert> {
        let info = &self.info;
        let id_column = info.id();
        let mut failures = Failures::default();
        let mut row = Vec::with_capacity(data.len() + 3);
        let mut output = Map::new();

        let id = match data.get(&id_column.wire) {
            None | Some(Json::Null) => Value::String(Some(uuid::Uuid::now_v7().to_string())),
            Some(Json::String(id)) if id.is_empty() => {
                Value::String(Some(uuid::Uuid::now_v7().to_string()))
            }
            Some(Json::String(id)) => Value::String(Some(id.clone())),
            Some(_) => {
                failures.push(&id_column.wire, id_column.kind.constraint());
                Value::String(None)
            }
        };
        output.insert(id_column.wire.clone(), value_to_json(&id));
        row.push((info.id_index(), id));

        for (field, json) in &data {
            if *field == id_column.wire {
                continue;
            }
            let Some(index) = info.index_of(field) else {
                failures.push(field, "whitelistValidation");
                continue;
            };
            if info.is_timestamp(index) {
                continue;
            }
            let column = &info.columns()[index];
            if json.is_null() && !column.nullable {
                failures.push(field, column.kind.constraint());
                continue;
            }
            match column.to_value(json) {
                Ok(value) => {
                    if !column.secret {
                        output.insert(field.clone(), value_to_json(&value));
                    }
                    row.push((index, value));
                }
                Err(constraint) => failures.push(field, constraint),
            }
        }

        for (index, column) in info.columns().iter().enumerate() {
            let required = !column.nullable && !column.has_default && !column.primary_key;
            if required && !info.is_timestamp(index) && !data.contains_key(&column.wire) {
                failures.push(&column.wire, column.kind.constraint());
            }
        }
        failures.into_result(info, Target::Data)?;

        let now = now();
        for column in [info.created_at(), info.updated_at()].into_iter().flatten() {
            let value = Value::ChronoDateTimeUtc(Some(now));
            output.insert(column.wire.clone(), value_to_json(&value));
            if let Some(index) = info.index_of(&column.wire) {
                row.push((index, value));
            }
        }
        Ok(PreparedInsert { row, output })
    }

    /// Checks and converts the data of an update; adds `updatedAt = now` and
    /// the service's and the call's increments that apply to the data.
    ///
    /// `createdAt` and `updatedAt` in the data are ignored (the framework
    /// keeps them); the id may not be changed.
    pub(crate) fn prepare_update(&self, data: &Map, increments: &[Increment]) -> Result<Changes> {
        let info = &self.info;
        if data.contains_key(&info.id().wire) {
            return Err(Error::CannotUpdateId);
        }
        let mut failures = Failures::default();
        let mut sets = Vec::with_capacity(data.len() + 1);
        for (field, json) in data {
            let Some(index) = info.index_of(field) else {
                failures.push(field, "whitelistValidation");
                continue;
            };
            if info.is_timestamp(index) {
                continue;
            }
            let column = &info.columns()[index];
            if json.is_null() && !column.nullable {
                failures.push(field, column.kind.constraint());
                continue;
            }
            match column.to_value(json) {
                Ok(value) => sets.push((index, value)),
                Err(constraint) => failures.push(field, constraint),
            }
        }
        failures.into_result(info, Target::Data)?;
        if let Some(column) = info.updated_at()
            && let Some(index) = info.index_of(&column.wire)
        {
            sets.push((index, Value::ChronoDateTimeUtc(Some(now()))));
        }
        let increments = applicable(info, &self.increments, increments, data)?;
        Ok(Changes { sets, increments })
    }

    /// `query` with its id field set to the list `ids` (the `in` operations).
    pub(crate) fn with_ids(&self, mut query: Map, ids: Vec<Json>) -> Map {
        query.insert(self.info.id().wire.clone(), Json::Array(ids));
        query
    }
}
