//! Settings: limits, validation defaults, authentication.
//!
//! These are the resolved settings the server runs with; every field has
//! eicrud's default.

use std::time::Duration;

/// Server-side limits on queries (eicrud's `LimitOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOptions {
    /// Page size cap of `find` and `findIn` for non-admin roles.
    pub non_admin_query_limit: u64,
    /// Page size cap of `find` and `findIn` for admin roles.
    pub admin_query_limit: u64,
    /// Cap of `findIds` for non-admin roles.
    pub non_admin_query_limit_ids: u64,
    /// Cap of `findIds` for admin roles.
    pub admin_query_limit_ids: u64,
    /// Most ids an `in` route accepts, and a `many` route in its id field.
    pub max_find_in_ids_length: u64,
    /// The largest batch an admin role may send when no rule says more.
    pub admin_default_batch_size: u64,
}

impl Default for LimitOptions {
    fn default() -> Self {
        Self {
            non_admin_query_limit: 40,
            admin_query_limit: 400,
            non_admin_query_limit_ids: 4000,
            admin_query_limit_ids: 8000,
            max_find_in_ids_length: 250,
            admin_default_batch_size: 100,
        }
    }
}

/// Validation defaults (eicrud's `ValidationOptions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Longest JSON text of a field without an `x-max-size`; 0 disables the rule.
    pub default_max_size: usize,
    /// Most items of an array of objects without an `x-max-length`; 0 disables the rule.
    pub default_max_ar_length: usize,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        Self {
            default_max_size: 50,
            default_max_ar_length: 20,
        }
    }
}

/// HTTP settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Largest request body accepted (413 above it).
    pub body_limit: usize,
    /// Time a client has to send a request's headers, counted from the
    /// start of the request (or, on a kept-alive connection, from the end
    /// of the previous answer); the connection is closed when it runs out.
    /// Default 10 s.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body once its headers are
    /// read: 408 when it runs out. Default 30 s.
    pub body_read_timeout: Duration,
    /// Connections served at once; more wait to be accepted until one
    /// closes. Default 1024.
    pub max_connections: usize,
    /// Once shutdown begins, how long the server keeps accepting while
    /// readiness already answers 503, so that load balancers stop sending
    /// before the listener closes. Default 0.
    pub drain_delay: Duration,
    /// Once the listener is closed, how long requests in flight (and the
    /// password hashes they wait for) have to finish before their
    /// connections are dropped. Default 30 s.
    pub shutdown_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            drain_delay: Duration::ZERO,
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}
