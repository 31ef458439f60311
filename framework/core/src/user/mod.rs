//! user (in progress).
