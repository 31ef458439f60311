//! The per-instance cache of users for token checks.
//!
//! Every authenticated request needs its user's revocation counter, role and
//! timeout. Reading the row each time costs a database round trip per
//! request, so each instance keeps the users it has seen, for at most
//! [`UserOptions::user_cache_ttl`](super::UserOptions::user_cache_ttl), and
//! drops an entry whenever the row may have changed:
//!
//! - every write of the user service (revocation, role, timeout, password,
//!   login counters, deletion) drops the entries it touched, after it
//!   committed and before it answers;
//! - on PostgreSQL a trigger on the user table notifies every instance of
//!   every update, delete or truncate, whoever made it (another instance, a
//!   migration, `psql`), and a listener drops those entries
//!   ([`listener`](super::listener)). While that listener is not connected the
//!   cache is not used at all: an instance that might miss a notification
//!   reads every user from the database.
//!
//! A load that raced with an invalidation is not stored: each invalidation
//! moves a generation counter, and a row read before the move is discarded.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockWriteGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::fast_map::FastMap;
use crate::storage::parse_timestamp;

/// What a token check needs of a user, shared by the requests that use it.
#[derive(Debug)]
pub(crate) struct CachedUser {
    pub(crate) id: String,
    pub(crate) role: String,
    pub(crate) rvkd: Option<i64>,
    pub(crate) timeout: Option<DateTime<Utc>>,
    pub(crate) no_token_refresh: bool,
    /// The row as JSON, secret fields removed.
    pub(crate) row: Arc<Map<String, Value>>,
}

impl CachedUser {
    /// What a token check needs, from the user's row as clients see it
    /// (secret columns left out). `None` when the row lacks an account
    /// column or holds a value of another type.
    pub(crate) fn from_row(row: Map<String, Value>) -> Option<Self> {
        let text = |field: &str| row.get(field).and_then(Value::as_str);
        let timeout = match row.get("timeout") {
            None | Some(Value::Null) => None,
            Some(value) => Some(parse_timestamp(value.as_str()?)?),
        };
        Some(Self {
            id: text("id")?.to_owned(),
            role: text("role")?.to_owned(),
            rvkd: match row.get("rvkd") {
                None | Some(Value::Null) => None,
                Some(value) => Some(value.as_i64()?),
            },
            timeout,
            no_token_refresh: row.get("noTokenRefresh") == Some(&Value::Bool(true)),
            row: Arc::new(row),
        })
    }
}

/// A snapshot of the cache's generation, taken before reading a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

#[derive(Debug)]
struct Entry {
    user: Arc<CachedUser>,
    loaded: Instant,
}

/// Users by id, dropped on every change (see the module documentation).
#[derive(Debug)]
pub(crate) struct UserCache {
    entries: RwLock<FastMap<String, Entry>>,
    /// Moves on every invalidation, under the write lock.
    generation: AtomicU64,
    /// Whether invalidations from other writers are being received.
    live: AtomicBool,
    ttl: Duration,
    capacity: usize,
    /// Lookups and invalidations, for metrics.
    counters: CacheCounters,
}

/// What a [`UserCache`] has answered and dropped since start.
#[derive(Debug, Default)]
struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
}

/// Lookups and invalidations of the user cache since start, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserCacheStats {
    /// Token checks answered from the cache.
    pub hits: u64,
    /// Token checks that read the user from the database (the cache was
    /// off, empty for this user, or stale).
    pub misses: u64,
    /// Users dropped because they changed (one user or the whole cache).
    pub invalidations: u64,
}

impl UserCache {
    /// A cache keeping entries for `ttl` (zero: never) and at most
    /// `capacity` of them; `live` says whether it may be used before a
    /// listener says so.
    pub(crate) fn new(ttl: Duration, capacity: usize, live: bool) -> Self {
        Self {
            entries: RwLock::new(FastMap::default()),
            generation: AtomicU64::new(0),
            live: AtomicBool::new(live),
            ttl,
            capacity,
            counters: CacheCounters::default(),
        }
    }

    /// Lookups and invalidations so far.
    pub(crate) fn stats(&self) -> UserCacheStats {
        UserCacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            invalidations: self.counters.invalidations.load(Ordering::Relaxed),
        }
    }

    /// Whether invalidations from other writers are being received (always
    /// on SQLite, where there are none to hear).
    pub(crate) fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0 && self.live.load(Ordering::Acquire)
    }

    /// The cached user `id`, if present, fresh, and the cache in use.
    pub(crate) fn get(&self, id: &str) -> Option<Arc<CachedUser>> {
        let found = self.lookup(id);
        let counter = if found.is_some() {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn lookup(&self, id: &str) -> Option<Arc<CachedUser>> {
        if !self.enabled() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(id)?;
        (entry.loaded.elapsed() < self.ttl).then(|| Arc::clone(&entry.user))
    }

    /// The generation to hand back to [`UserCache::insert`] with a row read
    /// after this call.
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// Stores `user`, read after `seen` was taken, unless anything was
    /// invalidated since.
    pub(crate) fn insert(&self, user: Arc<CachedUser>, seen: Generation) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.write();
        if self.generation.load(Ordering::Acquire) != seen.0 {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(&user.id) {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.loaded.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let id = user.id.clone();
        entries.insert(
            id,
            Entry {
                user,
                loaded: Instant::now(),
            },
        );
    }

    /// Drops user `id`.
    pub(crate) fn forget(&self, id: &str) {
        let mut entries = self.write();
        entries.remove(id);
        self.bump();
        self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops every user.
    pub(crate) fn clear(&self) {
        let mut entries = self.write();
        entries.clear();
        self.bump();
        self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
    }

    /// Turns the cache on or off; either way it starts empty, and a row read
    /// before the change is not stored.
    pub(crate) fn set_live(&self, live: bool) {
        let mut entries = self.write();
        entries.clear();
        self.live.store(live, Ordering::Release);
        self.bump();
    }

    /// The number of users held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn write(&self) -> RwLockWriteGuard<'_, FastMap<String, Entry>> {
        // A panic while holding the lock leaves the map consistent (every
        // mutation is a single call), so a poisoned lock is still usable.
        self.entries.write().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, rvkd: i64) -> Arc<CachedUser> {
        Arc::new(CachedUser {
            id: id.to_owned(),
            role: "user".to_owned(),
            rvkd: Some(rvkd),
            timeout: None,
            no_token_refresh: false,
            row: Arc::new(Map::new()),
        })
    }

    fn cache() -> UserCache {
        UserCache::new(Duration::from_secs(60), 3, true)
    }

    #[test]
    fn keeps_what_it_was_given() {
        let cache = cache();
        assert!(cache.get("a").is_none());
        cache.insert(user("a", 1), cache.generation());
        assert_eq!(cache.get("a").map(|u| u.rvkd), Some(Some(1)));
    }

    #[test]
    fn counts_hits_misses_and_invalidations() {
        let cache = cache();
        assert!(cache.get("a").is_none());
        cache.insert(user("a", 1), cache.generation());
        assert!(cache.get("a").is_some());
        assert!(cache.get("a").is_some());
        cache.forget("a");
        cache.clear();
        assert_eq!(
            cache.stats(),
            UserCacheStats {
                hits: 2,
                misses: 1,
                invalidations: 2,
            }
        );
    }

    #[test]
    fn forgets_and_clears() {
        let cache = cache();
        cache.insert(user("a", 1), cache.generation());
        cache.insert(user("b", 1), cache.generation());
        cache.forget("a");
        assert!(cache.get("a").is_none());
        assert!(cache.get("b").is_some());
        cache.clear();
        assert!(cache.get("b").is_none());
    }

    #[test]
    fn refuses_a_row_read_before_an_invalidation() {
        let cache = cache();
        let seen = cache.generation();
        // Another writer changed some user while this row was being read.
        cache.forget("someone else");
        cache.insert(user("a", 1), seen);
        assert!(cache.get("a").is_none());
        let seen = cache.generation();
        cache.insert(user("a", 2), seen);
        assert_eq!(cache.get("a").map(|u| u.rvkd), Some(Some(2)));
    }

    #[test]
    fn is_unused_while_not_live() {
        let cache = UserCache::new(Duration::from_secs(60), 3, false);
        cache.insert(user("a", 1), cache.generation());
        assert!(cache.get("a").is_none());
        cache.set_live(true);
        cache.insert(user("a", 1), cache.generation());
        assert!(cache.get("a").is_some());
        let seen = cache.generation();
        cache.set_live(false);
        assert!(cache.get("a").is_none(), "going off empties the cache");
        cache.set_live(true);
        cache.insert(user("a", 1), seen);
        assert!(cache.get("a").is_none(), "a row read while off is not kept");
    }

    #[test]
    fn a_zero_ttl_turns_it_off() {
        let cache = UserCache::new(Duration::ZERO, 3, true);
        cache.insert(user("a", 1), cache.generation());
        assert!(cache.get("a").is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn expired_entries_are_not_served() {
        let cache = UserCache::new(Duration::from_millis(1), 3, true);
        cache.insert(user("a", 1), cache.generation());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn stays_within_capacity() {
        let cache = cache();
        for id in ["a", "b", "c", "d"] {
            cache.insert(user(id, 1), cache.generation());
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("d").is_some(), "the newest entry is kept");
    }
}
