//! app (in progress).
