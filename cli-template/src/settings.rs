//! The server's settings: built-in defaults, then a TOML file, then the
//! environment, each layer overriding the one before.
//!
//! | key (file) | environment | default |
//! |---|---|---|
//! | `host` | `HOST` | `127.0.0.1` |
//! | `port` | `PORT` | `3000` |
//! | `database_url` | `DATABASE_URL` | [`DEFAULT_DATABASE_URL`] |
//! | `jwt_secret` | `JWT_SECRET` | development: generated once and kept in `data/jwt_secret`; production: none, the server refuses to start |
//! | `log_format` | `LOG_FORMAT` | `text`; `json` for one JSON object per line and an access log line per request |
//! | `environment` | `APP_ENV` | `development`; or `production` |
//! | `metrics_addr` | `METRICS_ADDR` | none; a socket address, or `off` |
//! | `shutdown_timeout_secs` | `SHUTDOWN_TIMEOUT_SECS` | `30` |
//! | `login_throttle_ms` | `LOGIN_THROTTLE_MS` | the user service's (600 ms) |
//!
//! The file is [`CONFIG_FILE`] in the working directory when it exists, or
//! the one the variable `CONFIG_FILE` names, which must exist. Unknown keys
//! in it are refused. An empty environment variable counts as unset, except
//! `METRICS_ADDR`, where it means `off`.
//!
//! [`Config::load`] reads and checks every value, without side effects;
//! [`Config`]'s `Display` shows each value and where it came from, secrets
//! redacted (`cargo run -- config print`); [`Config::into_settings`]
//! resolves it into the [`Settings`] the server runs with. In production
//! (`APP_ENV`), the JWT secret must be set, at least [`MIN_SECRET_BYTES`]
//! long and none of the [`PLACEHOLDER_SECRETS`].
//!
//! ```
//! use ferrocrud_app::settings::{Config, Environment, Inputs};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("ferrocrud-app.toml"), "port = 8080\nenvironment = \"production\"\n")?;
//! let inputs = Inputs {
//!     data_dir: dir.path().join("data"),
//!     work_dir: dir.path().to_owned(),
//!     env: [("JWT_SECRET".to_owned(), "x".repeat(40))].into(),
//! };
//! let config = Config::load(&inputs)?;
//! let printed = config.to_string();
//! assert!(printed.contains("port = 8080 (file ferrocrud-app.toml)"));
//! assert!(printed.contains("jwt_secret = <redacted: 40 chars> (environment JWT_SECRET)"));
//! let settings = config.into_settings()?;
//! assert_eq!((settings.port, settings.environment), (8080, Environment::Production));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

mod error;
mod layers;
mod secret;
mod values;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferrocrud::user::UserOptions;
use figment::value::{Dict, Value};

pub use self::error::{SettingsError, WeakSecret};
pub use self::layers::{CONFIG_FILE_VAR, Inputs, Origin, Source};
pub use self::secret::{MIN_SECRET_BYTES, PLACEHOLDER_SECRETS, redact_url, redacted};
pub use self::values::{Environment, LogFormat};

use self::layers::{Entry, Layers};

/// The database used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ferrocrud_app.sqlite";

/// The settings file read from the working directory when it exists.
pub const CONFIG_FILE: &str = "ferrocrud-app.toml";

/// Every key: its name in the file, and its environment variable.
pub const KEYS: &[(&str, &str)] = &[
    ("host", "HOST"),
    ("port", "PORT"),
    ("database_url", "DATABASE_URL"),
    ("jwt_secret", "JWT_SECRET"),
    ("log_format", "LOG_FORMAT"),
    ("environment", "APP_ENV"),
    ("metrics_addr", "METRICS_ADDR"),
    ("shutdown_timeout_secs", "SHUTDOWN_TIMEOUT_SECS"),
    ("login_throttle_ms", "LOGIN_THROTTLE_MS"),
];

/// Keys whose values are never shown.
const SECRET_KEYS: &[&str] = &["jwt_secret"];

/// The defaults of the keys that have one.
fn defaults(_data_dir: &Path) -> Dict {
    let defaults: [(&str, Value); 6] = [
        ("host", "127.0.0.1".into()),
        ("port", 3000u16.into()),
        ("database_url", DEFAULT_DATABASE_URL.into()),
        ("log_format", "text".into()),
        ("environment", "development".into()),
        ("shutdown_timeout_secs", 30u64.into()),
    ];
    defaults
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// The checked settings and where each came from, before the server
/// resolves them into [`Settings`]. `Display` and `Debug` redact secrets.
#[derive(Clone)]
pub struct Config {
    data_dir: PathBuf,
    /// Without the JWT secret, which [`Config::into_settings`] sets.
    settings: Settings,
    jwt_secret: Option<String>,
    entries: Vec<Entry>,
}

impl Config {
    /// Reads the layers of `inputs` and checks every value, and in
    /// production the JWT secret.
    ///
    /// # Errors
    ///
    /// The first [`SettingsError`], naming the key and its source.
    pub fn load(inputs: &Inputs) -> Result<Self, SettingsError> {
        let layers = Layers::read(inputs)?;
        let settings = Settings {
            host: layers.required("host", values::text)?,
            port: layers.required("port", values::port)?,
            database_url: layers.required("database_url", values::database_url)?,
            jwt_secret: String::new(),
            login_throttle: layers
                .optional("login_throttle_ms", values::millis)?
                .map(Duration::from_millis),
            environment: layers.required("environment", values::environment)?,
            metrics_addr: layers
                .optional("metrics_addr", values::socket_addr_or_off)?
                .flatten(),
            shutdown_timeout: Duration::from_secs(
                layers.required("shutdown_timeout_secs", values::seconds)?,
            ),
            log_format: layers.required("log_format", values::log_format)?,
        };
        let jwt_secret = layers.optional("jwt_secret", values::text)?;
        secret::check(
            jwt_secret.as_deref(),
            layers.origin("jwt_secret"),
            settings.environment,
            layers.origin("environment"),
        )?;
        Ok(Self {
            data_dir: inputs.data_dir.clone(),
            settings,
            jwt_secret,
            entries: layers.entries(),
        })
    }

    /// How the server logs: known before logging starts.
    pub fn log_format(&self) -> LogFormat {
        self.settings.log_format
    }

    /// The settings the server runs with. In development without a JWT
    /// secret, one is generated once and kept in `data_dir/jwt_secret`
    /// (readable by the owner only), with a warning.
    ///
    /// # Errors
    ///
    /// [`SettingsError::KeptSecret`]: that file cannot be read or written.
    pub fn into_settings(self) -> Result<Settings, SettingsError> {
        let jwt_secret = match self.jwt_secret {
            Some(secret) => secret,
            None => secret::kept(&self.kept_secret())?,
        };
        Ok(Settings {
            jwt_secret,
            ..self.settings
        })
    }

    fn kept_secret(&self) -> PathBuf {
        self.data_dir.join("jwt_secret")
    }

    /// What `config print` says of a key without a value.
    fn unset(&self, key: &str) -> String {
        match key {
            "jwt_secret" => format!(
                "<unset: generated at start and kept in {}>",
                self.kept_secret().display()
            ),
            "login_throttle_ms" => "<unset: the user service's default>".to_owned(),
            "metrics_addr" => "<unset: off>".to_owned(),
            _ => "<unset>".to_owned(),
        }
    }
}

impl fmt::Display for Config {
    /// One line per key: `key = value (source)`, secrets redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for Entry { key, shown, source } in &self.entries {
            let value = shown.clone().unwrap_or_else(|| self.unset(key));
            writeln!(f, "{key} = {value} ({source})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|entry| (entry.key, &entry.shown)))
            .finish()
    }
}

/// What the server runs with.
///
/// Built by [`Settings::load`] (or [`Config::into_settings`]); tests and
/// tools that serve nothing start from [`Settings::in_memory`].
#[derive(Clone)]
pub struct Settings {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on.
    pub port: u16,
    /// SQLite (`sqlite://…`, `sqlite::memory:`) or PostgreSQL (`postgres://…`) URL.
    pub database_url: String,
    /// The secret access tokens are signed with.
    pub jwt_secret: String,
    /// Least time between two login attempts on one identifier, when not the
    /// user service's default (`None`: 600 ms).
    pub login_throttle: Option<Duration>,
    /// Development or production.
    pub environment: Environment,
    /// Where to serve metrics (`None`: nowhere).
    pub metrics_addr: Option<SocketAddr>,
    /// How long stopping waits for open requests.
    pub shutdown_timeout: Duration,
    /// How the server logs.
    pub log_format: LogFormat,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &redact_url(&self.database_url))
            .field("login_throttle", &self.login_throttle)
            .field("environment", &self.environment)
            .field("metrics_addr", &self.metrics_addr)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("log_format", &self.log_format)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// The process's settings: defaults, then [`CONFIG_FILE`] (or the file
    /// `CONFIG_FILE` names), then the environment; `data_dir` keeps the
    /// generated JWT secret.
    ///
    /// # Errors
    ///
    /// A [`SettingsError`] naming the key and its source.
    pub fn load(data_dir: &Path) -> Result<Self, SettingsError> {
        Config::load(&Inputs::from_process(data_dir)?)?.into_settings()
    }

    /// Every default, on an in-memory SQLite database, signing with
    /// `jwt_secret`: for tests and for tools that serve nothing.
    ///
    /// ```
    /// let settings = ferrocrud_app::settings::Settings::in_memory("a test secret");
    /// assert_eq!(settings.database_url, "sqlite::memory:");
    /// ```
    pub fn in_memory(jwt_secret: impl Into<String>) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: "sqlite::memory:".into(),
            jwt_secret: jwt_secret.into(),
            login_throttle: None,
            environment: Environment::Development,
            metrics_addr: None,
            shutdown_timeout: Duration::from_secs(30),
            log_format: LogFormat::Text,
        }
    }

    /// The user service's options: the secret, and the login throttle when set.
    ///
    /// ```
    /// let settings = ferrocrud_app::settings::Settings {
    ///     login_throttle: Some(std::time::Duration::from_millis(20)),
    ///     ..ferrocrud_app::settings::Settings::in_memory("a test secret")
    /// };
    /// let options = settings.user_options();
    /// assert_eq!(options.min_time_between_login_attempts.as_millis(), 20);
    /// ```
    pub fn user_options(&self) -> UserOptions {
        let mut options = UserOptions::new(self.jwt_secret.clone());
        if let Some(throttle) = self.login_throttle {
            options.min_time_between_login_attempts = throttle;
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A working directory of its own, with the settings file holding
    /// `file` when given.
    fn dir(file: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        if let Some(text) = file {
            std::fs::write(dir.path().join(CONFIG_FILE), text).expect("settings file written");
        }
        dir
    }

    fn inputs(dir: &Path, env: &[(&str, &str)]) -> Inputs {
        Inputs {
            data_dir: dir.join("data"),
            work_dir: dir.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn load(file: Option<&str>, env: &[(&str, &str)]) -> Result<Config, SettingsError> {
        let dir = dir(file);
        Config::load(&inputs(dir.path(), env))
    }

    fn settings(file: Option<&str>, env: &[(&str, &str)]) -> Settings {
        load(file, env)
            .and_then(Config::into_settings)
            .expect("valid settings")
    }

    fn error(file: Option<&str>, env: &[(&str, &str)]) -> String {
        load(file, env).expect_err("refused").to_string()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-not-a-placeholder";

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let dir = dir(None);
        let config = Config::load(&inputs(dir.path(), &[])).expect("defaults");
        let printed = config.to_string();
        let expected = [
            "host = \"127.0.0.1\" (default)".to_owned(),
            "port = 3000 (default)".to_owned(),
            format!("database_url = \"{DEFAULT_DATABASE_URL}\" (default)"),
            format!(
                "jwt_secret = <unset: generated at start and kept in {}> (default)",
                dir.path().join("data/jwt_secret").display()
            ),
            "log_format = \"text\" (default)".to_owned(),
            "environment = \"development\" (default)".to_owned(),
            "metrics_addr = <unset: off> (default)".to_owned(),
            "shutdown_timeout_secs = 30 (default)".to_owned(),
            "login_throttle_ms = <unset: the user service's default> (default)".to_owned(),
        ];
        assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
        let settings = config.into_settings().expect("settings");
        assert_eq!(settings.metrics_addr, None);
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(settings.login_throttle, None);
        assert_eq!(settings.jwt_secret.len(), 64);
    }

    #[test]
    fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
        let file = "host = \"0.0.0.0\"\nport = 4000\nmetrics_addr = \"127.0.0.1:9464\"\n";
        let config = load(Some(file), &[("PORT", "5000"), ("LOGIN_THROTTLE_MS", "25")])
            .expect("valid settings");
        let printed = config.to_string();
        for line in [
            format!("host = \"0.0.0.0\" (file {CONFIG_FILE})"),
            "port = 5000 (environment PORT)".to_owned(),
            format!("metrics_addr = \"127.0.0.1:9464\" (file {CONFIG_FILE})"),
            "login_throttle_ms = 25 (environment LOGIN_THROTTLE_MS)".to_owned(),
        ] {
            assert!(printed.contains(&line), "{line} in:\n{printed}");
        }
        let settings = config.into_settings().expect("settings");
        assert_eq!((settings.host.as_str(), settings.port), ("0.0.0.0", 5000));
        assert_eq!(settings.metrics_addr, Some(([127, 0, 0, 1], 9464).into()));
        assert_eq!(
            settings.user_options().min_time_between_login_attempts,
            Duration::from_millis(25)
        );
    }

    #[test]
    fn every_key_has_its_variable() {
        let env: Vec<(&str, &str)> = KEYS
            .iter()
            .map(|(key, var)| {
                let value = match *key {
                    "host" => "::1",
                    "port" | "shutdown_timeout_secs" | "login_throttle_ms" => "7",
                    "database_url" => "postgres://db/app",
                    "log_format" => "json",
                    "environment" => "production",
                    "metrics_addr" => "off",
                    _ => SECRET,
                };
                (*var, value)
            })
            .collect();
        let printed = load(None, &env).expect("valid settings").to_string();
        for (key, var) in KEYS {
            let line = printed
                .lines()
                .find(|line| line.starts_with(&format!("{key} = ")))
                .unwrap_or_else(|| panic!("{key} in:\n{printed}"));
            assert!(line.ends_with(&format!("(environment {var})")), "{line}");
        }
        let settings = settings(None, &env);
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.jwt_secret, SECRET);
    }

    #[test]
    fn settings_errors_name_the_key_and_where_it_came_from() {
        for (file, env, message) in [
            (
                None,
                &[("PORT", "abc")][..],
                "`PORT` (environment): `abc` is not a port number".to_owned(),
            ),
            (
                Some("port = \"abc\""),
                &[],
                format!("`port` in {CONFIG_FILE}: `abc` is not a port number"),
            ),
            (
                None,
                &[("CONFIG_FILE", "absent.toml")],
                "`CONFIG_FILE` (environment): absent.toml does not exist".to_owned(),
            ),
            (
                Some("prot = 1"),
                &[],
                format!(
                    "{CONFIG_FILE}: unknown key `prot` (known keys: host, port, database_url, \
                     jwt_secret, log_format, environment, metrics_addr, shutdown_timeout_secs, \
                     login_throttle_ms)"
                ),
            ),
            (
                None,
                &[("APP_ENV", "production"), ("JWT_SECRET", "short")],
                "`JWT_SECRET` (environment): 5 bytes long; \
                 production needs a random secret of at least 32 bytes"
                    .to_owned(),
            ),
            (
                Some("environment = \"production\"\njwt_secret = \"a secret for tests only\""),
                &[],
                format!(
                    "`jwt_secret` in {CONFIG_FILE}: a published example value, not a secret; \
                     production needs a random secret of at least 32 bytes"
                ),
            ),
        ] {
            assert_eq!(error(file, env), message);
        }
    }

    #[test]
    fn a_file_that_is_not_toml_is_refused_without_quoting_it() {
        let err = error(Some("port = 1\njwt_secret = \"s3cret-value\n"), &[]);
        assert!(
            err.starts_with(&format!(
                "cannot read {CONFIG_FILE}: TOML parse error at line 2, column "
            )),
            "{err}"
        );
        assert!(
            !err.contains("s3cret-value") && !err.contains('\n'),
            "{err}"
        );
    }

    #[test]
    fn secrets_are_redacted_in_print_and_debug() {
        let env = [
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://app:db-pass-word@db/app"),
        ];
        let config = load(None, &env).expect("valid settings");
        let printed = config.to_string();
        assert!(printed.contains(&format!(
            "jwt_secret = <redacted: {} chars> (environment JWT_SECRET)",
            SECRET.len()
        )));
        assert!(printed.contains("database_url = \"postgres://app:<redacted>@db/app\""));
        let debug = format!("{config:?}");
        let settings_debug = format!("{:?}", config.into_settings().expect("settings"));
        for text in [&printed, &debug, &settings_debug] {
            assert!(
                !text.contains(SECRET) && !text.contains("db-pass-word"),
                "{text}"
            );
        }
    }
}
