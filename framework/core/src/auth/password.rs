//! Password hashing with argon2id.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{Error, Result, SetupError};

/// argon2id cost parameters.
///
/// The default is OWASP's recommendation: 19 MiB of memory, 2 passes, one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords with argon2id, off the async workers.
///
/// Every hash and verification runs on tokio's blocking pool, at most as many
/// at once as there are cores, so a burst of logins cannot starve the
/// request workers nor exhaust memory. Verifying against no hash (unknown
/// user) does the same work against a dummy hash, so timing does not reveal
/// whether an account exists.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrocrud::Result<()> {
/// use ferrocrud::auth::{PasswordHasher, PasswordParams};
///
/// let hasher = PasswordHasher::new(PasswordParams { memory_kib: 64, iterations: 1, parallelism: 1 })?;
/// let hash = hasher.hash("correct horse").await?;
/// assert!(hasher.verify("correct horse", Some(hash.clone())).await?);
/// assert!(!hasher.verify("wrong", Some(hash)).await?);
/// assert!(!hasher.verify("anything", None).await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    argon2: Argon2<'static>,
    params: PasswordParams,
    permits: Semaphore,
    dummy_hash: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.inner.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with these parameters.
    ///
    /// # Errors
    ///
    /// [`SetupError::InvalidSetting`] when argon2 refuses the parameters.
    pub fn new(params: PasswordParams) -> Result<Self> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| SetupError::InvalidSetting {
            name: "password params",
            reason: e.to_string(),
        })?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let dummy_hash = hash_with(&argon2, "ferrocrud dummy password").map_err(|_| {
            SetupError::InvalidSetting {
                name: "password params",
                reason: "cannot hash".into(),
            }
        })?;
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            inner: Arc::new(Inner {
                argon2,
                params,
                permits: Semaphore::new(cores),
                dummy_hash,
            }),
        })
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> PasswordParams {
        self.inner.params
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=...`).
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the hashing thread fails.
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_owned();
        self.blocking(move |inner| {
            hash_with(&inner.argon2, &password)
                .map_err(|_| Error::Internal("password hashing failed"))
        })
        .await
    }

    /// Checks a password against a stored hash; `None` (no such user) does
    /// the same work and answers `false`.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the hashing thread fails. A malformed stored
    /// hash verifies as `false`.
    pub async fn verify(&self, password: &str, hash: Option<String>) -> Result<bool> {
        let password = password.to_owned();
        self.blocking(move |inner| {
            let (hash, real) = match hash {
                Some(hash) => (hash, true),
                None => (inner.dummy_hash.clone(), false),
            };
            let ok = match PasswordHash::new(&hash) {
                Ok(parsed) => inner
                    .argon2
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
                Err(_) => {
                    // Same work as a real verification, then refuse.
                    let _ = PasswordHash::new(&inner.dummy_hash)
                        .map(|dummy| inner.argon2.verify_password(password.as_bytes(), &dummy));
                    false
                }
            };
            Ok(ok && real)
        })
        .await
    }

    /// Whether a stored hash was made with other parameters than the current ones.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != self.inner.params.memory_kib
            || params.t_cost() != self.inner.params.iterations
            || params.p_cost() != self.inner.params.parallelism
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Internal("password hasher closed"))?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|_| Error::Internal("password hashing thread failed"))?
    }
}

fn hash_with(
    argon2: &Argon2<'static>,
    password: &str,
) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::PasswordHasher as _;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Ok(argon2
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_salted() {
        let hasher = cheap();
        let a = hasher.hash("pass-A-123456").await.unwrap();
        let b = hasher.hash("pass-A-123456").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_refused() {
        assert!(
            !cheap()
                .verify("x", Some("not a hash".into()))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn rehash_needed_when_params_change() {
        let old = cheap();
        let hash = old.hash("pw").await.unwrap();
        assert!(!old.needs_rehash(&hash));
        let new = PasswordHasher::new(PasswordParams {
            memory_kib: 128,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        assert!(new.needs_rehash(&hash));
    }
}
