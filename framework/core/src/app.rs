//! [`App`]: services, commands, roles and abilities, checked and compiled
//! before the first request.
//!
//! ```no_run
//! use ferrocrud::app::App;
//! use ferrocrud::security::{Role, ServiceSecurity, eq};
//! use ferrocrud::storage::Db;
//! use ferrocrud::user::{CrudUserService, UserOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let db = Db::connect("sqlite::memory:").await?;
//! let users = CrudUserService::new(db.clone(), UserOptions::new("a long random secret"))?;
//! let user_security = ServiceSecurity::new()
//!     .role("guest", |r| {
//!         r.can("create_account").when(eq("role", "user"));
//!         r.can("login");
//!     });
//! let app = App::builder(db)
//!     .roles([Role::new("guest"), Role::new("user").inherits("guest")])
//!     .user_service(users, user_security)
//!     .build()
//!     .await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! // Until SIGINT or SIGTERM; `app.serve(listener, shutdown)` for any other end.
//! app.serve_with_shutdown_signals(listener).await?;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::{EntityName as _, IdenStatic as _, Iterable as _};
use sea_orm_migration::MigratorTrait;

use crate::command::{Cmd, CommandSpec, usage};
use crate::config::{HttpOptions, LimitOptions, ValidationOptions};
use crate::error::{Result, SetupError};
use crate::fast_map::FastMap;
use crate::metrics::{LimitRefusals, Metrics, RouteNames, Sources};
use crate::migration::Migrations;
use crate::security::{Authorizer, KnownFields, Role, RoleGraph, ServiceFields, ServiceSecurity};
use crate::service::DynService;
use crate::shared::Command;
use crate::storage::{Db, SchemaLock, check_columns};
use crate::user::{AccountService, CrudUserService};
use crate::validate::Validator;

/// A ferrocrud application, ready to serve.
#[derive(Debug, Clone)]
pub struct App {
    state: Arc<AppState>,
}

/// Everything the request path reads, resolved at start.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) services: FastMap<String, ServiceEntry>,
    pub(crate) authorizer: Authorizer,
    pub(crate) users: Option<AccountService>,
    pub(crate) limits: LimitOptions,
    pub(crate) http: HttpOptions,
    pub(crate) db: Db,
    /// The application's migrations, when it gave its migrator: readiness
    /// compares them with the database's.
    pub(crate) migrations: Option<Migrations>,
    /// The OpenAPI document, rendered once.
    pub(crate) openapi: String,
    /// Set once shutdown has begun: readiness answers 503.
    pub(crate) draining: AtomicBool,
    /// Present when the application records metrics.
    pub(crate) metrics: Option<Metrics>,
    /// Command calls refused by their limits (always counted).
    pub(crate) limit_refusals: Arc<LimitRefusals>,
}

/// A served service with its compiled validators and commands.
#[derive(Debug)]
pub(crate) struct ServiceEntry {
    pub(crate) service: Arc<dyn DynService>,
    /// Rules of the writable fields (no id, no timestamps).
    pub(crate) data_validator: Validator,
    /// Rules of every field, for queries.
    pub(crate) query_validator: Validator,
    pub(crate) id_field: String,
    /// Wire names of the fields no client write may set (`x-managed`).
    pub(crate) managed_fields: Box<[String]>,
    pub(crate) commands: FastMap<String, CommandEntry>,
}

/// A command with its compiled DTO validator.
#[derive(Debug)]
pub(crate) struct CommandEntry {
    pub(crate) spec: CommandSpec,
    pub(crate) validator: Validator,
    /// `<service>_<command>`: the key of its per-user counters.
    pub(crate) usage_key: String,
}

impl App {
    /// Starts declaring an application on `db`.
    pub fn builder(db: Db) -> AppBuilder {
        AppBuilder {
            db,
            roles: Vec::new(),
            guest_role: "guest".into(),
            services: Vec::new(),
            commands: Vec::new(),
            users: None,
            migrations: None,
            limits: LimitOptions::default(),
            validation: ValidationOptions::default(),
            http: HttpOptions::default(),
            title: (
                "ferrocrud application".into(),
                env!("CARGO_PKG_VERSION").into(),
            ),
            metrics: false,
        }
    }

    /// The application's metrics, when it was built with
    /// [`AppBuilder::metrics`]: serve them with [`Metrics::serve`].
    pub fn metrics(&self) -> Option<&Metrics> {
        self.state.metrics.as_ref()
    }

    /// The axum router serving the application.
    pub fn router(&self) -> axum::Router {
        crate::http::router(Arc::clone(&self.state))
    }

    /// The application's OpenAPI 3.1 document (JSON), as served at
    /// `GET /crud/openapi.json`.
    pub fn openapi(&self) -> &str {
        &self.state.openapi
    }

    /// The user service, if one is registered, without its entity type.
    pub fn users(&self) -> Option<&AccountService> {
        self.state.users.as_ref()
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the
    /// requests in flight.
    ///
    /// Shutdown goes in this order: readiness answers 503 at once; the
    /// listener keeps accepting for [`HttpOptions::drain_delay`], then
    /// closes (connections the kernel had already queued are still served,
    /// one request each); requests in flight, and the password hashes they
    /// wait for, have [`HttpOptions::shutdown_timeout`] to finish.
    ///
    /// Each connection must send a request's headers within
    /// [`HttpOptions::header_read_timeout`] (else it is closed) and its body
    /// within [`HttpOptions::body_read_timeout`] (else 408); at most
    /// [`HttpOptions::max_connections`] are served at once.
    ///
    /// # Errors
    ///
    /// The I/O error that stopped the server.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = Arc::clone(&self.state);
        let shutdown = async move {
            shutdown.await;
            state.draining.store(true, Ordering::Release);
            tracing::info!(drain_delay = ?state.http.drain_delay, "shutting down: readiness answers 503");
            tokio::time::sleep(state.http.drain_delay).await;
        };
        let metrics = self.state.metrics.as_ref().map(|m| Arc::clone(m.http()));
        crate::http::serve::serve(listener, self.router(), &self.state.http, metrics, shutdown)
            .await
    }

    /// Serves on `listener` until the process receives SIGINT or SIGTERM
    /// (Ctrl-C where there are no Unix signals), then finishes the requests
    /// in flight and closes the database pool: [`serve`](Self::serve) with
    /// the shutdown a server process wants.
    ///
    /// The signal handlers are installed before the first request is
    /// answered, and stay installed for the life of the process.
    ///
    /// # Errors
    ///
    /// The I/O error that kept the signal handlers from being installed
    /// (nothing is served then), or the one that stopped the server.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(app: ferrocrud::app::App) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// app.serve_with_shutdown_signals(listener).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn serve_with_shutdown_signals(
        self,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<()> {
        let signals = ShutdownSignals::install()?;
        let db = self.state.db.clone();
        self.serve(listener, signals.received()).await?;
        match tokio::time::timeout(POOL_CLOSE_TIMEOUT, db.close()).await {
            Ok(Ok(())) => tracing::info!("database pool closed"),
            Ok(Err(error)) => tracing::warn!(%error, "closing the database pool failed"),
            Err(_) => tracing::warn!(
                "database connections still busy: the pool is left to the process's end"
            ),
        }
        Ok(())
    }
}

/// How long closing the pool may wait for its connections at shutdown.
const POOL_CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The signals that ask a server process to stop, listened for from the
/// moment they are installed.
#[derive(Debug)]
struct ShutdownSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl ShutdownSignals {
    /// Installs the handlers of SIGINT and SIGTERM (of Ctrl-C on Windows).
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(Self {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
    }

    /// Completes when one of the signals arrives.
    async fn received(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(windows)]
        self.ctrl_c.recv().await;
    }
}

/// Declares an application; [`AppBuilder::build`] checks and compiles it.
#[must_use]
#[derive(Debug)]
pub struct AppBuilder {
    db: Db,
    roles: Vec<Role>,
    guest_role: String,
    services: Vec<(Arc<dyn DynService>, ServiceSecurity)>,
    commands: Vec<CommandSpec>,
    users: Option<AccountService>,
    migrations: Option<Migrations>,
    limits: LimitOptions,
    validation: ValidationOptions,
    http: HttpOptions,
    title: (String, String),
    metrics: bool,
}

impl AppBuilder {
    /// The application's name and version, shown in its OpenAPI document.
    pub fn title(mut self, name: &str, version: &str) -> Self {
        self.title = (name.to_owned(), version.to_owned());
        self
    }

    /// The roles and their inheritance.
    pub fn roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles.extend(roles);
        self
    }

    /// The role of anonymous requests (default `guest`).
    pub fn guest_role(mut self, role: &str) -> Self {
        role.clone_into(&mut self.guest_role);
        self
    }

    /// Serves a CRUD service with its abilities.
    pub fn service(
        mut self,
        service: impl DynService + 'static,
        security: ServiceSecurity,
    ) -> Self {
        self.services.push((Arc::new(service), security));
        self
    }

    /// Serves the user service with its abilities, and its built-in commands.
    pub fn user_service<U>(mut self, users: CrudUserService<U>, security: ServiceSecurity) -> Self {
        let users = users.accounts().clone();
        self.commands.extend(users.commands());
        self.services
            .push((Arc::new(users.crud().clone()), security));
        self.users = Some(users);
        self
    }

    /// Registers a command on the service its DTO names.
    pub fn command<D: Command>(mut self, command: Cmd<D>) -> Self {
        self.commands.push(command.into_spec());
        self
    }

    /// The application's migrator: [`build`](Self::build) applies its
    /// pending migrations instead of creating missing tables from the
    /// entities, and readiness reports whether the database's migrations
    /// are the code's (see [`migration`](crate::migration)).
    ///
    /// ```no_run
    /// # async fn run(db: ferrocrud::storage::Db) -> ferrocrud::Result<()> {
    /// use sea_orm_migration::{MigrationTrait, MigratorTrait};
    ///
    /// struct Migrator;
    ///
    /// impl MigratorTrait for Migrator {
    ///     fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    ///         ferrocrud::migration::migrations()
    ///     }
    /// }
    ///
    /// let app = ferrocrud::app::App::builder(db)
    ///     .roles([ferrocrud::security::Role::new("guest")])
    ///     .migrator(Migrator)
    ///     .build()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn migrator<M: MigratorTrait>(mut self, migrator: M) -> Self {
        self.migrations = Some(Migrations::of(migrator));
        self
    }

    /// Query limits.
    pub fn limits(mut self, limits: LimitOptions) -> Self {
        self.limits = limits;
        self
    }

    /// Validation defaults.
    pub fn validation(mut self, validation: ValidationOptions) -> Self {
        self.validation = validation;
        self
    }

    /// HTTP settings.
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }

    /// Records metrics (off by default): requests by service, operation
    /// and status, logins, hashing, the user cache, the pool, command-limit
    /// refusals. [`App::metrics`] gives them to serve; the
    /// [`metrics`](crate::metrics) module lists the series.
    pub fn metrics(mut self) -> Self {
        self.metrics = true;
        self
    }

    /// Checks everything, brings the schema up to date and compiles the
    /// request path's tables.
    ///
    /// The schema: with a [`migrator`](Self::migrator), the pending
    /// migrations are applied; without, missing tables are created from the
    /// entities (the development schema: a table that exists is left as it
    /// is). Either runs under the schema lock (on PostgreSQL an advisory
    /// lock, so that instances starting together change the schema one at a
    /// time). Then every served entity's columns, and the framework's, are
    /// looked up in the database.
    ///
    /// # Errors
    ///
    /// [`Error::Setup`](crate::Error::Setup) naming the first misconfiguration
    /// (unknown role or field in a rule, duplicate service or command, a
    /// command on an unknown service, an unsupported type, a table or column
    /// the database lacks, a database ahead of the migrator), or a database
    /// error while migrating or creating tables.
    pub async fn build(self) -> Result<App> {
        let roles = Arc::new(RoleGraph::new(self.roles, &self.guest_role).await?);

        let mut commands: HashMap<String, FastMap<String, CommandEntry>> = HashMap::new();
        for spec in self.commands {
            let validator =
                Validator::from_schema(&spec.dto_type, &spec.dto_schema, &self.validation)?;
            let by_name = commands.entry(spec.service.clone()).or_default();
            if by_name.contains_key(&spec.name) {
                return Err(SetupError::DuplicateCommand {
                    service: spec.service,
                    command: spec.name,
                }
                .into());
            }
            let usage_key = format!("{}_{}", spec.service, spec.name);
            by_name.insert(
                spec.name.clone(),
                CommandEntry {
                    spec,
                    validator,
                    usage_key,
                },
            );
        }

        let mut services = FastMap::default();
        let mut securities = Vec::new();
        for (service, security) in self.services {
            let name = service.name().to_owned();
            if services.contains_key(&name) {
                return Err(SetupError::DuplicateService(name).into());
            }
            let type_name = pascal_case(&name);
            let query_validator =
                Validator::from_schema(&type_name, service.model_schema(), &self.validation)?;
            let info = service.info();
            let id_field = info.id().wire.clone();
            let data_validator = query_validator.clone().without_fields(&[
                id_field.as_str(),
                "createdAt",
                "updatedAt",
            ]);
            let service_commands = commands.remove(&name).unwrap_or_default();
            let fields = ServiceFields {
                entity: KnownFields {
                    type_name: type_name.clone(),
                    fields: query_validator.fields().map(str::to_owned).collect(),
                    date_times: query_validator
                        .date_time_fields()
                        .map(str::to_owned)
                        .collect(),
                },
                commands: service_commands
                    .iter()
                    .map(|(cmd, entry)| {
                        let known = KnownFields {
                            type_name: entry.spec.dto_type.clone(),
                            fields: entry.validator.fields().map(str::to_owned).collect(),
                            date_times: entry
                                .validator
                                .date_time_fields()
                                .map(str::to_owned)
                                .collect(),
                        };
                        (cmd.clone(), known)
                    })
                    .collect(),
                explicit: service
                    .info()
                    .explicit_fields()
                    .map(str::to_owned)
                    .collect(),
            };
            securities.push((name.clone(), security, fields));
            services.insert(
                name,
                ServiceEntry {
                    managed_fields: service.info().managed_fields().map(str::to_owned).collect(),
                    service,
                    data_validator,
                    query_validator,
                    id_field,
                    commands: service_commands,
                },
            );
        }
        if let Some(orphan) = commands.keys().next() {
            return Err(SetupError::InvalidSetting {
                name: "commands",
                reason: format!(
                    "a command is registered on service `{orphan}`, which is not served"
                ),
            }
            .into());
        }

        let authorizer = Authorizer::new(roles, securities, self.limits.admin_default_batch_size)?;
        // The database is touched once everything else is known good.
        prepare_schema(&self.db, self.migrations.as_ref(), &services).await?;
        if let Some(users) = &self.users {
            users.listen_for_user_changes().await?;
        }
        let openapi = openapi_document(&self.title, &services, &authorizer, &self.limits);
        let limit_refusals = Arc::new(LimitRefusals::default());
        let metrics = self.metrics.then(|| {
            let routes = RouteNames::new(services.iter().map(|(name, entry)| {
                (
                    name.as_str(),
                    entry.commands.keys().map(String::as_str).collect(),
                )
            }));
            Metrics::new(
                routes,
                Sources {
                    users: self.users.clone(),
                    db: self.db.clone(),
                    limits: Arc::clone(&limit_refusals),
                    app: self.title.clone(),
                },
            )
        });
        let state = AppState {
            services,
            authorizer,
            users: self.users,
            limits: self.limits,
            http: self.http,
            db: self.db,
            migrations: self.migrations,
            openapi,
            draining: AtomicBool::new(false),
            metrics,
            limit_refusals,
        };
        Ok(App {
            state: Arc::new(state),
        })
    }
}

/// Brings the schema to what the application serves, under the schema lock:
/// applies the pending migrations, or without migrations creates the missing
/// tables; then checks that the database has every column of the command
/// counters and of each served entity.
async fn prepare_schema(
    db: &Db,
    migrations: Option<&Migrations>,
    services: &FastMap<String, ServiceEntry>,
) -> Result<()> {
    let lock = SchemaLock::acquire(db).await?;
    let prepared = match migrations {
        Some(migrations) => migrations.up_locked(db).await.map(|applied| {
            for name in applied {
                tracing::info!(migration = %name, "applied migration");
            }
        }),
        None => create_tables(db, services).await,
    };
    lock.release().await;
    prepared?;
    check_columns(
        db,
        usage::Entity.table_name(),
        usage::Column::iter().map(|column| column.as_str()),
    )
    .await?;
    for entry in services.values() {
        let info = entry.service.info();
        check_columns(db, info.table(), info.columns().iter().map(|c| c.name)).await?;
    }
    Ok(())
}

/// The development schema: the tables of the command counters and of each
/// served entity, created when missing.
async fn create_tables(db: &Db, services: &FastMap<String, ServiceEntry>) -> Result<()> {
    crate::storage::ensure_table::<usage::Entity>(db).await?;
    for entry in services.values() {
        entry.service.ensure_table().await?;
    }
    Ok(())
}

/// Renders the OpenAPI document of the served services, in name order.
fn openapi_document(
    title: &(String, String),
    services: &FastMap<String, ServiceEntry>,
    authorizer: &Authorizer,
    limits: &LimitOptions,
) -> String {
    let mut names: Vec<&String> = services.keys().collect();
    names.sort();
    let docs: Vec<crate::openapi::ServiceDoc<'_>> = names
        .into_iter()
        .filter_map(|name| services.get(name))
        .map(|entry| {
            let mut commands: Vec<&CommandSpec> =
                entry.commands.values().map(|c| &c.spec).collect();
            commands.sort_by(|a, b| a.name.cmp(&b.name));
            crate::openapi::ServiceDoc {
                name: entry.service.name(),
                type_name: entry.query_validator.type_name(),
                schema: entry.service.model_schema(),
                id_field: &entry.id_field,
                secret_fields: entry
                    .service
                    .info()
                    .columns()
                    .iter()
                    .filter(|c| c.secret)
                    .map(|c| c.wire.as_str())
                    .collect(),
                managed_fields: entry.managed_fields.iter().map(String::as_str).collect(),
                always_excluded: authorizer
                    .always_excluded(entry.service.name())
                    .iter()
                    .map(String::as_str)
                    .collect(),
                limiting_keys: crate::openapi::LimitingKeys {
                    read: authorizer.limiting_keys(entry.service.name(), crate::context::Verb::Get),
                    patch: authorizer
                        .limiting_keys(entry.service.name(), crate::context::Verb::Patch),
                    delete: authorizer
                        .limiting_keys(entry.service.name(), crate::context::Verb::Delete),
                },
                commands,
            }
        })
        .collect();
    let app = crate::openapi::AppDoc {
        title: &title.0,
        version: &title.1,
        roles: authorizer.roles().names(),
        max_in_ids: limits.max_find_in_ids_length,
    };
    crate::openapi::document(&app, &docs).to_string()
}

/// `user-profile` → `UserProfile`: the type name eicrud's messages use.
fn pascal_case(kebab: &str) -> String {
    kebab
        .split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_from_service_names() {
        assert_eq!(pascal_case("post"), "Post");
        assert_eq!(pascal_case("user-profile"), "UserProfile");
    }

    /// Answers one `GET /crud/rdy` on a fresh connection to `address`.
    #[cfg(target_os = "linux")]
    async fn ready(address: std::net::SocketAddr) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /crud/rdy HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    // A real SIGTERM to this test process: safe because the server has
    // installed its handler (it answers only after installing it), and the
    // only test of this binary that listens for a signal.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn serving_with_shutdown_signals_stops_on_sigterm() {
        use rustix::process::{Signal, getpid, kill_process};
        use std::time::Duration;

        let db = Db::connect("sqlite::memory:").await.unwrap();
        let app = App::builder(db)
            .roles([Role::new("guest")])
            .build()
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(app.serve_with_shutdown_signals(listener));

        let answer = ready(address).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("true"), "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!server.is_finished(), "the server stopped without a signal");

        kill_process(getpid(), Signal::TERM).unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the server stops on SIGTERM");
        stopped.unwrap().unwrap();
    }
}
