//! PostgreSQL: hearing of user writes made elsewhere.
//!
//! A trigger on the user table sends `NOTIFY ferrocrud_user_changed` with the
//! row's id after every UPDATE or DELETE, and with an empty payload after a
//! TRUNCATE, whoever wrote: another instance, a migration, a hand-typed
//! statement. PostgreSQL delivers a notification when its transaction
//! commits, so a listener never drops an entry before the change is visible.
//!
//! Each instance holds one pooled connection that LISTENs and drops the
//! named users from its [`UserCache`]. While that connection is down the
//! cache is off (every token check reads the database) and it starts empty
//! once the listener is back: a notification missed meanwhile cannot leave
//! a stale entry behind.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use tokio::task::JoinHandle;

use super::cache::UserCache;
use crate::error::Result;
use crate::storage::Db;

/// The channel the trigger notifies.
const CHANNEL: &str = "ferrocrud_user_changed";

/// Wait between two attempts to reconnect the listener.
const RETRY: Duration = Duration::from_secs(1);

/// Serialises concurrent installations (instances starting together).
const INSTALL_LOCK: &str = "SELECT pg_advisory_xact_lock(7262851301)";

/// The trigger function; its payload is the changed user's id, or empty
/// when every user may have changed.
const TRIGGER_FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION ferrocrud_user_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    PERFORM pg_notify('ferrocrud_user_changed', OLD.id::text);
  ELSE
    PERFORM pg_notify('ferrocrud_user_changed', '');
  END IF;
  RETURN NULL;
END
$$"#;

/// Creates the triggers on the user table named by its argument, once
/// (creating a trigger locks the table). The name is quoted by PostgreSQL
/// (`%I`), never spliced into SQL here.
const TRIGGER_INSTALLER: &str = r#"
CREATE OR REPLACE FUNCTION ferrocrud_install_user_triggers(tbl text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'ferrocrud_user_changed' AND tgrelid = quote_ident(tbl)::regclass) THEN
    EXECUTE format('CREATE TRIGGER ferrocrud_user_changed AFTER UPDATE OR DELETE ON %I '
                   'FOR EACH ROW EXECUTE FUNCTION ferrocrud_user_changed()', tbl);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger
                 WHERE tgname = 'ferrocrud_user_truncated' AND tgrelid = quote_ident(tbl)::regclass) THEN
    EXECUTE format('CREATE TRIGGER ferrocrud_user_truncated AFTER TRUNCATE ON %I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION ferrocrud_user_changed()', tbl);
  END IF;
END
$$"#;

/// Installs (or updates) the trigger function and the triggers on the user
/// table `table`, which must exist.
pub(super) async fn install_trigger(db: &Db, table: &str) -> Result<()> {
    let txn = db.connection().begin().await?;
    txn.execute_unprepared(INSTALL_LOCK).await?;
    txn.execute_unprepared(TRIGGER_FUNCTION).await?;
    txn.execute_unprepared(TRIGGER_INSTALLER).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT ferrocrud_install_user_triggers($1)",
        [table.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The listening task; stopped when dropped.
#[derive(Debug)]
pub(super) struct Listener {
    task: JoinHandle<()>,
}

impl Listener {
    /// Starts listening on one connection of `db`'s pool, dropping the
    /// users it hears of from `cache`, which it turns on once listening.
    pub(super) fn start(db: &Db, cache: Arc<UserCache>) -> Self {
        let pool = db.connection().get_postgres_connection_pool().clone();
        Self {
            task: tokio::spawn(run(pool, cache)),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Listens until the pool is closed, reconnecting after failures.
async fn run(pool: PgPool, cache: Arc<UserCache>) {
    loop {
        match listen(&pool, &cache).await {
            Ok(()) => break,
            Err(err) => {
                cache.set_live(false);
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %err, "user cache off: not listening for user changes");
            }
        }
        tokio::time::sleep(RETRY).await;
    }
    cache.set_live(false);
}

/// One listening connection: `Ok` when the pool closed, `Err` when the
/// connection failed.
async fn listen(pool: &PgPool, cache: &UserCache) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    cache.set_live(true);
    tracing::debug!("user cache on: listening for user changes");
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match notification.payload() {
                "" => cache.clear(),
                id => cache.forget(id),
            },
            // The connection was lost, and has been re-established: what
            // was sent meanwhile is lost too.
            Ok(None) => cache.clear(),
            Err(sea_orm::sqlx::Error::PoolClosed) => return Ok(()),
            Err(err) => return Err(err),
        }
    }
}
