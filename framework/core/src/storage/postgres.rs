//! PostgreSQL specifics: connection options, advisory locks.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::{Func, PostgresQueryBuilder, Query};
use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::Connection as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};
use sea_query_sqlx::SqlxBinder as _;

use super::db::Db;

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

/// A session-level advisory lock (`pg_advisory_lock`), held on a connection
/// of its own, outside the pool, for as long as this value lives.
///
/// Dropping it closes the connection, and PostgreSQL releases a session's
/// advisory locks when the session ends: a process that dies or a future
/// dropped mid-way cannot leave the lock taken.
#[derive(Debug)]
pub(crate) struct AdvisoryLock {
    connection: PgConnection,
}

impl AdvisoryLock {
    /// Opens a connection with the pool's options and waits there until
    /// lock `key` is free, then takes it.
    pub(crate) async fn acquire(db: &Db, key: i64) -> Result<Self, Error> {
        let options = db
            .connection()
            .get_postgres_connection_pool()
            .connect_options();
        let mut connection = PgConnection::connect_with(&options)
            .await
            .map_err(|err| Error::from(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))))?;
        let (sql, values) = Query::select()
            .expr(Func::cust("pg_advisory_lock").arg(key))
            .build_sqlx(PostgresQueryBuilder);
        sea_orm::sqlx::query_with(sea_orm::sqlx::AssertSqlSafe(sql), values)
            .execute(&mut connection)
            .await
            .map_err(|err| Error::from(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))))?;
        Ok(Self { connection })
    }

    /// Ends the session, which releases the lock.
    pub(crate) async fn release(self) {
        // A failed goodbye still closes the socket, which ends the session.
        let _closed = self.connection.close().await;
    }
}
