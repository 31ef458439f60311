//! `ferrocrud export openapi`: runs the project's binary, which builds the
//! application and prints its OpenAPI document.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use super::project_root;
use crate::cli::Export;

/// Exports from the project around `cwd`.
pub(super) fn run(what: &Export, cwd: &Path) -> anyhow::Result<()> {
    let Export::Openapi { output } = what;
    let root = project_root(cwd)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let run = Command::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(root.join("Cargo.toml"))
        .args(["--", "export", "openapi"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !run.status.success() {
        anyhow::bail!("`cargo run -- export openapi` failed ({})", run.status);
    }
    match output {
        Some(path) => {
            let path = cwd.join(path);
            std::fs::write(&path, &run.stdout)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => std::io::stdout().lock().write_all(&run.stdout)?,
    }
    Ok(())
}
