//! [`Hooks`]: application code run around a service's operations.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::Map;
use crate::context::CrudContext;
use crate::error::{Error, Result};
use crate::shared::{DeleteResponse, FindResponse, PatchResponse};

/// Code run before and after a service's operations, and on their errors
/// (eicrud's `CrudHooks`).
///
/// Every method has a no-op default; implement the ones you need.
///
/// - Single operations pass one-element vectors to the create and update
///   hooks; batch operations call each hook once for the whole batch.
/// - A `before_*` or `after_*` hook that returns an error fails the
///   operation; that error, like any other, then goes to the `on_*_error` hook.
/// - An `on_*_error` hook that returns `Some(value)` answers the call with that
///   value instead of the error (it must have the operation's answer shape,
///   e.g. a `{"count":…}` object for a patch; if it does not, the error
///   stands).
/// - Hooks run on direct calls from application code too, and are skipped
///   when the options say `skipServiceHooks`.
/// - [`ModelHooks`](super::ModelHooks) run inside these, on the entity's
///   Model rather than on JSON.
///
/// ```
/// use ferrocrud::service::{Hooks, Map};
/// use ferrocrud::{CrudContext, Result};
/// use futures_util::future::BoxFuture;
///
/// /// Trims every title before it is stored.
/// struct TrimTitles;
///
/// impl Hooks for TrimTitles {
///     fn before_create<'a>(&'a self, _ctx: &'a CrudContext, data: &'a mut Vec<Map>) -> BoxFuture<'a, Result<()>> {
///         Box::pin(async move {
///             for item in data.iter_mut() {
///                 if let Some(serde_json::Value::String(title)) = item.get_mut("title") {
///                     *title = title.trim().to_owned();
///                 }
///             }
///             Ok(())
///         })
///     }
/// }
/// ```
#[allow(unused_variables)]
pub trait Hooks: Send + Sync + 'static {
    /// Before rows are created: may change, add or remove them.
    fn before_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        data: &'a mut Vec<Map>,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After rows are created: may change what the caller receives.
    fn after_create<'a>(
        &'a self,
        ctx: &'a CrudContext,
        created: &'a mut Vec<Value>,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// When a create fails: `Some` answers with that value instead.
    fn on_create_error<'a>(
        &'a self,
        ctx: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        no_replacement()
    }

    /// Before a read: may change the query (for `find_in`, the ids are in it
    /// as an array on the id field).
    fn before_read<'a>(
        &'a self,
        ctx: &'a CrudContext,
        query: &'a mut Map,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After a read: may change the page. `find_one` passes
    /// `{data: [row], total: 1, limit: 1}` (or an empty page) and answers its
    /// first row; `find_ids` passes `{id}` objects and answers their ids.
    fn after_read<'a>(
        &'a self,
        ctx: &'a CrudContext,
        found: &'a mut FindResponse<Value>,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// When a read fails: `Some` answers with that value instead.
    fn on_read_error<'a>(
        &'a self,
        ctx: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        no_replacement()
    }

    /// Before an update: may change the (query, data) pairs.
    fn before_update<'a>(
        &'a self,
        ctx: &'a CrudContext,
        updates: &'a mut Vec<(Map, Map)>,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After an update: may change the answers, one per (query, data) pair.
    fn after_update<'a>(
        &'a self,
        ctx: &'a CrudContext,
        results: &'a mut Vec<PatchResponse>,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// When an update fails: `Some` answers with that value instead.
    fn on_update_error<'a>(
        &'a self,
        ctx: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        no_replacement()
    }

    /// Before a delete: may change the query.
    fn before_delete<'a>(
        &'a self,
        ctx: &'a CrudContext,
        query: &'a mut Map,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// After a delete: may change the answer.
    fn after_delete<'a>(
        &'a self,
        ctx: &'a CrudContext,
        result: &'a mut DeleteResponse,
    ) -> BoxFuture<'a, Result<()>> {
        done()
    }

    /// When a delete fails: `Some` answers with that value instead.
    fn on_delete_error<'a>(
        &'a self,
        ctx: &'a CrudContext,
        error: &'a Error,
    ) -> BoxFuture<'a, Option<Value>> {
        no_replacement()
    }
}

fn done<'a>() -> BoxFuture<'a, Result<()>> {
    Box::pin(std::future::ready(Ok(())))
}

fn no_replacement<'a>() -> BoxFuture<'a, Option<Value>> {
    Box::pin(std::future::ready(None))
}

/// Which family of hooks an operation belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Family {
    Create,
    Read,
    Update,
    Delete,
}

/// Gives an error to the family's error hook; its replacement, if any and if
/// it has the answer's shape, becomes the answer.
pub(crate) async fn recover<T: serde::de::DeserializeOwned>(
    hooks: Option<&dyn Hooks>,
    family: Family,
    ctx: &CrudContext,
    error: Error,
) -> Result<T> {
    let Some(hooks) = hooks else {
        return Err(error);
    };
    let replacement = match family {
        Family::Create => hooks.on_create_error(ctx, &error).await,
        Family::Read => hooks.on_read_error(ctx, &error).await,
        Family::Update => hooks.on_update_error(ctx, &error).await,
        Family::Delete => hooks.on_delete_error(ctx, &error).await,
    };
    match replacement {
        None => Err(error),
        Some(value) => serde_json::from_value(value).map_err(|mismatch| {
            tracing::warn!(
                service = %ctx.service,
                ?family,
                %mismatch,
                "error hook answer does not fit the operation; keeping the error"
            );
            error
        }),
    }
}
