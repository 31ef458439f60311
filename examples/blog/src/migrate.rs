//! `blog migrate up|down [STEPS]|status`: the blog's [`migration`](crate::migration)s
//! run by hand, on the database of `DATABASE_URL` (as the server reads it,
//! see [`Settings::load`]).
//!
//! The server applies pending migrations itself at start; this is for
//! looking before, rolling back, or migrating ahead of a deployment.

use std::io::Write as _;
use std::path::Path;

use ferrocrud::migration::{MigrateCommand, Migrations};
use ferrocrud::storage::Db;

use crate::migration::Migrator;
use crate::settings::Settings;

/// Runs `migrate` with `args`, the words after it (`up`, `down`, `down 2`,
/// `status`), and prints one line per migration to standard output.
///
/// # Errors
///
/// Unknown arguments, settings that cannot be read, a database that cannot
/// be reached, a migration that fails, or a database ahead of the code
/// (naming the migration it does not know).
pub async fn run(args: &[&str]) -> anyhow::Result<()> {
    let Some(command) = MigrateCommand::parse(args) else {
        anyhow::bail!("usage: blog {}", MigrateCommand::USAGE);
    };
    let settings = Settings::load(Path::new("data"))?;
    let db =
        Db::connect_with_pool_size(&settings.database_url, settings.database_pool_size).await?;
    let lines = command.run(&Migrations::of(Migrator), &db).await;
    db.close().await?;
    let mut stdout = std::io::stdout().lock();
    for line in lines? {
        writeln!(stdout, "{line}")?;
    }
    Ok(())
}
