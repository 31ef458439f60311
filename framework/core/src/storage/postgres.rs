//! PostgreSQL specifics: connection options.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
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
        // error drops it from the pool.
        .test_before_acquire(false)
        .connect_with(options.disable_statement_logging())
        .await
        .map_err(|err| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))))?;
    Ok(DatabaseConnection::from(pool))
}
