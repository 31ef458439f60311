//! The server's settings, read from the environment.

use std::path::Path;

use anyhow::Context as _;
use rand::RngCore as _;

/// The database used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/ferrocrud_app.sqlite";

/// What the server reads from its environment.
///
/// | variable | default |
/// |---|---|
/// | `HOST` | `127.0.0.1` |
/// | `PORT` | `3000` |
/// | `DATABASE_URL` | [`DEFAULT_DATABASE_URL`] |
/// | `JWT_SECRET` | generated once and kept in `./data/jwt_secret` |
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
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &self.database_url)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Reads the settings; `data_dir` keeps the generated JWT secret.
    ///
    /// # Errors
    ///
    /// An unreadable `PORT`, or a secret file that cannot be read or written.
    pub fn from_env(data_dir: &Path) -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let port = match var("PORT") {
            Some(port) => port
                .parse()
                .with_context(|| format!("PORT={port} is not a port number"))?,
            None => 3000,
        };
        let jwt_secret = match var("JWT_SECRET") {
            Some(secret) => secret,
            None => kept_secret(&data_dir.join("jwt_secret"))?,
        };
        Ok(Self {
            host: var("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            jwt_secret,
        })
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
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
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
