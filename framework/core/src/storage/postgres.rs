//! PostgreSQL specifics: connection options.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use crate::error::{Error, SetupError};

/// Opens a `postgres://` URL with a pool of `max_connections`.
pub(crate) async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, Error> {
    let options = PgConnectOptions::from_str(url).map_err(|err| {
        // The URL may hold a password: say what is wrong, not what it is.
        Error::Setup(SetupError::InvalidSetting {
            name: "database url",
            reason: format!("invalid PostgreSQL URL: {err}"),
        })
    })?;
    connect_with(options, max_connections).await
}

/// A pooled connection idle this long is pinged before use.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens a pool with explicit options.
pub(crate) async fn connect_with(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<DatabaseConnection, Error> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // No ping before each use: it doubles the round trips of a one-query
        // request. A connection that died is found by the query itself, whose
        // error drops it from the pool. Only a connection idle for a while
        // is pinged first: after a database restart with no traffic, every
        // idle connection is dead, and each would otherwise fail a request.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options.disable_statement_logging())
        .await
        .map_err(|err| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))))?;
    Ok(DatabaseConnection::from(pool))
}
