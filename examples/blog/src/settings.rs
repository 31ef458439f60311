//! The blog's settings: built-in defaults, then a TOML file, then the
//! environment, each layer overriding the one before.
//!
//! | key (file) | environment | default |
//! |---|---|---|
//! | `host` | `HOST` | `127.0.0.1` |
//! | `port` | `PORT` | `3000` |
//! | `database_url` | `DATABASE_URL` | `sqlite://data/blog.sqlite` |
//! | `database_pool_size` | `DATABASE_POOL_SIZE` | `16` ([`Db::DEFAULT_POOL_SIZE`](ferrocrud::storage::Db::DEFAULT_POOL_SIZE), PostgreSQL connections) |
//! | `jwt_secret` | `JWT_SECRET` | development: generated once and kept in `data/jwt_secret`; production: none, the server refuses to start |
//! | `mail_log` | `MAIL_LOG` | `data/mail.jsonl` |
//! | `log_format` | `LOG_FORMAT` | `text`; `json` for one JSON object per line and an access log line per request |
//! | `environment` | `APP_ENV` | `development`; or `production` |
//! | `metrics_addr` | `METRICS_ADDR` | `127.0.0.1:9464`; `off` (or empty) for none |
//! | `shutdown_timeout_secs` | `SHUTDOWN_TIMEOUT_SECS` | `30` |
//! | `login_throttle_ms` | `LOGIN_THROTTLE_MS` | the user service's (600 ms) |
//! | `seed_mod_email`, `seed_mod_password` | `SEED_MOD_EMAIL`, `SEED_MOD_PASSWORD` | none: a moderator account created at start when both are set |
//! | `seed_admin_email`, `seed_admin_password` | `SEED_ADMIN_EMAIL`, `SEED_ADMIN_PASSWORD` | none: an admin account, likewise |
//!
//! The file is [`CONFIG_FILE`] in the working directory when it exists, or
//! the one the variable `CONFIG_FILE` names, which must exist. Unknown keys
//! in it are refused. An empty environment variable counts as unset, except
//! `METRICS_ADDR`, where it means `off`.
//!
//! [`Config::load`] reads and checks every value, without side effects;
//! [`Config`]'s `Display` shows each value and where it came from, secrets
//! redacted (`blog config print`); [`Config::into_settings`] resolves it into
//! the [`Settings`] the server runs with. In production (`APP_ENV`), the JWT
//! secret must be set, at least [`MIN_SECRET_BYTES`] long and none of the
//! [`PLACEHOLDER_SECRETS`].
//!
//! ```
//! use blog::settings::{Config, Environment, Inputs};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("blog.toml"), "port = 8080\nenvironment = \"production\"\n")?;
//! let inputs = Inputs {
//!     data_dir: dir.path().join("data"),
//!     work_dir: dir.path().to_owned(),
//!     env: [("JWT_SECRET".to_owned(), "x".repeat(40))].into(),
//! };
//! let config = Config::load(&inputs)?;
//! let printed = config.to_string();
//! assert!(printed.contains("port = 8080 (file blog.toml)"));
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

/// The settings file read from the working directory when it exists.
pub const CONFIG_FILE: &str = "blog.toml";

/// Every key: its name in the file, and its environment variable.
pub const KEYS: &[(&str, &str)] = &[
    ("host", "HOST"),
    ("port", "PORT"),
    ("database_url", "DATABASE_URL"),
    ("database_pool_size", "DATABASE_POOL_SIZE"),
    ("jwt_secret", "JWT_SECRET"),
    ("mail_log", "MAIL_LOG"),
    ("log_format", "LOG_FORMAT"),
    ("environment", "APP_ENV"),
    ("metrics_addr", "METRICS_ADDR"),
    ("shutdown_timeout_secs", "SHUTDOWN_TIMEOUT_SECS"),
    ("login_throttle_ms", "LOGIN_THROTTLE_MS"),
    ("seed_mod_email", "SEED_MOD_EMAIL"),
    ("seed_mod_password", "SEED_MOD_PASSWORD"),
    ("seed_admin_email", "SEED_ADMIN_EMAIL"),
    ("seed_admin_password", "SEED_ADMIN_PASSWORD"),
];

/// Keys whose values are never shown.
const SECRET_KEYS: &[&str] = &["jwt_secret", "seed_mod_password", "seed_admin_password"];

/// The accounts created at start: role, email key, password key.
const SEEDS: [(&str, &str, &str); 2] = [
    ("moderator", "seed_mod_email", "seed_mod_password"),
    ("admin", "seed_admin_email", "seed_admin_password"),
];

/// The defaults of the keys that have one, under `data_dir`.
fn defaults(data_dir: &Path) -> Dict {
    let database = format!("sqlite://{}", data_dir.join("blog.sqlite").display());
    let mail_log = data_dir.join("mail.jsonl").display().to_string();
    let defaults: [(&str, Value); 9] = [
        ("host", "127.0.0.1".into()),
        ("port", 3000u16.into()),
        ("database_url", database.into()),
        (
            "database_pool_size",
            ferrocrud::storage::Db::DEFAULT_POOL_SIZE.into(),
        ),
        ("mail_log", mail_log.into()),
        ("log_format", "text".into()),
        ("environment", "development".into()),
        ("metrics_addr", "127.0.0.1:9464".into()),
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
        let unpaired = |set, missing| SettingsError::Unpaired {
            origin: layers.origin(set),
            missing,
        };
        let mut seeds = Vec::new();
        for (role, email_key, password_key) in SEEDS {
            let email = layers.optional(email_key, values::text)?;
            let password = layers.optional(password_key, values::text)?;
            match (email, password) {
                (Some(email), Some(password)) => seeds.push((email, password, role.to_owned())),
                (None, None) => {}
                (Some(_), None) => return Err(unpaired(email_key, password_key)),
                (None, Some(_)) => return Err(unpaired(password_key, email_key)),
            }
        }
        let settings = Settings {
            host: layers.required("host", values::text)?,
            port: layers.required("port", values::port)?,
            database_url: layers.required("database_url", values::database_url)?,
            database_pool_size: layers.required("database_pool_size", |value| {
                values::whole(value)
                    .filter(|size| *size > 0)
                    .ok_or("a number of connections (1 or more)")
            })?,
            jwt_secret: String::new(),
            mail_log: layers.required("mail_log", |v| values::text(v).map(PathBuf::from))?,
            seeds,
            login_throttle: layers
                .optional("login_throttle_ms", values::millis)?
                .map(Duration::from_millis),
            environment: layers.required("environment", values::environment)?,
            metrics_addr: layers.required("metrics_addr", values::socket_addr_or_off)?,
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

/// What the blog runs with.
///
/// Built by [`Settings::load`] (or [`Config::into_settings`]); tests and
/// tools that serve nothing start from [`Settings::in_memory`].
#[derive(Clone)]
pub struct Settings {
    /// Address to listen on.
    pub host: String,
    /// Port to listen on.
    pub port: u16,
    /// SQLite or PostgreSQL URL.
    pub database_url: String,
    /// PostgreSQL connections in the pool.
    pub database_pool_size: u32,
    /// Token signing secret.
    pub jwt_secret: String,
    /// JSON-lines mailbox file.
    pub mail_log: PathBuf,
    /// Accounts to create at start when absent: (email, password, role).
    pub seeds: Vec<(String, String, String)>,
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
            .field("database_pool_size", &self.database_pool_size)
            .field("mail_log", &self.mail_log)
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
    /// `CONFIG_FILE` names), then the environment; `data_dir` holds the
    /// defaults' files.
    ///
    /// # Errors
    ///
    /// A [`SettingsError`] naming the key and its source.
    pub fn load(data_dir: &Path) -> Result<Self, SettingsError> {
        Config::load(&Inputs::from_process(data_dir)?)?.into_settings()
    }

    /// Every default, on an in-memory SQLite database, signing with
    /// `jwt_secret`, without seeds or metrics: for tests and for tools that
    /// serve nothing.
    ///
    /// ```
    /// let settings = blog::settings::Settings::in_memory("a test secret");
    /// assert_eq!(settings.database_url, "sqlite::memory:");
    /// ```
    pub fn in_memory(jwt_secret: impl Into<String>) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: "sqlite::memory:".into(),
            database_pool_size: ferrocrud::storage::Db::DEFAULT_POOL_SIZE,
            jwt_secret: jwt_secret.into(),
            mail_log: std::env::temp_dir().join("blog-mail.jsonl"),
            seeds: Vec::new(),
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
    /// let settings = blog::settings::Settings {
    ///     login_throttle: Some(std::time::Duration::from_millis(20)),
    ///     ..blog::settings::Settings::in_memory("a test secret")
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

    /// A working directory of its own, with `blog.toml` holding `file`
    /// when given.
    fn dir(file: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        if let Some(text) = file {
            std::fs::write(dir.path().join(CONFIG_FILE), text).expect("blog.toml written");
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

    fn printed(file: Option<&str>, env: &[(&str, &str)]) -> String {
        load(file, env).expect("valid settings").to_string()
    }

    fn error(file: Option<&str>, env: &[(&str, &str)]) -> String {
        load(file, env).expect_err("refused").to_string()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-not-a-placeholder";

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let dir = dir(None);
        let config = Config::load(&inputs(dir.path(), &[])).expect("defaults");
        let data = dir.path().join("data");
        let printed = config.to_string();
        let expected = [
            "host = \"127.0.0.1\" (default)".to_owned(),
            "port = 3000 (default)".to_owned(),
            format!(
                "database_url = \"sqlite://{}\" (default)",
                data.join("blog.sqlite").display()
            ),
            "database_pool_size = 16 (default)".to_owned(),
            format!(
                "jwt_secret = <unset: generated at start and kept in {}> (default)",
                data.join("jwt_secret").display()
            ),
            format!(
                "mail_log = \"{}\" (default)",
                data.join("mail.jsonl").display()
            ),
            "log_format = \"text\" (default)".to_owned(),
            "environment = \"development\" (default)".to_owned(),
            "metrics_addr = \"127.0.0.1:9464\" (default)".to_owned(),
            "shutdown_timeout_secs = 30 (default)".to_owned(),
            "login_throttle_ms = <unset: the user service's default> (default)".to_owned(),
            "seed_mod_email = <unset> (default)".to_owned(),
            "seed_mod_password = <unset> (default)".to_owned(),
            "seed_admin_email = <unset> (default)".to_owned(),
            "seed_admin_password = <unset> (default)".to_owned(),
        ];
        assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
        let settings = config.into_settings().expect("settings");
        assert_eq!(settings.metrics_addr, Some(([127, 0, 0, 1], 9464).into()));
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(settings.environment, Environment::Development);
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(settings.login_throttle, None);
        assert_eq!(settings.database_pool_size, 16);
        assert!(settings.seeds.is_empty());
    }

    #[test]
    fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
        let file = "host = \"0.0.0.0\"\nport = 4000\nshutdown_timeout_secs = 5\n";
        let printed = printed(Some(file), &[("PORT", "5000")]);
        assert!(
            printed.contains("host = \"0.0.0.0\" (file blog.toml)"),
            "{printed}"
        );
        assert!(
            printed.contains("port = 5000 (environment PORT)"),
            "{printed}"
        );
        assert!(
            printed.contains("shutdown_timeout_secs = 5 (file blog.toml)"),
            "{printed}"
        );
        let settings = settings(Some(file), &[("PORT", "5000")]);
        assert_eq!(
            (
                settings.host.as_str(),
                settings.port,
                settings.shutdown_timeout
            ),
            ("0.0.0.0", 5000, Duration::from_secs(5))
        );
    }

    #[test]
    fn every_key_has_its_variable() {
        let env: Vec<(&str, &str)> = KEYS
            .iter()
            .map(|(key, var)| {
                let value = match *key {
                    "host" => "::1",
                    "port" | "database_pool_size" | "shutdown_timeout_secs" => "7",
                    "login_throttle_ms" => "25",
                    "database_url" => "postgres://db/blog",
                    "log_format" => "json",
                    "environment" => "production",
                    "metrics_addr" => "[::1]:9000",
                    "jwt_secret" => SECRET,
                    _ => "x@example.com",
                };
                (*var, value)
            })
            .collect();
        let printed = printed(None, &env);
        for (key, var) in KEYS {
            let line = printed
                .lines()
                .find(|line| line.starts_with(&format!("{key} = ")))
                .unwrap_or_else(|| panic!("{key} in:\n{printed}"));
            assert!(line.ends_with(&format!("(environment {var})")), "{line}");
        }
        let settings = settings(None, &env);
        assert_eq!(settings.host, "::1");
        assert_eq!((settings.port, settings.database_pool_size), (7, 7));
        assert_eq!(settings.database_url, "postgres://db/blog");
        assert_eq!(settings.jwt_secret, SECRET);
        assert_eq!(settings.mail_log, PathBuf::from("x@example.com"));
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(
            settings.metrics_addr,
            Some("[::1]:9000".parse().expect("address"))
        );
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(7));
        assert_eq!(settings.seeds.len(), 2);
    }

    #[test]
    fn every_key_has_its_file_key() {
        let file: String = KEYS
            .iter()
            .map(|(key, _)| {
                let value = match *key {
                    "port" | "database_pool_size" | "shutdown_timeout_secs" => "7".to_owned(),
                    "login_throttle_ms" => "25".to_owned(),
                    "database_url" => "\"sqlite::memory:\"".to_owned(),
                    "log_format" => "\"json\"".to_owned(),
                    "environment" => "\"production\"".to_owned(),
                    "metrics_addr" => "\"off\"".to_owned(),
                    "jwt_secret" => format!("{SECRET:?}"),
                    _ => "\"x\"".to_owned(),
                };
                format!("{key} = {value}\n")
            })
            .collect();
        let printed = printed(Some(&file), &[]);
        assert_eq!(
            printed
                .lines()
                .filter(|l| l.ends_with("(file blog.toml)"))
                .count(),
            KEYS.len(),
            "{printed}"
        );
        let settings = settings(Some(&file), &[]);
        assert_eq!(settings.metrics_addr, None);
        assert_eq!(settings.login_throttle, Some(Duration::from_millis(25)));
    }

    #[test]
    fn config_file_names_another_file_relative_to_the_working_directory() {
        let dir = dir(Some("port = 1111\n"));
        std::fs::write(dir.path().join("prod.toml"), "port = 2222\n").expect("written");
        let config = Config::load(&inputs(dir.path(), &[("CONFIG_FILE", "prod.toml")]))
            .expect("valid settings");
        assert!(config.to_string().contains("port = 2222 (file prod.toml)"));
    }

    #[test]
    fn a_config_file_that_does_not_exist_is_an_error() {
        assert_eq!(
            error(None, &[("CONFIG_FILE", "missing.toml")]),
            "`CONFIG_FILE` (environment): missing.toml does not exist"
        );
        // Without CONFIG_FILE, a missing blog.toml is no error.
        assert!(load(None, &[]).is_ok());
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused_by_name() {
        let err = error(Some("prot = 1\nhost = \"h\"\n[server]\nport = 2\n"), &[]);
        assert!(
            err.starts_with(
                "blog.toml: unknown keys `prot`, `server` (known keys: host, port, database_url, "
            ),
            "{err}"
        );
        assert!(error(Some("Port = 1\n"), &[]).starts_with("blog.toml: unknown key `Port` ("));
    }

    #[test]
    fn a_file_that_is_not_toml_is_refused_naming_it() {
        let err = error(Some("port = \n"), &[]);
        assert!(
            err.starts_with("cannot read blog.toml: TOML parse error at line 1, column 8: "),
            "{err}"
        );
        // The message leaves out the lines it would quote: they may hold a secret.
        let err = error(Some("port = 1\njwt_secret = \"s3cret-value\n"), &[]);
        assert!(
            err.starts_with("cannot read blog.toml: TOML parse error at line 2, column "),
            "{err}"
        );
        assert!(
            !err.contains("s3cret-value") && !err.contains('\n'),
            "{err}"
        );
    }

    #[test]
    fn invalid_values_name_the_key_and_where_it_came_from() {
        for (file, env, message) in [
            (
                None,
                &[("PORT", "abc")][..],
                "`PORT` (environment): `abc` is not a port number",
            ),
            (
                Some("port = \"abc\""),
                &[],
                "`port` in blog.toml: `abc` is not a port number",
            ),
            (
                Some("port = 70000"),
                &[],
                "`port` in blog.toml: `70000` is not a port number",
            ),
            (
                None,
                &[("DATABASE_POOL_SIZE", "0")],
                "`DATABASE_POOL_SIZE` (environment): `0` is not a number of connections (1 or more)",
            ),
            (
                None,
                &[("LOG_FORMAT", "xml")],
                "`LOG_FORMAT` (environment): `xml` is not `text` or `json`",
            ),
            (
                Some("environment = \"staging\""),
                &[],
                "`environment` in blog.toml: `staging` is not `development` or `production`",
            ),
            (
                None,
                &[("APP_ENV", "prod")],
                "`APP_ENV` (environment): `prod` is not `development` or `production`",
            ),
            (
                None,
                &[("METRICS_ADDR", "localhost")],
                "`METRICS_ADDR` (environment): `localhost` is not a socket address (`127.0.0.1:9464`) or `off`",
            ),
            (
                None,
                &[("SHUTDOWN_TIMEOUT_SECS", "-1")],
                "`SHUTDOWN_TIMEOUT_SECS` (environment): `-1` is not a whole number of seconds",
            ),
            (
                Some("login_throttle_ms = 1.5"),
                &[],
                "`login_throttle_ms` in blog.toml: `1.5` is not a whole number of milliseconds",
            ),
            (
                Some("host = 3"),
                &[],
                "`host` in blog.toml: `3` is not a non-empty string",
            ),
            (
                None,
                &[("DATABASE_URL", "mysql://root:hunter2@db/blog")],
                "`DATABASE_URL` (environment): `mysql://root:<redacted>@db/blog` is not a `sqlite:` or `postgres://` URL",
            ),
            (
                Some("jwt_secret = 12345678"),
                &[],
                "`jwt_secret` in blog.toml: `<redacted: 8 chars>` is not a non-empty string",
            ),
        ] {
            assert_eq!(error(file, env), message);
        }
    }

    #[test]
    fn an_empty_variable_is_unset_but_an_empty_metrics_addr_is_off() {
        let env = [("PORT", ""), ("HOST", ""), ("METRICS_ADDR", "")];
        let printed = printed(Some("port = 4000"), &env);
        assert!(
            printed.contains("port = 4000 (file blog.toml)"),
            "{printed}"
        );
        assert!(
            printed.contains("host = \"127.0.0.1\" (default)"),
            "{printed}"
        );
        assert!(
            printed.contains("metrics_addr = \"\" (environment METRICS_ADDR)"),
            "{printed}"
        );
        assert_eq!(settings(None, &env).metrics_addr, None);
        assert_eq!(
            settings(None, &[("METRICS_ADDR", "off")]).metrics_addr,
            None
        );
        assert_eq!(
            settings(Some("metrics_addr = \"0.0.0.0:9100\""), &[]).metrics_addr,
            Some(([0, 0, 0, 0], 9100).into())
        );
    }

    #[test]
    fn login_throttle_ms_reaches_the_user_service() {
        let settings = settings(None, &[("LOGIN_THROTTLE_MS", "25")]);
        assert_eq!(settings.login_throttle, Some(Duration::from_millis(25)));
        assert_eq!(
            settings.user_options().min_time_between_login_attempts,
            Duration::from_millis(25)
        );
    }

    #[test]
    fn secrets_are_redacted_in_print_and_debug() {
        let env = [
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", "postgres://app:db-pass-word@db:5432/blog"),
            ("SEED_MOD_EMAIL", "mod@example.com"),
            ("SEED_MOD_PASSWORD", "mod-pass-word"),
        ];
        let file = "seed_admin_email = \"admin@example.com\"\n\
                    seed_admin_password = \"admin-pass-word\"\n";
        let config = load(Some(file), &env).expect("valid settings");
        let printed = config.to_string();
        for line in [
            format!(
                "jwt_secret = <redacted: {} chars> (environment JWT_SECRET)",
                SECRET.len()
            ),
            "database_url = \"postgres://app:<redacted>@db:5432/blog\" (environment DATABASE_URL)"
                .to_owned(),
            "seed_mod_email = \"mod@example.com\" (environment SEED_MOD_EMAIL)".to_owned(),
            "seed_mod_password = <redacted: 13 chars> (environment SEED_MOD_PASSWORD)".to_owned(),
            "seed_admin_password = <redacted: 15 chars> (file blog.toml)".to_owned(),
        ] {
            assert!(printed.contains(&line), "{line} in:\n{printed}");
        }
        let debug = format!("{config:?}");
        let settings = config.into_settings().expect("settings");
        assert_eq!(settings.seeds.len(), 2);
        let settings_debug = format!("{settings:?}");
        assert!(settings_debug.contains("postgres://app:<redacted>@db:5432/blog"));
        for text in [&printed, &debug, &settings_debug] {
            for secret in [SECRET, "db-pass-word", "mod-pass-word", "admin-pass-word"] {
                assert!(!text.contains(secret), "{secret} shown in {text}");
            }
        }
    }

    #[test]
    fn production_refuses_a_weak_or_missing_secret_from_any_layer() {
        assert!(
            error(None, &[("APP_ENV", "production")])
                .starts_with("`JWT_SECRET` (`jwt_secret` in the file) is not set and `APP_ENV` (environment) is `production`")
        );
        assert!(
            error(Some("environment = \"production\""), &[])
                .contains("and `environment` in blog.toml is `production`")
        );
        assert_eq!(
            error(
                None,
                &[("APP_ENV", "production"), ("JWT_SECRET", "short-secret")]
            ),
            "`JWT_SECRET` (environment): 12 bytes long; \
             production needs a random secret of at least 32 bytes"
        );
        let file = "environment = \"production\"\njwt_secret = \"a long random secret\"";
        assert!(
            error(Some(file), &[])
                .starts_with("`jwt_secret` in blog.toml: a published example value, not a secret;")
        );
        let file = format!("environment = \"production\"\njwt_secret = {SECRET:?}");
        assert!(load(Some(&file), &[]).is_ok());
    }

    #[test]
    fn development_generates_a_missing_secret_once_and_keeps_it() {
        let dir = dir(None);
        let first = Config::load(&inputs(dir.path(), &[]))
            .and_then(Config::into_settings)
            .expect("settings");
        let kept = dir.path().join("data/jwt_secret");
        assert_eq!(
            std::fs::read_to_string(&kept).expect("kept secret"),
            first.jwt_secret
        );
        let second = Config::load(&inputs(dir.path(), &[]))
            .and_then(Config::into_settings)
            .expect("settings");
        assert_eq!(second.jwt_secret, first.jwt_secret);
        // A short secret is no error in development.
        assert_eq!(settings(None, &[("JWT_SECRET", "dev")]).jwt_secret, "dev");
    }

    #[test]
    fn loading_alone_writes_nothing() {
        let dir = dir(None);
        Config::load(&inputs(dir.path(), &[])).expect("defaults");
        assert!(!dir.path().join("data").exists());
    }

    #[test]
    fn a_seed_needs_both_its_email_and_its_password() {
        assert_eq!(
            error(None, &[("SEED_MOD_EMAIL", "mod@example.com")]),
            "`SEED_MOD_EMAIL` (environment) is set but `seed_mod_password` is not"
        );
        assert_eq!(
            error(Some("seed_admin_password = \"pass-word\""), &[]),
            "`seed_admin_password` in blog.toml is set but `seed_admin_email` is not"
        );
        let settings = settings(
            None,
            &[
                ("SEED_ADMIN_EMAIL", "a@example.com"),
                ("SEED_ADMIN_PASSWORD", "pass-word"),
            ],
        );
        assert_eq!(
            settings.seeds,
            vec![("a@example.com".into(), "pass-word".into(), "admin".into())]
        );
    }
}
