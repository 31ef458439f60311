//! `generate migration NAME`: a migration module in `src/migration/`,
//! registered in the project's migrator; and the migration that
//! `generate service` adds for its table.

use std::path::{Path, PathBuf};

use super::{GenerateError, Injection, Plan, fill, read};
use crate::fs::FileSystem;
use crate::names::MigrationName;

const MIGRATION: &str = include_str!("../../templates/migration/migration.rs.t");

/// The project's migrator: its migration modules and their list.
pub(super) const MIGRATOR: &str = "src/migration/mod.rs";

/// A migration module's name: `m<YYYYMMDD_HHMMSS>_<snake>`. `stamp` is the
/// date and time it is made at, so that modules sort in the order they were
/// made.
fn module(stamp: &str, snake: &str) -> String {
    format!("m{stamp}_{snake}")
}

/// Whether `module` is `m<8 digits>_<6 digits>_<snake>`.
fn is_module_of(module: &str, snake: &str) -> bool {
    let Some(stamp) = module
        .strip_prefix('m')
        .and_then(|rest| rest.strip_suffix(snake))
        .and_then(|rest| rest.strip_suffix('_'))
    else {
        return false;
    };
    let (date, time) = stamp.split_at_checked(8).unwrap_or_default();
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && time.len() == 7
        && time.starts_with('_')
        && time[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The module of the migration named `snake` that the migrator in `text`
/// declares, if any.
fn declared_module(text: &str, snake: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .find(|module| is_module_of(module, snake))
        .map(str::to_owned)
}

/// What adds one migration to the migrator: its file, its `mod` line and
/// its registration.
pub(super) struct MigrationParts {
    /// The migration's file and contents.
    pub(super) file: (PathBuf, String),
    /// The `mod` line and the registration, at the migrator's markers.
    pub(super) injections: Vec<Injection>,
    /// The registration line: the migration is there when the migrator
    /// holds it.
    pub(super) registration: String,
}

/// The parts of migration `snake` with `contents` as its file, in a module
/// made at `stamp`, or in the one the migrator (whose text is `migrator`)
/// already declares for that name.
pub(super) fn migration_parts(
    migrator: &str,
    snake: &str,
    stamp: &str,
    contents: String,
) -> MigrationParts {
    let module = declared_module(migrator, snake).unwrap_or_else(|| module(stamp, snake));
    let registration = format!("migrations.push(Box::new({module}::Migration));");
    MigrationParts {
        file: (format!("src/migration/{module}.rs").into(), contents),
        injections: vec![
            Injection {
                path: MIGRATOR.into(),
                marker: "// ferrocrud:migration-modules",
                text: format!("mod {module};\n"),
                present: format!("mod {module};"),
                sorted: true,
            },
            Injection {
                path: MIGRATOR.into(),
                marker: "// ferrocrud:migrations",
                text: format!("{registration}\n"),
                present: registration.clone(),
                sorted: false,
            },
        ],
        registration,
    }
}

/// The plan that adds an empty migration named `name`, made at `stamp`
/// (`YYYYMMDD_HHMMSS`), to the project in `fs`. Run again, it finds the
/// module it made and changes nothing.
///
/// # Errors
///
/// [`GenerateError::MissingFile`] when the project has no migrator
/// (`src/migration/mod.rs`).
pub fn migration_plan(
    fs: &dyn FileSystem,
    name: &MigrationName,
    stamp: &str,
) -> Result<Plan, GenerateError> {
    let migrator = read(fs, Path::new(MIGRATOR))?
        .ok_or_else(|| GenerateError::MissingFile(MIGRATOR.into()))?;
    let contents = fill(MIGRATION, &[("ferrocrud_migration", name.snake.as_str())]);
    let parts = migration_parts(&migrator, &name.snake, stamp, contents);
    Ok(Plan {
        what: format!("migration `{name}`"),
        applied_when: (MIGRATOR.into(), parts.registration),
        files: vec![parts.file],
        injections: parts.injections,
    })
}
