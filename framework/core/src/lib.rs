//! ferrocrud: backends as services of entities and named commands, guarded
//! per role by abilities, with a complete user service built in.
//!
//! A ferrocrud application is a set of **services**. Each service is one
//! sea-orm entity served over HTTP with every eicrud CRUD operation, plus
//! named **commands** with typed DTOs. Every request goes through one
//! pipeline:
//!
//! ```text
//! HTTP -> decode -> authenticate -> validate -> authorize -> limits -> hooks -> handler -> storage -> encode
//! ```
//!
//! The server speaks eicrud's wire protocol, so the TypeScript
//! `@eicrud/client` works against it unchanged.
//!
//! # Example
//!
//! A user service where guests may sign up and log in, on SQLite in memory:
//!
//! ```
//! use ferrocrud::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ferrocrud::Result<()> {
//! let db = Db::connect("sqlite::memory:").await?;
//! let users = CrudUserService::new(db.clone(), UserOptions::new("a long random secret"))?;
//! let app = App::builder(db)
//!     .roles([Role::new("guest"), Role::new("user").inherits("guest")])
//!     .user_service(
//!         users,
//!         ServiceSecurity::new().role("guest", |r| {
//!             r.can("create_account").when(eq("role", "user"));
//!             r.can("login");
//!         }),
//!     )
//!     .build()
//!     .await?;
//! assert!(app.openapi().contains("/crud/s/user/cmd/login"));
//! // app.serve_with_shutdown_signals(listener).await serves it until SIGINT or SIGTERM.
//! # Ok(())
//! # }
//! ```
//!
//! [`prelude`] imports what an application writes most at once. See
//! `examples/blog` for a complete application, with an owner-restricted CRUD
//! service.
//!
//! # Features
//!
//! | feature | effect | default |
//! |---|---|---|
//! | `smtp` | [`email::SmtpMailer`](crate::email): the user service's mail over SMTP, STARTTLS or TLS (lettre on rustls) | off |
//! | `testing` | `storage::testing`: throw-away SQLite and PostgreSQL databases and `db_test!`, for applications' tests | off |
//!
//! SQLite and PostgreSQL are both always built in; `DATABASE_URL` chooses.

pub mod app;
pub mod auth;
pub mod command;
pub mod config;
pub mod context;
pub mod email;
pub mod error;
mod fast_map;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod metrics;
pub mod migration;
mod openapi;
pub mod prelude;
pub mod security;
pub mod service;
pub mod storage;
#[cfg(feature = "otel")]
pub mod telemetry;
pub mod user;
pub mod validate;

#[doc(inline)]
pub use ferrocrud_shared as shared;

extern crate self as ferrocrud;

pub use crate::context::CrudContext;
pub use crate::error::{Error, Result};
