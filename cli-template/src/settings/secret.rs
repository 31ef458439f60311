//! Secrets: never shown, and in production strong enough to sign tokens.

use std::path::Path;

use rand::RngCore as _;

use super::error::{SettingsError, WeakSecret};
use super::layers::Origin;
use super::values::Environment;

/// The fewest bytes of a JWT secret in production.
pub const MIN_SECRET_BYTES: usize = 32;

/// JWT secrets production refuses whatever their length, compared without
/// case or surrounding blanks: the examples that the docs, the project
/// template and the tests show.
pub const PLACEHOLDER_SECRETS: &[&str] = &[
    "replace-with-a-random-secret-of-at-least-32-bytes",
    "a secret for tests only",
    "a long random secret",
    "export only",
    "secret",
    "changeme",
    "change-me",
    "jwt_secret",
];

/// `<redacted: N chars>`: a secret's length, never its text.
///
/// ```
/// assert_eq!(ferrocrud_app::settings::redacted("hunter2"), "<redacted: 7 chars>");
/// ```
pub fn redacted(secret: &str) -> String {
    format!("<redacted: {} chars>", secret.chars().count())
}

/// `url` with its password (`user:password@`, `password=` in the query)
/// replaced by `<redacted>`.
///
/// ```
/// use ferrocrud_app::settings::redact_url;
///
/// assert_eq!(redact_url("postgres://app:s3cret@db/app"), "postgres://app:<redacted>@db/app");
/// assert_eq!(redact_url("postgres://db/app?password=s3cret"), "postgres://db/app?password=<redacted>");
/// ```
pub fn redact_url(url: &str) -> String {
    let (head, rest) = url.split_at(url.find('?').unwrap_or(url.len()));
    let (query, fragment) = rest.split_at(rest.find('#').unwrap_or(rest.len()));
    let mut out = String::with_capacity(url.len());
    let authority = head.find("://").map_or(0, |scheme| scheme + 3);
    // The last `@` before the query: a password may hold `/` or `@`.
    let userinfo = head[authority..].rfind('@').map(|at| authority + at);
    match userinfo.and_then(|at| Some((head[authority..at].find(':')? + authority, at))) {
        Some((colon, at)) => {
            out.push_str(&head[..=colon]);
            out.push_str("<redacted>");
            out.push_str(&head[at..]);
        }
        None => out.push_str(head),
    }
    if let Some(params) = query.strip_prefix('?') {
        let params: Vec<String> = params
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                    format!("{key}=<redacted>")
                }
                _ => param.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out.push_str(fragment);
    out
}

/// In production, refuses a missing, placeholder or short JWT secret.
pub(super) fn check(
    secret: Option<&str>,
    secret_origin: Origin,
    environment: Environment,
    environment_origin: Origin,
) -> Result<(), SettingsError> {
    if environment != Environment::Production {
        return Ok(());
    }
    let Some(secret) = secret else {
        return Err(SettingsError::MissingSecret {
            environment: environment_origin,
        });
    };
    let normalized = secret.trim().to_lowercase();
    let reason = if PLACEHOLDER_SECRETS.contains(&normalized.as_str()) {
        WeakSecret::Placeholder
    } else if secret.len() < MIN_SECRET_BYTES {
        WeakSecret::Short(secret.len())
    } else {
        return Ok(());
    };
    Err(SettingsError::WeakSecret {
        origin: secret_origin,
        reason,
    })
}

/// Reads the secret kept in `path`, or generates one there (readable by the
/// owner only) with a warning.
pub(super) fn kept(path: &Path) -> Result<String, SettingsError> {
    if let Ok(secret) = std::fs::read_to_string(path) {
        let secret = secret.trim().to_owned();
        if !secret.is_empty() {
            return Ok(secret);
        }
    }
    let kept = |source| SettingsError::KeptSecret {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(kept)?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(path, &secret).map_err(kept)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(kept)?;
    }
    tracing::warn!(path = %path.display(), "JWT_SECRET not set: generated one and kept it in this file; set JWT_SECRET in production");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::layers::Source;

    fn origin(key: &'static str) -> Origin {
        Origin {
            key,
            source: Source::Env(if key == "environment" {
                "APP_ENV"
            } else {
                "JWT_SECRET"
            }),
        }
    }

    fn in_production(secret: Option<&str>) -> Result<(), String> {
        check(
            secret,
            origin("jwt_secret"),
            Environment::Production,
            origin("environment"),
        )
        .map_err(|err| err.to_string())
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        for (url, shown) in [
            ("postgres://u:p@h/db", "postgres://u:<redacted>@h/db"),
            (
                "postgres://u:p/a@ss@h:5432/db",
                "postgres://u:<redacted>@h:5432/db",
            ),
            ("postgresql://u@h/db", "postgresql://u@h/db"),
            (
                "postgres://h/db?sslmode=require&PASSWORD=p#x",
                "postgres://h/db?sslmode=require&PASSWORD=<redacted>#x",
            ),
            (
                "postgres://u:p@h/db?password=q",
                "postgres://u:<redacted>@h/db?password=<redacted>",
            ),
            ("sqlite::memory:", "sqlite::memory:"),
            (
                "sqlite://data/app.sqlite?mode=rwc",
                "sqlite://data/app.sqlite?mode=rwc",
            ),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn production_refuses_a_missing_secret_naming_the_environment_source() {
        assert_eq!(
            in_production(None).expect_err("refused"),
            "`JWT_SECRET` (`jwt_secret` in the file) is not set and `APP_ENV` (environment) \
             is `production`: production needs a random secret of at least 32 bytes"
        );
    }

    #[test]
    fn production_refuses_a_secret_shorter_than_32_bytes() {
        assert_eq!(
            in_production(Some(&"x".repeat(31))).expect_err("refused"),
            "`JWT_SECRET` (environment): 31 bytes long; \
             production needs a random secret of at least 32 bytes"
        );
        // Bytes, not characters: 16 two-byte characters are enough.
        assert!(in_production(Some(&"é".repeat(16))).is_ok());
        assert!(in_production(Some(&"x".repeat(32))).is_ok());
    }

    #[test]
    fn production_refuses_every_placeholder_whatever_its_case() {
        for placeholder in PLACEHOLDER_SECRETS {
            for secret in [
                placeholder.to_string(),
                format!(" {} ", placeholder.to_uppercase()),
            ] {
                assert_eq!(
                    in_production(Some(&secret)).expect_err("refused"),
                    "`JWT_SECRET` (environment): a published example value, not a secret; \
                     production needs a random secret of at least 32 bytes",
                    "{secret}"
                );
            }
        }
        // The docs' example is long enough: only the list stops it.
        assert!(PLACEHOLDER_SECRETS[0].len() >= MIN_SECRET_BYTES);
    }

    #[test]
    fn development_takes_any_secret_or_none() {
        for secret in [None, Some("secret"), Some("short")] {
            assert!(
                check(
                    secret,
                    origin("jwt_secret"),
                    Environment::Development,
                    origin("environment")
                )
                .is_ok()
            );
        }
    }

    #[test]
    fn a_generated_secret_is_kept_and_read_back() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("data/jwt_secret");
        let first = kept(&path).expect("generated");
        assert_eq!(first.len(), 64);
        assert_eq!(std::fs::read_to_string(&path).expect("kept").trim(), first);
        assert_eq!(kept(&path).expect("read back"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
