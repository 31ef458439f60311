//! Abilities of the built-in user service (accounts, login, sessions).
//!
//! As `eicrud setup` scaffolds them: guests may create accounts of role
//! `user` (not `admin`), log in, check their token, log out, and reset a
//! forgotten password or verify an email with a mailed token; users may
//! change their password and email and end all of their own sessions.
//! Nobody has CRUD rights on the user entity itself, and password hashes are
//! never read. Everything not allowed here is forbidden.

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
            r.can("change_password");
            r.can("send_verification_email");
            r.can("logout_everywhere").when(eq("userId", user_id()));
        })
        .always_exclude_fields(&["password"])
}
