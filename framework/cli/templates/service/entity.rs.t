//! The entity of service `ferrocrud-service`: its table and the fields clients
//! send and read.
//!
//! Scaffolded by `ferrocrud generate service ferrocrud-service`; yours to edit.
//! Add fields as sea-orm columns; their JSON names are camelCase. The id and
//! the timestamps are set by the framework. Validation follows the types and
//! the `schemars` attributes (e.g. `#[schemars(length(max = 100))]`), with
//! eicrud's size rules by default.

use ferrocrud::storage::{DateTimeUtc, timestamp};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of service `ferrocrud-service`, owned by a user.
#[derive(
    Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize, schemars::JsonSchema,
)]
#[sea_orm(table_name = "ferrocrud_service")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// UUID v7, set on create.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The owner's user id: the default abilities give users their own rows.
    pub owner: String,
    /// A name.
    pub name: String,
    /// Creation time.
    #[serde(with = "timestamp")]
    pub created_at: DateTimeUtc,
    /// Last change.
    #[serde(with = "timestamp")]
    pub updated_at: DateTimeUtc,
}

/// Relations to other entities: none yet.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The service's name, as in its routes (`/crud/s/ferrocrud-service/…`).
impl ferrocrud::shared::Resource for Model {
    const SERVICE: &'static str = "ferrocrud-service";
}
