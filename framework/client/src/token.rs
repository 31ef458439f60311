//! Where the access token lives between calls: [`TokenStore`] and
//! [`MemoryTokenStore`].

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Keeps the access token of a session.
///
/// A [`Client`](crate::Client) reads the token before every call and sends it
/// as `Authorization: Bearer <token>`; it stores the token that
/// [`login`](crate::Client::login) and [`check_jwt`](crate::Client::check_jwt)
/// answer with, and clears it on [`logout`](crate::Client::logout) and when
/// the server refuses it (a 401 answer).
///
/// Every [`ServiceClient`](crate::ServiceClient) made from one client uses
/// that client's store. To share a session between several root clients,
/// give them the same `Arc<dyn TokenStore>` with
/// [`Client::with_token_store`](crate::Client::with_token_store).
///
/// Implement it to keep the token elsewhere (a keyring, a file) or to react
/// to a lost session: `clear` is called whenever the server refused the token.
///
/// # Examples
///
/// ```
/// use ferrocrud_client::{MemoryTokenStore, TokenStore};
///
/// let store = MemoryTokenStore::new();
/// store.set("eyJ...".to_owned());
/// assert_eq!(store.get().as_deref(), Some("eyJ..."));
/// store.clear();
/// assert_eq!(store.get(), None);
/// ```
pub trait TokenStore: Send + Sync {
    /// The stored token, if any.
    fn get(&self) -> Option<String>;
    /// Stores a token, replacing the previous one.
    fn set(&self, token: String);
    /// Forgets the token.
    fn clear(&self);
}

/// A [`TokenStore`] in memory, the default. Its `Debug` output tells whether
/// a token is held, never the token.
#[derive(Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<String>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self) -> MutexGuard<'_, Option<String>> {
        // The slot holds a plain value: a panic elsewhere cannot leave it
        // half-written, so a poisoned lock is still good to use.
        self.token.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for MemoryTokenStore {
    fn get(&self) -> Option<String> {
        self.slot().clone()
    }

    fn set(&self, token: String) {
        *self.slot() = Some(token);
    }

    fn clear(&self) {
        *self.slot() = None;
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("has_token", &self.slot().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let store = MemoryTokenStore::new();
        store.set("secret-token".to_owned());
        let shown = format!("{store:?}");
        assert!(!shown.contains("secret-token"), "{shown}");
        assert!(shown.contains("has_token: true"), "{shown}");
    }

    #[test]
    fn is_object_safe_and_shareable() {
        let store: std::sync::Arc<dyn TokenStore> = std::sync::Arc::new(MemoryTokenStore::new());
        let other = std::sync::Arc::clone(&store);
        store.set("a".to_owned());
        assert_eq!(other.get().as_deref(), Some("a"));
        other.clear();
        assert_eq!(store.get(), None);
    }
}
