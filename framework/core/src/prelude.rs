//! What an application writes most, in one import.
//!
//! `use ferrocrud::prelude::*;` brings the application builder, the
//! services, the database, roles, abilities and their condition builders,
//! commands, hooks and the error type. Everything here is also at its own
//! path (`ferrocrud::app::App`, `ferrocrud::security::eq`, …).
//!
//! ```
//! use ferrocrud::prelude::*;
//!
//! /// A user may create, read, update and delete only its own posts.
//! fn post_abilities() -> ServiceSecurity {
//!     ServiceSecurity::new().role("user", |r| {
//!         r.can("crud").when(eq("owner", user_id()));
//!     })
//! }
//!
//! let roles = [Role::new("guest"), Role::new("user").inherits("guest")];
//! # let _ = (post_abilities(), roles);
//! ```

#[doc(no_inline)]
pub use crate::app::{App, AppBuilder};
#[doc(no_inline)]
pub use crate::command::{Cmd, CommandContext};
#[doc(no_inline)]
pub use crate::context::{CrudContext, Verb};
#[doc(no_inline)]
pub use crate::error::{Error, Result};
#[doc(no_inline)]
pub use crate::security::{
    Crud, Role, ServiceSecurity, and, eq, exists, gt, gte, in_, lt, lte, ne, nin, not, or, user_id,
    user_role,
};
#[doc(no_inline)]
pub use crate::service::{BoxFuture, CrudService, Hooks, Map, ModelHooks};
#[doc(no_inline)]
pub use crate::shared::{Command, CrudOptions, Resource};
#[doc(no_inline)]
pub use crate::storage::Db;
#[doc(no_inline)]
pub use crate::user::{AccountService, CrudUserService, UserOptions};
