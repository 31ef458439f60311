//! The account columns: the part of the application's user entity that the
//! framework owns, with eicrud's names on the wire.
//!
//! [`user_model!`](crate::user_model) writes them into a user Model; a
//! hand-written Model may declare them itself. Either way,
//! [`check_user_entity`] compares the entity with this table when the user
//! service is built, and a missing or mistyped column stops the server with
//! a message naming the column and the type it must have.
//!
//! Every account column except `id`, `email`, `username` and `role` is
//! *managed*: only the framework writes it, and no client CRUD write may set
//! it, whatever the abilities (400 naming the field). `role` needs an
//! ability that names it in its field list. The secret columns (password
//! hash, token digests, two-factor code hash) are never sent to clients.

use std::borrow::Cow;

use sea_orm::sea_query::Iden;

use crate::error::SetupError;
use crate::storage::{ColumnInfo, ColumnKind, EntityInfo};

/// One account column, by its database name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is its column; see `user::entity::Model`
pub(crate) enum Col {
    Id,
    Email,
    Password,
    Role,
    Username,
    LastLoginAttempt,
    FailedLoginCount,
    LastResetEmailSent,
    Rvkd,
    NextEmail,
    VerifiedEmail,
    EmailVerificationToken,
    LastEmailVerificationSent,
    VerifiedEmailAttempCount,
    LastPasswordResetSent,
    PasswordResetToken,
    PasswordResetAttempCount,
    CrudUserCountMap,
    CmdUserCountMap,
    CmdUserLastUseMap,
    ErrorCount,
    IncidentCount,
    HighTrafficCount,
    Trust,
    LastComputedTrust,
    Timeout,
    TimeoutCount,
    DidCaptcha,
    CaptchaRequested,
    TwoFA,
    LastTwoFACode,
    LastTwoFACodeSent,
    TwoFACodeCount,
    SaltRounds,
    NoTokenRefresh,
    CreatedAt,
    UpdatedAt,
}

/// What the framework asks of an account column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) column: Col,
    pub(crate) name: &'static str,
    pub(crate) kind: ColumnKind,
    pub(crate) nullable: bool,
    /// The Rust type a Model field must have, for messages.
    pub(crate) rust_type: &'static str,
    /// Read and written by the framework: the entity must have it. The
    /// others are eicrud's, kept so that data moves over unchanged.
    pub(crate) required: bool,
    /// Never sent to clients.
    pub(crate) secret: bool,
    /// Written only by the framework.
    pub(crate) managed: bool,
}

const fn spec(column: Col, name: &'static str, rust_type: &'static str) -> Spec {
    let (kind, nullable) = match rust_type.as_bytes() {
        b"String" => (ColumnKind::Text, false),
        b"Option<String>" => (ColumnKind::Text, true),
        b"Option<i64>" => (ColumnKind::BigInt, true),
        b"Option<bool>" => (ColumnKind::Bool, true),
        b"Option<DateTimeUtc>" => (ColumnKind::DateTime, true),
        b"DateTimeUtc" => (ColumnKind::DateTime, false),
        _ => (ColumnKind::Json, true),
    };
    Spec {
        column,
        name,
        kind,
        nullable,
        rust_type,
        required: true,
        secret: false,
        managed: true,
    }
}

impl Spec {
    const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    const fn writable(mut self) -> Self {
        self.managed = false;
        self
    }
}

/// Every account column, in the order `user_model!` declares them.
pub(crate) const COLUMNS: &[Spec] = &[
    spec(Col::Id, "id", "String").writable(),
    spec(Col::Email, "email", "String").writable(),
    spec(Col::Password, "password", "String").secret(),
    spec(Col::Role, "role", "String").writable(),
    spec(Col::Username, "username", "Option<String>").writable(),
    spec(
        Col::LastLoginAttempt,
        "last_login_attempt",
        "Option<DateTimeUtc>",
    ),
    spec(Col::FailedLoginCount, "failed_login_count", "Option<i64>"),
    spec(
        Col::LastResetEmailSent,
        "last_reset_email_sent",
        "Option<DateTimeUtc>",
    )
    .optional(),
    spec(Col::Rvkd, "rvkd", "Option<i64>"),
    spec(Col::NextEmail, "next_email", "Option<String>"),
    spec(Col::VerifiedEmail, "verified_email", "Option<bool>"),
    spec(
        Col::EmailVerificationToken,
        "email_verification_token",
        "Option<String>",
    )
    .secret(),
    spec(
        Col::LastEmailVerificationSent,
        "last_email_verification_sent",
        "Option<DateTimeUtc>",
    ),
    spec(
        Col::VerifiedEmailAttempCount,
        "verified_email_attemp_count",
        "Option<i64>",
    ),
    spec(
        Col::LastPasswordResetSent,
        "last_password_reset_sent",
        "Option<DateTimeUtc>",
    ),
    spec(
        Col::PasswordResetToken,
        "password_reset_token",
        "Option<String>",
    )
    .secret(),
    spec(
        Col::PasswordResetAttempCount,
        "password_reset_attemp_count",
        "Option<i64>",
    ),
    spec(Col::CrudUserCountMap, "crud_user_count_map", "Option<Json>").optional(),
    spec(Col::CmdUserCountMap, "cmd_user_count_map", "Option<Json>").optional(),
    spec(
        Col::CmdUserLastUseMap,
        "cmd_user_last_use_map",
        "Option<Json>",
    )
    .optional(),
    spec(Col::ErrorCount, "error_count", "Option<i64>").optional(),
    spec(Col::IncidentCount, "incident_count", "Option<i64>").optional(),
    spec(Col::HighTrafficCount, "high_traffic_count", "Option<i64>").optional(),
    spec(Col::Trust, "trust", "Option<i64>").optional(),
    spec(
        Col::LastComputedTrust,
        "last_computed_trust",
        "Option<DateTimeUtc>",
    )
    .optional(),
    spec(Col::Timeout, "timeout", "Option<DateTimeUtc>"),
    spec(Col::TimeoutCount, "timeout_count", "Option<i64>"),
    spec(Col::DidCaptcha, "did_captcha", "Option<bool>").optional(),
    spec(Col::CaptchaRequested, "captcha_requested", "Option<bool>").optional(),
    spec(Col::TwoFA, "two_f_a", "Option<bool>"),
    spec(Col::LastTwoFACode, "last_two_f_a_code", "Option<String>").secret(),
    spec(
        Col::LastTwoFACodeSent,
        "last_two_f_a_code_sent",
        "Option<DateTimeUtc>",
    ),
    spec(Col::TwoFACodeCount, "two_f_a_code_count", "Option<i64>"),
    spec(Col::SaltRounds, "salt_rounds", "Option<i64>").optional(),
    spec(Col::NoTokenRefresh, "no_token_refresh", "Option<bool>"),
    spec(Col::CreatedAt, "created_at", "DateTimeUtc").writable(),
    spec(Col::UpdatedAt, "updated_at", "DateTimeUtc").writable(),
];

/// The database name of the column that needs an explicit grant to be written.
pub(crate) const ROLE: &str = "role";

impl Col {
    /// The column's database name.
    pub(crate) fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|spec| spec.column == self)
            .map_or("", |spec| spec.name)
    }
}

impl Iden for Col {
    fn quoted(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.name())
    }

    fn unquoted(&self) -> &str {
        self.name()
    }
}

/// Checks that the user entity has every required account column with the
/// type the framework reads and writes, and that any other account column it
/// declares has eicrud's type.
///
/// # Errors
///
/// [`SetupError::UserColumn`] naming the first column that is missing or
/// mistyped, and the Model field it must be.
pub(crate) fn check_user_entity(info: &EntityInfo) -> Result<(), SetupError> {
    for spec in COLUMNS {
        let found = info.columns().iter().find(|c| c.name == spec.name);
        let problem = match found {
            None if spec.required => "is missing".to_owned(),
            None => continue,
            Some(column) if !matches(column, spec) => {
                format!("has type {}", describe(column))
            }
            Some(_) => continue,
        };
        return Err(SetupError::UserColumn {
            type_name: info.type_name().to_owned(),
            column: spec.name,
            problem,
            expected: spec.rust_type,
        });
    }
    Ok(())
}

fn matches(column: &ColumnInfo, spec: &Spec) -> bool {
    column.kind == spec.kind && column.nullable == spec.nullable
}

/// A column's type as the Model field that declares it.
fn describe(column: &ColumnInfo) -> String {
    let base = match column.kind {
        ColumnKind::Text => "String",
        ColumnKind::Int => "i32",
        ColumnKind::BigInt => "i64",
        ColumnKind::Float => "f64",
        ColumnKind::Bool => "bool",
        ColumnKind::DateTime => "DateTimeUtc",
        ColumnKind::Json => "Json",
    };
    if column.nullable {
        format!("Option<{base}>")
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A user entity that forgot most account columns.
    #[allow(unreachable_pub)]
    mod missing {
        use sea_orm::entity::prelude::*;

        #[derive(
            Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, schemars::JsonSchema,
        )]
        #[sea_orm(table_name = "member")]
        #[serde(rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub email: String,
            pub password: String,
            pub role: String,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    /// A user entity whose email is a number.
    #[allow(unreachable_pub)]
    mod mistyped {
        use sea_orm::entity::prelude::*;

        #[derive(
            Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, schemars::JsonSchema,
        )]
        #[sea_orm(table_name = "member")]
        #[serde(rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            pub email: Option<i64>,
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    }

    fn info<E: sea_orm::EntityTrait>() -> EntityInfo
    where
        E::Model: schemars::JsonSchema,
    {
        EntityInfo::new::<E>(&schemars::schema_for!(E::Model)).expect("a servable entity")
    }

    #[test]
    fn a_missing_column_is_named_with_its_type() {
        let err = check_user_entity(&info::<missing::Entity>()).expect_err("username missing");
        assert_eq!(
            err.to_string(),
            "user entity Member: account column `username` is missing; the Model field must be \
             `Option<String>` (see ferrocrud::user_model!)"
        );
    }

    #[test]
    fn a_mistyped_column_is_named_with_both_types() {
        let err = check_user_entity(&info::<mistyped::Entity>()).expect_err("email mistyped");
        assert_eq!(
            err.to_string(),
            "user entity Member: account column `email` has type Option<i64>; the Model field \
             must be `String` (see ferrocrud::user_model!)"
        );
    }

    #[test]
    fn the_default_user_and_user_model_pass() {
        check_user_entity(&info::<crate::user::entity::Entity>()).expect("default user");
        let info = info::<crate::user::entity::Entity>();
        let password = info.column("password").expect("password");
        assert!(password.secret && password.managed, "{password:?}");
        assert!(info.column("role").expect("role").explicit);
        assert!(!info.column("email").expect("email").managed);
    }

    #[test]
    fn every_column_is_listed_once_with_a_name() {
        let mut names: Vec<&str> = COLUMNS.iter().map(|spec| spec.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
        assert_eq!(Col::TwoFA.name(), "two_f_a");
        assert_eq!(Col::UpdatedAt.name(), "updated_at");
    }

    #[test]
    fn types_come_from_the_rust_spelling() {
        let rvkd = COLUMNS.iter().find(|s| s.name == "rvkd").expect("rvkd");
        assert_eq!((rvkd.kind, rvkd.nullable), (ColumnKind::BigInt, true));
        let maps = COLUMNS
            .iter()
            .find(|s| s.name == "cmd_user_count_map")
            .expect("map");
        assert_eq!((maps.kind, maps.nullable), (ColumnKind::Json, true));
        let created = COLUMNS.iter().find(|s| s.name == "created_at").expect("c");
        assert_eq!(
            (created.kind, created.nullable),
            (ColumnKind::DateTime, false)
        );
    }
}
