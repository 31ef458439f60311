//! Services: every eicrud CRUD operation on one entity, with hooks.
//!
//! - [`CrudService<E>`](CrudService) serves a sea-orm entity: create, find,
//!   patch and delete, single, batch and `in`, JSON in and JSON out, plus
//!   typed reads ([`find_models`](CrudService::find_models)).
//! - [`DynService`] is the same without the entity type, for the HTTP
//!   layer's registry of services by name.
//! - [`Hooks`] run before and after operations and on their errors;
//!   [`ModelHooks`] run around creates and reads on the entity's Model.
//! - [`Increment`]s add to counters atomically, in the UPDATE itself.
//!
//! Answers have eicrud's shapes: a created row is the id, the fields given,
//! then `createdAt`/`updatedAt`; a read row has every column (unset ones
//! `null`) in entity order; `find` answers `{data, total, limit}`
//! ([`FindResponse`](crate::shared::FindResponse)); patches `{count,
//! updated?}`; deletes `{count, deleted?}`.
//!
//! The service checks what the database needs (known fields, value types,
//! required fields, no id change) but not the entity's validation rules or
//! abilities: those belong to the HTTP pipeline, before the service.

pub(crate) mod core;
mod crud;
mod dyn_service;
mod hooks;
mod increment;
mod model_hooks;
mod read;
mod write;

#[cfg(test)]
mod tests;

pub use futures_util::future::BoxFuture;

pub use self::crud::CrudService;
pub use self::dyn_service::DynService;
pub use self::hooks::Hooks;
pub use self::increment::Increment;
pub use self::model_hooks::ModelHooks;

/// A JSON object: a query, the data of a write, a row.
pub type Map = serde_json::Map<String, serde_json::Value>;
