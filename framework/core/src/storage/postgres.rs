//! PostgreSQL specifics: connection options.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use crate::error::{Error, SetupError};

/// Connections per server instance.
const POOL_SIZE: u32 = 10;

/// Opens a `postgres://` URL with a pool of ten connections.
pub(crate) async fn connect(url: &str) -> Result<DatabaseConnection, Error> {
    let options = PgConnectOptions::from_str(url).map_err(|err| {
        // The URL may hold a password: say what is wrong, not what it is.
        Error::Setup(SetupError::InvalidSetting {
            name: "database url",
            reason: format!("invalid PostgreSQL URL: {err}"),
        })
    })?;
    connect_with(options, POOL_SIZE).await
}

/// Opens a pool with explicit options.
pub(crate) async fn connect_with(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<DatabaseConnection, Error> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.disable_statement_logging())
        .await
        .map_err(|err| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))))?;
    Ok(DatabaseConnection::from(pool))
}
