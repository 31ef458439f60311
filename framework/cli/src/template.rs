//! The project template (`cli-template/`, embedded in the binary) and its
//! rendering into a new project.
//!
//! `cli-template/` is a real crate that builds and passes its tests where it
//! stands. Rendering copies it and replaces, as plain text:
//!
//! - the placeholders `ferrocrud-app` (package name) and `ferrocrud_app`
//!   (crate name) by the project's name;
//! - the path dependencies on this workspace (`path = "../framework/…"`) by
//!   paths into a given checkout, or by versioned dependencies;
//! - for PostgreSQL, the default database URL.
//!
//! Files only the template needs (`.cargo/`, a stray `target/`) are left out.

use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::fs::FileSystem;
use crate::names::ProjectName;

static TEMPLATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../cli-template");

/// Top-level template entries that are not part of a project.
const TEMPLATE_ONLY: &[&str] = &[".cargo", "target"];

/// The package-name placeholder.
pub const PACKAGE_PLACEHOLDER: &str = "ferrocrud-app";

/// The crate-name placeholder.
pub const CRATE_PLACEHOLDER: &str = "ferrocrud_app";

/// The SQLite default of `src/settings.rs`.
const SQLITE_URL: &str = "\"sqlite://data/ferrocrud_app.sqlite\"";

/// What replaces it for PostgreSQL.
const POSTGRES_URL: &str = "\"postgres://postgres@localhost:5432/ferrocrud_app\"";

/// The README's words for the SQLite default.
const SQLITE_README: &str = "SQLite under ./data/";

/// What replaces them for PostgreSQL.
const POSTGRES_README: &str = "PostgreSQL on localhost";

/// The database a new project uses when `DATABASE_URL` is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Database {
    /// A SQLite file under `./data/`.
    Sqlite,
    /// A PostgreSQL database on localhost.
    Postgres,
}

/// How a new project depends on the ferrocrud crates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependencies {
    /// By version, from the registry.
    Registry,
    /// By path, into this checkout of the ferrocrud workspace.
    Path(PathBuf),
}

/// What to render.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The project's name.
    pub name: ProjectName,
    /// Its default database.
    pub database: Database,
    /// How it depends on ferrocrud.
    pub dependencies: Dependencies,
}

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A template file is not UTF-8 text.
    #[error("template file {0} is not UTF-8 text")]
    NotText(PathBuf),
    /// A template file lacks a text rendering replaces (a template bug).
    #[error("template file {path} lacks `{text}`")]
    MissingText {
        /// The template file.
        path: PathBuf,
        /// What it should contain.
        text: String,
    },
    /// The framework path cannot be written into `Cargo.toml`.
    #[error("the framework path {0} is not UTF-8")]
    PathNotText(PathBuf),
    /// A file cannot be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The crates the template depends on: a project may not take their names.
pub fn dependency_names() -> Vec<String> {
    let manifest = TEMPLATE
        .get_file("Cargo.toml")
        .and_then(|f| f.contents_utf8())
        .unwrap_or_default();
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.ends_with("dependencies]");
        } else if in_dependencies && let Some((name, _)) = line.split_once('=') {
            names.push(name.trim().to_owned());
        }
    }
    names
}

/// Renders the template into `fs` and answers the files written.
///
/// # Errors
///
/// [`RenderError`]: a file that cannot be written, or a template that lacks
/// what rendering replaces.
pub fn render(
    options: &RenderOptions,
    fs: &mut dyn FileSystem,
) -> Result<Vec<PathBuf>, RenderError> {
    let mut files = Vec::new();
    collect(&TEMPLATE, &mut files);
    let mut written = Vec::new();
    for (path, contents) in files {
        let text = render_file(path, contents, options)?;
        fs.write(path, &text).map_err(|source| RenderError::Write {
            path: path.to_owned(),
            source,
        })?;
        written.push(path.to_owned());
    }
    Ok(written)
}

/// The project's files: every template file but the template-only ones.
fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<(&'a Path, &'a [u8])>) {
    for entry in dir.entries() {
        let path = entry.path();
        let top = path
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str());
        if top.is_some_and(|top| TEMPLATE_ONLY.contains(&top)) {
            continue;
        }
        match entry {
            DirEntry::Dir(sub) => collect(sub, out),
            DirEntry::File(file) => out.push((file.path(), file.contents())),
        }
    }
}

/// One file of the project.
fn render_file(
    path: &Path,
    contents: &[u8],
    options: &RenderOptions,
) -> Result<String, RenderError> {
    let mut text = std::str::from_utf8(contents)
        .map_err(|_| RenderError::NotText(path.to_owned()))?
        .to_owned();
    if path == Path::new("Cargo.toml") {
        text = rewrite_dependencies(&text, &options.dependencies)?;
    }
    if options.database == Database::Postgres {
        if path == Path::new("src/settings.rs") {
            text = replace_required(&text, path, SQLITE_URL, POSTGRES_URL)?;
        } else if path == Path::new("README.md") {
            text = replace_required(&text, path, SQLITE_README, POSTGRES_README)?;
        }
    }
    Ok(text
        .replace(PACKAGE_PLACEHOLDER, &options.name.package)
        .replace(CRATE_PLACEHOLDER, &options.name.ident))
}

fn replace_required(text: &str, path: &Path, from: &str, to: &str) -> Result<String, RenderError> {
    if !text.contains(from) {
        return Err(RenderError::MissingText {
            path: path.to_owned(),
            text: from.to_owned(),
        });
    }
    Ok(text.replace(from, to))
}

/// Rewrites the path dependencies on the workspace (`path = "../…"`): into
/// `checkout`, or into versioned dependencies.
fn rewrite_dependencies(
    manifest: &str,
    dependencies: &Dependencies,
) -> Result<String, RenderError> {
    const PATH: &str = "path = \"../";
    let missing = || RenderError::MissingText {
        path: PathBuf::from("Cargo.toml"),
        text: PATH.to_owned(),
    };
    let root = match dependencies {
        Dependencies::Registry => None,
        Dependencies::Path(root) => {
            let text = root
                .to_str()
                .ok_or_else(|| RenderError::PathNotText(root.clone()))?;
            Some(
                text.trim_end_matches('/')
                    .replace('\\', "\\\\")
                    .replace('"', "\\\""),
            )
        }
    };
    let mut rewritten = 0;
    let mut out = String::with_capacity(manifest.len());
    for line in manifest.split_inclusive('\n') {
        let Some(start) = line.find(PATH) else {
            out.push_str(line);
            continue;
        };
        match &root {
            Some(root) => {
                out.push_str(&line[..start]);
                out.push_str(&format!("path = \"{root}/"));
                out.push_str(&line[start + PATH.len()..]);
            }
            None => {
                let value = start + "path = \"".len();
                let end = line[value..].find('"').ok_or_else(missing)? + value + 1;
                let rest = line[end..].strip_prefix(", ").ok_or_else(missing)?;
                out.push_str(&line[..start]);
                out.push_str(rest);
            }
        }
        rewritten += 1;
    }
    if rewritten == 0 {
        return Err(missing());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemoryFs;

    fn options(database: Database, dependencies: Dependencies) -> RenderOptions {
        RenderOptions {
            name: ProjectName::parse("my-app", &[]).expect("valid"),
            database,
            dependencies,
        }
    }

    fn rendered(options: &RenderOptions) -> MemoryFs {
        let mut fs = MemoryFs::new();
        render(options, &mut fs).expect("rendered");
        fs
    }

    #[test]
    fn renders_a_complete_project_without_placeholders() {
        let fs = rendered(&options(Database::Sqlite, Dependencies::Registry));
        for path in [
            "Cargo.toml",
            "Cargo.lock",
            "README.md",
            ".gitignore",
            "src/main.rs",
            "src/lib.rs",
            "src/email.rs",
            "src/roles.rs",
            "src/services/user/mod.rs",
            "src/services/user/entity.rs",
            "src/shared.rs",
            "tests/main.rs",
        ] {
            assert!(fs.get(path).is_some(), "{path} rendered");
        }
        for (path, text) in fs.files() {
            assert!(
                !text.contains(PACKAGE_PLACEHOLDER),
                "{} keeps a placeholder",
                path.display()
            );
            assert!(
                !text.contains(CRATE_PLACEHOLDER),
                "{} keeps a placeholder",
                path.display()
            );
        }
        let main = fs.get("src/main.rs").expect("main.rs");
        assert!(main.contains("use my_app::server;"));
        let manifest = fs.get("Cargo.toml").expect("Cargo.toml");
        assert!(manifest.contains("name = \"my-app\""));
    }

    #[test]
    fn leaves_out_template_only_files() {
        let fs = rendered(&options(Database::Sqlite, Dependencies::Registry));
        assert!(TEMPLATE.get_file(".cargo/config.toml").is_some());
        assert!(
            fs.files()
                .keys()
                .all(|p| !p.starts_with(".cargo") && !p.starts_with("target"))
        );
    }

    #[test]
    fn versioned_dependencies_carry_this_version() {
        let fs = rendered(&options(Database::Sqlite, Dependencies::Registry));
        let manifest = fs.get("Cargo.toml").expect("Cargo.toml");
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            manifest.contains(&format!("ferrocrud = {{ version = \"{version}\" }}")),
            "{manifest}"
        );
        assert!(manifest.contains(&format!("ferrocrud-client = {{ version = \"{version}\" }}")));
        assert!(!manifest.contains("path = \"../"), "{manifest}");
        assert!(!manifest.contains("framework/"), "{manifest}");
    }

    #[test]
    fn path_dependencies_point_into_the_checkout() {
        let fs = rendered(&options(
            Database::Sqlite,
            Dependencies::Path(PathBuf::from("/src/ferro \"crud\"/")),
        ));
        let manifest = fs.get("Cargo.toml").expect("Cargo.toml");
        assert!(manifest.contains(
            "ferrocrud = { path = \"/src/ferro \\\"crud\\\"/framework/core\", version = \"0.1.0\" }"
        ), "{manifest}");
        assert!(!manifest.contains("\"../"));
    }

    #[test]
    fn postgres_is_the_default_database_when_asked() {
        let fs = rendered(&options(Database::Postgres, Dependencies::Registry));
        let settings = fs.get("src/settings.rs").expect("settings.rs");
        assert!(settings.contains("\"postgres://postgres@localhost:5432/my_app\""));
        assert!(!settings.contains("sqlite://data"));
        assert!(
            fs.get("README.md")
                .expect("README")
                .contains(POSTGRES_README)
        );
        let sqlite = rendered(&options(Database::Sqlite, Dependencies::Registry));
        assert!(
            sqlite
                .get("src/settings.rs")
                .expect("settings.rs")
                .contains("\"sqlite://data/my_app.sqlite\"")
        );
    }

    #[test]
    fn a_manifest_without_path_dependencies_is_a_template_bug() {
        let err = rewrite_dependencies("[dependencies]\nserde = \"1\"\n", &Dependencies::Registry)
            .expect_err("nothing to rewrite");
        assert_eq!(
            err.to_string(),
            "template file Cargo.toml lacks `path = \"../`"
        );
    }

    #[test]
    fn dependency_names_come_from_the_template() {
        let names = dependency_names();
        for name in ["ferrocrud", "ferrocrud-client", "serde", "tokio", "sea-orm"] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
    }
}
