//! [`Db`]: the database handle every service shares.

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseConnectionType, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use super::statements::StatementPool;
use super::{postgres, sqlite};
use crate::error::{Error, SetupError};

/// A snapshot of the connection pool ([`Db::pool_stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    /// Connections open and in use.
    pub in_use: u32,
    /// Connections open and waiting for work.
    pub idle: u32,
}

/// A handle on the database: a sea-orm connection pool and its backend.
///
/// Cheap to clone; every clone uses the same pool.
///
/// `Db` runs single statements itself ([`ConnectionTrait`]): on PostgreSQL
/// on connections it keeps between statements, which saves the round trip
/// sqlx's pool spends checking each connection it gets back. Transactions
/// and [`Db::connection`] use the sea-orm pool.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::storage::Db;
///
/// let db = Db::connect("sqlite::memory:").await?;
/// assert_eq!(db.backend(), sea_orm::DbBackend::Sqlite);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    backend: DbBackend,
    pub(super) statements: Option<Arc<StatementPool>>,
}

impl Db {
    /// PostgreSQL connections per server instance unless the application
    /// says otherwise ([`Db::connect_with_pool_size`]); one of them listens
    /// for user changes.
    ///
    /// Sixteen: reads gain nothing past a few connections per core, but
    /// writes with durable commits do, since PostgreSQL flushes the commits
    /// waiting together in one write of its log; on two cores, 16
    /// connections created posts 17–20 % faster than 10, and served reads
    /// as fast (`docs/perf/pool-size.md`).
    pub const DEFAULT_POOL_SIZE: u32 = 16;

    /// Connects to a `sqlite:` or `postgres://` URL.
    ///
    /// SQLite: `sqlite::memory:` is one connection shared by all callers (the
    /// database lives as long as the handle); a file (`sqlite://data/app.db`)
    /// is created with its directory, in WAL mode, with foreign keys on and a
    /// busy timeout. PostgreSQL: a pool of [`Db::DEFAULT_POOL_SIZE`]
    /// connections (see [`Db::connect_with_pool_size`]).
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidSetting`] for a URL of another scheme or that does
    /// not parse; [`Error::Database`] when the database cannot be reached.
    pub async fn connect(url: &str) -> Result<Db, Error> {
        Self::connect_with_pool_size(url, Self::DEFAULT_POOL_SIZE).await
    }

    /// [`Db::connect`] with a PostgreSQL pool of `max_connections` (at least
    /// two: one listens for user changes). A few connections per core of the
    /// database server serve reads best; writes gain from a few more, whose
    /// commits PostgreSQL flushes together. SQLite ignores the size.
    ///
    /// # Errors
    ///
    /// As [`Db::connect`]; [`SetupError::InvalidSetting`] for a size below two.
    pub async fn connect_with_pool_size(url: &str, max_connections: u32) -> Result<Db, Error> {
        if max_connections < 2 {
            return Err(Error::Setup(SetupError::InvalidSetting {
                name: "database pool size",
                reason: "at least 2 connections: one listens for user changes".to_owned(),
            }));
        }
        let conn = if url.starts_with("sqlite:") {
            sqlite::connect(url).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            postgres::connect(url, max_connections).await?
        } else {
            return Err(Error::Setup(SetupError::InvalidSetting {
                name: "database url",
                reason: "expected a sqlite: or postgres:// URL".to_owned(),
            }));
        };
        Ok(Db::from_connection(conn))
    }

    /// Wraps a connection opened elsewhere.
    ///
    /// On a PostgreSQL pool of more than three connections, up to all but
    /// three serve single statements; the rest are left to the user-change
    /// listener and to transactions.
    pub fn from_connection(conn: DatabaseConnection) -> Db {
        let backend = conn.get_database_backend();
        let statements = match &conn.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                StatementPool::new(conn.get_postgres_connection_pool().clone()).map(Arc::new)
            }
            _ => None,
        };
        Db {
            conn,
            backend,
            statements,
        }
    }

    /// The sea-orm connection, for transactions and queries of the
    /// application's own. `&Db` runs single statements faster on PostgreSQL.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// The pool's connections now: in use (by a statement, a transaction
    /// or the user-change listener) and idle. Metrics read it.
    pub fn pool_stats(&self) -> PoolStats {
        let (open, idle) = match &self.conn.inner {
            DatabaseConnectionType::SqlxPostgresPoolConnection(_) => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseConnectionType::SqlxSqlitePoolConnection(_) => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        // The statement pool's idle connections are in use for sqlx.
        let held = self.statements.as_ref().map_or(0, |pool| pool.idle_count());
        let idle = u32::try_from(idle.saturating_add(held)).unwrap_or(u32::MAX);
        PoolStats {
            in_use: open.saturating_sub(idle),
            idle: idle.min(open),
        }
    }

    /// One round trip to the database (readiness uses it).
    ///
    /// # Errors
    ///
    /// The database error, [`Error::DatabaseUnavailable`] when it cannot be
    /// reached.
    pub async fn ping(&self) -> Result<(), Error> {
        Ok(self.conn.ping().await?)
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Begins a transaction that will write.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes cannot fail to upgrade its
    /// lock; the busy timeout makes it wait for other writers instead.
    ///
    /// Dropping the transaction without committing rolls it back.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the transaction cannot start.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, Error> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.conn.begin_with_options(options).await?)
    }

    /// Closes the pool; the other clones can no longer be used.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when closing fails.
    pub async fn close(self) -> Result<(), Error> {
        if let Some(statements) = &self.statements {
            statements.close();
        }
        Ok(self.conn.close().await?)
    }
}

/// Single statements: on PostgreSQL on the connections `Db` keeps, else on
/// the sea-orm pool.
#[async_trait::async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match &self.statements {
            Some(statements) => statements.execute(stmt).await,
            None => self.conn.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.conn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match &self.statements {
            Some(statements) => statements.query_one(stmt).await,
            None => self.conn.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match &self.statements {
            Some(statements) => statements.query_all(stmt).await,
            None => self.conn.query_all_raw(stmt).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ConnectionTrait;

    use super::*;

    #[tokio::test]
    async fn refuses_other_schemes() {
        let err = Db::connect("mysql://localhost/db")
            .await
            .expect_err("mysql");
        assert!(
            matches!(err, Error::Setup(SetupError::InvalidSetting { .. })),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn every_clone_of_a_memory_database_sees_the_same_data() {
        let db = Db::connect("sqlite::memory:").await.expect("connect");
        let other = db.clone();
        db.connection()
            .execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .expect("create");
        let writer = tokio::spawn(async move {
            other
                .connection()
                .execute_unprepared("INSERT INTO t VALUES (1)")
                .await
                .expect("insert");
        });
        writer.await.expect("writer");
        let txn = db.begin_write().await.expect("begin");
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(
                db.backend(),
                "SELECT COUNT(*) AS n FROM t",
            ))
            .await
            .expect("count")
            .expect("row");
        assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
        txn.commit().await.expect("commit");
    }
}
