//! A typed async client for ferrocrud servers, and for eicrud servers: it
//! speaks the same wire protocol as the TypeScript `@eicrud/client`.
//!
//! ```no_run
//! use ferrocrud_client::{Client, ClientConfig, CrudOptions, Resource};
//! use ferrocrud_client::shared::user::LoginDto;
//! use serde::{Deserialize, Serialize};
//! use serde_json::json;
//!
//! #[derive(Debug, Serialize, Deserialize)]
//! struct Post {
//!     id: String,
//!     owner: String,
//!     title: String,
//! }
//!
//! impl Resource for Post {
//!     const SERVICE: &'static str = "post";
//! }
//!
//! # async fn run() -> Result<(), ferrocrud_client::ClientError> {
//! let client = Client::new(ClientConfig::new("https://api.example.com"))?;
//! let me = client
//!     .login(&LoginDto {
//!         email: "ada@example.com".into(),
//!         password: "correct horse".into(),
//!         two_fa_code: None,
//!         expires_in_sec: None,
//!     })
//!     .await?;
//!
//! let posts = client.service::<Post>();
//! posts.create(json!({"owner": me.user_id, "title": "Hello"}), None).await?;
//! let page = posts
//!     .find(json!({"owner": me.user_id}), CrudOptions { limit: Some(20), ..Default::default() })
//!     .await?;
//! for post in page.data {
//!     println!("{}: {}", post.id, post.title);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What it does
//!
//! - [`Client`] holds the connection pool, the [`ClientConfig`] and the
//!   session's [`TokenStore`]; [`Client::service`] gives a [`ServiceClient`]
//!   typed by the service's entity, with every eicrud CRUD operation.
//! - Commands are typed by their DTO through [`Command`]:
//!   [`Client::cmd_s`] (`POST`, secure mode), [`Client::cmd`] (`PATCH`),
//!   [`Client::cmd_get`] (`GET`).
//! - [`Client::login`], [`Client::check_jwt`] (stores a renewed token) and
//!   [`Client::logout`] manage the session; the token goes out as
//!   `Authorization: Bearer`.
//! - As `@eicrud/client` does: a 401 to a call made with a token drops the
//!   token and sends the call again once as a guest; [`ServiceClient::find_all`]
//!   and the `*_in` calls follow pages; batch calls and id lists go in chunks
//!   that shrink to the `maxBatchSize` a server announces (codes 12 and 13).
//! - Credentials never go over plain `http` except to localhost, unless
//!   [`ClientConfig::allow_insecure_url`] is set.
//!
//! # Wire
//!
//! Every route is under `<url>/crud/s/<service>/`. `query` and `options` go
//! in the query string as JSON texts, `options` first; `options` is always
//! sent on the `GET` list routes (at least `{}`) and otherwise only when
//! given. Bodies are JSON. Errors arrive as [`ClientError::Api`], whose
//! [`ApiError`] reads the code and data of ferrocrud and eicrud bodies alike.
//!
//! # Differences from `@eicrud/client`
//!
//! The wire is the same; these behaviours are deliberately safer:
//!
//! - `login` is sent without the stored token (eicrud sends it, and a revoked
//!   one makes the server refuse the login with 401 code 4), and a refused
//!   login is an error carrying its code rather than `undefined`.
//! - The insecure-URL check parses the host (eicrud's prefix test accepts
//!   `http://localhost.evil.example`) and also covers `login`, whose body
//!   holds a password.
//! - When a chunk is refused with a smaller `maxBatchSize`, the call resumes
//!   from that chunk instead of starting over, so earlier chunks are not
//!   created twice.
//! - Pagination starts from `options.offset`, asks for no more than the rows
//!   still wanted, and stops on an empty page.
//! - A 401 clears the token only if it is still the one that was sent.
//!
//! Not provided: cookie mode (`jwtCookie`), `globalOptions`, `mockRole`,
//! per-command batch fields, `saveBatch` and progress callbacks.
//!
//! # Features
//!
//! This crate has no cargo features. It sends HTTPS through rustls with the
//! webpki root certificates.

#![doc(test(attr(deny(warnings, rust_2018_idioms), allow(dead_code, unused_variables))))]

mod client;
mod config;
mod error;
mod paging;
mod service;
mod token;
mod wire;

#[doc(inline)]
pub use ferrocrud_shared as shared;

pub use crate::client::{Client, CommandMethod};
pub use crate::config::{ClientConfig, DEFAULT_BATCH_SIZE};
pub use crate::error::{ApiError, ClientError};
pub use crate::service::ServiceClient;
pub use crate::token::{MemoryTokenStore, TokenStore};
pub use ferrocrud_shared::{
    Command, CrudOptions, DeleteResponse, ErrorCode, FindResponse, PatchResponse, Resource,
    WireError,
};
