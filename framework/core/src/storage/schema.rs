//! Creating tables from entities at start (development schema; production
//! schemas go through sea-orm's migrations).

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Schema, Statement};

use super::db::Db;
use crate::error::Error;

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
}
