//! The built-in user service: accounts, login and access tokens.
//!
//! [`CrudUserService`] is the CRUD service of the [`entity`] ([`UserCrud`])
//! plus eicrud's account commands (`create_account`, `login`, `check_jwt`,
//! `logout`, `logout_everywhere`, `change_password`,
//! `send_verification_email`, `verify_email`, `send_password_reset_email`,
//! `reset_password`, `timeout_user`), and the guard that turns a bearer
//! token into the request's user.
//!
//! Abilities decide who may call each command, as for any other command:
//! nothing is allowed unless a rule says so.

mod account;
mod cache;
mod commands;
pub(crate) mod cookies;
mod crud;
pub mod entity;
mod guard;
mod listener;
mod login;
mod moderation;
mod options;
mod password_reset;
mod session;
mod sessions;
mod tokens;
mod two_factor;
mod verification;

use std::sync::{Arc, OnceLock};

use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter};

pub use self::crud::UserCrud;
pub use self::options::UserOptions;

use self::cache::UserCache;
use self::listener::Listener;
use crate::auth::{PasswordHasher, TokenKeys};
use crate::context::CurrentUser;
use crate::email::{ConsoleMailer, EmailService};
use crate::error::Result;
use crate::service::CrudService;
use crate::storage::Db;

/// The user service: the `user` entity's CRUD service plus account commands.
///
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct CrudUserService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    crud: UserCrud,
    db: Db,
    hasher: PasswordHasher,
    keys: TokenKeys,
    /// HMAC key of CSRF tokens, derived from the token key as eicrud does.
    csrf_key: String,
    options: UserOptions,
    email: Arc<dyn EmailService>,
    /// Users seen by token checks; see [`cache`].
    cache: Arc<UserCache>,
    /// On PostgreSQL, the task receiving other writers' invalidations,
    /// stopped when the service is dropped.
    listener: OnceLock<Listener>,
}

impl CrudUserService {
    /// The user service on `db`.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`](crate::Error::Setup) when the options are invalid (empty JWT secret,
    /// refused argon2 parameters).
    pub fn new(db: Db, options: UserOptions) -> Result<Self> {
        Self::with_email(db, options, ConsoleMailer)
    }

    /// The user service on `db`, sending its mail through `email`.
    ///
    /// # Errors
    ///
    /// As [`CrudUserService::new`].
    pub fn with_email(db: Db, options: UserOptions, email: impl EmailService) -> Result<Self> {
        let hasher = PasswordHasher::new(options.password)?;
        // On PostgreSQL other instances write users too: the cache waits for
        // the listener that hears of their writes.
        let cache = Arc::new(UserCache::new(
            options.user_cache_ttl,
            options.user_cache_capacity,
            db.backend() != DbBackend::Postgres,
        ));
        let crud = UserCrud::new(
            CrudService::new(db.clone())?,
            hasher.clone(),
            &options,
            Arc::clone(&cache),
        )?;
        let keys = TokenKeys::from_secret(&options.jwt_secret)?;
        let csrf_key = keys.derive_subkey("eicrud-csrf")?;
        Ok(Self {
            inner: Arc::new(Inner {
                crud,
                db,
                hasher,
                keys,
                csrf_key,
                options,
                email: Arc::new(email),
                cache,
                listener: OnceLock::new(),
            }),
        })
    }

    /// The CRUD service of the user entity, with the user rules (passwords
    /// hashed, sessions revoked when a credential changes).
    pub fn crud(&self) -> &UserCrud {
        &self.inner.crud
    }

    /// The token keys.
    pub fn keys(&self) -> &TokenKeys {
        &self.inner.keys
    }

    /// The options the service runs with.
    pub fn options(&self) -> &UserOptions {
        &self.inner.options
    }

    /// The password hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// Finds a user by login identifier (the email), secrets included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub async fn find_by_login(&self, login: &str) -> Result<Option<entity::Model>> {
        Ok(entity::Entity::find()
            .filter(entity::Column::Email.eq(login))
            .one(&self.inner.db)
            .await?)
    }

    /// Finds a user by id, secrets included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub async fn find_by_id(&self, id: &str) -> Result<Option<entity::Model>> {
        Ok(entity::Entity::find_by_id(id.to_owned())
            .one(&self.inner.db)
            .await?)
    }

    /// The user a bearer token stands for, from this instance's user cache
    /// or the database.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`](crate::Error::InvalidToken), [`Error::TokenMismatch`](crate::Error::TokenMismatch) (revoked),
    /// [`Error::UserNotFound`](crate::Error::UserNotFound), [`Error::TimedOut`](crate::Error::TimedOut), or a database error.
    pub async fn authenticate(&self, token: &str) -> Result<CurrentUser> {
        guard::authenticate(self, token).await
    }

    /// Starts hearing of user writes made by other instances and programs:
    /// on PostgreSQL, installs the trigger that notifies them and the
    /// listener that drops their rows from the user cache, which stays
    /// unused until the listener is connected. Nothing to do on SQLite.
    /// Idempotent; [`AppBuilder::build`](crate::app::AppBuilder::build) calls it.
    ///
    /// # Errors
    ///
    /// A database error while installing the trigger.
    pub async fn listen_for_user_changes(&self) -> Result<()> {
        if self.inner.db.backend() != DbBackend::Postgres || self.inner.listener.get().is_some() {
            return Ok(());
        }
        listener::install_trigger(&self.inner.db).await?;
        let started = Listener::start(&self.inner.db, Arc::clone(&self.inner.cache));
        // A concurrent call may have won: its listener serves, this one stops.
        let _ = self.inner.listener.set(started);
        Ok(())
    }

    /// Drops user `id` from this instance's cache, after a write of its row.
    fn forget_cached(&self, id: &str) {
        self.inner.cache.forget(id);
    }
}
