//! The table of service `ferrocrud-service`, as its entity was scaffolded:
//! written by `ferrocrud generate service ferrocrud-service`. Once it has run
//! anywhere, leave it as it is: a field added to the entity comes with a new
//! migration (`ferrocrud generate migration`).

use sea_orm_migration::prelude::*;

/// Creates table `ferrocrud_service`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ferrocrud_service")
                    .col(ColumnDef::new("id").string().not_null().primary_key())
                    .col(ColumnDef::new("owner").string().not_null())
                    .col(ColumnDef::new("name").string().not_null())
                    .col(
                        ColumnDef::new("created_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("updated_at")
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("ferrocrud_service").to_owned())
            .await
    }
}
