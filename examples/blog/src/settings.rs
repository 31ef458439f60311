//! The blog's settings, read from the environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use ferrocrud::user::UserOptions;
use rand::RngCore as _;

/// What the blog reads from its environment.
///
/// | variable | default |
/// |---|---|
/// | `HOST` | `127.0.0.1` |
/// | `PORT` | `3000` |
/// | `DATABASE_URL` | `sqlite://./data/blog.sqlite` |
/// | `DATABASE_POOL_SIZE` | `16` ([`Db::DEFAULT_POOL_SIZE`](ferrocrud::storage::Db::DEFAULT_POOL_SIZE), PostgreSQL connections) |
/// | `JWT_SECRET` | generated once and kept in `./data/jwt_secret` |
/// | `MAIL_LOG` | `./data/mail.jsonl` |
/// | `LOG_FORMAT` | `text`; `json` for one JSON object per line and an access log line per request (read by `main`) |
/// | `SEED_MOD_EMAIL`, `SEED_MOD_PASSWORD` | none: a moderator account created at start when both are set |
/// | `SEED_ADMIN_EMAIL`, `SEED_ADMIN_PASSWORD` | none: an admin account, likewise |
/// | `LOGIN_THROTTLE_MS` | the user service's (600): least milliseconds between two login attempts on one identifier; `0` turns the throttle off |
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
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &self.database_url)
            .field("database_pool_size", &self.database_pool_size)
            .field("mail_log", &self.mail_log)
            .field("login_throttle", &self.login_throttle)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Reads the settings; `data_dir` holds the defaults' files.
    ///
    /// # Errors
    ///
    /// An unreadable `PORT`, `DATABASE_POOL_SIZE` or `LOGIN_THROTTLE_MS`, or a
    /// secret file that cannot be read or written.
    pub fn from_env(data_dir: &Path) -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let port = match var("PORT") {
            Some(port) => port
                .parse()
                .with_context(|| format!("PORT={port} is not a port number"))?,
            None => 3000,
        };
        let database_pool_size = match var("DATABASE_POOL_SIZE") {
            Some(size) => size
                .parse()
                .with_context(|| format!("DATABASE_POOL_SIZE={size} is not a whole number"))?,
            None => ferrocrud::storage::Db::DEFAULT_POOL_SIZE,
        };
        let login_throttle = match var("LOGIN_THROTTLE_MS") {
            Some(ms) => Some(Duration::from_millis(ms.parse().with_context(|| {
                format!("LOGIN_THROTTLE_MS={ms} is not a whole number of milliseconds")
            })?)),
            None => None,
        };
        let jwt_secret = match var("JWT_SECRET") {
            Some(secret) => secret,
            None => kept_secret(&data_dir.join("jwt_secret"))?,
        };
        let mut seeds = Vec::new();
        for (prefix, role) in [("SEED_MOD", "moderator"), ("SEED_ADMIN", "admin")] {
            if let (Some(email), Some(password)) = (
                var(&format!("{prefix}_EMAIL")),
                var(&format!("{prefix}_PASSWORD")),
            ) {
                seeds.push((email, password, role.to_owned()));
            }
        }
        Ok(Self {
            host: var("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("blog.sqlite").display())),
            database_pool_size,
            jwt_secret,
            mail_log: var("MAIL_LOG").map_or_else(|| data_dir.join("mail.jsonl"), PathBuf::from),
            seeds,
            login_throttle,
        })
    }

    /// The user service's options: the secret, and the login throttle when set.
    ///
    /// ```
    /// # let settings = blog::settings::Settings {
    /// #     host: "127.0.0.1".into(),
    /// #     port: 0,
    /// #     database_url: "sqlite::memory:".into(),
    /// #     database_pool_size: 1,
    /// #     jwt_secret: "secret".into(),
    /// #     mail_log: "mail.jsonl".into(),
    /// #     seeds: Vec::new(),
    /// #     login_throttle: Some(std::time::Duration::from_millis(20)),
    /// # };
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

/// Reads the secret kept in `path`, or generates one there (readable by the
/// owner only) with a warning.
fn kept_secret(path: &Path) -> anyhow::Result<String> {
    if let Ok(secret) = std::fs::read_to_string(path) {
        let secret = secret.trim().to_owned();
        if !secret.is_empty() {
            return Ok(secret);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::STANDARD.encode(bytes);
    std::fs::write(path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    tracing::warn!(path = %path.display(), "JWT_SECRET not set: generated one and kept it in this file; set JWT_SECRET in production");
    Ok(secret)
}
