//! [`Error`], the one error type of the crate.
//!
//! Errors are plain data: they say what went wrong, never how it is sent.
//! The `http` module maps each kind, once, to a status, a stable
//! [`ErrorCode`](crate::shared::ErrorCode) and an eicrud-shaped body.

use std::fmt;

use chrono::{DateTime, Utc};

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while serving a request or calling a service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ----- decoding --------------------------------------------------------
    /// A `query` or `options` parameter, or the body, is not valid JSON.
    #[error("malformed JSON in {what}")]
    MalformedJson {
        /// `query`, `options` or `body`.
        what: &'static str,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A query-string parameter other than `query` and `options`.
    #[error("unknown query parameter {0}")]
    UnknownParameter(String),
    /// The body is larger than the server accepts.
    #[error("request body too large")]
    BodyTooLarge,
    /// A request body whose `Content-Type` is not `application/json`
    /// (a cross-site form cannot send one).
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// `mockRole` names a role the caller may not act as: the caller's role
    /// cannot mock, or the role is not among those it inherits.
    #[error("mock role {0} not allowed")]
    MockRoleRefused(String),
    /// The client did not send the body within
    /// [`HttpOptions::body_read_timeout`](crate::config::HttpOptions::body_read_timeout).
    #[error("the request body was not received in time")]
    BodyReadTimeout,
    /// `cached` on `findOne` without the id in the query (eicrud: 400).
    #[error("the cached option needs the id in the query")]
    CachedNeedsId,
    /// A request shape the route does not accept (e.g. a non-object query).
    #[error("bad request: {0}")]
    BadRequest(&'static str),

    // ----- validation ------------------------------------------------------
    /// The input failed the type's rules.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A field's JSON text is longer than allowed (eicrud code 23).
    #[error("field {field} is {size} characters of JSON, at most {max} allowed")]
    FieldTooBig {
        /// The field's name.
        field: String,
        /// Its JSON length.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// An array holds more items than allowed (eicrud code 24).
    #[error("array {field} has {length} items, at most {max} allowed")]
    ArrayTooLong {
        /// The field's name.
        field: String,
        /// Its number of items.
        length: usize,
        /// The maximum.
        max: usize,
    },

    // ----- routing ---------------------------------------------------------
    /// No service of that name.
    #[error("service not found: {0}")]
    ServiceNotFound(String),
    /// No command of that name in the service.
    #[error("command {0} not found in security map")]
    CommandNotFound(String),
    /// The command is secure-only and was called without POST.
    #[error("command must be used in secure mode (POST)")]
    SecureModeRequired,
    /// The command does not accept GET.
    #[error("GET method not allowed")]
    GetMethodNotAllowed,

    // ----- authorization and limits -----------------------------------------
    /// No role rule allows the request.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The batch is larger than the role allows.
    #[error("max batch size exceeded: {size} > {max}")]
    MaxBatchSizeExceeded {
        /// The largest batch the role may send.
        max: u64,
        /// The batch's size.
        size: u64,
        /// The command's batch field, if any.
        field: Option<String>,
    },
    /// The payload (or the command's batch field) must be an array.
    #[error("payload must be an array")]
    PayloadMustBeArray,
    /// A batch must hold at least one item.
    #[error("batch size must be at least 1")]
    EmptyBatch,
    /// Too many ids in an `in` query.
    #[error("in query holds {len} ids, at most {max} allowed")]
    InRequiredLength {
        /// The maximum.
        max: u64,
        /// How many were sent.
        len: u64,
    },
    /// The per-user maximum number of calls of a command is reached.
    #[error("maximum uses of this command reached ({max})")]
    MaxUsesReached {
        /// The maximum.
        max: u64,
    },
    /// The command was called again before its minimum interval elapsed.
    #[error("called too soon; next call allowed at {next_allowed_call} ms")]
    WaitUntil {
        /// Epoch milliseconds of the next allowed call.
        next_allowed_call: i64,
    },
    /// A field of the `fields` option is always excluded for this service.
    #[error("always excluded field {0} cannot be in fields option")]
    ExcludedField(String),

    // ----- CRUD ------------------------------------------------------------
    /// A client-chosen id on create without `allowIdOverride`.
    #[error("id is not empty and allowIdOverride is not set")]
    IdOverrideNotSet,
    /// The data of an update sets the id.
    #[error("cannot update id field")]
    CannotUpdateId,
    /// No row matches the query of a `one` operation.
    #[error("entity not found")]
    EntityNotFound,
    /// A unique column already holds the value.
    #[error("unique constraint violated")]
    UniqueViolation,
    /// The data sets a field only the server writes: a counter it
    /// increments, or a column marked `x-managed` (the user's account state).
    #[error("field {0} is managed by the server and cannot be written")]
    ManagedField(String),
    /// The query names a field the entity does not have, or is otherwise unusable.
    #[error("invalid query: {0}")]
    InvalidQuery(String),

    // ----- authentication --------------------------------------------------
    /// The email or username of a new account is taken.
    #[error("an account with this username already exists")]
    EmailAlreadyTaken,
    /// Wrong login or password at login (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Wrong current password in a command that asks for it (400).
    #[error("wrong password")]
    WrongPassword,
    /// The password is longer than allowed.
    #[error("password too long")]
    PasswordTooLong,
    /// The token is malformed, forged or expired; the text is the wire message.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token's revocation counter no longer matches the user's.
    #[error("token rvkd count mismatch")]
    TokenMismatch,
    /// The token's user does not exist.
    #[error("user not found")]
    UserNotFound,
    /// The request needs a logged-in user.
    #[error("not authenticated")]
    NotAuthenticated,
    /// The account is timed out.
    #[error("account timed out until {until}")]
    TimedOut {
        /// When the timeout ends.
        until: DateTime<Utc>,
    },
    /// A second login attempt on one identifier too soon after the previous one.
    #[error("too many login attempts")]
    TooEarly,
    /// Too many failed logins; wait before trying again.
    #[error("too many failed logins; wait {wait_seconds} seconds")]
    LockedOut {
        /// Seconds left to wait.
        wait_seconds: u64,
    },
    /// `expiresInSec` is out of range.
    #[error("invalid expiresInSec: {value} max: {max}")]
    InvalidExpiresIn {
        /// The value sent.
        value: i64,
        /// The maximum.
        max: i64,
    },
    /// An account command needs a logged-in user; the text ends eicrud's
    /// `Must be logged to …` message (`change password`).
    #[error("must be logged in to {0}")]
    LoginRequired(&'static str),
    /// The user a command names does not exist (400, unlike the guard's 401).
    #[error("target user not found")]
    TargetUserNotFound,
    /// An email token (verification or reset) is unknown, used, expired or
    /// of another purpose.
    #[error("email token invalid or expired")]
    InvalidEmailToken,
    /// Too many emails of this kind were sent to the user; wait for the last
    /// token to expire.
    #[error("email already sent")]
    EmailAlreadySent,
    /// The mail transport failed; nothing the command would have written is kept.
    #[error("email not sent")]
    MailNotSent(#[source] Box<Error>),
    /// `timeout_user` on a user whose role the request does not allow.
    #[error("not allowed to time out a user of role {role}")]
    NotAllowedToTimeout {
        /// The target's role.
        role: String,
    },
    /// The CSRF header does not match the cookie, or a cookie session lacks its CSRF binding.
    #[error("CSRF token mismatch")]
    CsrfMismatch,
    /// The CSRF token does not belong to the session's token.
    #[error("CSRF token JWT mismatch")]
    CsrfJwtMismatch,

    // ----- server side -----------------------------------------------------
    /// The application is misconfigured; raised at start, never per request.
    #[error("invalid setup: {0}")]
    Setup(#[from] SetupError),
    /// The database failed.
    #[error("database error")]
    Database(#[source] sea_orm::DbErr),
    /// The database cannot be reached: the connection was refused, lost or
    /// closed by the server (shutting down, starting up), or no connection
    /// was free within the pool's acquire timeout. Unlike
    /// [`Error::Database`], trying again later may succeed (503).
    #[error("database unavailable")]
    DatabaseUnavailable(#[source] sea_orm::DbErr),
    /// Too many password hashes are running and waiting already
    /// ([`HashingLimits`](crate::auth::HashingLimits)); nothing was done.
    /// Trying again after `retry_after` may succeed (503 with `Retry-After`).
    #[error("password hashing overloaded")]
    HashingOverloaded {
        /// How long the caller should wait before trying again.
        retry_after: std::time::Duration,
    },
    /// A background task failed (hashing thread panicked, ...).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// A row read from the database does not deserialize into its entity's
    /// Model (serde attributes that disagree with the columns, a secret field
    /// without `#[serde(default)]`, a projection that left a field out).
    #[error("a row of {entity} does not fit its Model")]
    ModelMismatch {
        /// The entity's type name.
        entity: String,
        /// The deserializer's error.
        #[source]
        source: serde_json::Error,
    },

    // ----- email -----------------------------------------------------------
    /// A mail transport (such as `email::SmtpMailer`) could not send a
    /// message: the address or message was unusable, the server could not be
    /// reached, refused it, or did not answer in time. The source says why;
    /// clients only learn that the email was not sent (503).
    #[error("mail transport failed for {kind} email")]
    MailTransport {
        /// The message.
        kind: crate::email::MessageKind,
        /// The transport's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    // ----- two-factor login --------------------------------------------------
    /// The account logs in with an emailed code and none was given; one is
    /// on its way (or a still valid one was sent earlier).
    #[error("two-factor code required")]
    TwoFaRequired,
    /// The two-factor code is right but older than its lifetime.
    #[error("two-factor code expired")]
    TwoFaCodeExpired,
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        match err.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::UniqueViolation,
            _ if is_unavailable(&err) => Error::DatabaseUnavailable(err),
            _ => Error::Database(err),
        }
    }
}

/// Whether a database error says the database could not be reached, rather
/// than that a statement failed: no connection within the acquire timeout,
/// a closed pool, an I/O error, or PostgreSQL refusing or ending the session
/// (SQLSTATE class 08, `57P01` admin shutdown, `57P02` crash shutdown,
/// `57P03` cannot connect now).
fn is_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(err))
        | DbErr::Exec(RuntimeErr::SqlxError(err))
        | DbErr::Query(RuntimeErr::SqlxError(err)) => sqlx_unavailable(err),
        _ => false,
    }
}

/// [`is_unavailable`] for a sqlx error: also whether a connection that
/// returned it is lost.
pub(crate) fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    match err {
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => true,
        E::Database(err) => err.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Where invalid input was found; eicrud names it in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The body (entity data or command DTO).
    Data,
    /// The `query` parameter.
    Query,
    /// The `options` parameter.
    Options,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Data => "Data",
            Target::Query => "Query",
            Target::Options => "Options",
        }
    }
}

/// One property that failed validation and the constraint names that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyFailure {
    /// The property (wire name).
    pub property: String,
    /// Constraint names in eicrud's (class-validator's) spelling: `isString`,
    /// `minLength`, `max`, `whitelistValidation`, ...
    pub constraints: Vec<&'static str>,
}

/// The input failed the rules of its type.
///
/// Its `Display` is eicrud's text, which `@eicrud/client` users may show:
///
/// ```
/// use ferrocrud::error::{PropertyFailure, Target, ValidationError};
///
/// let err = ValidationError {
///     target: Target::Data,
///     type_name: "Post".into(),
///     failures: vec![PropertyFailure { property: "title".into(), constraints: vec!["isString"] }],
/// };
/// assert_eq!(
///     err.to_string(),
///     "Validation error Data: An instance of Post has failed the validation:\n - property title has failed the following constraints: isString \n"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Body, query or options.
    pub target: Target,
    /// The type's name as clients know it (`Post`, `CreateAccountDto`).
    pub type_name: String,
    /// The failed properties, in the type's field order.
    pub failures: Vec<PropertyFailure>,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Validation error {}: An instance of {} has failed the validation:",
            self.target.label(),
            self.type_name
        )?;
        for failure in &self.failures {
            writeln!(
                f,
                " - property {} has failed the following constraints: {} ",
                failure.property,
                failure.constraints.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// No role rule allowed the request.
///
/// Its `Display` is eicrud's text, naming every role tried and the field it
/// failed on:
///
/// ```
/// use ferrocrud::error::Denied;
///
/// let denied = Denied {
///     role: "user".into(),
///     method: "GET",
///     service: "post".into(),
///     command: None,
///     tried: vec![("user".into(), "all".into()), ("guest".into(), "all".into())],
/// };
/// assert_eq!(
///     denied.to_string(),
///     "Role user is not allowed to GET post - user failed on all - guest failed on all "
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The role the request was made with.
    pub role: String,
    /// The HTTP method (`GET`, `POST`, `PATCH`, `DELETE`).
    pub method: &'static str,
    /// The service.
    pub service: String,
    /// The command, for command requests.
    pub command: Option<String>,
    /// Each role tried, in walk order, with the field it failed on (`all` when no data).
    pub tried: Vec<(String, String)>,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Role {} is not allowed to {} {}",
            self.role, self.method, self.service
        )?;
        if let Some(command) = &self.command {
            write!(f, " {command}")?;
        }
        for (role, field) in &self.tried {
            write!(f, " - {role} failed on {field}")?;
        }
        f.write_str(" ")
    }
}

impl std::error::Error for Denied {}

/// A misconfiguration found while the application is built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A rule names a field its entity or DTO does not have.
    #[error(
        "service {service}: a rule of role {role} names field `{field}`, which {type_name} does not have"
    )]
    UnknownField {
        /// The service.
        service: String,
        /// The role whose rule it is.
        role: String,
        /// The field named.
        field: String,
        /// The entity or DTO type checked against.
        type_name: String,
    },
    /// A rule, service or user names a role that was never declared.
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    /// Two roles with one name.
    #[error("role `{0}` is declared twice")]
    DuplicateRole(String),
    /// Roles inherit from each other in a cycle.
    #[error("role `{0}` inherits from itself")]
    RoleCycle(String),
    /// Two services with one name.
    #[error("service `{0}` is registered twice")]
    DuplicateService(String),
    /// Two commands with one name in one service.
    #[error("command `{command}` is registered twice on service `{service}`")]
    DuplicateCommand {
        /// The service.
        service: String,
        /// The command.
        command: String,
    },
    /// A type's JSON schema cannot be used for validation.
    #[error("type {type_name}: {reason}")]
    UnsupportedSchema {
        /// The type.
        type_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The application's user entity lacks an account column, or declares
    /// one with another type.
    #[error(
        "user entity {type_name}: account column `{column}` {problem}; the Model field must be `{expected}` (see ferrocrud::user_model!)"
    )]
    UserColumn {
        /// The user entity.
        type_name: String,
        /// The column's database name.
        column: &'static str,
        /// What is wrong: "is missing", "has type String".
        problem: String,
        /// The Rust type the Model field must have.
        expected: &'static str,
    },
    /// A type's JSON schema carries an `x-` keyword ferrocrud does not know
    /// (see [`ferrocrud_shared::schema::KNOWN`]), such as a misspelt
    /// `x-secrets`, which would otherwise be ignored.
    #[error(
        "type {type_name}: unknown schema keyword `{keyword}` on {} (known: {})",
        keyword_place(path),
        ferrocrud_shared::schema::KNOWN.join(", ")
    )]
    UnknownKeyword {
        /// The entity or DTO type.
        type_name: String,
        /// The property holding the keyword (dotted for nested objects),
        /// empty for the type itself.
        path: String,
        /// The keyword.
        keyword: String,
    },
    /// A setting is out of range or missing.
    #[error("setting {name}: {reason}")]
    InvalidSetting {
        /// The setting.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The policy store (casbin) refused the role graph.
    #[error("policy store: {0}")]
    Policy(String),
    /// A rule names a command the service does not register.
    #[error(
        "service {service}: a rule of role {role} names command `{command}`, which the service does not register"
    )]
    UnknownCommand {
        /// The service.
        service: String,
        /// The role whose rule it is.
        role: String,
        /// The command named.
        command: String,
    },
    /// A rule's action string is neither a CRUD action (`create`, `read`,
    /// `update`, `delete`, the methods, eicrud's letter combinations such
    /// as `crud` or `ru`) nor a command the service registers: a typo such
    /// as `cdur` or `reed`, or a command left unregistered.
    #[error(
        "service {service}: a rule of role {role} names action `{action}`, which is neither a CRUD action (create, read, update, delete, crud, cru, ru, ...) nor a command the service registers"
    )]
    UnknownAction {
        /// The service.
        service: String,
        /// The role whose rule it is.
        role: String,
        /// The action string.
        action: String,
    },
    /// A rule made with `can_cmd`/`cannot_cmd` names the command of a DTO
    /// that belongs to another service.
    #[error(
        "service {service}: a rule of role {role} names command `{command}` of service `{command_service}`"
    )]
    CommandOfOtherService {
        /// The service whose abilities hold the rule.
        service: String,
        /// The role whose rule it is.
        role: String,
        /// The command.
        command: String,
        /// The service the command's DTO belongs to.
        command_service: String,
    },
    /// `ServiceSecurity::role` was given a closure that declares nothing;
    /// `ServiceSecurity::declare_role` says what such a closure used to mean.
    #[error(
        "service {service}: role {role} is declared with an empty closure; use `declare_role(\"{role}\")` for a CRUD entry without rules, or remove it"
    )]
    EmptyRole {
        /// The service.
        service: String,
        /// The role.
        role: String,
    },
    /// `always_exclude_fields` names a field the entity does not have.
    #[error("service {service}: always excluded field `{field}` is not a field of {type_name}")]
    UnknownExcludedField {
        /// The service.
        service: String,
        /// The field named.
        field: String,
        /// The entity type checked against.
        type_name: String,
    },
    /// A served entity's table, or a table of the framework's, is not in
    /// the database: a migration that creates it is missing or not applied.
    #[error("table `{table}` does not exist in the database")]
    MissingTable {
        /// The table.
        table: String,
    },
    /// A served entity declares a column its table lacks: the migration
    /// that adds it is missing or not applied (or, without migrations, the
    /// table was created before the column was declared).
    #[error("table `{table}` has no column `{column}`, which its entity declares")]
    MissingColumn {
        /// The table.
        table: String,
        /// The column's name in the database.
        column: String,
    },
    /// The database has a migration applied that the application's migrator
    /// does not list: the database is ahead of the code.
    #[error(
        "the database has migration `{name}` applied, which this build does not know: it is ahead of the code"
    )]
    UnknownMigration {
        /// The migration's name.
        name: String,
    },
}

/// Where an unknown schema keyword sits, for [`SetupError::UnknownKeyword`].
fn keyword_place(path: &str) -> String {
    if path.is_empty() {
        "the type".to_owned()
    } else {
        format!("property `{path}`")
    }
}
