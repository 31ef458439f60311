//! Roles and abilities of the blog, as in the eicrud reference server.

use ferrocrud::security::{Role, ServiceSecurity, eq, user_id};

/// guest < user < moderator < admin.
pub fn roles() -> Vec<Role> {
    vec![
        Role::new("guest"),
        Role::new("user").inherits("guest"),
        Role::new("moderator").inherits("user"),
        Role::new("admin").admin().can_mock().inherits("moderator"),
    ]
}

/// The user service: guests may create `user` accounts and log in; nobody
/// has CRUD rights on the user entity itself.
pub fn users() -> ServiceSecurity {
    ServiceSecurity::new()
        .role("guest", |r| {
            r.can("create_account").when(eq("role", "user"));
            r.can("login");
            r.can("check_jwt");
            r.can("logout");
        })
        .always_exclude_fields(&["password"])
}

/// Posts: a user may create, read, update and delete only its own posts,
/// and only with queries that say so (`owner` equal to its id).
pub fn posts() -> ServiceSecurity {
    ServiceSecurity::new()
        .role("user", |r| {
            r.can("crud").when(eq("owner", user_id()));
        })
        .role("guest", |_| {})
}
