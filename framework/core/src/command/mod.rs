//! command (in progress).
