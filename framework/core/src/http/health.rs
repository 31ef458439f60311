//! Health for load balancers and orchestrators.
//!
//! - `GET /crud/health/live`: the process answers; no I/O. 200
//!   `{"status":"live"}`.
//! - `GET /crud/health/ready`: the instance can serve. 200
//!   `{"status":"ready","checks":{…}}` when every check passes, else 503
//!   `{"status":"unavailable","checks":{…}}` naming each check's state:
//!   - `database`: a round trip to the database within [`DATABASE_TIMEOUT`]
//!     (`ok`, `unreachable` or `timedOut`);
//!   - `userListener` (PostgreSQL with a user service): whether the
//!     listener that keeps the user cache true is connected (`ok` or
//!     `disconnected`);
//!   - `server`: `draining` once shutdown has begun, else `ok`;
//!   - `schema` (an application with a migrator): `ok` when the database's
//!     applied migrations are the code's, `behind` when some are pending,
//!     `ahead` when the database has one the code does not know
//!     ([`SchemaState`](crate::migration::SchemaState)), `unreachable` or
//!     `timedOut` as for `database` (and without asking, when `database`
//!     is not `ok`).
//!
//! `GET /crud/rdy` keeps eicrud's meaning: `true` while the process answers.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::DbBackend;
use serde_json::{Map, Value, json};

use super::json_response;
use crate::app::AppState;
use crate::migration::Migrations;

/// Longest wait for the database's answer before readiness says `timedOut`.
pub(crate) const DATABASE_TIMEOUT: Duration = Duration::from_secs(1);

/// `GET /crud/health/live`.
pub(crate) fn live() -> Response {
    json_response(StatusCode::OK, &json!({ "status": "live" }))
}

/// `GET /crud/health/ready`.
pub(crate) async fn ready(state: &AppState) -> Response {
    let mut checks = Map::new();
    let mut ready = true;
    let mut record = |name: &str, state: &'static str| {
        ready &= state == "ok";
        checks.insert(name.to_owned(), Value::String(state.to_owned()));
    };
    let draining = state.draining.load(Ordering::Acquire);
    record("server", if draining { "draining" } else { "ok" });
    let database = match tokio::time::timeout(DATABASE_TIMEOUT, state.db.ping()).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            "unreachable"
        }
        Err(_) => "timedOut",
    };
    record("database", database);
    if let Some(migrations) = &state.migrations {
        // Not asked of a database that just failed to answer.
        let schema = if database == "ok" {
            schema_state(state, migrations).await
        } else {
            database
        };
        record("schema", schema);
    }
    if let Some(users) = state
        .users
        .as_ref()
        .filter(|_| state.db.backend() == DbBackend::Postgres)
    {
        let listening = users.hears_user_changes();
        record(
            "userListener",
            if listening { "ok" } else { "disconnected" },
        );
    }
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    json_response(status, &json!({ "status": word, "checks": checks }))
}

/// The `schema` check: how the database's applied migrations compare with
/// the code's.
async fn schema_state(state: &AppState, migrations: &Migrations) -> &'static str {
    match tokio::time::timeout(DATABASE_TIMEOUT, migrations.schema_state(&state.db)).await {
        Ok(Ok(schema)) => schema.as_str(),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the applied migrations cannot be read");
            "unreachable"
        }
        Err(_) => "timedOut",
    }
}
