//! Abilities of the built-in user service (accounts, login, sessions).
//!
//! As `eicrud setup` scaffolds them: guests may create accounts of role
//! `user` (not `admin`), log in, check their token, log out, and reset a
//! forgotten password or verify an email with a mailed token; users may
//! change their password and email and end all of their own sessions, read
//! their own row and edit their own `displayName`. The account state
//! (password hash, `rvkd`, counters, timeouts…) is never written through
//! CRUD, and `role` only through a rule that names it. Everything not
//! allowed here is forbidden.

pub mod entity;

use ferrocrud::security::{ServiceSecurity, eq, user_id};

/// The abilities of service `user`, per role.
pub fn abilities() -> ServiceSecurity {
    ServiceSecurity::new()
        .role("guest", |r| {
            r.can("create_account").when(eq("role", "user"));
            r.can("login");
            r.can("check_jwt");
            r.can("logout");
            r.can("send_password_reset_email");
            r.can("reset_password");
            r.can("verify_email");
        })
        .role("user", |r| {
            r.can("read").when(eq("id", user_id()));
            r.can("update")
                .when(eq("id", user_id()))
                .fields(&["displayName"]);
            r.can("change_password");
            r.can("send_verification_email");
            r.can("logout_everywhere").when(eq("userId", user_id()));
        })
        .always_exclude_fields(&["password"])
}
