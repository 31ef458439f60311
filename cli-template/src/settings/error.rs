//! Why settings are refused: each message names the key and where its value
//! came from.

use std::fmt;
use std::path::PathBuf;

use super::KEYS;
use super::layers::Origin;
use super::secret::MIN_SECRET_BYTES;

/// Why settings were refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A value that does not parse (shown redacted when it is a secret).
    #[error("{origin}: `{value}` is not {expected}")]
    Invalid {
        /// The key and its source.
        origin: Origin,
        /// The value as given.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
    /// Keys of the settings file that no setting has.
    #[error(
        "{}: unknown key{} {} (known keys: {})",
        path.display(),
        if keys.len() == 1 { "" } else { "s" },
        keys.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", "),
        KEYS.iter().map(|(key, _)| *key).collect::<Vec<_>>().join(", ")
    )]
    UnknownKeys {
        /// The file.
        path: PathBuf,
        /// Its unknown keys.
        keys: Vec<String>,
    },
    /// `CONFIG_FILE` names a file that does not exist.
    #[error("`CONFIG_FILE` (environment): {} does not exist", .0.display())]
    MissingFile(PathBuf),
    /// The settings file cannot be read, or is not TOML.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An environment variable that is not UTF-8.
    #[error("`{0}` (environment) is not UTF-8")]
    NotUnicode(&'static str),
    /// One of two keys that go together, without the other.
    #[error("{origin} is set but `{missing}` is not")]
    Unpaired {
        /// The key that is set.
        origin: Origin,
        /// The key that is not.
        missing: &'static str,
    },
    /// Production without a JWT secret.
    #[error(
        "`JWT_SECRET` (`jwt_secret` in the file) is not set and {environment} is `production`: \
         production needs a random secret of at least {MIN_SECRET_BYTES} bytes"
    )]
    MissingSecret {
        /// Where `environment` came from.
        environment: Origin,
    },
    /// A JWT secret production refuses.
    #[error(
        "{origin}: {reason}; production needs a random secret of at least {MIN_SECRET_BYTES} bytes"
    )]
    WeakSecret {
        /// Where the secret came from.
        origin: Origin,
        /// What is wrong with it.
        reason: WeakSecret,
    },
    /// The generated development secret cannot be kept.
    #[error("cannot keep the generated JWT secret in {}", path.display())]
    KeptSecret {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A key that has a default has no value (a bug of the defaults).
    #[error("`{0}` is not set")]
    Missing(&'static str),
}

/// What is wrong with a JWT secret in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeakSecret {
    /// One of the [published examples](super::PLACEHOLDER_SECRETS).
    Placeholder,
    /// Fewer than [`MIN_SECRET_BYTES`] bytes: how many.
    Short(usize),
}

impl fmt::Display for WeakSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Placeholder => f.write_str("a published example value, not a secret"),
            Self::Short(len) => write!(f, "{len} bytes long"),
        }
    }
}
