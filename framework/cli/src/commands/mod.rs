//! One module per subcommand.

mod export;
mod generate;
mod new;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command};
use crate::generator::Outcome;

/// Runs `cli` from the current directory.
///
/// # Errors
///
/// What the subcommand failed with.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let cwd = std::env::current_dir()?;
    match cli.command {
        Command::New(args) => new::run(&args, &cwd),
        Command::Generate(what) => generate::run(&what, &cwd),
        Command::Export(what) => export::run(&what, &cwd),
    }
}

/// The directory of the project around `dir`: the nearest one, `dir` or a
/// parent, with a `Cargo.toml` and a `src/services/mod.rs`.
fn project_root(dir: &Path) -> anyhow::Result<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("Cargo.toml").is_file() && d.join("src/services/mod.rs").is_file())
        .map(Path::to_owned)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "not inside a project made by `ferrocrud new` (no Cargo.toml with src/services/mod.rs in {} or its parents)",
                dir.display()
            )
        })
}

/// Writes a line to standard output.
fn say(line: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

/// Reports what a generator did.
fn report(what: &str, outcome: &Outcome) -> anyhow::Result<()> {
    match outcome {
        Outcome::Unchanged => say(&format!("{what} is already there: nothing to do")),
        Outcome::Changed { created, updated } => {
            say(&format!("generated {what}"))?;
            for path in created {
                say(&format!("  created {}", path.display()))?;
            }
            for path in updated {
                say(&format!("  updated {}", path.display()))?;
            }
            Ok(())
        }
    }
}
