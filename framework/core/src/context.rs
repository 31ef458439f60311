//! [`CrudContext`]: who is asking, for what, with which options.

use std::sync::Arc;

use crate::shared::{CrudOptions, Resource};

/// The HTTP verb of a request, which is also its CRUD action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// Create (and secure-mode commands).
    Post,
    /// Read (and GET commands).
    Get,
    /// Update (and normal-mode commands).
    Patch,
    /// Delete.
    Delete,
}

impl Verb {
    /// The method name as eicrud prints it (`POST`, `GET`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Post => "POST",
            Verb::Get => "GET",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }
}

/// The authenticated user of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    /// The user's id.
    pub id: String,
    /// The user's role.
    pub role: String,
    /// The user's revocation counter.
    pub rvkd: Option<i64>,
    /// The user's row as JSON (secret fields removed), for application
    /// code; shared with the user cache.
    pub row: Arc<serde_json::Map<String, serde_json::Value>>,
    /// The claims of the access token the request carried; `None` when the
    /// user logged in with `Authorization: Basic` on this request.
    pub claims: Option<crate::auth::Claims>,
    /// Whether the user's tokens must not be renewed (the user's or its role's flag).
    pub no_token_refresh: bool,
}

/// The context of one operation: the caller, the verb, the target and the options.
///
/// The HTTP layer builds one per request. Application code calling a service
/// directly may build one with [`CrudContext::internal_for`] or pass none.
/// The `_for` constructors take the service from a [`Resource`] type (an
/// entity's Model); the others take a name, for code that only has one (the
/// HTTP layer, which reads it from the route).
///
/// ```
/// use ferrocrud::context::{CrudContext, Verb};
/// use ferrocrud::shared::Resource;
///
/// struct Post;
/// impl Resource for Post {
///     const SERVICE: &'static str = "post";
/// }
///
/// let ctx = CrudContext::guest_for::<Post>("guest", Verb::Get);
/// assert_eq!(ctx.user_id(), None);
/// assert_eq!(ctx.role(), "guest");
/// assert_eq!(ctx.service, "post");
/// ```
#[derive(Debug, Clone)]
pub struct CrudContext {
    /// The authenticated user; `None` for guests.
    pub user: Option<Arc<CurrentUser>>,
    /// The role the request is checked with (the user's, or the guest role).
    pub role: String,
    /// The HTTP verb.
    pub verb: Verb,
    /// The service addressed.
    pub service: String,
    /// The command, for command requests.
    pub command: Option<String>,
    /// The request's options.
    pub options: CrudOptions,
    /// Whether the user was read fresh from the database (POST requests).
    pub secure: bool,
}

impl CrudContext {
    /// A context for an anonymous request to the service of `R`.
    pub fn guest_for<R: Resource>(guest_role: &str, verb: Verb) -> Self {
        Self::guest(guest_role, verb, R::SERVICE)
    }

    /// A context for a request made by `user` to the service of `R`.
    pub fn for_user_on<R: Resource>(user: Arc<CurrentUser>, verb: Verb) -> Self {
        Self::for_user(user, verb, R::SERVICE)
    }

    /// A context for application code acting on its own behalf on the
    /// service of `R` (no user, role `internal`).
    pub fn internal_for<R: Resource>(verb: Verb) -> Self {
        Self::internal(verb, R::SERVICE)
    }

    /// A context for an anonymous request to the service named `service`;
    /// prefer [`CrudContext::guest_for`] when the service's type is known.
    pub fn guest(guest_role: &str, verb: Verb, service: &str) -> Self {
        Self {
            user: None,
            role: guest_role.to_owned(),
            verb,
            service: service.to_owned(),
            command: None,
            options: CrudOptions::default(),
            secure: false,
        }
    }

    /// A context for a request made by `user` to the service named
    /// `service`; prefer [`CrudContext::for_user_on`] when the service's type
    /// is known.
    pub fn for_user(user: Arc<CurrentUser>, verb: Verb, service: &str) -> Self {
        Self {
            role: user.role.clone(),
            user: Some(user),
            verb,
            service: service.to_owned(),
            command: None,
            options: CrudOptions::default(),
            secure: false,
        }
    }

    /// A context for application code acting on its own behalf on the
    /// service named `service` (no user, role `internal`); prefer
    /// [`CrudContext::internal_for`] when the service's type is known.
    pub fn internal(verb: Verb, service: &str) -> Self {
        Self::guest("internal", verb, service)
    }

    /// The user's id, if a user is logged in.
    pub fn user_id(&self) -> Option<&str> {
        self.user.as_deref().map(|u| u.id.as_str())
    }

    /// The role the request is checked with.
    pub fn role(&self) -> &str {
        &self.role
    }
}
