//! Who may do what on service `ferrocrud-service`.
//!
//! Scaffolded by `ferrocrud generate service ferrocrud-service` with default
//! abilities; yours to edit. A user may create, read, update and delete its
//! own rows, with queries that say so (`owner` equal to its id); guests may
//! do nothing. Everything not allowed here is forbidden. Each command's
//! abilities are in the command's module.

use ferrocrud::security::{ServiceSecurity, eq, user_id};

/// The abilities of service `ferrocrud-service`, per role.
pub fn abilities() -> ServiceSecurity {
    ServiceSecurity::new()
        .role("user", |r| {
            r.can("crud").when(eq("owner", user_id()));
        })
        .declare_role("guest")
}
