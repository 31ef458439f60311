//! Versioned schema migrations, with
//! [sea-orm-migration](https://docs.rs/sea-orm-migration).
//!
//! An application lists its migrations in a `Migrator`, ferrocrud's own
//! ([`migrations`]) first, and gives it to
//! [`AppBuilder::migrator`](crate::app::AppBuilder::migrator):
//! [`build`](crate::app::AppBuilder::build) then applies the pending
//! migrations instead of creating tables from the entities.
//!
//! ```
//! use ferrocrud::migration::Migrations;
//! use sea_orm_migration::{MigrationTrait, MigratorTrait};
//!
//! pub struct Migrator;
//!
//! impl MigratorTrait for Migrator {
//!     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
//!         // ferrocrud's tables first, then the application's migrations.
//!         ferrocrud::migration::migrations()
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ferrocrud::Result<()> {
//! let db = ferrocrud::storage::Db::connect("sqlite::memory:").await?;
//! let migrations = Migrations::of(Migrator);
//! assert_eq!(migrations.up(&db).await?.len(), 2);
//! assert!(migrations.up(&db).await?.is_empty());
//! for migration in migrations.status(&db).await? {
//!     println!("{migration}"); // `applied  m20261207_000001_ferrocrud_command_usage`, …
//! }
//! # Ok(())
//! # }
//! ```
//!
//! - Migrations run under [`SchemaLock`](crate::storage): on PostgreSQL an
//!   advisory lock, so that of several instances starting together one
//!   migrates and the others wait, then find nothing to do. A SQLite
//!   database is assumed to be migrated by one process at a time.
//! - A database that has a migration applied which the migrator does not
//!   list is ahead of the code: [`Migrations::up`] and
//!   [`build`](crate::app::AppBuilder::build) refuse it, with
//!   [`SetupError::UnknownMigration`] naming the migration.
//! - Without a migrator, `build` creates missing tables from the entities
//!   (the development schema). Either way, it then checks that the database
//!   has every column of every served entity ([`SetupError::MissingColumn`]).
//! - [`MigrateCommand`] is the `migrate up|down|status` subcommand of an
//!   application's binary.

mod command;
mod framework;

use std::collections::HashSet;
use std::fmt;

use sea_orm::sea_query::{Order, Query};
use sea_orm::{ConnectionTrait, DynIden};
use sea_orm_migration::{MigrationTrait, MigratorTrait, MigratorTraitSelf, SchemaManager};

pub use self::command::MigrateCommand;
pub use self::framework::{CreateCommandUsage, CreateUser};

use crate::error::{Result, SetupError};
use crate::storage::{Db, SchemaLock};

/// ferrocrud's own migrations, oldest first, for an application's
/// `Migrator` to list before its own: [`CreateCommandUsage`] (the counters
/// of command limits and of the login throttle) and [`CreateUser`] (the
/// user table with the account columns).
///
/// An application without the user service, or whose user table has
/// another name than `user`, lists [`CreateCommandUsage`] alone and creates
/// its user table itself.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateCommandUsage), Box::new(CreateUser)]
}

/// An application's migrator, without its type: the list of migrations and
/// the table that records which are applied (`seaql_migrations` unless the
/// migrator says otherwise).
///
/// Cheap to copy. Every method that changes the schema holds the schema
/// lock while it runs.
#[derive(Clone, Copy)]
pub struct Migrations {
    list: fn() -> Vec<Box<dyn MigrationTrait>>,
    table: fn() -> DynIden,
}

impl fmt::Debug for Migrations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migrations")
            .field("names", &self.names())
            .field("table", &(self.table)().to_string())
            .finish()
    }
}

/// Whether a migration is applied to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied: recorded in the migration table.
    Applied,
    /// Listed by the migrator, not applied yet.
    Pending,
    /// Recorded as applied, but not listed by the migrator: the database is
    /// ahead of the code.
    Unknown,
}

impl MigrationState {
    /// `applied`, `pending` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Unknown => "unknown",
        }
    }
}

/// One migration and its [`MigrationState`]; its `Display` is the line
/// `migrate status` prints (`applied  m20261207_000001_…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The migration's name.
    pub name: String,
    /// Whether it is applied.
    pub state: MigrationState,
}

impl fmt::Display for MigrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<8} {}", self.state.as_str(), self.name)
    }
}

/// How the database's applied migrations compare with the code's, as the
/// readiness check reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// Every migration the code lists is applied, and no other.
    Current,
    /// Some migration the code lists is not applied.
    Behind,
    /// The database has a migration applied that the code does not list.
    Ahead,
}

impl SchemaState {
    /// `ok`, `behind` or `ahead`: the readiness check's word.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaState::Current => "ok",
            SchemaState::Behind => "behind",
            SchemaState::Ahead => "ahead",
        }
    }
}

impl Migrations {
    /// The migrations of `migrator`.
    pub fn of<M: MigratorTrait>(_migrator: M) -> Self {
        Self {
            list: M::migrations,
            table: M::migration_table_name,
        }
    }

    /// The migrations' names, in the migrator's order.
    pub fn names(&self) -> Vec<String> {
        (self.list)()
            .iter()
            .map(|migration| migration.name().to_owned())
            .collect()
    }

    /// The names recorded in the migration table (none when it does not
    /// exist yet), without creating it.
    async fn applied(&self, db: &Db) -> Result<Vec<String>> {
        let table = (self.table)();
        let manager = SchemaManager::new(db.connection());
        if !manager.has_table(table.to_string()).await? {
            return Ok(Vec::new());
        }
        let rows = db
            .query_all(
                &Query::select()
                    .column("version")
                    .from(table)
                    .order_by("version", Order::Asc)
                    .to_owned(),
            )
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "version").map_err(Into::into))
            .collect()
    }

    /// Every migration the migrator lists, in its order, applied or
    /// pending; then those the database has applied that it does not list
    /// ([`MigrationState::Unknown`]). Reads only: the migration table is not
    /// created.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the migration table
    /// cannot be read.
    pub async fn status(&self, db: &Db) -> Result<Vec<MigrationStatus>> {
        let applied = self.applied(db).await?;
        let names = self.names();
        let known: HashSet<&str> = names.iter().map(String::as_str).collect();
        let recorded: HashSet<&str> = applied.iter().map(String::as_str).collect();
        let mut status: Vec<MigrationStatus> = names
            .iter()
            .map(|name| MigrationStatus {
                name: name.clone(),
                state: if recorded.contains(name.as_str()) {
                    MigrationState::Applied
                } else {
                    MigrationState::Pending
                },
            })
            .collect();
        status.extend(
            applied
                .iter()
                .filter(|name| !known.contains(name.as_str()))
                .map(|name| MigrationStatus {
                    name: name.clone(),
                    state: MigrationState::Unknown,
                }),
        );
        Ok(status)
    }

    /// How the database's applied migrations compare with the migrator's.
    ///
    /// # Errors
    ///
    /// As [`status`](Self::status).
    pub async fn schema_state(&self, db: &Db) -> Result<SchemaState> {
        let status = self.status(db).await?;
        let any = |state| status.iter().any(|m| m.state == state);
        Ok(if any(MigrationState::Unknown) {
            SchemaState::Ahead
        } else if any(MigrationState::Pending) {
            SchemaState::Behind
        } else {
            SchemaState::Current
        })
    }

    /// Applies the pending migrations in the migrator's order, under the
    /// schema lock, and answers their names. Each runs in a transaction of
    /// its own on PostgreSQL (unless it says otherwise), and is recorded
    /// with it.
    ///
    /// # Errors
    ///
    /// [`SetupError::UnknownMigration`] before anything is applied when the
    /// database is ahead of the code; [`Error::Database`](crate::Error::Database)
    /// when a migration fails (those before it stay applied).
    ///
    /// # Cancel safety
    ///
    /// Dropped, it releases the lock; on PostgreSQL the migration under way
    /// rolls back.
    pub async fn up(&self, db: &Db) -> Result<Vec<String>> {
        let lock = SchemaLock::acquire(db).await?;
        let applied = self.up_locked(db).await;
        lock.release().await;
        applied
    }

    /// [`up`](Self::up), with the schema lock held by the caller.
    pub(crate) async fn up_locked(&self, db: &Db) -> Result<Vec<String>> {
        let runner = Runner(*self);
        runner.install(db.connection()).await?;
        let status = self.status(db).await?;
        refuse_unknown(&status)?;
        let pending: Vec<String> = status
            .into_iter()
            .filter(|m| m.state == MigrationState::Pending)
            .map(|m| m.name)
            .collect();
        if !pending.is_empty() {
            runner.up(db.connection(), None).await?;
        }
        Ok(pending)
    }

    /// Rolls back the last `steps` applied migrations, newest first, under
    /// the schema lock, and answers their names.
    ///
    /// # Errors
    ///
    /// [`SetupError::UnknownMigration`] when the database is ahead of the
    /// code; [`Error::Database`](crate::Error::Database) when a migration's
    /// `down` fails (or it has none).
    ///
    /// # Cancel safety
    ///
    /// As [`up`](Self::up).
    pub async fn down(&self, db: &Db, steps: u32) -> Result<Vec<String>> {
        let lock = SchemaLock::acquire(db).await?;
        let rolled_back = self.down_locked(db, steps).await;
        lock.release().await;
        rolled_back
    }

    async fn down_locked(&self, db: &Db, steps: u32) -> Result<Vec<String>> {
        let status = self.status(db).await?;
        refuse_unknown(&status)?;
        let rolled_back: Vec<String> = status
            .into_iter()
            .rev()
            .filter(|m| m.state == MigrationState::Applied)
            .take(usize::try_from(steps).unwrap_or(usize::MAX))
            .map(|m| m.name)
            .collect();
        if !rolled_back.is_empty() {
            Runner(*self).down(db.connection(), Some(steps)).await?;
        }
        Ok(rolled_back)
    }
}

/// [`SetupError::UnknownMigration`] for the first migration the database
/// has applied that the code does not know.
fn refuse_unknown(status: &[MigrationStatus]) -> Result<()> {
    match status.iter().find(|m| m.state == MigrationState::Unknown) {
        Some(unknown) => Err(SetupError::UnknownMigration {
            name: unknown.name.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

/// sea-orm-migration's runner over [`Migrations`].
struct Runner(Migrations);

impl MigratorTraitSelf for Runner {
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        (self.0.list)()
    }

    fn migration_table_name(&self) -> DynIden {
        (self.0.table)()
    }
}

#[cfg(test)]
mod tests;
