//! The built-in user service: accounts, login and access tokens.
//!
//! [`CrudUserService`] is the CRUD service of the [`entity`] plus eicrud's
//! account commands (`create_account`, `login`, `check_jwt`, `logout`), and
//! the guard that turns a bearer token into the request's user.
//!
//! Abilities decide who may call each command, as for any other command:
//! nothing is allowed unless a rule says so.

pub mod entity;
mod guard;
mod options;

use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

pub use self::options::UserOptions;

use crate::auth::{PasswordHasher, TokenKeys};
use crate::command::{Cmd, CommandContext, usage};
use crate::context::{CrudContext, CurrentUser, Verb};
use crate::email::{ConsoleMailer, EmailService};
use crate::error::{Error, Result};
use crate::service::CrudService;
use crate::shared::user::{
    CheckJwtDto, CheckJwtResponseDto, CreateAccountDto, CreateAccountReturnDto, LoginDto,
    LoginResponseDto, LogoutDto, USER_SERVICE,
};
use crate::storage::Db;

/// The key of the login throttle in the call counters.
const LOGIN_KEY: &str = "login";

/// The user service: the `user` entity's CRUD service plus account commands.
///
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct CrudUserService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    crud: CrudService<entity::Entity>,
    db: Db,
    hasher: PasswordHasher,
    keys: TokenKeys,
    options: UserOptions,
    email: Arc<dyn EmailService>,
}

impl CrudUserService {
    /// The user service on `db`.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`] when the options are invalid (empty JWT secret,
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
        let crud = CrudService::new(USER_SERVICE, db.clone())?;
        let hasher = PasswordHasher::new(options.password)?;
        let keys = TokenKeys::from_secret(&options.jwt_secret)?;
        Ok(Self {
            inner: Arc::new(Inner {
                crud,
                db,
                hasher,
                keys,
                options,
                email: Arc::new(email),
            }),
        })
    }

    /// The CRUD service of the user entity.
    pub fn crud(&self) -> &CrudService<entity::Entity> {
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
    /// [`Error::Database`] when the database fails.
    pub async fn find_by_login(&self, login: &str) -> Result<Option<entity::Model>> {
        Ok(entity::Entity::find()
            .filter(entity::Column::Email.eq(login))
            .one(self.inner.db.connection())
            .await?)
    }

    /// Finds a user by id, secrets included.
    ///
    /// # Errors
    ///
    /// [`Error::Database`] when the database fails.
    pub async fn find_by_id(&self, id: &str) -> Result<Option<entity::Model>> {
        Ok(entity::Entity::find_by_id(id.to_owned())
            .one(self.inner.db.connection())
            .await?)
    }

    /// Creates an account (`create_account`). Abilities are not checked
    /// here: the HTTP layer checks them before calling.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooLong`], [`Error::EmailAlreadyTaken`], or a database error.
    ///
    /// # Cancel safety
    ///
    /// The account is written in one statement: dropped before it, nothing is written.
    pub async fn create_account(
        &self,
        dto: CreateAccountDto,
        ctx: &CrudContext,
    ) -> Result<CreateAccountReturnDto> {
        let options = &self.inner.options;
        if dto.password.chars().count() > options.password_max_length {
            return Err(Error::PasswordTooLong);
        }
        let hash = self.inner.hasher.hash(&dto.password).await?;
        let mut data = Map::new();
        data.insert("email".into(), Value::String(dto.email.clone()));
        data.insert("password".into(), Value::String(hash));
        data.insert("role".into(), Value::String(dto.role.clone()));
        if let Some(username) = &dto.username {
            data.insert("username".into(), Value::String(username.clone()));
        }
        let created = match self.inner.crud.create(data, ctx).await {
            Err(Error::UniqueViolation) => return Err(Error::EmailAlreadyTaken),
            other => other?,
        };
        let user_id = created
            .get("id")
            .and_then(Value::as_str)
            .ok_or(Error::Internal("created user has no id"))?
            .to_owned();
        let email = Arc::clone(&self.inner.email);
        let to = dto.email;
        tokio::spawn(async move {
            if let Err(err) = email.send_account_creation(&to).await {
                tracing::warn!(error = %err, "account creation email not sent");
            }
        });
        let access_token = if dto.log_me_in == Some(true) {
            let lifetime = options.token_lifetime.as_secs() as i64;
            Some(self.inner.keys.issue(&user_id, None, lifetime, None)?.0)
        } else {
            None
        };
        Ok(CreateAccountReturnDto {
            user_id,
            access_token,
        })
    }

    /// Checks credentials and issues an access token (`login`).
    ///
    /// An unknown login and a wrong password give the same error after the
    /// same work.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidExpiresIn`], [`Error::PasswordTooLong`],
    /// [`Error::InvalidCredentials`], [`Error::TimedOut`], or a database error.
    pub async fn login(&self, dto: LoginDto) -> Result<LoginResponseDto> {
        let options = &self.inner.options;
        self.throttle_login(&dto.email).await?;
        let lifetime = self.token_lifetime(dto.expires_in_sec)?;
        if dto.password.chars().count() > options.password_max_length {
            return Err(Error::PasswordTooLong);
        }
        let user = self.find_by_login(&dto.email).await?;
        let hash = user.as_ref().map(|u| u.password.clone());
        let ok = self.inner.hasher.verify(&dto.password, hash).await?;
        let user = match (ok, user) {
            (true, Some(user)) => user,
            _ => return Err(Error::InvalidCredentials),
        };
        guard::check_timeout(&user)?;
        let (access_token, _) = self.inner.keys.issue(&user.id, user.rvkd, lifetime, None)?;
        Ok(LoginResponseDto {
            access_token,
            user_id: user.id,
        })
    }

    /// Creates the account if no user has this email (for seeding
    /// administrators at start). Abilities are not checked.
    ///
    /// # Errors
    ///
    /// As [`CrudUserService::create_account`].
    pub async fn ensure_account(&self, email: &str, password: &str, role: &str) -> Result<bool> {
        let email = email.trim().to_lowercase();
        if self.find_by_login(&email).await?.is_some() {
            return Ok(false);
        }
        let dto = CreateAccountDto {
            email,
            password: password.to_owned(),
            role: role.to_owned(),
            username: None,
            log_me_in: None,
        };
        self.create_account(dto, &CrudContext::internal(Verb::Post, USER_SERVICE))
            .await?;
        Ok(true)
    }

    /// The user a bearer token stands for, read fresh from the database.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidToken`], [`Error::TokenMismatch`] (revoked),
    /// [`Error::UserNotFound`], [`Error::TimedOut`], or a database error.
    pub async fn authenticate(&self, token: &str) -> Result<CurrentUser> {
        guard::authenticate(self, token).await
    }

    /// The built-in commands, to register on the application.
    pub(crate) fn commands(&self) -> Vec<crate::command::CommandSpec> {
        let users = self.clone();
        let create_account = Cmd::new(move |ctx: CommandContext, dto: CreateAccountDto| {
            let users = users.clone();
            async move { users.create_account(dto, &ctx.crud).await }
        });
        let users = self.clone();
        let login = Cmd::new(move |_ctx: CommandContext, dto: LoginDto| {
            let users = users.clone();
            async move { users.login(dto).await }
        });
        let check_jwt = Cmd::new(|ctx: CommandContext, _dto: CheckJwtDto| async move {
            let user_id = ctx.user_id().ok_or(Error::NotAuthenticated)?.to_owned();
            Ok(CheckJwtResponseDto {
                access_token: None,
                refresh_token_sec: None,
                user_id,
            })
        });
        let logout = Cmd::new(|ctx: CommandContext, _dto: LogoutDto| async move {
            ctx.set_cookie(crate::http::CLEAR_JWT_COOKIE)?;
            Ok(())
        });
        vec![
            create_account.into_spec(),
            login.into_spec(),
            check_jwt.into_spec(),
            logout.into_spec(),
        ]
    }

    /// One login attempt per identifier per `min_time_between_login_attempts`,
    /// known or not, claimed atomically in the database so that every server
    /// instance sees it.
    async fn throttle_login(&self, login: &str) -> Result<()> {
        let interval = self.inner.options.min_time_between_login_attempts;
        if interval.is_zero() {
            return Ok(());
        }
        let interval = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        let now = chrono::Utc::now().timestamp_millis();
        match usage::claim_call(self.inner.db.connection(), login, LOGIN_KEY, now, interval).await {
            Err(Error::WaitUntil { .. }) => Err(Error::TooEarly),
            other => other,
        }
    }

    fn token_lifetime(&self, expires_in_sec: Option<i64>) -> Result<i64> {
        let max = self.inner.options.max_token_lifetime.as_secs() as i64;
        match expires_in_sec {
            None => Ok(self.inner.options.token_lifetime.as_secs() as i64),
            Some(value) if value <= 0 || value > max => Err(Error::InvalidExpiresIn { value, max }),
            Some(value) => Ok(value),
        }
    }
}
