//! End-to-end tests over real HTTP against the blog example, on SQLite and,
//! when `FERROCRUD_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Expected answers are the ones an eicrud server gives
//! (`shared/reference/eicrud-wire.md`).

mod accounts;
mod posts;
mod routes;
mod users_moderation;
mod users_reset;
mod users_sessions;
mod users_support;
mod users_verification;
