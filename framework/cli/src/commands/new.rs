//! `ferrocrud new`: renders the template into `./NAME`.

use std::path::Path;

use anyhow::Context as _;

use super::say;
use crate::cli::NewArgs;
use crate::fs::DiskFs;
use crate::names::ProjectName;
use crate::template::{self, Dependencies, RenderOptions};

/// Creates the project `args.name` in `cwd`.
pub(super) fn run(args: &NewArgs, cwd: &Path) -> anyhow::Result<()> {
    let name = ProjectName::parse(&args.name, &template::dependency_names())?;
    let dependencies = match &args.framework_path {
        None => Dependencies::Registry,
        Some(dir) => {
            let root = cwd
                .join(dir)
                .canonicalize()
                .with_context(|| format!("framework path {} not found", dir.display()))?;
            if !root.join("framework/core/Cargo.toml").is_file() {
                anyhow::bail!(
                    "framework path {} is not a checkout of the ferrocrud workspace (no framework/core/Cargo.toml)",
                    root.display()
                );
            }
            Dependencies::Path(root)
        }
    };
    let dir = cwd.join(&name.package);
    if dir.exists() {
        anyhow::bail!("{} already exists", dir.display());
    }
    let options = RenderOptions {
        name,
        database: args.db,
        dependencies,
    };
    template::render(&options, &mut DiskFs::new(&dir))
        .with_context(|| format!("cannot create the project in {}", dir.display()))?;
    say(&format!("created {}", dir.display()))?;
    say(&format!(
        "next: cd {} && cargo run (the server) or cargo test (its tests)",
        options.name.package
    ))
}
