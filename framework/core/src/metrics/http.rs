//! The request series: a duration histogram by service, operation and
//! status, and the requests in flight.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use axum::http::{Method, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Unit;

use crate::fast_map::FastMap;
use crate::http::crud::Op;
use crate::http::{Route, verb_of};

/// Upper bounds of the duration buckets, in seconds: 250 µs to 10 s.
const BUCKETS: [f64; 15] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// The fixed routes outside services, named by their path.
const FIXED_ROUTES: [&str; 4] = [
    "/crud/rdy",
    "/crud/health/live",
    "/crud/health/ready",
    "/crud/openapi.json",
];

/// The index of a label value in [`RouteNames`]' table.
type Name = u32;

/// The label values a request can take, made once at start, so that a
/// request's labels are two indices into this table: never a client's
/// text, and no count shared between threads to touch.
#[derive(Debug)]
pub(crate) struct RouteNames {
    names: Vec<String>,
    services: FastMap<String, ServiceNames>,
    ops: FastMap<&'static str, Name>,
    fixed: FastMap<&'static str, Name>,
    unknown: Name,
    none: Name,
}

#[derive(Debug)]
struct ServiceNames {
    name: Name,
    commands: FastMap<String, Name>,
}

impl RouteNames {
    /// The names of `services`, each with its commands.
    pub(crate) fn new<'a>(services: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Self {
        let mut names = Vec::new();
        let mut add = |name: String| {
            names.push(name);
            Name::try_from(names.len() - 1).unwrap_or(Name::MAX)
        };
        let unknown = add("unknown".to_owned());
        let none = add(String::new());
        let ops = Op::ALL
            .iter()
            .map(|op| (op.name(), add(op.name().to_owned())))
            .collect();
        let fixed = FIXED_ROUTES
            .iter()
            .map(|&path| (path, add(path.to_owned())))
            .collect();
        let services = services
            .into_iter()
            .map(|(service, commands)| {
                let service_names = ServiceNames {
                    name: add(service.to_owned()),
                    commands: commands
                        .into_iter()
                        .map(|cmd| (cmd.to_owned(), add(format!("cmd:{cmd}"))))
                        .collect(),
                };
                (service.to_owned(), service_names)
            })
            .collect();
        Self {
            names,
            services,
            ops,
            fixed,
            unknown,
            none,
        }
    }

    /// The text of a label value.
    fn name(&self, name: Name) -> &str {
        self.names
            .get(name as usize)
            .map_or("unknown", String::as_str)
    }

    /// The `service` and `operation` of a request.
    fn label(&self, method: &Method, path: &str) -> (Name, Name) {
        match Route::parse(path) {
            Some(Route::Crud { service, op }) => {
                let Some(names) = self.services.get(service.as_ref()) else {
                    return (self.unknown, self.unknown);
                };
                let op = verb_of(method)
                    .and_then(|verb| Op::from_route(verb, &op))
                    .and_then(|op| self.ops.get(op.name()));
                (names.name, op.copied().unwrap_or(self.unknown))
            }
            Some(Route::Command { service, name }) => {
                let Some(names) = self.services.get(service.as_ref()) else {
                    return (self.unknown, self.unknown);
                };
                let command = names.commands.get(name.as_ref());
                (names.name, command.copied().unwrap_or(self.unknown))
            }
            None => (
                self.none,
                self.fixed.get(path).copied().unwrap_or(self.unknown),
            ),
        }
    }
}

/// The request series of one application.
///
/// Recorded per thread: each thread that answers requests keeps its own
/// counts behind a mutex only it takes (and a scrape, now and then), so
/// that two cores answering requests never write to one cache line. A
/// shared histogram with a lock and a shared in-flight counter cost
/// `check_jwt` 11 % of its throughput on two cores, for 3 % more
/// instructions (docs/perf/metrics-cost.md). A scrape adds the threads'
/// counts up.
#[derive(Debug)]
pub(crate) struct HttpMetrics {
    routes: RouteNames,
    /// Tells this application's shards apart in each thread's list.
    id: u64,
    shards: Mutex<Vec<Arc<Mutex<Shard>>>>,
}

/// A request's labels: service, operation, status.
type RequestKey = (Name, Name, u16);

/// One thread's counts.
#[derive(Debug, Default)]
struct Shard {
    /// By (service, operation) and status.
    requests: FastMap<RequestKey, Durations>,
    /// Requests started on this thread, less those finished on it (a
    /// request may finish on another thread: only the sum means anything).
    in_flight: i64,
}

/// A duration histogram: counts per bucket (the last one past every bound).
#[derive(Debug, Clone, Default)]
struct Durations {
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Durations {
    fn observe(&mut self, seconds: f64) {
        let bucket = BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket] += 1;
        self.sum += seconds;
    }

    fn add(&mut self, other: &Durations) {
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += theirs;
        }
        self.sum += other.sum;
    }
}

thread_local! {
    /// This thread's shard of each application that recorded on it.
    static SHARDS: RefCell<Vec<(u64, Weak<Mutex<Shard>>)>> = const { RefCell::new(Vec::new()) };
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Counts stay consistent across a panic: each change is one statement.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HttpMetrics {
    pub(crate) fn new(routes: RouteNames) -> Self {
        static IDS: AtomicU64 = AtomicU64::new(0);
        Self {
            routes,
            id: IDS.fetch_add(1, Ordering::Relaxed),
            shards: Mutex::default(),
        }
    }

    /// Runs `record` on this thread's shard, made the first time.
    fn with_shard(&self, record: impl FnOnce(&mut Shard)) {
        SHARDS.with(|shards| {
            let mut shards = shards.borrow_mut();
            let found = shards
                .iter()
                .find(|(id, _)| *id == self.id)
                .and_then(|(_, shard)| shard.upgrade());
            let shard = found.unwrap_or_else(|| {
                // Applications dropped since leave dead entries: cleared here.
                shards.retain(|(_, shard)| shard.strong_count() > 0);
                let shard = Arc::new(Mutex::new(Shard::default()));
                shards.push((self.id, Arc::downgrade(&shard)));
                lock(&self.shards).push(Arc::clone(&shard));
                shard
            });
            record(&mut lock(&shard));
        });
    }

    /// Starts timing a request; [`InFlight::finish`] records it.
    pub(crate) fn start(&self, method: &Method, path: &str) -> InFlight<'_> {
        self.with_shard(|shard| shard.in_flight += 1);
        let (service, operation) = self.routes.label(method, path);
        InFlight {
            metrics: self,
            service,
            operation,
            start: Instant::now(),
            finished: false,
        }
    }

    /// The threads' counts added up: (service, operation, status) with
    /// their durations, in a fixed order, and the requests in flight.
    fn totals(&self) -> (Vec<(RequestKey, Durations)>, i64) {
        let mut requests: BTreeMap<RequestKey, Durations> = BTreeMap::new();
        let mut in_flight = 0;
        for shard in lock(&self.shards).iter() {
            let shard = lock(shard);
            in_flight += shard.in_flight;
            for (labels, durations) in &shard.requests {
                requests.entry(*labels).or_default().add(durations);
            }
        }
        (requests.into_iter().collect(), in_flight)
    }
}

impl Collector for HttpMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let (requests, in_flight) = self.totals();
        let mut durations = encoder.encode_descriptor(
            "ferrocrud_http_request_duration",
            "Time from a request's head to its answer's head, by service, operation and status",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for ((service, operation, status), counts) in &requests {
            let status = status.to_string();
            let labels = [
                ("service", self.routes.name(*service)),
                ("operation", self.routes.name(*operation)),
                ("status", status.as_str()),
            ];
            let buckets: Vec<(f64, u64)> = BUCKETS
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .zip(counts.buckets)
                .collect();
            let count = counts.buckets.iter().sum();
            durations
                .encode_family(&labels.as_slice())?
                .encode_histogram::<NoLabelSet>(counts.sum, count, &buckets, None)?;
        }
        let gauge = ConstGauge::new(in_flight.max(0));
        gauge.encode(encoder.encode_descriptor(
            "ferrocrud_http_requests_in_flight",
            "Requests being answered",
            None,
            gauge.metric_type(),
        )?)
    }
}

/// A request being answered; dropping it without [`finish`](Self::finish)
/// (the connection went away) only leaves the in-flight count.
pub(crate) struct InFlight<'a> {
    metrics: &'a HttpMetrics,
    service: Name,
    operation: Name,
    start: Instant,
    /// Counted out of the in-flight requests by `finish` already.
    finished: bool,
}

impl InFlight<'_> {
    /// Records the request's duration under the answer's status.
    /// One visit to this thread's shard: the duration recorded and the
    /// request counted out of those in flight.
    pub(crate) fn finish(mut self, status: StatusCode) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let labels = (self.service, self.operation, status.as_u16());
        self.metrics.with_shard(|shard| {
            shard.requests.entry(labels).or_default().observe(elapsed);
            shard.in_flight -= 1;
        });
        self.finished = true;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.metrics.with_shard(|shard| shard.in_flight -= 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> RouteNames {
        RouteNames::new([("post", vec!["publish"]), ("user", vec!["login"])])
    }

    fn label(method: Method, path: &str) -> (String, String) {
        let names = names();
        let (service, operation) = names.label(&method, path);
        (
            names.name(service).to_owned(),
            names.name(operation).to_owned(),
        )
    }

    #[test]
    fn labels_name_served_routes_and_nothing_a_client_invents() {
        let pairs = [
            (Method::GET, "/crud/s/post/one", ("post", "findOne")),
            (Method::PATCH, "/crud/s/post/in", ("post", "patchIn")),
            (
                Method::POST,
                "/crud/s/user/cmd/login",
                ("user", "cmd:login"),
            ),
            (Method::POST, "/crud/s/user/cmd/nope", ("user", "unknown")),
            (Method::GET, "/crud/s/post/nope", ("post", "unknown")),
            (Method::PUT, "/crud/s/post/one", ("post", "unknown")),
            (Method::GET, "/crud/s/invented/one", ("unknown", "unknown")),
            (
                Method::GET,
                "/crud/health/ready",
                ("", "/crud/health/ready"),
            ),
            (Method::GET, "/anything/else", ("", "unknown")),
        ];
        for (method, path, (service, operation)) in pairs {
            assert_eq!(
                label(method, path),
                (service.to_owned(), operation.to_owned()),
                "{path}"
            );
        }
    }

    #[test]
    fn a_request_is_counted_once_finished_and_in_flight_until_then() {
        let metrics = Arc::new(HttpMetrics::new(names()));
        let request = metrics.start(&Method::GET, "/crud/s/post/one");
        assert_eq!(metrics.totals().1, 1);
        request.finish(StatusCode::OK);
        assert_eq!(metrics.totals().1, 0);
        drop(metrics.start(&Method::GET, "/crud/s/post/one"));
        assert_eq!(metrics.totals().1, 0);
        // Another thread's requests land in its own shard, and add up.
        let other = Arc::clone(&metrics);
        std::thread::spawn(move || {
            other
                .start(&Method::GET, "/crud/s/post/one")
                .finish(StatusCode::OK);
        })
        .join()
        .unwrap();
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register_collector(Box::new(Arc::clone(&metrics)));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(
                r#"ferrocrud_http_request_duration_seconds_count{service="post",operation="findOne",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"ferrocrud_http_request_duration_seconds_bucket{le="+Inf",service="post",operation="findOne",status="200"} 2"#
            ) || text.contains(
                r#"ferrocrud_http_request_duration_seconds_bucket{service="post",operation="findOne",status="200",le="+Inf"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains("ferrocrud_http_requests_in_flight 0"),
            "{text}"
        );
    }

    #[test]
    fn durations_fall_in_the_first_bucket_that_holds_them() {
        let mut durations = Durations::default();
        durations.observe(0.000_1);
        durations.observe(0.001);
        durations.observe(60.0);
        assert_eq!(durations.buckets[0], 1);
        assert_eq!(durations.buckets[2], 1);
        assert_eq!(durations.buckets[BUCKETS.len()], 1);
        assert!((durations.sum - 60.0011).abs() < 1e-9);
    }
}
