//! The request series: a duration histogram by service, operation and
//! status, and the requests in flight.

use std::sync::Arc;
use std::time::Instant;

use axum::http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

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

/// The labels of one request's observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    service: Arc<String>,
    operation: Arc<String>,
    status: u16,
}

/// The label values a request can take, made once at start, so that a
/// request's labels are two reference counts and never a client's text.
#[derive(Debug)]
pub(crate) struct RouteNames {
    services: FastMap<String, ServiceNames>,
    ops: FastMap<&'static str, Arc<String>>,
    fixed: FastMap<&'static str, Arc<String>>,
    unknown: Arc<String>,
    none: Arc<String>,
}

#[derive(Debug)]
struct ServiceNames {
    name: Arc<String>,
    commands: FastMap<String, Arc<String>>,
}

impl RouteNames {
    /// The names of `services`, each with its commands.
    pub(crate) fn new<'a>(services: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Self {
        let services = services
            .into_iter()
            .map(|(service, commands)| {
                let names = ServiceNames {
                    name: Arc::new(service.to_owned()),
                    commands: commands
                        .into_iter()
                        .map(|cmd| (cmd.to_owned(), Arc::new(format!("cmd:{cmd}"))))
                        .collect(),
                };
                (service.to_owned(), names)
            })
            .collect();
        Self {
            services,
            ops: Op::ALL
                .iter()
                .map(|op| (op.name(), Arc::new(op.name().to_owned())))
                .collect(),
            fixed: FIXED_ROUTES
                .iter()
                .map(|&path| (path, Arc::new(path.to_owned())))
                .collect(),
            unknown: Arc::new("unknown".to_owned()),
            none: Arc::new(String::new()),
        }
    }

    /// The `service` and `operation` of a request.
    fn label(&self, method: &Method, path: &str) -> (Arc<String>, Arc<String>) {
        let unknown = || (Arc::clone(&self.unknown), Arc::clone(&self.unknown));
        match Route::parse(path) {
            Some(Route::Crud { service, op }) => {
                let Some(names) = self.services.get(service.as_ref()) else {
                    return unknown();
                };
                let op = verb_of(method)
                    .and_then(|verb| Op::from_route(verb, &op))
                    .and_then(|op| self.ops.get(op.name()));
                (
                    Arc::clone(&names.name),
                    Arc::clone(op.unwrap_or(&self.unknown)),
                )
            }
            Some(Route::Command { service, name }) => {
                let Some(names) = self.services.get(service.as_ref()) else {
                    return unknown();
                };
                let command = names.commands.get(name.as_ref()).unwrap_or(&self.unknown);
                (Arc::clone(&names.name), Arc::clone(command))
            }
            None => match self.fixed.get(path) {
                Some(route) => (Arc::clone(&self.none), Arc::clone(route)),
                None => (Arc::clone(&self.none), Arc::clone(&self.unknown)),
            },
        }
    }
}

/// The request series of one application.
#[derive(Debug)]
pub(crate) struct HttpMetrics {
    routes: RouteNames,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
}

impl HttpMetrics {
    pub(crate) fn new(routes: RouteNames) -> Self {
        Self {
            routes,
            durations: Family::new_with_constructor(|| Histogram::new(BUCKETS)),
            in_flight: Gauge::default(),
        }
    }

    pub(crate) fn register(&self, registry: &mut Registry) {
        registry.register_with_unit(
            "ferrocrud_http_request_duration",
            "Time from a request's head to its answer's head, by service, operation and status",
            Unit::Seconds,
            self.durations.clone(),
        );
        registry.register(
            "ferrocrud_http_requests_in_flight",
            "Requests being answered",
            self.in_flight.clone(),
        );
    }

    /// Starts timing a request; [`InFlight::finish`] records it.
    pub(crate) fn start(&self, method: &Method, path: &str) -> InFlight<'_> {
        self.in_flight.inc();
        let (service, operation) = self.routes.label(method, path);
        InFlight {
            metrics: self,
            service,
            operation,
            start: Instant::now(),
        }
    }
}

/// A request being answered; dropping it without [`finish`](Self::finish)
/// (the connection went away) only leaves the in-flight count.
pub(crate) struct InFlight<'a> {
    metrics: &'a HttpMetrics,
    service: Arc<String>,
    operation: Arc<String>,
    start: Instant,
}

impl InFlight<'_> {
    /// Records the request's duration under the answer's status.
    pub(crate) fn finish(self, status: StatusCode) {
        let elapsed = self.start.elapsed().as_secs_f64();
        let labels = RequestLabels {
            service: Arc::clone(&self.service),
            operation: Arc::clone(&self.operation),
            status: status.as_u16(),
        };
        self.metrics
            .durations
            .get_or_create(&labels)
            .observe(elapsed);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.metrics.in_flight.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> RouteNames {
        RouteNames::new([("post", vec!["publish"]), ("user", vec!["login"])])
    }

    fn label(method: Method, path: &str) -> (String, String) {
        let (service, operation) = names().label(&method, path);
        (service.as_ref().clone(), operation.as_ref().clone())
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
        let metrics = HttpMetrics::new(names());
        let request = metrics.start(&Method::GET, "/crud/s/post/one");
        assert_eq!(metrics.in_flight.get(), 1);
        request.finish(StatusCode::OK);
        assert_eq!(metrics.in_flight.get(), 0);
        drop(metrics.start(&Method::GET, "/crud/s/post/one"));
        assert_eq!(metrics.in_flight.get(), 0);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(
                r#"ferrocrud_http_request_duration_seconds_count{service="post",operation="findOne",status="200"} 1"#
            ),
            "{text}"
        );
    }
}
