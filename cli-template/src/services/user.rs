//! Abilities of the built-in user service (accounts, login, sessions).
//!
//! As `eicrud setup` scaffolds them: guests may create accounts of role
//! `user` (not `admin`), log in, check their token and log out. Nobody has
//! CRUD rights on the user entity itself, and password hashes are never
//! read. Everything not allowed here is forbidden.

use ferrocrud::security::{ServiceSecurity, eq};

/// The abilities of service `user`, per role.
pub fn abilities() -> ServiceSecurity {
    ServiceSecurity::new()
        .role("guest", |r| {
            r.can("create_account").when(eq("role", "user"));
            r.can("login");
            r.can("check_jwt");
            r.can("logout");
        })
        .always_exclude_fields(&["password"])
}
