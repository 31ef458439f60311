//! Authorization: roles, abilities, conditions, and the decision.
//!
//! Everything is forbidden unless a role rule allows it. An application
//! declares its [`Role`]s once ([`RoleGraph`], loaded into casbin), and per
//! service what each role may do ([`ServiceSecurity`]): CRUD actions (a
//! [`Crud`] set or eicrud's strings), commands (by DTO type with
//! [`RoleRights::can_cmd`], or by name) and request options, each optionally restricted to fields and to
//! subjects that satisfy a [`Condition`]. At start the [`Authorizer`] checks
//! the declarations against the entities' and DTOs' fields and compiles them
//! into plain tables; a request is then decided in memory, with eicrud's
//! algorithm and eicrud's refusal text.
//!
//! - [`Condition`] documents the semantics of conditions (three-valued, as
//!   SQL, so the same condition can later filter queries);
//! - [`RoleGraph`] documents the role walk;
//! - [`Authorizer`] documents the decision.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//!
//! use ferrocrud::context::Verb;
//! use ferrocrud::security::{
//!     eq, user_id, Action, Authorizer, AuthzRequest, Caller, KnownFields, Role, RoleGraph,
//!     ServiceFields, ServiceSecurity,
//! };
//!
//! # tokio::runtime::Builder::new_current_thread().build().expect("runtime").block_on(async {
//! let roles = vec![Role::new("user").inherits("guest"), Role::new("guest")];
//! let roles = Arc::new(RoleGraph::new(roles, "guest").await.expect("valid roles"));
//!
//! let post = ServiceSecurity::new()
//!     .role("user", |r| {
//!         r.can("crud").when(eq("owner", user_id()));
//!         r.cannot("update").fields(&["owner"]);
//!     })
//!     .declare_role("guest");
//! let fields = ServiceFields::new(KnownFields::new("Post", &["id", "title", "owner"]));
//! let authorizer = Authorizer::new(roles, vec![("post".into(), post, fields)], 100)
//!     .expect("rules name real fields");
//!
//! // A user may rename its own post, but not give it away.
//! let query = serde_json::json!({ "id": "p1", "owner": "A" });
//! let query = query.as_object().expect("an object");
//! let request = AuthzRequest {
//!     service: "post",
//!     action: Action::Crud(Verb::Patch),
//!     method: Verb::Patch,
//!     caller: Caller { user_id: Some("A"), role: "user" },
//!     subjects: &[query],
//!     fields: &["title"],
//!     options: &[],
//! };
//! assert_eq!(authorizer.authorize(&request).map(|ok| ok.role), Ok("user"));
//! let request = AuthzRequest { fields: &["owner"], ..request };
//! assert_eq!(
//!     authorizer.authorize(&request).map_err(|denied| denied.to_string()),
//!     Err("Role user is not allowed to PATCH post - user failed on owner - guest failed on owner ".into())
//! );
//! # });
//! ```

mod ability;
mod condition;
mod crud;
mod engine;
mod role;
mod rules;

pub use self::ability::{RoleRights, Rule, RuleAction, ServiceSecurity};
pub use self::condition::{
    Caller, Condition, Operand, Truth, and, eq, exists, gt, gte, in_, lt, lte, ne, nin, not, or,
    user_id, user_role,
};
pub use self::crud::Crud;
pub use self::engine::{Action, Authorized, Authorizer, AuthzRequest, KnownFields, ServiceFields};
pub use self::role::{Role, RoleGraph};

// The compiled tables' maps: their keys are the application's own names
// and texts, fixed at start-up; a decision makes several lookups.
use crate::fast_map::FastMap;
