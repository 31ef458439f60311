//! A column added to a table that holds data: `user.website`, nullable, so
//! that the rows already there need no value.

use sea_orm_migration::prelude::*;

/// Adds `user.website`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("user")
                    .add_column(ColumnDef::new("website").string().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("user")
                    .drop_column("website")
                    .to_owned(),
            )
            .await
    }
}
