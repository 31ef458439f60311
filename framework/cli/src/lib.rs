//! The `ferrocrud` command line.
//!
//! ```text
//! ferrocrud new NAME [--db sqlite|postgres] [--framework-path DIR]
//! ferrocrud generate service NAME
//! ferrocrud generate cmd SERVICE NAME
//! ferrocrud export openapi [--output FILE]
//! ```
//!
//! - `new` renders the project template (`cli-template/`, embedded in the
//!   binary, so it works offline) into `./NAME`: a server with roles, the
//!   user service and its abilities, a mailer to connect to a provider, and
//!   tests. `--framework-path` makes it depend on a local checkout of the
//!   ferrocrud workspace by path.
//! - `generate` adds a service or a command to the project around the
//!   current directory, at the marker comments the template ships; see
//!   [`generator`].
//! - `export openapi` runs the project's binary to print its OpenAPI
//!   document.
//!
//! Rendering and generating write through a [`fs::FileSystem`], on disk or
//! in memory.

pub mod cli;
pub mod commands;
pub mod fs;
pub mod generator;
pub mod names;
pub mod template;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::Cli;

/// Runs the command line of this process, reporting errors on standard
/// error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr().lock(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
