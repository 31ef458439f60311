//! The schema at start: creating tables from entities (the development
//! schema; production schemas go through [`migration`](crate::migration)),
//! checking that the database has every column of the entities served, and
//! the lock that keeps two instances from changing the schema at once.

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Schema, Statement};

use super::db::Db;
use super::postgres::AdvisoryLock;
use crate::error::{Error, SetupError};

/// The statements that create an entity's table and indexes if they do not
/// exist, built for one backend.
///
/// Unique columns get a `UNIQUE` constraint in the table; `indexed` and
/// `unique_key` columns get their indexes.
pub fn create_table_statements<E: EntityTrait>(backend: DbBackend) -> Vec<Statement> {
    let schema = Schema::new(backend);
    let mut table = schema.create_table_from_entity(E::default());
    table.if_not_exists();
    let mut statements = vec![backend.build(&table)];
    for mut index in schema.create_index_from_entity(E::default()) {
        index.if_not_exists();
        statements.push(backend.build(&index));
    }
    statements
}

/// Creates an entity's table (and its indexes) if it does not exist.
///
/// # Errors
///
/// [`Error::Database`] when a statement fails.
///
/// # Cancel safety
///
/// Each statement is atomic and idempotent; a dropped call may leave the
/// table without some of its indexes, which the next call adds.
pub async fn ensure_table<E: EntityTrait>(db: &Db) -> Result<(), Error> {
    run_statements(db, &create_table_statements::<E>(db.backend())).await
}

/// Runs prepared schema statements one by one.
pub(crate) async fn run_statements(db: &Db, statements: &[Statement]) -> Result<(), Error> {
    for statement in statements {
        db.connection().execute_raw(statement.clone()).await?;
    }
    Ok(())
}

/// The columns of table `table` as the database has them, in no
/// particular order; empty when the table does not exist.
///
/// PostgreSQL: `information_schema.columns` of the current schema; SQLite:
/// `pragma_table_info`. The table's name is a bound value.
///
/// # Errors
///
/// [`Error::Database`] when the query fails.
async fn table_columns(db: &Db, table: &str) -> Result<Vec<String>, Error> {
    let rows = db
        .query_all(&columns_statement(db.backend(), table))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").map_err(Error::from))
        .collect()
}

/// `SELECT name` of the columns of `table`, for one backend.
fn columns_statement(backend: DbBackend, table: &str) -> SelectStatement {
    match backend {
        DbBackend::Sqlite => Query::select()
            .column("name")
            .from_function(Func::cust("pragma_table_info").arg(table), "info")
            .to_owned(),
        _ => Query::select()
            .expr_as(Expr::col("column_name").cast_as("text"), "name")
            .from(("information_schema", "columns"))
            .and_where(Expr::col("table_schema").eq(Func::cust("current_schema")))
            .and_where(Expr::col("table_name").eq(table))
            .to_owned(),
    }
}

/// Checks that table `table` exists with every column of `columns` (the
/// database may have more).
///
/// # Errors
///
/// [`SetupError::MissingTable`], or [`SetupError::MissingColumn`] naming the
/// first column missing, in the order given; [`Error::Database`] when the
/// query fails.
pub(crate) async fn check_columns<'a>(
    db: &Db,
    table: &str,
    columns: impl IntoIterator<Item = &'a str>,
) -> Result<(), Error> {
    let present = table_columns(db, table).await?;
    if present.is_empty() {
        return Err(SetupError::MissingTable {
            table: table.to_owned(),
        }
        .into());
    }
    match columns
        .into_iter()
        .find(|column| !present.iter().any(|p| p == column))
    {
        Some(column) => Err(SetupError::MissingColumn {
            table: table.to_owned(),
            column: column.to_owned(),
        }
        .into()),
        None => Ok(()),
    }
}

/// Held while an instance changes the schema at start or runs migrations:
/// on PostgreSQL an advisory lock on a connection of its own, so that of two
/// instances starting together on one database, one migrates and the other
/// waits, then finds nothing left to do. On SQLite nothing: one process is
/// assumed to change a SQLite database's schema.
///
/// Dropping it (or the process ending) releases the lock: the connection
/// closes, and PostgreSQL releases a session's locks when it ends.
#[derive(Debug)]
pub(crate) struct SchemaLock(Option<AdvisoryLock>);

impl SchemaLock {
    /// The advisory lock key of schema changes: `fcschema` in ASCII.
    const KEY: i64 = i64::from_be_bytes(*b"fcschema");

    /// Waits for the lock and takes it.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the lock's connection cannot be opened or
    /// the lock cannot be taken.
    pub(crate) async fn acquire(db: &Db) -> Result<Self, Error> {
        match db.backend() {
            DbBackend::Postgres => Ok(Self(Some(AdvisoryLock::acquire(db, Self::KEY).await?))),
            _ => Ok(Self(None)),
        }
    }

    /// Releases the lock.
    pub(crate) async fn release(self) {
        if let Some(lock) = self.0 {
            lock.release().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::testing::post;

    #[test]
    fn creates_the_post_table_if_missing() {
        let sqlite = create_table_statements::<post::Entity>(DbBackend::Sqlite);
        assert_eq!(sqlite.len(), 1);
        assert!(
            sqlite[0].sql.starts_with(
                r#"CREATE TABLE IF NOT EXISTS "post" ( "id" varchar NOT NULL PRIMARY KEY"#
            ),
            "{}",
            sqlite[0].sql
        );
        let postgres = create_table_statements::<post::Entity>(DbBackend::Postgres);
        assert!(
            postgres[0]
                .sql
                .contains(r#""created_at" timestamp with time zone NOT NULL"#),
            "{}",
            postgres[0].sql
        );
    }

    crate::db_test!(ensure_table_is_idempotent, |db| {
        ensure_table::<post::Entity>(&db).await.expect("first");
        ensure_table::<post::Entity>(&db).await.expect("second");
    });

    #[test]
    fn column_queries_bind_the_table_name() {
        let (sql, values) = columns_statement(DbBackend::Sqlite, "post")
            .build(sea_orm::sea_query::SqliteQueryBuilder);
        assert_eq!(sql, r#"SELECT "name" FROM pragma_table_info(?) AS "info""#);
        assert_eq!(values.0, vec!["post".into()]);
        let (sql, values) = columns_statement(DbBackend::Postgres, "post")
            .build(sea_orm::sea_query::PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT CAST("column_name" AS text) AS "name" FROM "information_schema"."columns" WHERE "table_schema" = current_schema() AND "table_name" = $1"#
        );
        assert_eq!(values.0, vec!["post".into()]);
    }

    crate::db_test!(a_table_lists_its_columns, |db| {
        assert!(table_columns(&db, "post").await.expect("query").is_empty());
        ensure_table::<post::Entity>(&db).await.expect("post table");
        let mut columns = table_columns(&db, "post").await.expect("query");
        columns.sort();
        assert_eq!(
            columns,
            [
                "content",
                "created_at",
                "id",
                "likes",
                "owner",
                "published",
                "title",
                "updated_at"
            ]
        );
    });

    crate::db_test!(a_missing_table_or_column_is_named, |db| {
        let error = check_columns(&db, "post", ["id"])
            .await
            .expect_err("no table");
        assert_eq!(
            error.to_string(),
            "invalid setup: table `post` does not exist in the database"
        );
        ensure_table::<post::Entity>(&db).await.expect("post table");
        check_columns(&db, "post", ["id", "title", "created_at"])
            .await
            .expect("every column");
        let error = check_columns(&db, "post", ["id", "summary", "subtitle"])
            .await
            .expect_err("no summary");
        assert!(
            matches!(
                &error,
                Error::Setup(SetupError::MissingColumn { table, column })
                    if table == "post" && column == "summary"
            ),
            "{error:?}"
        );
    });

    crate::db_test!(the_schema_lock_can_be_taken_again_once_released, |db| {
        let lock = SchemaLock::acquire(&db).await.expect("first");
        lock.release().await;
        let lock = SchemaLock::acquire(&db).await.expect("second");
        lock.release().await;
    });
}
