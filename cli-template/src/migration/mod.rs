//! The database schema as versioned migrations: ferrocrud's own first (the
//! command counters, the user table with the account columns), then the
//! project's, oldest first.
//!
//! [`build`](crate::build) applies the pending ones at start;
//! `cargo run -- migrate up|down [STEPS]|status` runs them by hand ([`run`]).
//! `ferrocrud generate service NAME` adds the migration that creates the
//! service's table, and `ferrocrud generate migration NAME` an empty one to
//! fill in; both write at the `ferrocrud:` marker comments below. A
//! migration that has run anywhere is never edited: a change to an entity
//! comes with a new migration.

// `MigrationTrait`'s methods take `&SchemaManager` with its lifetime elided,
// which `async_trait` needs as it is.
#![allow(elided_lifetimes_in_paths)]

mod m20261207_000001_user_display_name;
// ferrocrud:migration-modules

use std::io::Write as _;
use std::path::Path;

use ferrocrud::migration::{MigrateCommand, Migrations};
use ferrocrud::storage::Db;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

use crate::settings::Settings;

/// The project's migrations, after ferrocrud's.
#[derive(Debug, Clone, Copy)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations = ferrocrud::migration::migrations();
        migrations.push(Box::new(m20261207_000001_user_display_name::Migration));
        // ferrocrud:migrations
        migrations
    }
}

/// `migrate ARGS` (`up`, `down`, `down 2`, `status`) on the database of
/// the settings (`DATABASE_URL`): prints one line per migration applied,
/// rolled back or listed.
///
/// # Errors
///
/// Unknown arguments, bad settings, a database that cannot be reached, a
/// migration that fails, or a database ahead of the code (naming the
/// migration it does not know).
pub async fn run(args: &[&str]) -> anyhow::Result<()> {
    let Some(command) = MigrateCommand::parse(args) else {
        anyhow::bail!(
            "usage: {} {}",
            env!("CARGO_PKG_NAME"),
            MigrateCommand::USAGE
        );
    };
    let settings = Settings::load(Path::new("data"))?;
    let db = Db::connect(&settings.database_url).await?;
    let lines = command.run(&Migrations::of(Migrator), &db).await;
    db.close().await?;
    let mut stdout = std::io::stdout().lock();
    for line in lines? {
        writeln!(stdout, "{line}")?;
    }
    Ok(())
}
