//! The layers, merged by figment: defaults, then the settings file, then the
//! environment; and where each value came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::providers::{Format as _, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::error::SettingsError;
use super::values::{Expected, shown};
use super::{CONFIG_FILE, KEYS, defaults};

/// The environment variable naming another settings file.
pub const CONFIG_FILE_VAR: &str = "CONFIG_FILE";

/// What settings are read from: the process's, or a test's.
#[derive(Clone, Default)]
pub struct Inputs {
    /// Where the defaults' files live (the generated JWT secret among them).
    pub data_dir: PathBuf,
    /// Where the settings file is looked for, and `CONFIG_FILE` is relative to.
    pub work_dir: PathBuf,
    /// The environment variables.
    pub env: BTreeMap<String, String>,
}

impl fmt::Debug for Inputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Variables' names only: their values may be secrets.
        f.debug_struct("Inputs")
            .field("data_dir", &self.data_dir)
            .field("work_dir", &self.work_dir)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Inputs {
    /// The process's: `data_dir`, the working directory, and the variables
    /// of the keys and `CONFIG_FILE`.
    ///
    /// # Errors
    ///
    /// [`SettingsError::NotUnicode`]: one of these variables is not UTF-8.
    pub fn from_process(data_dir: &Path) -> Result<Self, SettingsError> {
        let mut env = BTreeMap::new();
        for var in KEYS.iter().map(|(_, var)| *var).chain([CONFIG_FILE_VAR]) {
            match std::env::var(var) {
                Ok(value) => {
                    env.insert(var.to_owned(), value);
                }
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(SettingsError::NotUnicode(var));
                }
            }
        }
        Ok(Self {
            data_dir: data_dir.to_owned(),
            work_dir: PathBuf::from("."),
            env,
        })
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default (or nothing, for a key without one).
    Default,
    /// The settings file, as named.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Env(var) => write!(f, "environment {var}"),
        }
    }
}

/// A key and where its value came from, as messages name it: "`PORT`
/// (environment)", "`port` in app.toml", "`port` (default)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The key's name in the file.
    pub key: &'static str,
    /// Where its value came from.
    pub source: Source,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Source::Default => write!(f, "`{}` (default)", self.key),
            Source::File(path) => write!(f, "`{}` in {}", self.key, path.display()),
            Source::Env(var) => write!(f, "`{var}` (environment)"),
        }
    }
}

/// One line of `config print`: a key, its value as shown (secrets
/// redacted; `None` when unset) and its source.
#[derive(Clone)]
pub(super) struct Entry {
    pub(super) key: &'static str,
    pub(super) shown: Option<String>,
    pub(super) source: Source,
}

/// The names figment's metadata gives the layers.
const DEFAULT_LAYER: &str = "default";
const FILE_LAYER: &str = "file";
const ENV_LAYER: &str = "environment";

/// The three layers, merged.
pub(super) struct Layers {
    figment: Figment,
}

impl Layers {
    /// Reads the layers of `inputs`.
    ///
    /// # Errors
    ///
    /// A `CONFIG_FILE` that does not exist, a file that is not TOML or that
    /// holds unknown keys.
    pub(super) fn read(inputs: &Inputs) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Layer {
            metadata: Metadata::named(DEFAULT_LAYER),
            dict: defaults(&inputs.data_dir),
        });
        if let Some((shown, path)) = config_file(inputs)? {
            let dict = Toml::file_exact(&path)
                .data()
                .map_err(|err| SettingsError::Unreadable {
                    path: shown.clone(),
                    reason: without_quoted_lines(&err.to_string()),
                })?
                .remove(&Profile::Default)
                .unwrap_or_default();
            let unknown: Vec<String> = dict
                .keys()
                .filter(|key| !KEYS.iter().any(|(name, _)| name == key))
                .cloned()
                .collect();
            if !unknown.is_empty() {
                return Err(SettingsError::UnknownKeys {
                    path: shown,
                    keys: unknown,
                });
            }
            figment = figment.merge(Layer {
                metadata: Metadata::from(FILE_LAYER, &*shown),
                dict,
            });
        }
        let mut env = Dict::new();
        for (key, var) in KEYS {
            match inputs.env.get(*var) {
                // Empty is unset, except for `METRICS_ADDR`, where it is `off`.
                Some(value) if !value.is_empty() || *key == "metrics_addr" => {
                    env.insert((*key).to_owned(), value.as_str().into());
                }
                _ => {}
            }
        }
        Ok(Self {
            figment: figment.merge(Layer {
                metadata: Metadata::named(ENV_LAYER),
                dict: env,
            }),
        })
    }

    /// `key` and where its value came from.
    pub(super) fn origin(&self, key: &'static str) -> Origin {
        let metadata = self.figment.find_metadata(key);
        let source = match metadata.map(|m| (&*m.name, m.source.as_ref())) {
            Some((ENV_LAYER, _)) => Source::Env(env_var(key)),
            Some((FILE_LAYER, Some(source))) => source
                .file_path()
                .map_or(Source::Default, |path| Source::File(path.to_owned())),
            _ => Source::Default,
        };
        Origin { key, source }
    }

    /// The value of `key`, if any, parsed.
    ///
    /// # Errors
    ///
    /// [`SettingsError::Invalid`], naming the key and its source.
    pub(super) fn optional<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&Value) -> Result<T, Expected>,
    ) -> Result<Option<T>, SettingsError> {
        let Ok(value) = self.figment.find_value(key) else {
            return Ok(None);
        };
        parse(&value)
            .map(Some)
            .map_err(|expected| SettingsError::Invalid {
                origin: self.origin(key),
                value: shown(key, &value, false),
                expected,
            })
    }

    /// The value of a key that has a default, parsed.
    ///
    /// # Errors
    ///
    /// [`SettingsError::Invalid`], naming the key and its source.
    pub(super) fn required<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&Value) -> Result<T, Expected>,
    ) -> Result<T, SettingsError> {
        self.optional(key, parse)?
            .ok_or(SettingsError::Missing(key))
    }

    /// Every key's line of `config print`, in the order of the keys.
    pub(super) fn entries(&self) -> Vec<Entry> {
        KEYS.iter()
            .map(|(key, _)| Entry {
                key,
                shown: self
                    .figment
                    .find_value(key)
                    .ok()
                    .map(|value| shown(key, &value, true)),
                source: self.origin(key).source,
            })
            .collect()
    }
}

/// One layer for figment: a dictionary, and the name of its values' source.
struct Layer {
    metadata: Metadata,
    dict: Dict,
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// The settings file, if any: as messages name it, and where it is read.
fn config_file(inputs: &Inputs) -> Result<Option<(PathBuf, PathBuf)>, SettingsError> {
    if let Some(named) = inputs.env.get(CONFIG_FILE_VAR).filter(|v| !v.is_empty()) {
        let path = inputs.work_dir.join(named);
        if !path.is_file() {
            return Err(SettingsError::MissingFile(PathBuf::from(named)));
        }
        return Ok(Some((PathBuf::from(named), path)));
    }
    let path = inputs.work_dir.join(CONFIG_FILE);
    Ok(path.is_file().then(|| (PathBuf::from(CONFIG_FILE), path)))
}

/// A TOML error without the lines of the file it quotes (`1 | jwt_secret =
/// "…`), which may hold a secret: "TOML parse error at line 1, column 14:
/// invalid basic string".
fn without_quoted_lines(reason: &str) -> String {
    reason
        .lines()
        .map(str::trim)
        .filter(|line| {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            !line.is_empty() && !rest.trim_start().starts_with('|')
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// The environment variable of `key`.
fn env_var(key: &'static str) -> &'static str {
    KEYS.iter()
        .find(|(name, _)| *name == key)
        .map_or(key, |(_, var)| var)
}
