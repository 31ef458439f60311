//! Migration `ferrocrud_migration`, written by `ferrocrud generate migration
//! ferrocrud_migration`; yours to fill in. Once it has run anywhere, leave
//! it as it is: a later change comes as a new migration.

use sea_orm_migration::prelude::*;

/// Migration `ferrocrud_migration`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The change, with `manager` (a `SchemaManager`), for instance a
    /// column added to a table:
    ///
    /// ```text
    /// manager
    ///     .alter_table(
    ///         Table::alter()
    ///             .table("profile")
    ///             .add_column(ColumnDef::new("summary").string().null())
    ///             .to_owned(),
    ///     )
    ///     .await
    /// ```
    ///
    /// SQLite takes one column per `alter_table`.
    async fn up(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }

    /// What undoes [`up`](Self::up) (`migrate down`), for instance
    /// `Table::alter().table("profile").drop_column("summary")`.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
