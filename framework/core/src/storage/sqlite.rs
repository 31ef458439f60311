//! SQLite specifics: connection options and write transactions.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{DatabaseConnection, DbErr, RuntimeErr};

use crate::error::{Error, SetupError};

/// How long a connection waits for another one's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of a file database: readers run side by side in WAL mode.
const FILE_POOL_SIZE: u32 = 4;

/// Opens a `sqlite:` URL.
///
/// `sqlite::memory:` (or `mode=memory`) opens one connection that lives as
/// long as the pool, so every caller sees the same in-memory database. A file
/// database is created if missing, with its parent directory, in WAL mode.
pub(crate) async fn connect(url: &str) -> Result<DatabaseConnection, Error> {
    let options = SqliteConnectOptions::from_str(url).map_err(|err| invalid_url(&err))?;
    let options = options
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        .disable_statement_logging();
    let pool = if is_memory(url) {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
    } else {
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|err| {
                Error::Setup(SetupError::InvalidSetting {
                    name: "database url",
                    reason: format!("cannot create directory {}: {err}", parent.display()),
                })
            })?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await
    };
    let pool =
        pool.map_err(|err| Error::Database(DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))))?;
    Ok(DatabaseConnection::from(pool))
}

/// Whether a `sqlite:` URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, params) = rest.split_once('?').unwrap_or((rest, ""));
    path == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

fn invalid_url(err: &dyn std::fmt::Display) -> Error {
    Error::Setup(SetupError::InvalidSetting {
        name: "database url",
        reason: format!("invalid SQLite URL: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_memory_urls() {
        assert!(is_memory("sqlite::memory:"));
        assert!(is_memory("sqlite://:memory:"));
        assert!(is_memory("sqlite://db?mode=memory"));
        assert!(!is_memory("sqlite://data/app.db"));
        assert!(!is_memory("sqlite:data/app.db?mode=rwc"));
    }

    #[tokio::test]
    async fn file_database_creates_its_directory() {
        // Removed when dropped, even when an assertion fails.
        let dir = tempfile::Builder::new()
            .prefix("ferrocrud-sqlite-")
            .tempdir()
            .expect("temporary directory");
        let path = dir.path().join("nested").join("app.db");
        let url = format!("sqlite://{}", path.display());
        let conn = connect(&url).await.expect("connects");
        conn.close().await.expect("closes");
        assert!(path.exists());
    }
}
