//! Reads: `find_one`, `find`, `find_in`, `find_ids`.

use serde_json::Value as Json;

use super::Map;
use super::core::ServiceCore;
use super::hooks::{Family, recover};
use crate::context::CrudContext;
use crate::error::Result;
use crate::shared::FindResponse;
use crate::storage::{Select, table};

impl ServiceCore {
    pub(crate) async fn find_one(&self, query: Map, ctx: &CrudContext) -> Result<Option<Json>> {
        let hooks = self.hooks(ctx);
        let model_hooks = self.model_hooks(ctx);
        let result = async {
            let mut query = query;
            if let Some(hooks) = hooks {
                hooks.before_read(ctx, &mut query).await?;
            }
            let select = Select {
                condition: self.info.condition(&query, false)?,
                columns: self.projection(ctx)?,
                order: self.order(ctx)?,
                limit: Some(1),
                offset: None,
                lock: false,
            };
            let rows = table::select(&self.db, &self.info, select).await?;
            let mut found = FindResponse {
                total: Some(rows.len() as u64),
                data: rows.into_iter().map(Json::Object).collect(),
                limit: Some(1),
            };
            if let Some(model_hooks) = model_hooks
                && self.reads_whole_rows(ctx)?
            {
                model_hooks.after_read(ctx, &found.data).await?;
            }
            if let Some(hooks) = hooks {
                hooks.after_read(ctx, &mut found).await?;
            }
            Ok(found.data.into_iter().next())
        }
        .await;
        match result {
            Ok(found) => Ok(found),
            Err(error) => recover(hooks, Family::Read, ctx, error).await,
        }
    }

    pub(crate) async fn find(&self, query: Map, ctx: &CrudContext) -> Result<FindResponse<Json>> {
        self.find_with_hooks(query, ctx, false).await
    }

    pub(crate) async fn find_in(
        &self,
        ids: Vec<Json>,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<FindResponse<Json>> {
        self.find_with_hooks(self.with_ids(query, ids), ctx, false)
            .await
    }

    pub(crate) async fn find_ids(
        &self,
        query: Map,
        ctx: &CrudContext,
    ) -> Result<FindResponse<Json>> {
        self.find_with_hooks(query, ctx, true).await
    }

    /// `find`, with hooks; `ids_only` reads the id column and answers a list
    /// of ids (the hooks see `{id}` objects).
    async fn find_with_hooks(
        &self,
        query: Map,
        ctx: &CrudContext,
        ids_only: bool,
    ) -> Result<FindResponse<Json>> {
        let hooks = self.hooks(ctx);
        let model_hooks = self.model_hooks(ctx).filter(|_| !ids_only);
        let result = async {
            let mut query = query;
            if let Some(hooks) = hooks {
                hooks.before_read(ctx, &mut query).await?;
            }
            let mut found = self.find_page(&query, ctx, ids_only).await?;
            if let Some(model_hooks) = model_hooks
                && self.reads_whole_rows(ctx)?
            {
                model_hooks.after_read(ctx, &found.data).await?;
            }
            if let Some(hooks) = hooks {
                hooks.after_read(ctx, &mut found).await?;
            }
            if ids_only {
                let id = &self.info.id().wire;
                found.data = found
                    .data
                    .into_iter()
                    .map(|mut row| row.get_mut(id).map(Json::take).unwrap_or(Json::Null))
                    .collect();
            }
            Ok(found)
        }
        .await;
        match result {
            Ok(found) => Ok(found),
            Err(error) => recover(hooks, Family::Read, ctx, error).await,
        }
    }

    /// One page and the total count of matches (a COUNT only when the page
    /// is limited or offset).
    async fn find_page(
        &self,
        query: &Map,
        ctx: &CrudContext,
        ids_only: bool,
    ) -> Result<FindResponse<Json>> {
        let page = Self::page(ctx)?;
        let condition = self.info.condition(query, true)?;
        let columns = if ids_only {
            vec![self.info.id_index()]
        } else {
            self.projection(ctx)?
        };
        let select = Select {
            condition: condition.clone(),
            columns,
            order: self.order(ctx)?,
            limit: page.limit,
            offset: page.offset,
            lock: false,
        };
        let conn = &self.db;
        let rows = table::select(conn, &self.info, select).await?;
        let total = if page.limit.is_none() && page.offset.is_none() {
            rows.len() as u64
        } else {
            table::count(conn, &self.info, condition).await?
        };
        Ok(FindResponse {
            data: rows.into_iter().map(Json::Object).collect(),
            total: Some(total),
            limit: page.limit,
        })
    }
}
