//! The series read at each scrape from the parts that count for themselves:
//! the user service (logins, cache, hashing), the database pool, the
//! command limits, and the build.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::storage::Db;
use crate::user::AccountService;

/// Calls refused by a command's per-user limits, by limit.
#[derive(Debug, Default)]
pub(crate) struct LimitRefusals {
    max_uses: AtomicU64,
    min_interval: AtomicU64,
}

impl LimitRefusals {
    /// Counts a call refused because the user has used all its calls.
    pub(crate) fn max_uses(&self) {
        self.max_uses.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a call refused because it came too soon after the previous one.
    pub(crate) fn min_interval(&self) {
        self.min_interval.fetch_add(1, Ordering::Relaxed);
    }
}

/// Where the scraped series come from.
#[derive(Debug)]
pub(crate) struct Sources {
    pub(crate) users: Option<AccountService>,
    pub(crate) db: Db,
    pub(crate) limits: Arc<LimitRefusals>,
    /// The application's name and version.
    pub(crate) app: (String, String),
}

impl Collector for Sources {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let build = [
            ("version", env!("CARGO_PKG_VERSION")),
            ("app", self.app.0.as_str()),
            ("app_version", self.app.1.as_str()),
        ];
        let mut info = encoder.encode_descriptor(
            "ferrocrud_build_info",
            "Always 1: the ferrocrud version and the application's name and version",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(1).encode(info.encode_family(&build.as_slice())?)?;

        if let Some(users) = &self.users {
            let stats = users.stats();
            let mut logins = encoder.encode_descriptor(
                "ferrocrud_logins",
                "Login attempts by outcome",
                None,
                MetricType::Counter,
            )?;
            for (outcome, count) in &stats.logins {
                let labels = [("outcome", outcome.as_str())];
                ConstCounter::new(*count).encode(logins.encode_family(&labels.as_slice())?)?;
            }
            let hashing = stats.hashing;
            gauge(
                &mut encoder,
                "ferrocrud_password_hash_queue_depth",
                "Password hashes and verifications waiting for a hashing thread",
                hashing.queued as i64,
            )?;
            gauge(
                &mut encoder,
                "ferrocrud_password_hashes_running",
                "Password hashes and verifications running",
                hashing.running as i64,
            )?;
            counter(
                &mut encoder,
                "ferrocrud_password_hashes",
                "Password hashes and verifications finished",
                hashing.completed,
            )?;
            counter(
                &mut encoder,
                "ferrocrud_password_hash_rejections",
                "Password hashes and verifications refused because the queue was full (503, code 117)",
                hashing.rejected,
            )?;
            let cache = stats.cache;
            counter(
                &mut encoder,
                "ferrocrud_user_cache_hits",
                "Token checks answered from the user cache",
                cache.hits,
            )?;
            counter(
                &mut encoder,
                "ferrocrud_user_cache_misses",
                "Token checks that read the user from the database",
                cache.misses,
            )?;
            counter(
                &mut encoder,
                "ferrocrud_user_cache_invalidations",
                "Users dropped from the cache because they changed",
                cache.invalidations,
            )?;
        }

        let pool = self.db.pool_stats();
        let mut connections = encoder.encode_descriptor(
            "ferrocrud_db_pool_connections",
            "Database connections open, in use or idle",
            None,
            MetricType::Gauge,
        )?;
        for (state, count) in [("in_use", pool.in_use), ("idle", pool.idle)] {
            let labels = [("state", state)];
            ConstGauge::new(i64::from(count))
                .encode(connections.encode_family(&labels.as_slice())?)?;
        }

        let mut refusals = encoder.encode_descriptor(
            "ferrocrud_command_limit_refusals",
            "Command calls refused by a per-user limit",
            None,
            MetricType::Counter,
        )?;
        for (limit, count) in [
            ("max_uses", &self.limits.max_uses),
            ("min_interval", &self.limits.min_interval),
        ] {
            let labels = [("limit", limit)];
            ConstCounter::new(count.load(Ordering::Relaxed))
                .encode(refusals.encode_family(&labels.as_slice())?)?;
        }
        Ok(())
    }
}

fn counter(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}
