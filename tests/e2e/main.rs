//! End-to-end tests over real HTTP against the blog example, on SQLite and,
//! when `FERROCRUD_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Expected answers are the ones an eicrud server gives
//! (`shared/reference/eicrud-wire.md`).

mod accounts;
mod login_lockout;
mod login_passwords;
mod login_support;
mod login_two_factor;
mod posts;
mod routes;
