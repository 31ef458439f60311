//! End-to-end tests over real HTTP against the blog example and the
//! [`ferrocrud_tests::fixture`] (the blog with more rules and commands), on
//! SQLite and, when `FERROCRUD_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! Expected answers are the ones an eicrud server gives
//! (`shared/reference/eicrud-wire.md`).
mod accounts;
mod auth_tokens;
mod client_typed;
mod commands_limits;
mod commands_modes;
mod concurrency;
mod crud_batches;
mod crud_in_ids;
mod crud_options;
mod hardening;
mod hardening_reads;
mod hardening_secrets;
mod health;
mod login_lockout;
mod login_passwords;
mod login_support;
mod login_throttle;
mod login_two_factor;
mod metrics;
mod outage;
mod posts;
mod request_logs;
mod routes;
mod security_roles;
mod session_cookies;
mod setup_errors;
mod users_cache;
mod users_moderation;
mod users_profile;
mod users_reset;
mod users_sessions;
mod users_support;
mod users_verification;
