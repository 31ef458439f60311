//! Wire types shared by ferrocrud servers and clients.
//!
//! This crate is the small, stable vocabulary that both sides of a ferrocrud
//! connection speak: the options a request may carry ([`CrudOptions`]), the
//! shapes of CRUD answers ([`FindResponse`], [`PatchResponse`],
//! [`DeleteResponse`]), the error body and its stable codes ([`WireError`],
//! [`ErrorCode`]), the [`Resource`] trait that gives a wire type its service's
//! name, the [`Command`] trait that ties a DTO to its service, name and return
//! type, and the DTOs of the built-in user service ([`user`]).
//!
//! It depends only on serde, serde_json and schemars, so a client, a CLI or a
//! wasm front end can use it without pulling in a server.
//!
//! ```
//! use ferrocrud_shared::{Command, user::LoginDto};
//!
//! assert_eq!(LoginDto::SERVICE, "user");
//! assert_eq!(LoginDto::NAME, "login");
//! ```

pub mod command;
pub mod error;
pub mod options;
pub mod resource;
pub mod response;
pub mod schema;
pub mod user;

pub use crate::command::Command;
pub use crate::error::{ErrorCode, WireError};
pub use crate::options::{CrudOptions, OrderBy, SortDirection};
pub use crate::resource::Resource;
pub use crate::response::{DeleteResponse, FindResponse, PatchResponse};
