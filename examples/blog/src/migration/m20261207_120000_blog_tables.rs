//! The blog's first schema: its fields of the user table (`display_name`,
//! `bio`) and the post table.
//!
//! A database made by the blog before it had migrations (tables created from
//! the entities) has them already: each is added only when missing, so that
//! such a database is taken over as it is.

use sea_orm_migration::prelude::*;

/// Adds the blog's user fields and creates `post`.
#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER TABLE: SQLite adds them one at a time.
        for column in [
            ColumnDef::new("display_name").string().null().to_owned(),
            ColumnDef::new("bio").text().null().to_owned(),
        ] {
            if manager.has_column("user", column.get_column_name()).await? {
                continue;
            }
            manager
                .alter_table(Table::alter().table("user").add_column(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("post")
                    .if_not_exists()
                    .col(ColumnDef::new("id").string().not_null().primary_key())
                    .col(ColumnDef::new("owner").string().not_null())
                    .col(ColumnDef::new("title").string().not_null())
                    .col(ColumnDef::new("content").text().null())
                    .col(ColumnDef::new("published").boolean().null())
                    .col(ColumnDef::new("likes").big_integer().null())
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
            .drop_table(Table::drop().table("post").to_owned())
            .await?;
        for column in ["bio", "display_name"] {
            manager
                .alter_table(Table::alter().table("user").drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
