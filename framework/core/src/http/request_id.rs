//! Request ids and the access log.
//!
//! Every answer served by [`App::serve`](crate::app::App::serve) carries
//! `x-request-id` (an application serving [`App::router`](crate::app::App::router)
//! itself adds its own): the request's own when it is well
//! formed (1 to 128 characters of `A-Z a-z 0-9 - _ . : /`), else a new one
//! (32 hex digits: a random prefix per process and a count), so that a proxy's id follows
//! the request through.
//!
//! While the target `ferrocrud::access` is enabled at INFO, each request
//! runs in a span of that target holding `request_id` (and `user_id` once
//! the caller is known), so every event logged meanwhile names the request,
//! and ends with one event: method, service, operation, status and duration.
//! Nothing else of the request is logged: no header, no query, no body, so
//! no token, password, cookie or one-time code. When the target is off, the
//! only cost is the id.

use std::convert::Infallible;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use rand::Rng as _;
use tower::ServiceExt as _;
use tracing::{Instrument as _, Level};

use super::Route;

/// The header carrying the request id, both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The tracing target of the access log and of the request spans.
pub const ACCESS_TARGET: &str = "ferrocrud::access";

/// Longest request id taken from a request.
const MAX_LENGTH: usize = 128;

/// Serves `request` with `router`: gives it an id, logs it when the access
/// log is on, and echoes the id in the answer. The accept loop calls it
/// for every request, without boxing anything (a middleware layer on the
/// router cost `check_jwt` 7 % more instructions).
pub(crate) async fn serve(router: Router, request: Request) -> Result<Response, Infallible> {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_well_formed(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_id);
    let mut response = if tracing::enabled!(target: ACCESS_TARGET, Level::INFO) {
        logged(router, request, &id).await?
    } else {
        router.oneshot(request).await?
    };
    response.headers_mut().insert(REQUEST_ID, id);
    Ok(response)
}

/// Runs the request in its span and logs its end.
async fn logged(
    router: Router,
    request: Request,
    id: &HeaderValue,
) -> Result<Response, Infallible> {
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
    let response = router.oneshot(request).instrument(span.clone()).await?;
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
    Ok(response)
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

/// A new id: this process's random 64-bit prefix, then a count of the ids
/// it made, as 32 hex digits. Unique per process without drawing random
/// bits per request; ids are labels, not secrets.
fn new_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| rand::rng().random());
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let bits = (u128::from(prefix) << 64) | u128::from(count);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = [0u8; 32];
    for (i, digit) in text.iter_mut().enumerate() {
        *digit = HEX[((bits >> (4 * (31 - i))) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
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
