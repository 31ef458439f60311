//! The blog's `user` entity: the account columns, a display name, a short
//! biography and a website.

use sea_orm::entity::prelude::*;

ferrocrud::user_model! {
    /// A blog user. `displayName` may be given at `create_account`; a user
    /// reads its own row and patches its own `displayName` and `bio`.
    #[sea_orm(table_name = "user")]
    #[schemars(rename = "User")]
    pub struct Model {
        /// Shown beside the user's posts; at most 48 characters.
        #[schemars(length(max = 48), extend("x-max-size" = 300))]
        pub display_name: Option<String>,
        /// About the user; at most 500 characters.
        #[sea_orm(column_type = "Text", nullable)]
        #[schemars(length(max = 500), extend("x-max-size" = 3100))]
        pub bio: Option<String>,
        /// The user's site; at most 200 characters. Added by the second
        /// migration ([`crate::migration`]).
        #[schemars(length(max = 200), extend("x-max-size" = 1210))]
        pub website: Option<String>,
    }
}

/// Users have no relations the framework needs.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
