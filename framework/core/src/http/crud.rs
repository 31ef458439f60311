//! The CRUD routes: decode, validate, authorize, call the service, encode.

use axum::response::Response;
use serde_json::{Map, Value};

use super::authorize::{self, check_batch_size};
use super::error::ApiError;
use super::{Incoming, guard, json_response, object, success_status};
use crate::app::{AppState, ServiceEntry};
use crate::context::{CrudContext, Verb};
use crate::error::{Denied, Error, Result, Target};
use crate::security::{Action, Authorized};
use crate::shared::OrderBy;
use crate::validate::Mode;

/// A CRUD operation, from its verb and route suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    CreateOne,
    CreateBatch,
    FindOne,
    Find,
    FindIn,
    FindIds,
    PatchOne,
    Patch,
    PatchIn,
    PatchBatch,
    DeleteOne,
    Delete,
    DeleteIn,
}

impl Op {
    /// Every operation.
    pub(crate) const ALL: [Op; 13] = [
        Op::CreateOne,
        Op::CreateBatch,
        Op::FindOne,
        Op::Find,
        Op::FindIn,
        Op::FindIds,
        Op::PatchOne,
        Op::Patch,
        Op::PatchIn,
        Op::PatchBatch,
        Op::DeleteOne,
        Op::Delete,
        Op::DeleteIn,
    ];

    /// eicrud's name of the operation (`findOne`, `patchIn`, …).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::CreateOne => "create",
            Op::CreateBatch => "createBatch",
            Op::FindOne => "findOne",
            Op::Find => "find",
            Op::FindIn => "findIn",
            Op::FindIds => "findIds",
            Op::PatchOne => "patchOne",
            Op::Patch => "patch",
            Op::PatchIn => "patchIn",
            Op::PatchBatch => "patchBatch",
            Op::DeleteOne => "deleteOne",
            Op::Delete => "delete",
            Op::DeleteIn => "deleteIn",
        }
    }

    pub(crate) fn from_route(verb: Verb, suffix: &str) -> Option<Self> {
        Some(match (verb, suffix) {
            (Verb::Post, "one") => Op::CreateOne,
            (Verb::Post, "batch") => Op::CreateBatch,
            (Verb::Get, "one") => Op::FindOne,
            (Verb::Get, "many") => Op::Find,
            (Verb::Get, "in") => Op::FindIn,
            (Verb::Get, "ids") => Op::FindIds,
            (Verb::Patch, "one") => Op::PatchOne,
            (Verb::Patch, "many") => Op::Patch,
            (Verb::Patch, "in") => Op::PatchIn,
            (Verb::Patch, "batch") => Op::PatchBatch,
            (Verb::Delete, "one") => Op::DeleteOne,
            (Verb::Delete, "many") => Op::Delete,
            (Verb::Delete, "in") => Op::DeleteIn,
            _ => return None,
        })
    }
}

pub(crate) async fn handle(
    state: &AppState,
    service: &str,
    op: Op,
    incoming: Incoming,
) -> Result<Response, ApiError> {
    let mut ctx = guard::context(state, &incoming.headers, incoming.verb, service).await?;
    let entry = state
        .services
        .get(service)
        .ok_or_else(|| Error::ServiceNotFound(service.to_owned()))?;
    let body = incoming.json_body()?;
    let Incoming { verb, params, .. } = incoming;
    ctx.options = params.options;
    guard::apply_mock_role(state, &mut ctx)?;
    // Patches tell a missing query from an empty one; the rest do not.
    let (patch_query, query) = match op {
        Op::PatchOne | Op::Patch => (params.query, Map::new()),
        _ => (None, params.query.unwrap_or_default()),
    };
    let value = match op {
        Op::CreateOne => create_one(state, entry, &ctx, body).await?,
        Op::CreateBatch => create_batch(state, entry, &ctx, body).await?,
        Op::FindOne => find_one(state, entry, ctx, query).await?,
        Op::Find | Op::FindIds => find(state, entry, ctx, query, op == Op::FindIds).await?,
        Op::FindIn => find_in(state, entry, ctx, query).await?,
        Op::PatchOne | Op::Patch => {
            patch(state, entry, ctx, patch_query, body, op == Op::PatchOne).await?
        }
        Op::PatchIn => patch_in(state, entry, &ctx, query, body).await?,
        Op::PatchBatch => patch_batch(state, entry, &ctx, body).await?,
        Op::DeleteOne | Op::Delete => delete(state, entry, ctx, query, op == Op::DeleteOne).await?,
        Op::DeleteIn => delete_in(state, entry, &ctx, query).await?,
    };
    Ok(json_response(success_status(verb), &value))
}

async fn create_one(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    body: Option<Value>,
) -> Result<Value> {
    let data = checked_create_data(state, entry, ctx, object(body)?)?;
    entry.service.create(data, ctx).await
}

async fn create_batch(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    body: Option<Value>,
) -> Result<Value> {
    let items = batch(state, ctx, body)?;
    let mut checked = Vec::with_capacity(items.len());
    for item in items {
        checked.push(checked_create_data(state, entry, ctx, object(Some(item))?)?);
    }
    Ok(Value::Array(
        entry.service.create_batch(checked, ctx).await?,
    ))
}

/// Validates and authorizes the data of one create.
fn checked_create_data(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    mut data: Map<String, Value>,
) -> Result<Map<String, Value>> {
    // `shift_remove`/`shift_insert`: the body's key order is kept, since it
    // decides the answer's order and which field a refusal names.
    refuse_managed(entry, &data)?;
    let id_position = data.keys().position(|key| *key == entry.id_field);
    let id = data.shift_remove(&entry.id_field);
    if id.is_some() && ctx.options.allow_id_override != Some(true) {
        return Err(Error::IdOverrideNotSet);
    }
    entry
        .data_validator
        .validate(&mut data, Mode::Full, Target::Data)?;
    if let (Some(id), Some(position)) = (id, id_position) {
        if !id.is_string() {
            return Err(Error::BadRequest("the id must be a string"));
        }
        data.shift_insert(position.min(data.len()), entry.id_field.clone(), id);
    }
    let fields: Vec<&str> = data.keys().map(String::as_str).collect();
    authorize(state, ctx, &[&data], &fields)?;
    Ok(data)
}

async fn find_one(
    state: &AppState,
    entry: &ServiceEntry,
    mut ctx: CrudContext,
    mut query: Map<String, Value>,
) -> Result<Value> {
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field: None }, Target::Query)?;
    if ctx.options.cached == Some(true) && !query.contains_key(&entry.id_field) {
        return Err(Error::CachedNeedsId);
    }
    let authorized = authorize(state, &ctx, &[&query], &[])?;
    apply_read_rules(state, entry, &mut ctx, &authorized, &query, true)?;
    Ok(entry
        .service
        .find_one(query, &ctx)
        .await?
        .unwrap_or(Value::Null))
}

async fn find(
    state: &AppState,
    entry: &ServiceEntry,
    mut ctx: CrudContext,
    mut query: Map<String, Value>,
    ids_only: bool,
) -> Result<Value> {
    clamp_limit(state, &mut ctx, ids_only);
    let list_field = Some(entry.id_field.as_str());
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field }, Target::Query)?;
    cap_id_list(state, &query, list_field)?;
    let authorized = authorize(state, &ctx, &[&query], &[])?;
    apply_read_rules(state, entry, &mut ctx, &authorized, &query, true)?;
    let page = if ids_only {
        entry.service.find_ids(query, &ctx).await?
    } else {
        entry.service.find(query, &ctx).await?
    };
    to_value(page)
}

async fn find_in(
    state: &AppState,
    entry: &ServiceEntry,
    mut ctx: CrudContext,
    mut query: Map<String, Value>,
) -> Result<Value> {
    clamp_limit(state, &mut ctx, false);
    let ids = take_ids(state, entry, &mut query)?;
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field: None }, Target::Query)?;
    let authorized = authorize(state, &ctx, &[&query], &[])?;
    apply_read_rules(state, entry, &mut ctx, &authorized, &query, true)?;
    to_value(entry.service.find_in(ids, query, &ctx).await?)
}

async fn patch(
    state: &AppState,
    entry: &ServiceEntry,
    mut ctx: CrudContext,
    query: Option<Map<String, Value>>,
    body: Option<Value>,
    one: bool,
) -> Result<Value> {
    let data = object(body)?;
    let query = match query {
        Some(query) if !data.is_empty() || !one => query,
        _ if one => {
            return Err(Error::BadRequest(
                "Query and data are required for PATCH one.",
            ));
        }
        _ => Map::new(),
    };
    let list_field = (!one).then_some(entry.id_field.as_str());
    let CheckedUpdate {
        query,
        data,
        authorized,
    } = checked_update(state, entry, &ctx, query, data, list_field)?;
    let returns_row = ctx.options.return_updated_entity == Some(true);
    apply_read_rules(state, entry, &mut ctx, &authorized, &query, returns_row)?;
    let answer = if one {
        entry.service.patch_one(query, data, &ctx).await?
    } else {
        entry.service.patch(query, data, &ctx).await?
    };
    to_value(answer)
}

async fn patch_in(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    mut query: Map<String, Value>,
    body: Option<Value>,
) -> Result<Value> {
    let ids = take_ids(state, entry, &mut query)?;
    let CheckedUpdate {
        query,
        data,
        authorized,
    } = checked_update(state, entry, ctx, query, object(body)?, None)?;
    refuse_hidden_filters(state, entry, ctx, &authorized, &query)?;
    to_value(entry.service.patch_in(ids, query, data, ctx).await?)
}

async fn patch_batch(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    body: Option<Value>,
) -> Result<Value> {
    let items = batch(state, ctx, body)?;
    let mut checked = Vec::with_capacity(items.len());
    for item in items {
        let mut item = object(Some(item))?;
        let query = object(item.remove("query"))?;
        let data = object(item.remove("data"))?;
        if !item.is_empty() {
            return Err(Error::BadRequest(
                "a batch patch item holds only `query` and `data`",
            ));
        }
        let CheckedUpdate {
            query,
            data,
            authorized,
        } = checked_update(state, entry, ctx, query, data, None)?;
        refuse_hidden_filters(state, entry, ctx, &authorized, &query)?;
        checked.push((query, data));
    }
    to_value(entry.service.patch_batch(checked, ctx).await?)
}

/// Refuses data that sets a field only the server writes, before anything
/// else looks at it: no ability grants such a field.
fn refuse_managed(entry: &ServiceEntry, data: &Map<String, Value>) -> Result<()> {
    if entry.managed_fields.is_empty() {
        return Ok(());
    }
    match data.keys().find(|key| entry.managed_fields.contains(key)) {
        Some(field) => Err(Error::ManagedField(field.clone())),
        None => Ok(()),
    }
}

/// An update that passed validation and authorization.
struct CheckedUpdate<'s> {
    query: Map<String, Value>,
    data: Map<String, Value>,
    /// What the role that allowed it lets the caller read.
    authorized: Authorized<'s>,
}

/// Validates an update and authorizes it on the query, then on the query
/// merged with the data, so the data cannot move a row out of the allowed set.
fn checked_update<'s>(
    state: &'s AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    mut query: Map<String, Value>,
    mut data: Map<String, Value>,
    list_field: Option<&str>,
) -> Result<CheckedUpdate<'s>> {
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field }, Target::Query)?;
    cap_id_list(state, &query, list_field)?;
    if data.contains_key(&entry.id_field) {
        return Err(Error::CannotUpdateId);
    }
    refuse_managed(entry, &data)?;
    entry
        .data_validator
        .validate(&mut data, Mode::Partial, Target::Data)?;
    let mut merged = query.clone();
    merged.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
    let fields: Vec<&str> = data.keys().map(String::as_str).collect();
    let authorized = authorize(state, ctx, &[&query, &merged], &fields)?;
    Ok(CheckedUpdate {
        query,
        data,
        authorized,
    })
}

async fn delete(
    state: &AppState,
    entry: &ServiceEntry,
    mut ctx: CrudContext,
    mut query: Map<String, Value>,
    one: bool,
) -> Result<Value> {
    let list_field = (!one).then_some(entry.id_field.as_str());
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field }, Target::Query)?;
    cap_id_list(state, &query, list_field)?;
    let authorized = authorize(state, &ctx, &[&query], &[])?;
    let returns_row = ctx.options.return_updated_entity == Some(true);
    apply_read_rules(state, entry, &mut ctx, &authorized, &query, returns_row)?;
    let answer = if one {
        entry.service.delete_one(query, &ctx).await?
    } else {
        entry.service.delete(query, &ctx).await?
    };
    to_value(answer)
}

async fn delete_in(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    mut query: Map<String, Value>,
) -> Result<Value> {
    let ids = take_ids(state, entry, &mut query)?;
    entry
        .query_validator
        .validate(&mut query, Mode::Query { list_field: None }, Target::Query)?;
    let authorized = authorize(state, ctx, &[&query], &[])?;
    refuse_hidden_filters(state, entry, ctx, &authorized, &query)?;
    to_value(entry.service.delete_in(ids, query, ctx).await?)
}

/// Checks the caller's abilities; answers what the role that allowed the
/// request lets it read.
fn authorize<'s>(
    state: &'s AppState,
    ctx: &CrudContext,
    subjects: &[&Map<String, Value>],
    fields: &[&str],
) -> Result<Authorized<'s>> {
    authorize::authorize(state, ctx, Action::Crud(ctx.verb), subjects, fields)
}

/// Applies what the role that allowed the request lets the caller read:
/// filters and sorts on hidden fields are refused, and, when the answer
/// holds rows (reads, and `patchOne`/`deleteOne` with `returnUpdatedEntity`),
/// the role's projection and the always-excluded fields apply to them.
fn apply_read_rules(
    state: &AppState,
    entry: &ServiceEntry,
    ctx: &mut CrudContext,
    authorized: &Authorized<'_>,
    query: &Map<String, Value>,
    answers_rows: bool,
) -> Result<()> {
    let excluded = refuse_hidden_filters(state, entry, ctx, authorized, query)?;
    if answers_rows {
        project(entry, ctx, authorized.read_fields, excluded)?;
    }
    Ok(())
}

/// Refuses (403, as a read of the field would be) a query or a sort on a
/// field the caller may not read: the rows it matches, their count and their
/// order would tell the field's values. The id is always readable, and a
/// field every `can` rule pins to one value (a limiting key) tells nothing.
/// Answers the service's always-excluded fields.
fn refuse_hidden_filters<'s>(
    state: &'s AppState,
    entry: &ServiceEntry,
    ctx: &CrudContext,
    authorized: &Authorized<'_>,
    query: &Map<String, Value>,
) -> Result<&'s [String]> {
    let excluded = state.authorizer.always_excluded(&ctx.service);
    if authorized.read_fields.is_none() && excluded.is_empty() {
        return Ok(excluded);
    }
    let hidden = |key: &str| {
        let field = key.split('.').next().unwrap_or(key);
        let readable = field == entry.id_field
            || (authorized
                .read_fields
                .is_none_or(|read| read.iter().any(|f| f == field))
                && !excluded.iter().any(|f| f == field));
        !readable && !authorized.pinned_fields.iter().any(|f| f == key)
    };
    let sorted = ctx.options.order_by.iter().flat_map(|order| match order {
        OrderBy::One(map) => std::slice::from_ref(map).iter(),
        OrderBy::Many(maps) => maps.iter(),
    });
    let found = query
        .keys()
        .chain(sorted.flat_map(Map::keys))
        .find(|key| hidden(key));
    match found {
        Some(field) => Err(Error::Denied(Denied {
            role: ctx.role().to_owned(),
            method: ctx.verb.as_str(),
            service: ctx.service.clone(),
            command: None,
            tried: vec![(authorized.role.to_owned(), field.clone())],
        })),
        None => Ok(excluded),
    }
}

/// Applies the role's forced projection and the service's always-excluded fields.
fn project(
    entry: &ServiceEntry,
    ctx: &mut CrudContext,
    role_fields: Option<&[String]>,
    excluded: &[String],
) -> Result<()> {
    if let Some(role_fields) = role_fields {
        let fields = match ctx.options.fields.take() {
            Some(asked) => asked
                .into_iter()
                .filter(|f| role_fields.contains(f))
                .collect(),
            None => role_fields.to_vec(),
        };
        ctx.options.fields = Some(fields);
    }
    for list in [&ctx.options.fields, &ctx.options.exclude] {
        if let Some(unknown) = list
            .iter()
            .flatten()
            .find(|f| !entry.query_validator.has_field(f))
        {
            return Err(Error::InvalidQuery(format!(
                "unknown field {unknown} in options"
            )));
        }
    }
    if let Some(field) = ctx
        .options
        .fields
        .iter()
        .flatten()
        .find(|f| excluded.contains(f))
    {
        return Err(Error::ExcludedField(field.clone()));
    }
    if !excluded.is_empty() {
        let exclude = ctx.options.exclude.get_or_insert_with(Vec::new);
        exclude.extend(excluded.iter().cloned());
    }
    Ok(())
}

/// Clamps the page size to the role's maximum; a missing or zero limit is the maximum.
fn clamp_limit(state: &AppState, ctx: &mut CrudContext, ids: bool) {
    let admin = state.authorizer.roles().is_admin(ctx.role());
    let limits = &state.limits;
    let max = match (ids, admin) {
        (false, false) => limits.non_admin_query_limit,
        (false, true) => limits.admin_query_limit,
        (true, false) => limits.non_admin_query_limit_ids,
        (true, true) => limits.admin_query_limit_ids,
    };
    let limit = match ctx.options.limit {
        Some(n) if n > 0 && (n as u64) <= max => n as u64,
        _ => max,
    };
    ctx.options.limit = Some(limit as i64);
}

/// Checks the length of an id list given in a query's id field (the `many`
/// routes accept one) against the cap of `in` queries.
fn cap_id_list(
    state: &AppState,
    query: &Map<String, Value>,
    list_field: Option<&str>,
) -> Result<()> {
    let max = state.limits.max_find_in_ids_length;
    match list_field.and_then(|field| query.get(field)) {
        Some(Value::Array(ids)) if ids.len() as u64 > max => Err(Error::InRequiredLength {
            max,
            len: ids.len() as u64,
        }),
        _ => Ok(()),
    }
}

/// Removes the id list of an `in` query and checks its length.
fn take_ids(
    state: &AppState,
    entry: &ServiceEntry,
    query: &mut Map<String, Value>,
) -> Result<Vec<Value>> {
    let max = state.limits.max_find_in_ids_length;
    match query.shift_remove(&entry.id_field) {
        Some(Value::Array(ids)) => {
            if ids.is_empty() || ids.len() as u64 > max {
                return Err(Error::InRequiredLength {
                    max,
                    len: ids.len() as u64,
                });
            }
            if !ids.iter().all(Value::is_string) {
                return Err(Error::BadRequest(
                    "the ids of an `in` query must be strings",
                ));
            }
            // The ids follow the id field's rules (no NUL, its size) as a
            // query's list of ids does.
            let mut list = Map::new();
            list.insert(entry.id_field.clone(), Value::Array(ids));
            let list_field = Some(entry.id_field.as_str());
            entry
                .query_validator
                .validate(&mut list, Mode::Query { list_field }, Target::Query)?;
            match list.shift_remove(&entry.id_field) {
                Some(Value::Array(ids)) => Ok(ids),
                _ => Err(Error::Internal("the validated id list went missing")),
            }
        }
        _ => Err(Error::BadRequest(
            "an `in` query needs an array of ids in its id field",
        )),
    }
}

/// The items of a batch body, checked against the role's batch size.
fn batch(state: &AppState, ctx: &CrudContext, body: Option<Value>) -> Result<Vec<Value>> {
    let Some(Value::Array(items)) = body else {
        return Err(Error::PayloadMustBeArray);
    };
    check_batch_size(state, ctx, None, items.len(), None)?;
    Ok(items)
}

fn to_value<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|_| Error::Internal("answer is not serializable"))
}
