//! The roles: `guest` (anonymous requests) < `user` < `admin`.
//!
//! A role inherits every right of its parents; a user's role is tried
//! first, then its parents. Roles grant nothing by themselves: the abilities
//! of each service say what each role may do there.

use ferrocrud::security::Role;

/// guest < user < admin.
pub fn roles() -> Vec<Role> {
    vec![
        Role::new("guest"),
        Role::new("user").inherits("guest"),
        Role::new("admin").admin().inherits("user"),
    ]
}
