//! Request ids and the access log.
//!
//! Every answer carries `x-request-id`: the request's own when it is well
//! formed (1 to 128 characters of `A-Z a-z 0-9 - _ . : /`), else a new one
//! (32 hex digits from the thread's CSPRNG), so that a proxy's id follows
//! the request through.
//!
//! While the target `ferrocrud::access` is enabled at INFO, each request
//! runs in a span of that target holding `request_id` (and `user_id` once
//! the caller is known), so every event logged meanwhile names the request,
//! and ends with one event: method, service, operation, status and duration.
//! Nothing else of the request is logged: no header, no query, no body, so
//! no token, password, cookie or one-time code. When the target is off, the
//! only cost is the id.

use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng as _;
use tracing::{Instrument as _, Level};

use super::Route;

/// The header carrying the request id, both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The tracing target of the access log and of the request spans.
pub const ACCESS_TARGET: &str = "ferrocrud::access";

/// Longest request id taken from a request.
const MAX_LENGTH: usize = 128;

/// Gives the request an id, logs it when the access log is on, and echoes
/// the id in the answer.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_well_formed(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_id);
    let mut response = if tracing::enabled!(target: ACCESS_TARGET, Level::INFO) {
        logged(request, next, &id).await
    } else {
        next.run(request).await
    };
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// Runs the request in its span and logs its end.
async fn logged(request: Request, next: Next, id: &HeaderValue) -> Response {
    let method = request.method().clone();
    let (service, operation) = match Route::parse(request.uri().path()) {
        Some(Route::Crud { service, op }) => (service.into_owned(), op.into_owned()),
        Some(Route::Command { service, name }) => (service.into_owned(), format!("cmd/{name}")),
        None => (String::new(), request.uri().path().to_owned()),
    };
    let span = tracing::info_span!(
        target: ACCESS_TARGET,
        "request",
        request_id = id.to_str().unwrap_or_default(),
        user_id = tracing::field::Empty,
    );
    let start = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        tracing::info!(
            target: ACCESS_TARGET,
            method = method.as_str(),
            service,
            operation,
            status = response.status().as_u16(),
            duration_us,
            "request",
        );
    });
    response
}

/// Names the caller in the current request's span (a no-op when the access
/// log is off).
pub(crate) fn record_user(user_id: &str) {
    tracing::Span::current().record("user_id", user_id);
}

fn is_well_formed(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LENGTH
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
}

fn new_id() -> HeaderValue {
    let bits: u128 = rand::rng().random();
    let text = format!("{bits:032x}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_requests_are_checked() {
        assert!(is_well_formed(b"abc-123_x.y:z/9"));
        assert!(is_well_formed(&[b'a'; MAX_LENGTH]));
        assert!(!is_well_formed(&[b'a'; MAX_LENGTH + 1]));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(b"a b"));
        assert!(!is_well_formed(b"a\"b"));
        assert!(!is_well_formed("é".as_bytes()));
    }

    #[test]
    fn new_ids_are_32_hex_digits() {
        let id = new_id();
        let text = id.to_str().expect("ascii");
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(new_id(), id);
    }
}
