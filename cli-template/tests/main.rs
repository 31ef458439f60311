//! The project's tests: the application in process on in-memory SQLite, on
//! a loopback port, called over HTTP with the typed client.
//!
//! One test binary: each module below is a test file.
//! `ferrocrud generate` adds modules above the marker.

mod config;
mod support;
mod user;
// ferrocrud:test-modules
