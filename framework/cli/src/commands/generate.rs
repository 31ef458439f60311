//! `ferrocrud generate service|cmd|migration`: adds to the project around
//! the current directory.

use std::path::Path;

use super::{project_root, report};
use crate::cli::Generate;
use crate::fs::DiskFs;
use crate::generator::{self, apply, cmd_plan, migration_plan, service_plan};
use crate::names::{CmdName, MigrationName, ServiceName};

/// Runs a generator in the project around `cwd`.
pub(super) fn run(what: &Generate, cwd: &Path) -> anyhow::Result<()> {
    let mut fs = DiskFs::new(project_root(cwd)?);
    let project = generator::project_crate(&fs)?;
    // Migration modules are named after the time they are made at (UTC).
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    let plan = match what {
        Generate::Service { name } => {
            service_plan(&fs, &project, &ServiceName::parse(name)?, &stamp)?
        }
        Generate::Cmd { service, name } => cmd_plan(
            &fs,
            &project,
            &ServiceName::parse(service)?,
            &CmdName::parse(name)?,
        )?,
        Generate::Migration { name } => migration_plan(&fs, &MigrationName::parse(name)?, &stamp)?,
    };
    let outcome = apply(&plan, &mut fs)?;
    report(&plan.what, &outcome)
}
