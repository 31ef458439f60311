//! [`MigrateCommand`]: the `migrate` subcommand of an application's binary.

use super::Migrations;
use crate::error::Result;
use crate::storage::Db;

/// What `migrate up|down|status` asks of an application's [`Migrations`]:
/// the words after `migrate` on its command line, parsed once, then run.
///
/// ```
/// use ferrocrud::migration::MigrateCommand;
///
/// assert_eq!(MigrateCommand::parse(&["up"]), Some(MigrateCommand::Up));
/// assert_eq!(MigrateCommand::parse(&["down"]), Some(MigrateCommand::Down { steps: 1 }));
/// assert_eq!(MigrateCommand::parse(&["down", "3"]), Some(MigrateCommand::Down { steps: 3 }));
/// assert_eq!(MigrateCommand::parse(&["sideways"]), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateCommand {
    /// `migrate up`: applies every pending migration.
    Up,
    /// `migrate down [STEPS]`: rolls back the last `steps` applied
    /// migrations (one by default), newest first.
    Down {
        /// How many.
        steps: u32,
    },
    /// `migrate status`: lists every migration, applied or pending.
    Status,
}

impl MigrateCommand {
    /// The accepted forms, for a usage message.
    pub const USAGE: &'static str = "migrate up | migrate down [STEPS] | migrate status";

    /// Reads the words after `migrate`; `None` when they are none of
    /// [`USAGE`](Self::USAGE)'s forms (`STEPS` is a whole number from 1).
    pub fn parse(args: &[&str]) -> Option<Self> {
        match args {
            ["up"] => Some(Self::Up),
            ["down"] => Some(Self::Down { steps: 1 }),
            ["down", steps] => steps
                .parse()
                .ok()
                .filter(|&steps| steps > 0)
                .map(|steps| Self::Down { steps }),
            ["status"] => Some(Self::Status),
            _ => None,
        }
    }

    /// Runs the command and answers the lines to print: one per migration
    /// applied, rolled back or listed (`applied  m20261207_…`), or one
    /// saying there was nothing to do.
    ///
    /// # Errors
    ///
    /// As [`Migrations::up`], [`Migrations::down`] and
    /// [`Migrations::status`].
    pub async fn run(self, migrations: &Migrations, db: &Db) -> Result<Vec<String>> {
        let lines = match self {
            Self::Up => labelled("applied", migrations.up(db).await?, "no pending migration"),
            Self::Down { steps } => labelled(
                "rolled back",
                migrations.down(db, steps).await?,
                "no applied migration",
            ),
            Self::Status => migrations
                .status(db)
                .await?
                .iter()
                .map(ToString::to_string)
                .collect(),
        };
        Ok(lines)
    }
}

/// `label  name` for each name, or `none` alone.
fn labelled(label: &str, names: Vec<String>, none: &str) -> Vec<String> {
    if names.is_empty() {
        return vec![none.to_owned()];
    }
    names
        .into_iter()
        .map(|name| format!("{label:<8} {name}"))
        .collect()
}
