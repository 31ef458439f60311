//! A mock eicrud server on `127.0.0.1:0`: it records every request and
//! answers with the canned replies queued by the test, in order.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use ferrocrud_client::{Client, ClientConfig};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Captured {
    pub(crate) method: String,
    /// Path and raw query string, as in the captures' `raw url`.
    pub(crate) url: String,
    pub(crate) authorization: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) body: String,
}

impl Captured {
    /// `METHOD /path?query`.
    pub(crate) fn line(&self) -> String {
        format!("{} {}", self.method, self.url)
    }
}

struct Reply {
    status: u16,
    body: String,
}

#[derive(Default)]
struct Shared {
    captured: Mutex<Vec<Captured>>,
    replies: Mutex<VecDeque<Reply>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running mock server.
pub(crate) struct Mock {
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Mock {
    pub(crate) async fn start() -> Mock {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("mock server");
        });
        Mock { addr, shared }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client of this server with the default configuration.
    pub(crate) fn client(&self) -> Client {
        Client::new(ClientConfig::new(self.url())).expect("client")
    }

    /// Queues a JSON (or empty) answer.
    pub(crate) fn reply(&self, status: u16, body: &str) -> &Self {
        lock(&self.shared.replies).push_back(Reply {
            status,
            body: body.to_owned(),
        });
        self
    }

    /// Every request received so far.
    pub(crate) fn requests(&self) -> Vec<Captured> {
        lock(&self.shared.captured).clone()
    }

    /// `METHOD /path?query` of every request received so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Captured::line).collect()
    }

    /// The only request received.
    pub(crate) fn single(&self) -> Captured {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().expect("one request")
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header").to_owned())
    };
    let url = uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    lock(&shared.captured).push(Captured {
        method: method.to_string(),
        url,
        authorization: header(header::AUTHORIZATION),
        content_type: header(header::CONTENT_TYPE),
        body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
    });
    let Some(reply) = lock(&shared.replies).pop_front() else {
        return (StatusCode::IM_A_TEAPOT, "no canned answer left").into_response();
    };
    let status = StatusCode::from_u16(reply.status).expect("status");
    if reply.body.is_empty() {
        return status.into_response();
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        reply.body,
    )
        .into_response()
}
