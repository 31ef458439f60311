//! `ferrocrud generate service|cmd`: adds to the project around the current
//! directory.

use std::path::Path;

use super::{project_root, report};
use crate::cli::Generate;
use crate::fs::DiskFs;
use crate::generator::{self, apply, cmd_plan, service_plan};
use crate::names::{CmdName, ServiceName};

/// Runs a generator in the project around `cwd`.
pub(super) fn run(what: &Generate, cwd: &Path) -> anyhow::Result<()> {
    let mut fs = DiskFs::new(project_root(cwd)?);
    let project = generator::project_crate(&fs)?;
    let plan = match what {
        Generate::Service { name } => service_plan(&project, &ServiceName::parse(name)?)?,
        Generate::Cmd { service, name } => cmd_plan(
            &fs,
            &project,
            &ServiceName::parse(service)?,
            &CmdName::parse(name)?,
        )?,
    };
    let outcome = apply(&plan, &mut fs)?;
    report(&plan.what, &outcome)
}
