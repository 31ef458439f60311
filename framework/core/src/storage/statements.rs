//! PostgreSQL connections for single statements, kept out of sqlx's pool
//! between uses.
//!
//! sqlx's pool pings every connection it gets back (a `Sync` and its
//! `ReadyForQuery`), so a request that runs one statement pays two round
//! trips to the server and a spawned task. The connections here are taken
//! from that pool once and handed from statement to statement directly:
//! one round trip per statement.
//!
//! - At most `max_connections - RESERVED` connections are held, so the
//!   listener and transactions, which use the sqlx pool, always find some.
//! - A connection idle for longer than [`IDLE_CHECK`] is pinged before use;
//!   one that fails is closed and another taken.
//! - A connection comes back only from a statement that finished, or failed
//!   with an SQL error other than the server ending the session. After an
//!   I/O or protocol error, or when the caller stopped waiting
//!   mid-statement, it goes back to the sqlx pool, whose release ping
//!   drains it or closes it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sea_orm::sea_query::Values;
use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::postgres::PgPool;
use sea_orm::sqlx::{self, Connection as _, Postgres};
use sea_orm::{ConnAcquireErr, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use sea_query_sqlx::SqlxValues;
use tokio::sync::Semaphore;

/// Connections of the sqlx pool left to it: one for the user-change
/// listener, two for transactions.
const RESERVED: u32 = 3;

/// How long a caller waits for a connection, as for the sqlx pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Idle time after which a connection is pinged before use: under load no
/// connection waits that long, and after a database restart with no traffic
/// every idle one is dead and would otherwise fail a request.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Connections for single statements, taken from a sqlx pool.
#[derive(Debug)]
pub(crate) struct StatementPool {
    pool: PgPool,
    permits: Semaphore,
    idle: Mutex<Idle>,
}

#[derive(Debug, Default)]
struct Idle {
    connections: Vec<(PoolConnection<Postgres>, Instant)>,
    closed: bool,
}

impl StatementPool {
    /// Connections for single statements from `pool`; `None` when the pool
    /// is too small to spare any beside [`RESERVED`].
    pub(crate) fn new(pool: PgPool) -> Option<Self> {
        let max = pool.options().get_max_connections();
        let held = max.checked_sub(RESERVED).filter(|&held| held > 0)?;
        Some(Self {
            pool,
            permits: Semaphore::new(usize::try_from(held).unwrap_or(1)),
            idle: Mutex::new(Idle::default()),
        })
    }

    /// Runs a statement that returns no rows.
    pub(crate) async fn execute(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let mut lease = self.lease().await?;
        let result = query(&stmt.sql, stmt.values)
            .execute(lease.connection())
            .await;
        lease.finish(result.as_ref().err());
        result
            .map(ExecResult::from)
            .map_err(|err| DbErr::Exec(RuntimeErr::SqlxError(err.into())))
    }

    /// Runs a query and returns its first row.
    pub(crate) async fn query_one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut lease = self.lease().await?;
        let result = query(&stmt.sql, stmt.values)
            .fetch_optional(lease.connection())
            .await;
        lease.finish(result.as_ref().err());
        result
            .map(|row| row.map(QueryResult::from))
            .map_err(query_error)
    }

    /// Runs a query and returns all its rows.
    pub(crate) async fn query_all(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut lease = self.lease().await?;
        let result = query(&stmt.sql, stmt.values)
            .fetch_all(lease.connection())
            .await;
        lease.finish(result.as_ref().err());
        result
            .map(|rows| rows.into_iter().map(QueryResult::from).collect())
            .map_err(query_error)
    }

    /// Gives the idle connections back to the sqlx pool and keeps the ones
    /// in use from coming back, so that the pool can close.
    pub(crate) fn close(&self) {
        let drained = {
            let mut idle = self.lock();
            idle.closed = true;
            std::mem::take(&mut idle.connections)
        };
        drop(drained);
    }

    async fn lease(&self) -> Result<Lease<'_>, DbErr> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        let mut lease = Lease {
            owner: self,
            connection: None,
            usable: false,
            _permit: permit,
        };
        loop {
            let idle = self.lock().connections.pop();
            let Some((mut connection, since)) = idle else {
                break;
            };
            if since.elapsed() < IDLE_CHECK || connection.ping().await.is_ok() {
                lease.connection = Some(connection);
                return Ok(lease);
            }
            // Dropped: the sqlx pool finds it broken and closes it.
        }
        let connection = tokio::time::timeout(ACQUIRE_TIMEOUT, self.pool.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(acquire_error)?;
        lease.connection = Some(connection);
        Ok(lease)
    }

    /// Connections held here between statements.
    pub(crate) fn idle_count(&self) -> usize {
        self.lock().connections.len()
    }

    /// Takes back a connection after a statement that left it usable.
    fn give_back(&self, connection: PoolConnection<Postgres>) {
        let mut idle = self.lock();
        if !idle.closed {
            idle.connections.push((connection, Instant::now()));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Idle> {
        // The lists stay consistent across a panic: push and pop only.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for StatementPool {
    fn drop(&mut self) {
        // A pooled connection returns itself through a spawned task; with no
        // runtime left (a handle dropped at exit), close the sockets instead.
        if tokio::runtime::Handle::try_current().is_err() {
            let idle = self.idle.get_mut().unwrap_or_else(PoisonError::into_inner);
            for (connection, _) in idle.connections.drain(..) {
                drop(connection.leak());
            }
        }
    }
}

/// One connection in use, with its permit.
struct Lease<'a> {
    owner: &'a StatementPool,
    connection: Option<PoolConnection<Postgres>>,
    /// Set when the statement finished in a way that leaves the connection
    /// ready for the next one.
    usable: bool,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Lease<'_> {
    fn connection(&mut self) -> &mut sqlx::PgConnection {
        // Set by `lease` before the lease is handed out.
        self.connection
            .as_deref_mut()
            .expect("a lease holds its connection until dropped")
    }

    /// Records how the statement ended: a connection whose statement failed
    /// for another reason than SQL, or because the server ended the session
    /// (shutting down), is not reused.
    fn finish(&mut self, error: Option<&sqlx::Error>) {
        self.usable = match error {
            None => true,
            Some(err @ sqlx::Error::Database(_)) => !crate::error::sqlx_unavailable(err),
            Some(_) => false,
        };
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // A connection not given back is dropped: back to the sqlx pool,
        // which pings it.
        if let Some(connection) = self.connection.take()
            && self.usable
        {
            self.owner.give_back(connection);
        }
    }
}

/// A statement's text and its values (moved, not cloned) as a sqlx query.
fn query(sql: &str, values: Option<Values>) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = values.unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(sql), SqlxValues(values))
}

fn query_error(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(err.into()))
}

fn acquire_error(err: sqlx::Error) -> DbErr {
    match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        other => DbErr::Conn(RuntimeErr::SqlxError(other.into())),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};

    use super::*;
    use crate::storage::Db;
    use crate::storage::testing::TestDb;

    /// Runs `body` on a fresh PostgreSQL database (pool of five: two
    /// connections for statements), when the tests have one.
    async fn on_postgres<F, Fut>(name: &str, body: F)
    where
        F: FnOnce(Db) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let Some(pg) = TestDb::postgres(name).await else {
            eprintln!("{name}: no PostgreSQL configured, skipped");
            return;
        };
        body(pg.db().clone()).await;
        pg.cleanup().await;
    }

    fn pool(db: &Db) -> &StatementPool {
        db.statements
            .as_deref()
            .expect("a statement pool on PostgreSQL")
    }

    fn idle(db: &Db) -> usize {
        pool(db).lock().connections.len()
    }

    async fn backend_pid(db: &Db) -> i32 {
        let sql = Statement::from_string(DbBackend::Postgres, "SELECT pg_backend_pid() AS pid");
        db.query_one_raw(sql)
            .await
            .expect("query")
            .expect("a row")
            .try_get::<i32>("", "pid")
            .expect("pid")
    }

    async fn sleep(db: &Db, seconds: f64) -> Result<ExecResult, DbErr> {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_sleep($1)",
            [seconds.into()],
        ))
        .await
    }

    #[tokio::test]
    async fn reuses_one_connection_for_statements_in_turn() {
        on_postgres("statements_reuse", |db| async move {
            let first = backend_pid(&db).await;
            assert_eq!(idle(&db), 1);
            for _ in 0..5 {
                assert_eq!(backend_pid(&db).await, first);
            }
            assert_eq!(idle(&db), 1);
        })
        .await;
    }

    #[tokio::test]
    async fn keeps_the_connection_after_an_sql_error() {
        on_postgres("statements_sql_error", |db| async move {
            let pid = backend_pid(&db).await;
            let missing = Statement::from_string(DbBackend::Postgres, "SELECT * FROM missing");
            let err = db.query_all_raw(missing).await.expect_err("no such table");
            assert!(matches!(err, DbErr::Query(_)), "{err:?}");
            assert_eq!(idle(&db), 1, "an SQL error leaves the connection usable");
            assert_eq!(backend_pid(&db).await, pid);
        })
        .await;
    }

    #[tokio::test]
    async fn does_not_take_back_a_connection_left_mid_statement() {
        on_postgres("statements_cancelled", |db| async move {
            backend_pid(&db).await;
            let stopped = tokio::time::timeout(Duration::from_millis(100), sleep(&db, 5.0)).await;
            assert!(stopped.is_err(), "the caller stopped waiting");
            assert_eq!(idle(&db), 0, "its connection went back to the sqlx pool");
            // The next statement gets a working connection, kept this time.
            assert_ne!(backend_pid(&db).await, 0);
            assert_eq!(idle(&db), 1);
        })
        .await;
    }

    #[tokio::test]
    async fn holds_at_most_all_but_the_reserved_connections() {
        on_postgres("statements_bounded", |db| async move {
            let sleeps = (0..4).map(|_| sleep(&db, 0.2));
            let results = futures_util::future::join_all(sleeps).await;
            assert!(results.iter().all(Result::is_ok), "{results:?}");
            assert_eq!(idle(&db), 2, "five connections, three reserved");
            // Transactions still find connections while both are busy: a
            // transaction begins and commits before the statements end.
            let statements_done = std::sync::atomic::AtomicBool::new(false);
            let busy = async {
                let both = futures_util::future::join(sleep(&db, 3.0), sleep(&db, 3.0)).await;
                statements_done.store(true, std::sync::atomic::Ordering::SeqCst);
                both
            };
            let transaction = async {
                // Let both statements take their connections first.
                while pool(&db).permits.available_permits() > 0 {
                    tokio::task::yield_now().await;
                }
                let txn = db.connection().begin().await.expect("begin");
                txn.commit().await.expect("commit");
                statements_done.load(std::sync::atomic::Ordering::SeqCst)
            };
            let ((first, second), finished_after) = tokio::join!(busy, transaction);
            assert!(first.is_ok() && second.is_ok());
            assert!(!finished_after, "the transaction waited for the statements");
        })
        .await;
    }

    #[tokio::test]
    async fn lets_the_pool_close() {
        on_postgres("statements_close", |db| async move {
            backend_pid(&db).await;
            let other = db.clone();
            let closed = tokio::time::timeout(Duration::from_secs(5), db.close()).await;
            assert!(closed.is_ok(), "closing waited for held connections");
            assert_eq!(idle(&other), 0);
            assert!(backend_pid_result(&other).await.is_err(), "closed");
        })
        .await;
    }

    async fn backend_pid_result(db: &Db) -> Result<Option<QueryResult>, DbErr> {
        db.query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
            .await
    }
}
