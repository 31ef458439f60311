//! ferrocrud's own migrations: the tables the framework creates.
//!
//! Each one spells its columns out, as they were when it was written, so
//! that it makes the same schema whatever the entities become; a later
//! change to a framework table comes as a new migration. Each creates its
//! table only when missing: a database the development schema made (tables
//! created from the entities) is taken over as it is.

// `MigrationTrait`'s methods take `&SchemaManager` with its lifetime elided,
// which `async_trait` needs as it is.
#![allow(elided_lifetimes_in_paths)]

use sea_orm::sea_query::{ColumnDef, Index, Table};
use sea_orm_migration::{DbErr, MigrationName, MigrationTrait, SchemaManager};

/// The per-subject call counters of command limits and the login throttle
/// (`ferrocrud_command_usage`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateCommandUsage;

impl CreateCommandUsage {
    /// The migration's name, as recorded in the migration table.
    pub const NAME: &'static str = "m20261207_000001_ferrocrud_command_usage";
}

impl MigrationName for CreateCommandUsage {
    fn name(&self) -> &str {
        Self::NAME
    }
}

/// The table of [`CreateCommandUsage`].
const COMMAND_USAGE: &str = "ferrocrud_command_usage";

#[async_trait::async_trait]
impl MigrationTrait for CreateCommandUsage {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(COMMAND_USAGE)
                    .if_not_exists()
                    .col(ColumnDef::new("subject").string().not_null())
                    .col(ColumnDef::new("command").string().not_null())
                    .col(ColumnDef::new("uses").big_integer().not_null())
                    .col(ColumnDef::new("last_call_ms").big_integer().not_null())
                    .primary_key(Index::create().col("subject").col("command"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(COMMAND_USAGE).to_owned())
            .await
    }
}

/// The user table (`user`) with the account columns of
/// [`user_model!`](crate::user_model): the default user entity's table. An
/// application's own user fields come in its own migrations, which add
/// their columns to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateUser;

impl CreateUser {
    /// The migration's name, as recorded in the migration table.
    pub const NAME: &'static str = "m20261207_000002_ferrocrud_user";
}

impl MigrationName for CreateUser {
    fn name(&self) -> &str {
        Self::NAME
    }
}

/// The table of [`CreateUser`].
const USER: &str = "user";

/// How an account column is stored.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Integer,
    Boolean,
    Timestamp,
    Json,
}

/// The nullable account columns, in the entity's order (after `id`,
/// `email`, `password`, `role` and `username`).
const ACCOUNT_COLUMNS: &[(&str, Kind)] = &[
    ("last_login_attempt", Kind::Timestamp),
    ("failed_login_count", Kind::Integer),
    ("last_reset_email_sent", Kind::Timestamp),
    ("rvkd", Kind::Integer),
    ("next_email", Kind::Text),
    ("verified_email", Kind::Boolean),
    ("email_verification_token", Kind::Text),
    ("last_email_verification_sent", Kind::Timestamp),
    ("verified_email_attemp_count", Kind::Integer),
    ("last_password_reset_sent", Kind::Timestamp),
    ("password_reset_token", Kind::Text),
    ("password_reset_attemp_count", Kind::Integer),
    ("crud_user_count_map", Kind::Json),
    ("cmd_user_count_map", Kind::Json),
    ("cmd_user_last_use_map", Kind::Json),
    ("error_count", Kind::Integer),
    ("incident_count", Kind::Integer),
    ("high_traffic_count", Kind::Integer),
    ("trust", Kind::Integer),
    ("last_computed_trust", Kind::Timestamp),
    ("timeout", Kind::Timestamp),
    ("timeout_count", Kind::Integer),
    ("did_captcha", Kind::Boolean),
    ("captcha_requested", Kind::Boolean),
    ("two_f_a", Kind::Boolean),
    ("last_two_f_a_code", Kind::Text),
    ("last_two_f_a_code_sent", Kind::Timestamp),
    ("two_f_a_code_count", Kind::Integer),
    ("salt_rounds", Kind::Integer),
    ("no_token_refresh", Kind::Boolean),
];

/// A nullable column of `kind`.
fn nullable(name: &'static str, kind: Kind) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    match kind {
        Kind::Text => column.string(),
        Kind::Integer => column.big_integer(),
        Kind::Boolean => column.boolean(),
        Kind::Timestamp => column.timestamp_with_time_zone(),
        Kind::Json => column.json(),
    };
    column.null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateUser {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(USER)
            .if_not_exists()
            .col(ColumnDef::new("id").string().not_null().primary_key())
            .col(ColumnDef::new("email").string().not_null().unique_key())
            .col(ColumnDef::new("password").string().not_null())
            .col(ColumnDef::new("role").string().not_null())
            .col(ColumnDef::new("username").string().null().unique_key());
        for &(name, kind) in ACCOUNT_COLUMNS {
            table.col(nullable(name, kind));
        }
        table
            .col(
                ColumnDef::new("created_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            )
            .col(
                ColumnDef::new("updated_at")
                    .timestamp_with_time_zone()
                    .not_null(),
            );
        manager.create_table(table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(USER).to_owned())
            .await
    }
}
