//! The blog binary as an operator runs it: `blog migrate up|down|status`,
//! and servers starting on one database. Each test runs on SQLite and, when
//! `FERROCRUD_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database.

mod cli;
mod support;
mod together;
