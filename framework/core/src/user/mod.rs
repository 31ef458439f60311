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
mod columns;
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
mod row;
mod session;
mod sessions;
mod stats;
mod tokens;
mod two_factor;
mod verification;

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use schemars::JsonSchema;
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{DbBackend, EntityTrait, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use self::crud::UserCrud;
pub use self::options::UserOptions;
pub use self::stats::{LoginOutcome, UserCacheStats, UserServiceStats};

use self::cache::UserCache;
use self::columns::Col;
use self::listener::Listener;
use crate::auth::{PasswordHasher, TokenKeys};
use crate::context::CurrentUser;
use crate::email::{ConsoleMailer, EmailService};
use crate::error::Result;
use crate::service::CrudService;
use crate::shared::user::USER_SERVICE;
use crate::storage::{Db, Name};

/// The user service over the application's user entity `U`: the entity's
/// CRUD service under the user rules, plus the account commands.
///
/// `U` is [`entity::Entity`] unless the application declares its own user
/// with [`user_model!`](crate::user_model) (or by hand, with every account
/// column). Building the service checks the entity: a missing or mistyped
/// account column is an [`Error::Setup`](crate::Error::Setup) naming it.
///
/// Everything that does not depend on `U` (login, tokens, the account
/// commands) is on [`AccountService`], which this type dereferences to.
/// Cheap to clone.
pub struct CrudUserService<U = entity::Entity> {
    accounts: AccountService,
    user: PhantomData<fn() -> U>,
}

impl<U> Clone for CrudUserService<U> {
    fn clone(&self) -> Self {
        Self {
            accounts: self.accounts.clone(),
            user: PhantomData,
        }
    }
}

impl<U> fmt::Debug for CrudUserService<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CrudUserService")
            .field(&self.accounts)
            .finish()
    }
}

impl CrudUserService {
    /// The user service over the default user entity ([`entity::Entity`]) on `db`.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`](crate::Error::Setup) when the options are invalid
    /// (empty JWT secret, refused argon2 parameters).
    pub fn new(db: Db, options: UserOptions) -> Result<Self> {
        Self::with_entity(db, options, ConsoleMailer)
    }

    /// The user service over the default user entity on `db`, sending its
    /// mail through `email`.
    ///
    /// # Errors
    ///
    /// As [`CrudUserService::new`].
    pub fn with_email(db: Db, options: UserOptions, email: impl EmailService) -> Result<Self> {
        Self::with_entity(db, options, email)
    }
}

impl<U> CrudUserService<U> {
    /// The service without its entity type, as the application holds it.
    pub fn accounts(&self) -> &AccountService {
        &self.accounts
    }
}

impl<U> Deref for CrudUserService<U> {
    type Target = AccountService;

    fn deref(&self) -> &AccountService {
        &self.accounts
    }
}

impl<U> CrudUserService<U>
where
    U: EntityTrait,
    U::Model: JsonSchema + Serialize + DeserializeOwned + Send + Sync,
{
    /// The user service over the application's user entity `U`, sending
    /// its mail through `email`.
    ///
    /// ```
    /// # mod user {
    /// #     use sea_orm::entity::prelude::*;
    /// #     ferrocrud::user_model! {
    /// #         #[sea_orm(table_name = "user")]
    /// #         pub struct Model {
    /// #             pub display_name: Option<String>,
    /// #         }
    /// #     }
    /// #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    /// #     pub enum Relation {}
    /// #     impl ActiveModelBehavior for ActiveModel {}
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ferrocrud::Result<()> {
    /// use ferrocrud::email::ConsoleMailer;
    /// use ferrocrud::storage::Db;
    /// use ferrocrud::user::{CrudUserService, UserOptions};
    ///
    /// let db = Db::connect("sqlite::memory:").await?;
    /// let options = UserOptions::new("a long random secret");
    /// let users = CrudUserService::<user::Entity>::with_entity(db, options, ConsoleMailer)?;
    /// # let _ = users;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Setup`](crate::Error::Setup) when the user entity lacks an
    /// account column or declares one with another type (the message names
    /// the column and the type it must have), or when the options are
    /// invalid (empty JWT secret, refused argon2 parameters).
    pub fn with_entity(db: Db, options: UserOptions, email: impl EmailService) -> Result<Self> {
        let service = CrudService::<U>::named(USER_SERVICE, db.clone())?.into_core();
        Ok(Self {
            accounts: AccountService::new(service, db, options, Arc::new(email))?,
            user: PhantomData,
        })
    }

    /// Finds a user by login identifier (the email), secrets included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub async fn find_by_login(&self, login: &str) -> Result<Option<U::Model>> {
        Ok(U::find()
            .filter(Expr::col(Col::Email).eq(login))
            .one(&self.accounts.inner.db)
            .await?)
    }

    /// Finds a user by id, secrets included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) when the database fails.
    pub async fn find_by_id(&self, id: &str) -> Result<Option<U::Model>> {
        let table = Name(self.accounts.inner.crud.info().table());
        Ok(U::find()
            .filter(Expr::col((table, Col::Id)).eq(id))
            .one(&self.accounts.inner.db)
            .await?)
    }
}

/// The user service without its entity type: accounts, login, tokens and
/// the account commands. An application reaches it through
/// [`CrudUserService`] or [`App::users`](crate::app::App::users).
///
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct AccountService {
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
    /// HMAC key of the email-token digests (reset, verification).
    email_token_key: String,
    options: UserOptions,
    email: Arc<dyn EmailService>,
    /// Users seen by token checks; see [`cache`].
    cache: Arc<UserCache>,
    /// When this instance last purged the login counters.
    last_counter_purge: login::Cadence,
    /// Login attempts by outcome, for metrics.
    logins: stats::LoginCounters,
    /// On PostgreSQL, the task receiving other writers' invalidations,
    /// stopped when the service is dropped.
    listener: OnceLock<Listener>,
}

impl AccountService {
    fn new(
        service: crate::service::core::ServiceCore,
        db: Db,
        options: UserOptions,
        email: Arc<dyn EmailService>,
    ) -> Result<Self> {
        let hasher = PasswordHasher::with_limits(options.password, options.password_hashing)?;
        // On PostgreSQL other instances write users too: the cache waits for
        // the listener that hears of their writes.
        let cache = Arc::new(UserCache::new(
            options.user_cache_ttl,
            options.user_cache_capacity,
            db.backend() != DbBackend::Postgres,
        ));
        let crud = UserCrud::new(service, hasher.clone(), &options, Arc::clone(&cache))?;
        let keys = TokenKeys::from_secret(&options.jwt_secret)?;
        let csrf_key = keys.derive_subkey("eicrud-csrf")?;
        let email_token_key = keys.derive_subkey("ferrocrud-email-token")?;
        Ok(Self {
            inner: Arc::new(Inner {
                crud,
                db,
                hasher,
                keys,
                csrf_key,
                email_token_key,
                options,
                email,
                cache,
                last_counter_purge: login::Cadence::default(),
                logins: stats::LoginCounters::default(),
                listener: OnceLock::new(),
            }),
        })
    }

    /// The CRUD service of the user entity, with the user rules (passwords
    /// hashed, sessions revoked when a credential changes).
    pub fn crud(&self) -> &UserCrud {
        &self.inner.crud
    }

    /// The key of the email-token digests.
    fn email_token_key(&self) -> &[u8] {
        self.inner.email_token_key.as_bytes()
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
        listener::install_trigger(&self.inner.db, self.inner.crud.info().table()).await?;
        let started = Listener::start(&self.inner.db, Arc::clone(&self.inner.cache));
        // A concurrent call may have won: its listener serves, this one stops.
        let _ = self.inner.listener.set(started);
        Ok(())
    }

    /// Whether this instance hears of user writes made elsewhere: on
    /// PostgreSQL, whether the listener of [`listen_for_user_changes`]
    /// is connected (the user cache is off while it is not); always `true`
    /// on SQLite.
    ///
    /// [`listen_for_user_changes`]: AccountService::listen_for_user_changes
    pub fn hears_user_changes(&self) -> bool {
        self.inner.cache.is_live()
    }

    /// Drops user `id` from this instance's cache, after a write of its row.
    fn forget_cached(&self, id: &str) {
        self.inner.cache.forget(id);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::auth::PasswordParams;
    use crate::context::{CrudContext, Verb};
    use crate::shared::user::CreateAccountDto;

    /// An application's user: its own table name and a field of its own.
    #[allow(unreachable_pub)]
    mod member {
        use sea_orm::entity::prelude::*;

        crate::user_model! {
            #[sea_orm(table_name = "member")]
            pub struct Model {
                #[schemars(length(max = 20))]
                pub nickname: Option<String>,
            }
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    fn options() -> UserOptions {
        let mut options = UserOptions::new("unit secret");
        options.password = PasswordParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        options
    }

    crate::db_test!(an_application_user_entity_serves_accounts, |db| {
        let users = CrudUserService::<member::Entity>::with_entity(db, options(), ConsoleMailer)
            .expect("user service");
        users.crud().ensure_table().await.expect("member table");
        users.listen_for_user_changes().await.expect("listening");

        let mut dto = CreateAccountDto {
            email: "ann@b.test".into(),
            password: "clear-text-1".into(),
            role: "user".into(),
            ..Default::default()
        };
        dto.profile.insert("nickname".into(), json!("ann"));
        let ctx = CrudContext::internal(Verb::Post, USER_SERVICE);
        let created = users.create_account(dto, &ctx).await.expect("account");

        let row = users
            .find_by_id(&created.user_id)
            .await
            .expect("database")
            .expect("the member");
        assert_eq!(row.nickname.as_deref(), Some("ann"));
        assert!(row.password.starts_with("$argon2id$"));
        assert_eq!(
            users
                .find_by_login("ann@b.test")
                .await
                .expect("database")
                .map(|m| m.id),
            Some(created.user_id.clone())
        );

        // Account commands run on the application's table.
        let token = users
            .keys()
            .issue(&created.user_id, None, 60, None)
            .expect("token")
            .0;
        let user = users.authenticate(&token).await.expect("authenticated");
        assert_eq!(user.row.get("nickname"), Some(&json!("ann")));
        assert_eq!(
            user.row.get("password"),
            None,
            "secrets stay out of the row"
        );

        // An account column is not a profile field.
        let mut dto = CreateAccountDto {
            email: "bob@b.test".into(),
            password: "clear-text-1".into(),
            role: "user".into(),
            ..Default::default()
        };
        dto.profile.insert("rvkd".into(), json!(3));
        let err = users.create_account(dto, &ctx).await.expect_err("managed");
        assert!(
            matches!(err, crate::Error::ManagedField(ref f) if f == "rvkd"),
            "{err:?}"
        );
    });
}
