//! Prometheus metrics, served on a listener of their own.
//!
//! Off unless the application asks for them with
//! [`AppBuilder::metrics`](crate::app::AppBuilder::metrics); then
//! [`App::metrics`](crate::app::App::metrics) gives the [`Metrics`] to
//! [`serve`](Metrics::serve) on a separate address (the blog uses
//! `METRICS_ADDR`, `127.0.0.1:9464`), in Prometheus text format 0.0.4:
//!
//! | series | type | labels |
//! |---|---|---|
//! | `ferrocrud_http_request_duration_seconds` | histogram (its `_count` counts requests) | `service`, `operation`, `status` |
//! | `ferrocrud_http_requests_in_flight` | gauge | |
//! | `ferrocrud_logins_total` | counter | `outcome`: `success`, `wrong_password`, `locked`, `throttled`, `two_factor_required`, `timed_out`, `overloaded`, `other` |
//! | `ferrocrud_password_hash_queue_depth` | gauge: waiting for a hashing thread | |
//! | `ferrocrud_password_hashes_running` | gauge | |
//! | `ferrocrud_password_hashes_total` | counter: finished hashes and verifications (`rate()` gives hashes per second) | |
//! | `ferrocrud_password_hash_rejections_total` | counter: refused with 503 code 117 | |
//! | `ferrocrud_user_cache_hits_total`, `…_misses_total`, `…_invalidations_total` | counters | |
//! | `ferrocrud_db_pool_connections` | gauge | `state`: `in_use`, `idle` |
//! | `ferrocrud_command_limit_refusals_total` | counter | `limit`: `max_uses`, `min_interval` |
//! | `ferrocrud_build_info` | gauge, always 1 | `version` (ferrocrud), `app`, `app_version` |
//!
//! Label values are bounded: `service` is a served service's name or
//! `unknown`, `operation` an eicrud operation (`findOne`, …), `cmd:NAME` for
//! a registered command, the path of a fixed route (`/crud/health/ready`), or
//! `unknown`. A client cannot add series by inventing paths.

mod http;
mod sources;

use std::sync::Arc;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;

pub(crate) use self::http::{HttpMetrics, RouteNames};
pub(crate) use self::sources::{LimitRefusals, Sources};

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// An application's metrics: cheap to clone, rendered on demand.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ferrocrud::app::App;
/// use ferrocrud::storage::Db;
///
/// let app = App::builder(Db::connect("sqlite::memory:").await?)
///     .metrics()
///     .build()
///     .await?;
/// if let Some(metrics) = app.metrics() {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:9464").await?;
///     tokio::spawn(metrics.clone().serve(listener));
///     assert!(metrics.render().contains("ferrocrud_build_info"));
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    http: Arc<HttpMetrics>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The registry of one application: its HTTP series, and the series
    /// read from `sources` at each scrape.
    pub(crate) fn new(routes: RouteNames, sources: Sources) -> Self {
        let mut registry = Registry::default();
        let http = Arc::new(HttpMetrics::new(routes));
        registry.register_collector(Box::new(Arc::clone(&http)));
        registry.register_collector(Box::new(sources));
        Self {
            inner: Arc::new(Inner { registry, http }),
        }
    }

    /// The request path's side: what [`App::serve`](crate::app::App::serve)
    /// records into.
    pub(crate) fn http(&self) -> &Arc<HttpMetrics> {
        &self.inner.http
    }

    /// Every series, in Prometheus text format 0.0.4 ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail; an encoder error would mean a
        // malformed name, which the names here are not.
        if let Err(error) = prometheus_text::encode(&mut text, &self.inner.registry) {
            tracing::error!(%error, "metrics could not be rendered");
        }
        text
    }

    /// Answers `GET /metrics` on `listener` (anything else is 404) until
    /// the future is dropped or the listener fails.
    ///
    /// # Errors
    ///
    /// The listener's error.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        use axum::http::{StatusCode, header};
        use axum::response::IntoResponse as _;
        use axum::routing::get;

        let router = axum::Router::new().route(
            "/metrics",
            get(move || {
                let metrics = self.clone();
                async move { ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()) }
            }),
        );
        let router = router.fallback(|| async { StatusCode::NOT_FOUND.into_response() });
        axum::serve(listener, router).await
    }
}
