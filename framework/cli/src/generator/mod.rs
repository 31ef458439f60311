//! Generators: the changes that add a service, a command or a migration to
//! a project,
//! planned in memory, checked, then written through a [`FileSystem`].
//!
//! A [`Plan`] creates files and injects lines at marker comments that the
//! template ships (`// ferrocrud:…`). Applying it is idempotent and
//! all-or-nothing:
//!
//! - when the plan was applied before (its generated wiring file says so),
//!   what is present is kept and only what is missing is written, so a second
//!   run changes nothing;
//! - otherwise any file or line the plan would add that already exists is a
//!   name clash, reported before anything is written;
//! - a missing marker is reported, naming the file and the marker, before
//!   anything is written.

mod cmd;
mod inject;
mod migration;
mod service;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use self::cmd::cmd_plan;
pub use self::migration::migration_plan;
pub use self::service::service_plan;

use crate::fs::FileSystem;
use crate::names::NameError;

/// Changes that add one thing (a service, a command) to a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What the plan adds, for messages: ``service `profile` ``.
    pub what: String,
    /// The plan was applied before when this file contains this text.
    pub applied_when: (PathBuf, String),
    /// Files to create: path and contents.
    pub files: Vec<(PathBuf, String)>,
    /// Lines to add to existing files.
    pub injections: Vec<Injection>,
}

/// Lines to add to a file at a marker comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The file.
    pub path: PathBuf,
    /// The marker comment, a line of its own (e.g. `// ferrocrud:services`).
    pub marker: &'static str,
    /// The lines, without indentation: they take the marker's.
    pub text: String,
    /// The injection was made when the file holds this text as whole words.
    pub present: String,
    /// Whether the lines go in order into the run of lines just above the
    /// marker (`mod` declarations, which rustfmt sorts), rather than just
    /// above the marker.
    pub sorted: bool,
}

/// What applying a plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Files were created or updated.
    Changed {
        /// Files created.
        created: Vec<PathBuf>,
        /// Files updated.
        updated: Vec<PathBuf>,
    },
    /// Everything was there already.
    Unchanged,
}

/// Why a generator refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// A name that cannot be used.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The name is taken by something the generator did not make.
    #[error("cannot generate {what}: {reason}")]
    Clash {
        /// What was to be generated.
        what: String,
        /// What is in the way.
        reason: String,
    },
    /// A marker comment the generator writes at is missing.
    #[error(
        "cannot generate {what}: {} has no `{marker}` line; put the marker back where the template had it",
        path.display()
    )]
    MissingMarker {
        /// What was to be generated.
        what: String,
        /// The file.
        path: PathBuf,
        /// The marker.
        marker: &'static str,
    },
    /// A file every project has is missing.
    #[error("{} not found: run this inside a project made by `ferrocrud new`", .0.display())]
    MissingFile(PathBuf),
    /// A command for a service that `generate service` did not make.
    #[error(
        "no service `{service}` made by `ferrocrud generate service` ({} not found or not generated)",
        path.display()
    )]
    UnknownService {
        /// The service asked for.
        service: String,
        /// Its wiring file.
        path: PathBuf,
    },
    /// `Cargo.toml` names no package.
    #[error("Cargo.toml has no [package] name")]
    NoPackageName,
    /// A file cannot be read or written.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The crate name of the project in `fs` (its package name with `-` as
/// `_`), read from `Cargo.toml`.
///
/// # Errors
///
/// [`GenerateError::MissingFile`] without `Cargo.toml`,
/// [`GenerateError::NoPackageName`] without a package name.
pub fn project_crate(fs: &dyn FileSystem) -> Result<String, GenerateError> {
    let manifest = read(fs, Path::new("Cargo.toml"))?
        .ok_or_else(|| GenerateError::MissingFile("Cargo.toml".into()))?;
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name").map(str::trim_start)
            && let Some(value) = value.strip_prefix('=')
        {
            let name = value.trim().trim_matches('"');
            if !name.is_empty() {
                return Ok(name.replace('-', "_"));
            }
        }
    }
    Err(GenerateError::NoPackageName)
}

/// Applies `plan` to the project in `fs`.
///
/// # Errors
///
/// [`GenerateError::Clash`], [`GenerateError::MissingMarker`] and
/// [`GenerateError::MissingFile`] before anything is written;
/// [`GenerateError::Io`] when a file cannot be read or written.
pub fn apply(plan: &Plan, fs: &mut dyn FileSystem) -> Result<Outcome, GenerateError> {
    let (done_path, done_text) = &plan.applied_when;
    let applied = read(fs, done_path)?.is_some_and(|text| text.contains(done_text.as_str()));
    let clash = |reason: String| GenerateError::Clash {
        what: plan.what.clone(),
        reason,
    };

    let mut created = Vec::new();
    for (path, contents) in &plan.files {
        match read(fs, path)? {
            Some(_) if applied => {}
            Some(_) => return Err(clash(format!("{} already exists", path.display()))),
            None => created.push((path, contents)),
        }
    }

    let mut updated: BTreeMap<&Path, String> = BTreeMap::new();
    for injection in &plan.injections {
        let path = injection.path.as_path();
        let text = match updated.get(path) {
            Some(text) => text.clone(),
            None => read(fs, path)?.ok_or_else(|| GenerateError::MissingFile(path.to_owned()))?,
        };
        if inject::contains_words(&text, &injection.present) {
            if applied {
                continue;
            }
            return Err(clash(format!(
                "{} already has `{}`",
                path.display(),
                injection.present
            )));
        }
        let text =
            inject::insert(&text, injection).ok_or_else(|| GenerateError::MissingMarker {
                what: plan.what.clone(),
                path: path.to_owned(),
                marker: injection.marker,
            })?;
        updated.insert(path, text);
    }

    if created.is_empty() && updated.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    for (path, contents) in &created {
        write(fs, path, contents)?;
    }
    for (path, text) in &updated {
        write(fs, path, text)?;
    }
    Ok(Outcome::Changed {
        created: created.into_iter().map(|(p, _)| p.clone()).collect(),
        updated: updated.into_keys().map(Path::to_owned).collect(),
    })
}

/// Replaces each placeholder of `vars` in `template`, in order.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(template.to_owned(), |text, (from, to)| {
        text.replace(from, to)
    })
}

fn read(fs: &dyn FileSystem, path: &Path) -> Result<Option<String>, GenerateError> {
    fs.read(path).map_err(|source| GenerateError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })
}

fn write(fs: &mut dyn FileSystem, path: &Path, text: &str) -> Result<(), GenerateError> {
    fs.write(path, text).map_err(|source| GenerateError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests;
