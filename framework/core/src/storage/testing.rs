//! Test support: throw-away databases and [`db_test!`](crate::db_test), which
//! runs one test body on SQLite and on PostgreSQL.
//!
//! Compiled for the crate's own tests and, for other crates, with the
//! `testing` feature.
//!
//! PostgreSQL runs when [`POSTGRES_URL_ENV`] holds an administrator URL, e.g.
//!
//! ```text
//! FERROCRUD_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test
//! ```
//!
//! Each test then gets a fresh database named after it, dropped at the end.

use std::future::Future;
use std::str::FromStr;

use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgConnectOptions;

use super::db::Db;
use super::postgres;

/// The environment variable holding the PostgreSQL administrator URL.
pub const POSTGRES_URL_ENV: &str = "FERROCRUD_TEST_POSTGRES_URL";

/// A throw-away test database.
#[derive(Debug)]
pub struct TestDb {
    db: Db,
    admin: Db,
    name: String,
}

impl TestDb {
    /// A fresh in-memory SQLite database.
    ///
    /// # Panics
    ///
    /// If SQLite cannot open it.
    pub async fn sqlite() -> Db {
        Db::connect("sqlite::memory:")
            .await
            .expect("in-memory SQLite database")
    }

    /// A fresh PostgreSQL database named after the test plus a random suffix,
    /// or `None` when [`POSTGRES_URL_ENV`] is not set. Call
    /// [`cleanup`](TestDb::cleanup) to drop it.
    ///
    /// # Panics
    ///
    /// If the variable is set but the server cannot be reached or refuses to
    /// create the database: a test meant to run on PostgreSQL must not pass
    /// silently.
    pub async fn postgres(test_name: &str) -> Option<TestDb> {
        let url = std::env::var(POSTGRES_URL_ENV)
            .ok()
            .filter(|u| !u.is_empty())?;
        let options = PgConnectOptions::from_str(&url)
            .unwrap_or_else(|err| panic!("{POSTGRES_URL_ENV} is not a PostgreSQL URL: {err}"));
        let admin = Db::from_connection(
            postgres::connect_with(options.clone(), 1)
                .await
                .unwrap_or_else(|err| {
                    panic!("cannot reach PostgreSQL at {POSTGRES_URL_ENV}: {err:?}")
                }),
        );
        let name = database_name(test_name, rand::random::<u64>());
        assert!(is_safe_identifier(&name), "bad database name {name}");
        // The only SQL text composed in ferrocrud: CREATE DATABASE takes no
        // bound parameters. It is safe because `name` was just checked to be
        // 1 to 63 characters of [a-z0-9_] starting with a letter, so it can
        // neither close the quoted identifier nor change the statement.
        admin
            .connection()
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|err| panic!("cannot create test database {name}: {err}"));
        let db = Db::from_connection(
            postgres::connect_with(options.database(&name), 5)
                .await
                .unwrap_or_else(|err| panic!("cannot connect to test database {name}: {err:?}")),
        );
        Some(TestDb { db, admin, name })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes the connections and drops the database.
    ///
    /// # Panics
    ///
    /// If the database cannot be dropped.
    pub async fn cleanup(self) {
        let TestDb { db, admin, name } = self;
        // Closing can only fail on a pool already closed; the drop below is
        // what matters.
        let _closed = db.close().await;
        assert!(is_safe_identifier(&name), "bad database name {name}");
        // Safe for the reason given in `postgres`: `name` is [a-z0-9_] only.
        admin
            .connection()
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .unwrap_or_else(|err| panic!("cannot drop test database {name}: {err}"));
        let _closed = admin.close().await;
    }
}

/// Runs a test body on SQLite, then on PostgreSQL when [`POSTGRES_URL_ENV`]
/// is set, each in a fresh database; what [`db_test!`](crate::db_test)
/// expands to.
///
/// # Panics
///
/// When the body panics on either backend (the failing backend is printed on
/// stderr), or when a database cannot be set up.
pub fn run_db_test<F, Fut>(test_name: &str, body: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        if backend_enabled("sqlite") {
            let sqlite = TestDb::sqlite().await;
            rethrow("SQLite", test_name, tokio::spawn(body(sqlite)).await);
        }
        if !backend_enabled("postgres") {
            return;
        }
        if let Some(pg) = TestDb::postgres(test_name).await {
            let outcome = tokio::spawn(body(pg.db().clone())).await;
            // Drop the database whether or not the body passed.
            pg.cleanup().await;
            rethrow("PostgreSQL", test_name, outcome);
        }
    });
}

/// The environment variable listing the backends to run database tests on
/// (`sqlite`, `postgres`, comma-separated); all of them when unset.
pub const BACKENDS_ENV: &str = "FERROCRUD_TEST_BACKENDS";

fn backend_enabled(backend: &str) -> bool {
    match std::env::var(BACKENDS_ENV) {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .any(|b| b.trim().eq_ignore_ascii_case(backend)),
        _ => true,
    }
}

fn rethrow(backend: &str, test_name: &str, outcome: Result<(), tokio::task::JoinError>) {
    if let Err(err) = outcome {
        eprintln!("db_test {test_name} failed on {backend}");
        match err.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(err) => panic!("db_test {test_name} on {backend}: {err}"),
        }
    }
}

/// Runs one async test body on every database backend: SQLite always,
/// PostgreSQL when `FERROCRUD_TEST_POSTGRES_URL` is set (chosen at run time,
/// so one build serves both). Each run gets a fresh, empty database.
///
/// ```
/// ferrocrud::db_test!(opens_a_database, |db| {
///     assert!(db.connection().ping().await.is_ok());
/// });
/// ```
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, |$db:ident| $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::storage::testing::run_db_test(
                ::core::stringify!($name),
                |$db: $crate::storage::Db| async move $body,
            );
        }
    };
}

/// `fct_<test name>_<suffix>`: lower case, [a-z0-9_], at most 63 characters.
fn database_name(test_name: &str, suffix: u64) -> String {
    let base: String = test_name
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(42)
        .collect();
    format!("fct_{base}_{suffix:016x}")
}

/// 1 to 63 characters of [a-z0-9_], starting with a letter.
fn is_safe_identifier(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The blog's post, the fixture entity of ferrocrud's tests.
#[allow(missing_docs)]
pub mod post {
    use sea_orm::entity::prelude::*;

    use crate::storage::DateTimeUtc;

    #[derive(
        Clone,
        Debug,
        PartialEq,
        DeriveEntityModel,
        serde::Serialize,
        serde::Deserialize,
        schemars::JsonSchema,
    )]
    #[sea_orm(table_name = "post")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub owner: String,
        pub title: String,
        #[sea_orm(column_type = "Text", nullable)]
        #[schemars(extend("x-max-size" = 1000))]
        pub content: Option<String>,
        pub published: Option<bool>,
        #[schemars(range(min = 0, max = 1000000))]
        pub likes: Option<i64>,
        #[serde(with = "crate::storage::timestamp")]
        pub created_at: DateTimeUtc,
        #[serde(with = "crate::storage::timestamp")]
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl crate::shared::Resource for Model {
        const SERVICE: &'static str = "post";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_safe_identifiers() {
        for test_name in [
            "creates_a_post",
            "Weird-Name with spaces",
            &"x".repeat(200),
            "0starts_with_digit",
        ] {
            let name = database_name(test_name, u64::MAX);
            assert!(is_safe_identifier(&name), "{name}");
        }
        assert!(!is_safe_identifier("a\"; DROP DATABASE x; --"));
        assert!(!is_safe_identifier(""));
        assert!(!is_safe_identifier("Upper"));
    }
}
