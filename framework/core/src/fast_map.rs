//! The hash map of the request path's lookups.

/// A `HashMap` with foldhash's fast hasher, randomly seeded per map.
///
/// For maps whose keys are fixed at start-up (services, commands, columns,
/// fields, roles) or made by the server (the ids of cached users): a request
/// only looks keys up in them, so a client cannot fill one with colliding
/// keys, and the lookups skip SipHash's cost.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
