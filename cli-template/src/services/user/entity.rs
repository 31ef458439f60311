//! The application's user: the account columns the user service needs
//! (written by `ferrocrud::user_model!`), and the fields of its own.
//!
//! Add a field here and it is validated from its type, stored in its column
//! (added by a migration: `ferrocrud generate migration`, see
//! [`crate::migration`]), readable and writable through the user service's
//! CRUD where the abilities in [`super`] allow, and settable at
//! `create_account`.

use sea_orm::entity::prelude::*;

ferrocrud::user_model! {
    /// A user account.
    #[sea_orm(table_name = "user")]
    #[schemars(rename = "User")]
    pub struct Model {
        /// The name shown to other users; at most 48 characters.
        #[schemars(length(max = 48), extend("x-max-size" = 300))]
        pub display_name: Option<String>,
    }
}

/// The user has no relations yet.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
