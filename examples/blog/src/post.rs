//! The `post` entity: `{id, owner, title, content?, published?, likes?}`.

use ferrocrud::storage::{DateTimeUtc, timestamp};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A blog post, owned by a user.
#[derive(
    Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize, schemars::JsonSchema,
)]
#[sea_orm(table_name = "post")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// UUID v7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The owner's user id.
    pub owner: String,
    /// Up to 48 characters (eicrud's default size rule).
    pub title: String,
    /// Up to 1000 characters of JSON.
    #[sea_orm(column_type = "Text", nullable)]
    #[schemars(extend("x-max-size" = 1000))]
    pub content: Option<String>,
    /// Whether the post is public.
    pub published: Option<bool>,
    /// 0 to 1,000,000.
    #[schemars(range(min = 0, max = 1_000_000))]
    pub likes: Option<i64>,
    /// Creation time.
    #[serde(with = "timestamp")]
    pub created_at: DateTimeUtc,
    /// Last change.
    #[serde(with = "timestamp")]
    pub updated_at: DateTimeUtc,
}

/// Posts have no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The post service's name, `/crud/s/post/…`.
impl ferrocrud::shared::Resource for Model {
    const SERVICE: &'static str = "post";
}
