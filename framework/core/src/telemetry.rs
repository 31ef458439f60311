//! OpenTelemetry export of traces (feature `otel`, off by default).
//!
//! [`otel_layer`] gives a `tracing` layer that sends every span (each
//! request's span of the access log, named `request`, with its
//! `request_id` and `user_id`, and the spans and events inside it) to an
//! OpenTelemetry collector over OTLP/HTTP with protobuf. The exporter reads
//! the standard variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (default
//! `http://localhost:4318`), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
//! `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`. Spans are
//! batched and sent from a thread of the exporter's own; keep the
//! [`OtelGuard`] alive while serving, and drop it at the end to send what
//! is left. The exporter's HTTP client is a blocking one: make the layer
//! before starting the tokio runtime, and drop the guard after it.
//!
//! Request spans exist only while the `ferrocrud::access` target is enabled
//! at INFO (see [`crate::http::request_id`]).
//!
//! ```no_run
//! use tracing_subscriber::layer::SubscriberExt as _;
//! use tracing_subscriber::util::SubscriberInitExt as _;
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let (otel, guard) = ferrocrud::telemetry::otel_layer("blog")?;
//!     tracing_subscriber::registry().with(otel).init();
//!     tokio::runtime::Runtime::new()?.block_on(async {
//!         // build and serve the application
//!     });
//!     drop(guard); // sends the last spans
//!     Ok(())
//! }
//! ```

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

use crate::error::{Error, SetupError};

/// Keeps the exporter running; dropping it flushes the spans not yet sent
/// and stops it.
#[derive(Debug)]
pub struct OtelGuard {
    provider: SdkTracerProvider,
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        if let Err(error) = self.provider.shutdown() {
            tracing::warn!(%error, "OpenTelemetry export did not stop cleanly");
        }
    }
}

/// A layer exporting spans over OTLP/HTTP, as `service_name`, to the
/// endpoint the `OTEL_EXPORTER_OTLP_*` variables name.
///
/// # Errors
///
/// [`SetupError::InvalidSetting`] when the exporter cannot be built (a
/// malformed endpoint, say).
pub fn otel_layer<S>(
    service_name: &str,
) -> Result<(OpenTelemetryLayer<S, Tracer>, OtelGuard), Error>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    otel_layer_to(service_name, None)
}

/// [`otel_layer`] with the endpoint given rather than read from the
/// environment (`http://host:4318/v1/traces`).
fn otel_layer_to<S>(
    service_name: &str,
    endpoint: Option<&str>,
) -> Result<(OpenTelemetryLayer<S, Tracer>, OtelGuard), Error>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
    if let Some(endpoint) = endpoint {
        exporter = exporter.with_endpoint(endpoint);
    }
    let exporter = exporter
        .build()
        .map_err(|error| SetupError::InvalidSetting {
            name: "OpenTelemetry exporter",
            reason: error.to_string(),
        })?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build();
    let tracer = provider.tracer("ferrocrud");
    let layer = tracing_opentelemetry::layer().with_tracer(tracer);
    Ok((layer, OtelGuard { provider }))
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::sync::mpsc;
    use std::time::Duration;

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// A collector that takes one request and answers 200: the head and
    /// body it received.
    fn collector() -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        let endpoint = format!(
            "http://{}/v1/traces",
            listener.local_addr().expect("address")
        );
        let (sent, received) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut bytes = Vec::new();
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&bytes);
                if let Some(end) = text.find("\r\n\r\n") {
                    let head = text[..end].to_owned();
                    let length = head
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if bytes.len() >= end + 4 + length {
                        let body = bytes[end + 4..end + 4 + length].to_vec();
                        let _ = stream.write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                        let _ = sent.send((head, body));
                        break;
                    }
                }
            }
        });
        (endpoint, received)
    }

    #[test]
    fn spans_reach_the_collector_over_otlp_http() {
        let (endpoint, received) = collector();
        let (layer, guard) = otel_layer_to("ferrocrud-test", Some(&endpoint)).expect("an exporter");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = "otel-test-id");
            span.in_scope(|| tracing::info!("inside"));
        });
        // Flushes the batch.
        drop(guard);
        let (head, body) = received
            .recv_timeout(Duration::from_secs(10))
            .expect("the collector received the spans");
        assert!(head.starts_with("POST /v1/traces "), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/x-protobuf"),
            "{head}"
        );
        let body = String::from_utf8_lossy(&body);
        for text in ["ferrocrud-test", "request", "otel-test-id"] {
            assert!(body.contains(text), "{text} in the exported spans");
        }
    }
}
