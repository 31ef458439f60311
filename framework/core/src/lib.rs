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
//! See `examples/blog` for a complete application.

pub mod app;
pub mod auth;
pub mod command;
pub mod config;
pub mod context;
pub mod email;
pub mod error;
pub mod http;
mod openapi;
pub mod security;
pub mod service;
pub mod storage;
pub mod user;
pub mod validate;

#[doc(inline)]
pub use ferrocrud_shared as shared;

pub use crate::context::CrudContext;
pub use crate::error::{Error, Result};
