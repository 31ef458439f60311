//! The project's field of the user table: `display_name` (added only when
//! missing, so that a database made before the project had migrations is
//! taken over as it is).

use sea_orm_migration::prelude::*;

/// Adds `user.display_name` to the table of ferrocrud's user migration.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.has_column("user", "display_name").await? {
            return Ok(());
        }
        manager
            .alter_table(
                Table::alter()
                    .table("user")
                    .add_column(ColumnDef::new("display_name").string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("user")
                    .drop_column("display_name")
                    .to_owned(),
            )
            .await
    }
}
