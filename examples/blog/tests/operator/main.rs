//! The blog binary as an operator runs it: `blog migrate up|down|status`,
//! servers starting on one database, and SIGTERM with requests in flight. Each test runs on SQLite and, when
//! `FERROCRUD_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database.

mod cli;
#[cfg(unix)]
mod shutdown;
mod support;
mod together;
