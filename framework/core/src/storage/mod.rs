//! Storage: the sea-orm glue under the services.
//!
//! - [`Db`] opens SQLite (`sqlite::memory:`, `sqlite://data/app.db`) or
//!   PostgreSQL (`postgres://…`) and hands out the connection.
//! - [`EntityInfo`] is what ferrocrud reads from an entity once: table,
//!   columns with their wire names and [`ColumnKind`]s, id, timestamps,
//!   secret fields.
//! - [`ensure_table`] creates an entity's table at start (the development
//!   schema); [`migration`](crate::migration) applies versioned migrations
//!   instead. Either way the application checks at start that the database
//!   has every column of the entities it serves.
//! - Queries are built with sea-query from eicrud's `{field: value}` objects,
//!   every value bound; no SQL text is composed from input.
//! - Timestamps travel as `2026-11-22T18:03:44.965Z` ([`timestamp`]) and are
//!   stored truncated to the millisecond.
//!
//! # Entities
//!
//! ```
//! use ferrocrud::storage::DateTimeUtc;
//! use sea_orm::entity::prelude::*;
//!
//! #[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
//! #[sea_orm(table_name = "post")]
//! #[serde(rename_all = "camelCase")]
//! pub struct Model {
//!     #[sea_orm(primary_key, auto_increment = false)]
//!     pub id: String,
//!     pub owner: String,
//!     pub title: String,
//!     #[sea_orm(column_type = "Text", nullable)]
//!     pub content: Option<String>,
//!     #[serde(with = "ferrocrud::storage::timestamp")]
//!     pub created_at: DateTimeUtc,
//!     #[serde(with = "ferrocrud::storage::timestamp")]
//!     pub updated_at: DateTimeUtc,
//! }
//!
//! #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! pub enum Relation {}
//!
//! impl ActiveModelBehavior for ActiveModel {}
//!
//! let schema = schemars::schema_for!(Model);
//! let info = ferrocrud::storage::EntityInfo::new::<Entity>(&schema).unwrap();
//! assert_eq!(info.id().wire, "id");
//! assert_eq!(info.created_at().unwrap().name, "created_at");
//! ```
//!
//! The id is a string primary key (`auto_increment = false`), filled with a
//! UUID v7 on create. Wire names are the camelCase of column names, so the
//! Model needs `#[serde(rename_all = "camelCase")]`. `createdAt` and
//! `updatedAt`, when present, are kept by the framework. A field whose schema
//! says `"x-secret": true` (`#[schemars(extend("x-secret" = true))]`) is never
//! returned by reads or creates, and no client create or update may set it.

mod convert;
mod db;
mod info;
mod postgres;
mod query;
mod schema;
mod sqlite;
mod statements;
pub(crate) mod table;
mod time;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use sea_orm::DbBackend;
pub use sea_orm::prelude::DateTimeUtc;

pub use self::db::{Db, PoolStats};
pub use self::info::{CREATED_AT, ColumnInfo, ColumnKind, EntityInfo, UPDATED_AT};
pub use self::schema::{create_table_statements, ensure_table};
pub use self::time::{
    TIMESTAMP_FORMAT, format_timestamp, parse_timestamp, timestamp, timestamp_opt,
    truncate_to_millis,
};

pub(crate) use self::convert::{Failures, value_to_json};
pub(crate) use self::info::camel_case;
pub(crate) use self::query::{Changes, Name, Select};
pub(crate) use self::schema::{SchemaLock, check_columns, run_statements};
pub(crate) use self::time::now;
