//! The OpenAPI 3.1 document of an application, built once at start from its
//! services and commands and served at `GET /crud/openapi.json`.
//!
//! Schemas come from the same schemars schemas that drive validation, so the
//! document cannot drift from what the server accepts. Every route a service
//! serves is listed (eicrud's §6.1 table), with `query` and `options` as
//! JSON-content query parameters and eicrud's error body as the default
//! answer.

use serde_json::{Map, Value, json};

use crate::command::CommandSpec;
use crate::shared::{CrudOptions, WireError};

/// What the document needs to know of one served service.
#[derive(Debug)]
pub(crate) struct ServiceDoc<'a> {
    pub(crate) name: &'a str,
    pub(crate) type_name: &'a str,
    pub(crate) schema: &'a schemars::Schema,
    pub(crate) id_field: &'a str,
    pub(crate) secret_fields: Vec<&'a str>,
    /// Fields only the server writes (`x-managed`): read-only, never in data.
    pub(crate) managed_fields: Vec<&'a str>,
    /// Fields reads never return (`always_exclude_fields`).
    pub(crate) always_excluded: Vec<&'a str>,
    /// The limiting keys each role's rules pin, for reads, patches and deletes.
    pub(crate) limiting_keys: LimitingKeys<'a>,
    pub(crate) commands: Vec<&'a CommandSpec>,
}

/// Per role, the fields a query must pin for that role's rules to pass
/// ([`Authorizer::limiting_keys`](crate::security::Authorizer::limiting_keys)).
#[derive(Debug, Default)]
pub(crate) struct LimitingKeys<'a> {
    pub(crate) read: Vec<(&'a str, &'a [String])>,
    pub(crate) patch: Vec<(&'a str, &'a [String])>,
    pub(crate) delete: Vec<(&'a str, &'a [String])>,
}

/// Longest text of the `fields`, `exclude` and `populate` options.
const OPTION_LIST_MAX_SIZE: usize = 300;

/// Fields the framework keeps; clients read them but never write them.
const MANAGED: &[&str] = &["createdAt", "updatedAt"];

/// What the document says of the application as a whole.
#[derive(Debug)]
pub(crate) struct AppDoc<'a> {
    pub(crate) title: &'a str,
    pub(crate) version: &'a str,
    /// The declared roles, which `mockRole` may name.
    pub(crate) roles: Vec<&'a str>,
    /// Most ids an `in` query may list.
    pub(crate) max_in_ids: u64,
}

/// Builds the document.
pub(crate) fn document(app: &AppDoc<'_>, services: &[ServiceDoc<'_>]) -> Value {
    let roles = &app.roles;
    let mut components = Map::new();
    // The whole type, for reference; each operation names what it takes.
    absorb(
        &mut components,
        "CrudOptions",
        &schemars::schema_for!(CrudOptions),
    );
    let error = absorb(
        &mut components,
        "ErrorBody",
        &schemars::schema_for!(WireError),
    );
    components.insert("PatchResponse".into(), count_schema("updated"));
    components.insert("DeleteResponse".into(), count_schema("deleted"));
    let mut paths = Map::new();
    paths.insert(
        "/crud/rdy".into(),
        json!({"get": {
            "operationId": "ready",
            "summary": "Readiness: answers true",
            "responses": {"200": ok_json(json!({"type": "boolean"}))},
        }}),
    );
    let health = json!({"type": "object", "required": ["status"], "properties": {
        "status": {"enum": ["live", "ready", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    }});
    paths.insert(
        "/crud/health/live".into(),
        json!({"get": {
            "operationId": "health_live",
            "summary": "Liveness: the process answers (no I/O)",
            "responses": {"200": ok_json(health.clone())},
        }}),
    );
    paths.insert(
        "/crud/health/ready".into(),
        json!({"get": {
            "operationId": "health_ready",
            "summary": "Readiness: the database answers within 1 s, the user listener is connected (PostgreSQL), the server is not draining",
            "responses": {
                "200": ok_json(health.clone()),
                "503": {"description": "Not ready: each check's state", "content": {"application/json": {"schema": health}}},
            },
        }}),
    );
    paths.insert(
        "/crud/openapi.json".into(),
        json!({"get": {
            "operationId": "openapi",
            "summary": "This document",
            "responses": {"200": ok_json(json!({"type": "object"}))},
        }}),
    );
    let command_options = json!({"type": "object", "additionalProperties": false, "properties": {
        "mockRole": {"enum": roles, "description": "Act as one of the user's inherited roles (roles that may mock)"},
        "jwtCookie": {"type": "boolean", "description": "Keep the session in an HttpOnly cookie with a CSRF token (login)"},
    }});
    components.insert("CommandOptions".into(), command_options);
    let context = Context {
        command_options: reference("CommandOptions"),
        error,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        max_in_ids: app.max_in_ids,
    };
    for service in services {
        add_service(&mut paths, &mut components, &context, service);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": app.title, "version": app.version},
        "paths": paths,
        "components": {"schemas": components},
    })
}

struct Context {
    command_options: Value,
    error: Value,
    roles: Vec<String>,
    max_in_ids: u64,
}

fn add_service(
    paths: &mut Map<String, Value>,
    components: &mut Map<String, Value>,
    context: &Context,
    service: &ServiceDoc<'_>,
) {
    let t = service.type_name;
    let entity = entity_schema(service);
    components.insert(t.to_owned(), entity.clone());
    components.insert(format!("{t}Query"), query_schema(&entity, service.id_field));
    components.insert(
        format!("{t}InQuery"),
        in_query_schema(&entity, service.id_field, context.max_in_ids),
    );
    components.insert(format!("{t}Data"), data_schema(&entity, service, true));
    components.insert(format!("{t}Patch"), data_schema(&entity, service, false));
    components.insert(
        format!("{t}PatchOne"),
        json!({"allOf": [reference(&format!("{t}Patch"))], "minProperties": 1}),
    );
    components.insert(
        format!("{t}Page"),
        json!({"type": "object", "required": ["data"], "properties": {
            "data": {"type": "array", "items": reference(t)},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
        }}),
    );
    let readable = readable_fields(&entity, service);
    for kind in OptionsKind::ALL {
        components.insert(
            format!("{t}{}", kind.suffix()),
            options_schema(kind, &readable, &context.roles),
        );
    }
    let row = reference(t);
    let query_schema = reference(&format!("{t}Query"));
    let keys = &service.limiting_keys;
    let read_query = query_param(&query_schema, false, &keys.read);
    let in_query_schema = reference(&format!("{t}InQuery"));
    let in_read_query = query_param(&in_query_schema, true, &keys.read);
    let in_patch_query = query_param(&in_query_schema, true, &keys.patch);
    let in_delete_query = query_param(&in_query_schema, true, &keys.delete);
    let patch_query = query_param(&query_schema, false, &keys.patch);
    let required_patch_query = query_param(&query_schema, true, &keys.patch);
    let patch_one_data = reference(&format!("{t}PatchOne"));
    let delete_query = query_param(&query_schema, false, &keys.delete);
    let required_delete_query = query_param(&query_schema, true, &keys.delete);
    let options_of =
        |kind: OptionsKind| options_param(&reference(&format!("{t}{}", kind.suffix())));
    let read_options = options_of(OptionsKind::Read);
    let one_write_options = options_of(OptionsKind::OneWrite);
    let write_options = options_of(OptionsKind::Write);
    let create_options = options_of(OptionsKind::Create);
    let command_options = options_param(&context.command_options);
    let base = format!("/crud/s/{}", service.name);
    let s = service.name;
    let op = |id: &str,
              summary: &str,
              params: Vec<Value>,
              body: Option<Value>,
              status: &str,
              answer: Option<Value>| {
        operation(
            context,
            &format!("{s}_{id}"),
            summary,
            params,
            body,
            status,
            answer,
        )
    };
    let page = reference(&format!("{t}Page"));
    let ids_page = json!({"type": "object", "required": ["data"], "properties": {
        "data": {"type": "array", "items": {"type": "string"}},
        "total": {"type": "integer"},
        "limit": {"type": "integer"},
    }});
    let patch_answer = reference("PatchResponse");
    let delete_answer = reference("DeleteResponse");
    let data = reference(&format!("{t}Data"));
    let patch_data = reference(&format!("{t}Patch"));
    paths.insert(format!("{base}/one"), json!({
        "post": op("create", "Creates one row", vec![create_options.clone()], Some(data.clone()), "201", Some(row.clone())),
        "get": op("findOne", "Reads the first row matching the query, or null", vec![read_query.clone(), read_options.clone()], None, "200", Some(json!({"oneOf": [row, {"type": "null"}]}))),
        "patch": op("patchOne", "Updates the first row matching the query", vec![required_patch_query, one_write_options.clone()], Some(patch_one_data), "200", Some(patch_answer.clone())),
        "delete": op("deleteOne", "Deletes the first row matching the query", vec![required_delete_query.clone(), one_write_options], None, "200", Some(delete_answer.clone())),
    }));
    paths.insert(format!("{base}/many"), json!({
        "get": op("find", "Reads one page of the rows matching the query", vec![read_query.clone(), read_options.clone()], None, "200", Some(page.clone())),
        "patch": op("patch", "Updates every row matching the query", vec![patch_query, write_options.clone()], Some(patch_data.clone()), "200", Some(patch_answer.clone())),
        "delete": op("delete", "Deletes every row matching the query", vec![delete_query, write_options.clone()], None, "200", Some(delete_answer.clone())),
    }));
    paths.insert(format!("{base}/in"), json!({
        "get": op("findIn", "Reads the rows whose ids are listed in the query's id field", vec![in_read_query, read_options.clone()], None, "200", Some(page)),
        "patch": op("patchIn", "Updates the rows whose ids are listed", vec![in_patch_query, write_options.clone()], Some(patch_data), "200", Some(patch_answer.clone())),
        "delete": op("deleteIn", "Deletes the rows whose ids are listed", vec![in_delete_query, write_options.clone()], None, "200", Some(delete_answer)),
    }));
    paths.insert(format!("{base}/ids"), json!({
        "get": op("findIds", "Reads the ids of the rows matching the query", vec![read_query, read_options], None, "200", Some(ids_page)),
    }));
    let batch_patch = json!({"type": "array", "minItems": 1, "items": {"type": "object", "required": ["query", "data"], "additionalProperties": false, "properties": {
        "query": reference(&format!("{t}Query")),
        "data": reference(&format!("{t}Patch")),
    }}});
    paths.insert(format!("{base}/batch"), json!({
        "post": op("createBatch", "Creates several rows in one transaction", vec![create_options], Some(json!({"type": "array", "minItems": 1, "items": data})), "201", Some(json!({"type": "array", "items": reference(t)}))),
        "patch": op("patchBatch", "Applies several updates in one transaction", vec![write_options], Some(batch_patch), "200", Some(json!({"type": "array", "items": patch_answer}))),
    }));
    for command in &service.commands {
        let dto = absorb(components, &command.dto_type, &command.dto_schema);
        let answer = command_answer(components, command);
        let mut item = Map::new();
        let name = &command.name;
        let id = |method: &str| format!("{s}_cmd_{name}_{method}");
        let summary = format!("Command {name}");
        item.insert(
            "post".into(),
            operation(
                context,
                &id("post"),
                &format!("{summary} (secure mode)"),
                vec![command_options.clone()],
                Some(dto.clone()),
                "201",
                answer.clone(),
            ),
        );
        let settings = &command.settings;
        if !settings.secure_only {
            item.insert(
                "patch".into(),
                operation(
                    context,
                    &id("patch"),
                    &summary,
                    vec![command_options.clone()],
                    Some(dto.clone()),
                    "200",
                    answer.clone(),
                ),
            );
        }
        if settings.allow_get {
            item.insert(
                "get".into(),
                operation(
                    context,
                    &id("get"),
                    &format!("{summary} (DTO in the query parameter)"),
                    vec![query_param(&dto, true, &[]), command_options.clone()],
                    None,
                    "200",
                    answer.clone(),
                ),
            );
        }
        paths.insert(format!("{base}/cmd/{name}"), Value::Object(item));
    }
}

fn operation(
    context: &Context,
    id: &str,
    summary: &str,
    parameters: Vec<Value>,
    body: Option<Value>,
    status: &str,
    answer: Option<Value>,
) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".into(), Value::String(id.to_owned()));
    operation.insert("summary".into(), Value::String(summary.to_owned()));
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = body {
        operation.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": body}}}),
        );
    }
    let success = match answer {
        Some(schema) => ok_json(schema),
        None => json!({"description": "Empty body"}),
    };
    operation.insert("responses".into(), json!({
        status: success,
        "default": {"description": "eicrud error body, with the stable code at the top level", "content": {"application/json": {"schema": context.error}}},
    }));
    operation.insert("security".into(), json!([{}, {"bearer": []}]));
    Value::Object(operation)
}

fn ok_json(schema: Value) -> Value {
    json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
}

/// The `query` parameter; `limiting_keys` are what each role's rules need
/// in it, listed in the description and as `x-limiting-keys`.
fn query_param(schema: &Value, required: bool, limiting_keys: &[(&str, &[String])]) -> Value {
    let mut description = String::from("JSON text: an equality filter on the entity's fields");
    let mut keys = Map::new();
    for (role, fields) in limiting_keys {
        let pinned = fields
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        description.push_str(&format!(
            ". Role `{role}`: must hold {pinned}, as its rules name them (its own id, say)"
        ));
        keys.insert((*role).to_owned(), json!(fields));
    }
    let mut param = json!({"name": "query", "in": "query", "required": required, "description": description, "content": {"application/json": {"schema": schema}}});
    if !keys.is_empty()
        && let Some(object) = param.as_object_mut()
    {
        object.insert("x-limiting-keys".into(), Value::Object(keys));
    }
    param
}

fn options_param(schema: &Value) -> Value {
    json!({"name": "options", "in": "query", "required": false, "description": "JSON text: the options this operation takes", "content": {"application/json": {"schema": schema}}})
}

/// Which options an operation takes.
#[derive(Debug, Clone, Copy)]
enum OptionsKind {
    /// Reads: paging, projection and order.
    Read,
    /// `patchOne`, `deleteOne`: the returned row and its projection.
    OneWrite,
    /// Patches and deletes of many rows.
    Write,
    /// Creates: the client's own id.
    Create,
}

impl OptionsKind {
    const ALL: [OptionsKind; 4] = [Self::Read, Self::OneWrite, Self::Write, Self::Create];

    fn suffix(self) -> &'static str {
        match self {
            Self::Read => "ReadOptions",
            Self::OneWrite => "OneWriteOptions",
            Self::Write => "WriteOptions",
            Self::Create => "CreateOptions",
        }
    }
}

/// The options of `kind` as the server checks them: no `null`s, no
/// negative numbers, only fields the service returns, known sort
/// directions. Options that need an option ability are listed where they
/// apply; whether the caller holds it, the document cannot say.
fn options_schema(kind: OptionsKind, readable: &[String], roles: &[String]) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "mockRole".into(),
        json!({"enum": roles, "description": "Act as one of the user's inherited roles (roles that may mock)"}),
    );
    properties.insert(
        "skipServiceHooks".into(),
        json!({"type": "boolean", "description": "Skip the service hooks (needs an option ability)"}),
    );
    let field_list = |what: &str| json!({"type": "array", "items": {"enum": readable}, "uniqueItems": true, "maxItems": list_cap(readable), "description": what});
    match kind {
        OptionsKind::Read => {
            properties.insert("limit".into(), json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "description": "Page size; 0 or more than the role's maximum is the maximum"}));
            properties.insert("offset".into(), json!({"type": "integer", "minimum": 0, "maximum": i64::MAX, "description": "Rows to skip"}));
            properties.insert(
                "fields".into(),
                field_list("Only these fields in the answer (the id is always included)"),
            );
            properties.insert(
                "exclude".into(),
                field_list("These fields left out of the answer"),
            );
            properties.insert("orderBy".into(), json!({"type": "object", "propertyNames": {"enum": readable}, "additionalProperties": {"enum": ["asc", "desc", "ASC", "DESC", 1, -1]}, "description": "Sort order, keys in order of precedence"}));
        }
        OptionsKind::OneWrite => {
            properties.insert("returnUpdatedEntity".into(), json!({"type": "boolean", "description": "Answer the row too (needs an option ability)"}));
            properties.insert(
                "fields".into(),
                field_list("Only these fields in the returned row"),
            );
            properties.insert(
                "exclude".into(),
                field_list("These fields left out of the returned row"),
            );
        }
        OptionsKind::Write => {}
        OptionsKind::Create => {
            properties.insert("allowIdOverride".into(), json!({"type": "boolean", "description": "Let the client choose the id (needs an option ability)"}));
        }
    }
    json!({"type": "object", "additionalProperties": false, "properties": properties})
}

/// The most names of `fields` a list option may hold within its size limit
/// (the JSON text of the longest names, with quotes and commas).
fn list_cap(fields: &[String]) -> usize {
    let mut sizes: Vec<usize> = fields
        .iter()
        .map(|f| f.encode_utf16().count() + 3)
        .collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let mut total = 2;
    let mut cap = 0;
    for size in sizes {
        if total + size > OPTION_LIST_MAX_SIZE {
            break;
        }
        total += size;
        cap += 1;
    }
    cap
}

/// The fields a read may return: the entity's, without secret and
/// always-excluded ones.
fn readable_fields(entity: &Value, service: &ServiceDoc<'_>) -> Vec<String> {
    entity
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .keys()
                .filter(|f| !service.always_excluded.contains(&f.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn count_schema(row: &str) -> Value {
    json!({"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}, row: {"type": "object"}}})
}

/// The answer schema of a command: `None` for an empty body (`()`), objects
/// as components, anything else inline.
fn command_answer(components: &mut Map<String, Value>, command: &CommandSpec) -> Option<Value> {
    let value = command.return_schema.as_value();
    if value.get("type") == Some(&Value::String("null".into())) {
        return None;
    }
    if value.get("type") == Some(&Value::String("object".into())) {
        return Some(absorb(
            components,
            &command.return_type,
            &command.return_schema,
        ));
    }
    let mut inline = value.clone();
    strip_root(&mut inline, components);
    Some(inline)
}

/// Moves a root schema (and its `$defs`) into the components; answers a reference.
fn absorb(components: &mut Map<String, Value>, name: &str, schema: &schemars::Schema) -> Value {
    let mut value = schema.as_value().clone();
    strip_root(&mut value, components);
    components.insert(name.to_owned(), value);
    reference(name)
}

/// Drops `$schema`, moves `$defs` into the components and points references there.
fn strip_root(value: &mut Value, components: &mut Map<String, Value>) {
    if let Some(object) = value.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (name, mut def) in defs {
                rewrite_refs(&mut def);
                components.insert(name, def);
            }
        }
    }
    rewrite_refs(value);
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get_mut("$ref")
                && let Some(name) = target.strip_prefix("#/$defs/")
            {
                *target = format!("#/components/schemas/{name}");
            }
            object.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// The entity as clients read it: secrets removed, framework fields read-only.
fn entity_schema(service: &ServiceDoc<'_>) -> Value {
    let mut value = service.schema.as_value().clone();
    let mut ignored = Map::new();
    strip_root(&mut value, &mut ignored);
    if let Some(object) = value.as_object_mut() {
        object.insert("title".into(), Value::String(service.type_name.to_owned()));
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            for secret in &service.secret_fields {
                properties.shift_remove(*secret);
            }
            let read_only = MANAGED.iter().chain([&service.id_field]);
            for field in read_only.chain(&service.managed_fields) {
                if let Some(Value::Object(property)) = properties.get_mut(*field) {
                    property.insert("readOnly".into(), Value::Bool(true));
                }
            }
        }
        if let Some(Value::Array(required)) = object.get_mut("required") {
            required.retain(|f| {
                f.as_str()
                    .is_some_and(|f| !service.secret_fields.contains(&f))
            });
        }
    }
    value
}

/// Any subset of the fields; the id may be a list (`many` and `in` routes).
fn query_schema(entity: &Value, id_field: &str) -> Value {
    let mut value = entity.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("required");
        object.remove("title");
        object.insert("additionalProperties".into(), Value::Bool(false));
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            for property in properties.values_mut() {
                if let Some(p) = property.as_object_mut() {
                    p.remove("readOnly");
                }
            }
            if let Some(id) = properties.get(id_field).cloned() {
                properties.insert(
                    id_field.to_owned(),
                    json!({"oneOf": [id, {"type": "array", "items": id}]}),
                );
            }
        }
    }
    value
}

/// The query of the `in` routes: the id field holds 1 to `max_ids` ids.
fn in_query_schema(entity: &Value, id_field: &str, max_ids: u64) -> Value {
    let mut value = query_schema(entity, id_field);
    let id = entity
        .pointer(&format!("/properties/{id_field}"))
        .cloned()
        .unwrap_or_else(|| json!({"type": "string"}));
    if let Some(object) = value.as_object_mut() {
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.insert(
                id_field.to_owned(),
                json!({"type": "array", "items": id, "minItems": 1, "maxItems": max_ids}),
            );
        }
        object.insert("required".into(), json!([id_field]));
    }
    value
}

/// What a client writes: no framework or managed fields; on create the
/// entity's required fields.
fn data_schema(entity: &Value, service: &ServiceDoc<'_>, create: bool) -> Value {
    let id_field = service.id_field;
    let written_by_server =
        |f: &str| f == id_field || MANAGED.contains(&f) || service.managed_fields.contains(&f);
    let mut value = entity.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("title");
        object.insert("additionalProperties".into(), Value::Bool(false));
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.retain(|field, _| !written_by_server(field));
        }
        if create {
            if let Some(Value::Array(required)) = object.get_mut("required") {
                required.retain(|f| f.as_str().is_some_and(|f| !written_by_server(f)));
            }
        } else {
            object.remove("required");
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_point_into_components() {
        let mut components = Map::new();
        let reference = absorb(
            &mut components,
            "CrudOptions",
            &schemars::schema_for!(CrudOptions),
        );
        assert_eq!(
            reference,
            json!({"$ref": "#/components/schemas/CrudOptions"})
        );
        let text = Value::Object(components).to_string();
        assert!(!text.contains("#/$defs/"), "{text}");
        assert!(!text.contains("$schema"));
    }
}
