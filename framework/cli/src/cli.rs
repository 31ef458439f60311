//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::template::Database;

/// The ferrocrud command line: new projects, generators, exports.
#[derive(Debug, Parser)]
#[command(name = "ferrocrud", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Creates a project in ./NAME from the template.
    New(NewArgs),
    /// Adds a service, a command or a migration to the project around the
    /// current directory.
    #[command(subcommand)]
    Generate(Generate),
    /// Exports a description of the project around the current directory.
    #[command(subcommand)]
    Export(Export),
}

/// `ferrocrud new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The project's name: its directory and package name (lower case,
    /// digits, `-` and `_`, starting with a letter).
    pub name: String,
    /// The database the server uses when `DATABASE_URL` is not set.
    #[arg(long, value_enum, default_value_t = Database::Sqlite)]
    pub db: Database,
    /// A local checkout of the ferrocrud workspace: the project depends on
    /// its crates by path instead of by version.
    #[arg(long, value_name = "DIR")]
    pub framework_path: Option<PathBuf>,
}

/// `ferrocrud generate`.
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Adds a service: its entity, default abilities, registration and tests.
    Service {
        /// The service's name (e.g. `profile`, `user-profile`); routes use
        /// its kebab-case form, Rust its snake_case form.
        name: String,
    },
    /// Adds a command to a generated service: its DTO in `src/shared.rs`, its
    /// handler, an ability stub that denies everyone, and a test.
    Cmd {
        /// The service, made by `ferrocrud generate service`.
        service: String,
        /// The command's name (e.g. `publish`); it is used in snake_case.
        name: String,
    },
    /// Adds an empty migration to `src/migration/`, after the others in the
    /// project's migrator.
    Migration {
        /// The migration's name (e.g. `add_profile_summary`); its module is
        /// `m<YYYYMMDD_HHMMSS>_<name in snake_case>`.
        name: String,
    },
}

/// `ferrocrud export`.
#[derive(Debug, Subcommand)]
pub enum Export {
    /// The OpenAPI document of the project, made by running its binary
    /// (`cargo run -- export openapi`).
    Openapi {
        /// Writes the document to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}
