//! Roles and abilities of the blog, as in the eicrud reference server.

use ferrocrud::security::{Role, ServiceSecurity, eq, in_, user_id};

/// guest < user < moderator < admin.
pub fn roles() -> Vec<Role> {
    vec![
        Role::new("guest"),
        Role::new("user").inherits("guest"),
        Role::new("moderator").inherits("user"),
        Role::new("admin").admin().can_mock().inherits("moderator"),
    ]
}

/// The user service, as eicrud's documentation gives it: guests may create
/// `user` accounts (with a `displayName`), log in and recover a password;
/// users may change their password and email and end their own sessions;
/// moderators may time out plain users. A user reads its own row and edits
/// its own `displayName`, `bio` and `website`; an administrator reads and edits any
/// user. The account state (password hash, `rvkd`, counters, timeouts,
/// `verifiedEmail`…) is managed: no CRUD write sets it, whatever the rule;
/// `role` needs a rule that names it, and none does.
pub fn users() -> ServiceSecurity {
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
                .fields(&["displayName", "bio", "website"]);
            r.can("change_password");
            r.can("send_verification_email");
            r.can("logout_everywhere").when(eq("userId", user_id()));
        })
        .role("moderator", |r| {
            // `in_` over an array is "every element is in the list".
            r.can("timeout_user").when(in_("allowedRoles", ["user"]));
        })
        .role("admin", |r| {
            r.can("read");
            r.can("update");
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
        // Guests have a CRUD entry without rules: a refusal names the first
        // field they send, as in eicrud.
        .declare_role("guest")
}
