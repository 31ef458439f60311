//! The accept loop: HTTP/1 connections with a header-read timeout, at most
//! `max_connections` of them at once, and a graceful shutdown.
//!
//! A client that never finishes its headers, or keeps a connection idle,
//! loses the connection after [`HttpOptions::header_read_timeout`]; one that
//! never finishes its body gets a 408 after
//! [`HttpOptions::body_read_timeout`] (`Incoming::read`). Past the
//! connection cap, new connections wait in the listener's backlog until one
//! closes.
//!
//! The header-read timeout is kept per connection, not per request: hyper's
//! own arms a timer for every request, which cost `check_jwt` 8 % of its
//! throughput (docs/perf/hardening-cost.md). Here the connection's reader notes when a request starts
//! (its first byte after the previous answer), the service notes when its
//! headers are complete (hyper calls it), and one timer per connection, firing
//! every half timeout, closes the connection when a request has been arriving,
//! or the connection idle, for longer than the timeout.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

use crate::config::HttpOptions;
use crate::metrics::HttpMetrics;

/// Serves `router` on `listener` until `shutdown` completes, then closes
/// the listener and lets the connections finish the requests in flight,
/// for at most [`HttpOptions::shutdown_timeout`].
///
/// Once shutdown begins, a connection answering a request closes after
/// the answer, and an idle kept-alive one closes at once. A connection
/// that has not sent its first request yet gets [`FRESH_GRACE`] to send
/// it (as Go's `Server.Shutdown` does): its client may already have
/// written a request the server has not read. Connections the kernel had
/// already queued when the listener closes (its backlog) are taken and
/// served the same way, rather than reset.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    options: &HttpOptions,
    metrics: Option<Arc<HttpMetrics>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let connections = Connections {
        builder: hyper::server::conn::http1::Builder::new(),
        router,
        metrics,
        epoch: Instant::now(),
        timeout: options.header_read_timeout,
    };
    let permits = Arc::new(Semaphore::new(options.max_connections.max(1)));
    // Every connection holds a receiver: the sender's `closed` is the end
    // of the last one.
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    wait_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        tokio::spawn(connections.serve(stream, stopped.clone(), permit));
    }
    let _ = stop.send(true);
    for stream in take_backlog(listener) {
        tokio::spawn(connections.serve(stream, stopped.clone(), ()));
    }
    drop(stopped);
    if tokio::time::timeout(options.shutdown_timeout, stop.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            timeout = ?options.shutdown_timeout,
            "requests still in flight at the shutdown deadline: their connections are dropped"
        );
    }
    Ok(())
}

/// How long a connection that has not sent a byte yet is kept open once
/// shutdown begins.
const FRESH_GRACE: Duration = Duration::from_secs(5);

/// How often a connection waiting for its first request checks it, once
/// shutdown has begun.
const FRESH_CHECK: Duration = Duration::from_millis(20);

/// What every connection is served with.
struct Connections {
    builder: hyper::server::conn::http1::Builder,
    router: Router,
    metrics: Option<Arc<HttpMetrics>>,
    epoch: Instant,
    timeout: Duration,
}

impl Connections {
    /// Serves the connection over `stream` to its end: closes it when a
    /// request's headers take longer than the timeout, and shuts it down
    /// gracefully once `stop` turns true. `held` (its connection permit) is
    /// released at the end.
    fn serve<H: Send + 'static>(
        &self,
        stream: TcpStream,
        mut stop: watch::Receiver<bool>,
        held: H,
    ) -> impl Future<Output = ()> + Send + use<H> {
        let accepted = Instant::now();
        let clock = Arc::new(RequestClock::new(self.epoch));
        let heads = Arc::clone(&clock);
        let router = self.router.clone();
        let metrics = self.metrics.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            heads.head_read();
            let router = router.clone();
            let metrics = metrics.clone();
            async move {
                let request = request.map(Body::new);
                let Some(metrics) = metrics else {
                    return super::request_id::serve(router, request).await;
                };
                let in_flight = metrics.start(request.method(), request.uri().path());
                let response = super::request_id::serve(router, request).await?;
                in_flight.finish(response.status());
                Ok(response)
            }
        });
        let io = TokioIo::new(ClockedStream {
            stream,
            clock: Arc::clone(&clock),
        });
        let connection = self.builder.serve_connection(io, service);
        let timeout = self.timeout;
        async move {
            let mut connection = std::pin::pin!(connection);
            let mut watch = tokio::time::interval(timeout / 2);
            // None: serving; Some(false): stopping, waiting for a fresh
            // connection's first request; Some(true): shut down gracefully.
            let mut stopping = (*stop.borrow_and_update()).then_some(false);
            let mut fresh_check = tokio::time::interval(FRESH_CHECK);
            loop {
                if stopping == Some(false)
                    && (clock.has_read() || accepted.elapsed() >= FRESH_GRACE)
                {
                    connection.as_mut().graceful_shutdown();
                    stopping = Some(true);
                }
                tokio::select! {
                    biased;
                    result = &mut connection => {
                        if let Err(error) = result {
                            tracing::trace!(%error, "connection ended with an error");
                        }
                        break;
                    }
                    _ = watch.tick() => if clock.waiting_longer_than(timeout) {
                        tracing::debug!("closing a connection whose request headers did not arrive in time");
                        break;
                    },
                    changed = stop.changed(), if stopping.is_none() => {
                        if changed.is_err() || *stop.borrow_and_update() {
                            stopping = Some(false);
                        }
                    }
                    _ = fresh_check.tick(), if stopping == Some(false) => {}
                }
            }
            drop(stop);
            drop(held);
        }
    }
}

/// Closes the listener, taking the connections the kernel had already
/// accepted on it: closing it with them queued would reset them.
fn take_backlog(listener: TcpListener) -> Vec<TcpStream> {
    let listener = match listener.into_std() {
        Ok(listener) => listener,
        Err(error) => {
            tracing::debug!(%error, "the listener's backlog cannot be read");
            return Vec::new();
        }
    };
    if listener.set_nonblocking(true).is_err() {
        return Vec::new();
    }
    let mut streams = Vec::new();
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let stream = stream
                    .set_nonblocking(true)
                    .and_then(|()| TcpStream::from_std(stream));
                match stream {
                    Ok(stream) => streams.push(stream),
                    Err(error) => tracing::debug!(%error, "a late connection is dropped"),
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break, // WouldBlock: the backlog is empty
        }
    }
    streams
}

/// When the connection last started to wait for a request's headers (at
/// its start, and after each request's headers), and whether they are
/// being read: milliseconds since the server's start, `u64::MAX` while a
/// request is being handled.
#[derive(Debug)]
struct RequestClock {
    epoch: Instant,
    waiting_since_ms: AtomicU64,
    /// Whether the client has sent anything yet.
    read_any: AtomicBool,
}

/// A request being handled: no header is awaited.
const HANDLING: u64 = u64::MAX;

impl RequestClock {
    fn new(epoch: Instant) -> Self {
        let clock = Self {
            epoch,
            waiting_since_ms: AtomicU64::new(0),
            read_any: AtomicBool::new(false),
        };
        clock
            .waiting_since_ms
            .store(clock.now_ms(), Ordering::Relaxed);
        clock
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// A request's headers are complete: the handler runs.
    /// Whether the client has sent a byte on this connection.
    fn has_read(&self) -> bool {
        self.read_any.load(Ordering::Relaxed)
    }

    /// Notes that bytes arrived.
    fn bytes_read(&self) {
        if !self.read_any.load(Ordering::Relaxed) {
            self.read_any.store(true, Ordering::Relaxed);
        }
    }

    fn head_read(&self) {
        self.waiting_since_ms.store(HANDLING, Ordering::Relaxed);
    }

    /// Bytes of an answer are being written: from the first of a final
    /// answer on, the next request's headers are awaited. An interim
    /// `100 Continue` (sent when a handler starts reading a body that the
    /// client sent with `Expect: 100-continue`) leaves the handler running.
    fn answering(&self, first_bytes: &[u8]) {
        if first_bytes.starts_with(b"HTTP/1.1 100 ") {
            return;
        }
        if self.waiting_since_ms.load(Ordering::Relaxed) == HANDLING {
            self.waiting_since_ms
                .store(self.now_ms(), Ordering::Relaxed);
        }
    }

    fn waiting_longer_than(&self, timeout: Duration) -> bool {
        let since = self.waiting_since_ms.load(Ordering::Relaxed);
        since != HANDLING && u128::from(self.now_ms().saturating_sub(since)) > timeout.as_millis()
    }
}

/// The connection's socket, noting on the [`RequestClock`] when an answer
/// is written.
struct ClockedStream {
    stream: TcpStream,
    clock: Arc<RequestClock>,
}

impl AsyncRead for ClockedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.clock.bytes_read();
        }
        poll
    }
}

impl AsyncWrite for ClockedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.clock.answering(buf);
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.clock
            .answering(bufs.first().map_or(&[][..], |b| &b[..]));
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// After a failed `accept`: nothing to wait for when the error belonged to
/// the one connection; a pause when the process is out of descriptors or
/// memory, so that the loop does not spin.
async fn wait_after_accept_error(error: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, Instant};

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    use crate::app::App;
    use crate::config::HttpOptions;
    use crate::security::Role;
    use crate::storage::Db;

    const READY: &[u8] = b"GET /crud/rdy HTTP/1.1\r\nHost: t\r\n\r\n";

    #[test]
    fn the_clock_waits_for_headers_except_while_a_handler_runs() {
        let clock = super::RequestClock::new(Instant::now() - Duration::from_secs(5));
        assert!(!clock.waiting_longer_than(Duration::from_secs(1)), "fresh");
        clock.head_read();
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            !clock.waiting_longer_than(Duration::from_millis(10)),
            "handling"
        );
        clock.answering(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(
            !clock.waiting_longer_than(Duration::from_millis(10)),
            "still handling"
        );
        clock.answering(b"HTTP/1.1 200 OK\r\n");
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            clock.waiting_longer_than(Duration::from_millis(10)),
            "waiting again"
        );
    }

    /// A server with these options; its address and a sender that stops it.
    async fn server(options: HttpOptions) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let db = Db::connect("sqlite::memory:").await.expect("database");
        let app = App::builder(db)
            .roles([Role::new("guest")])
            .http(options)
            .build()
            .await
            .expect("app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        (address, stop)
    }

    /// What the server sends until it closes the connection, or `None` when
    /// it is still open after `within`.
    async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
        let mut answer = Vec::new();
        tokio::time::timeout(within, stream.read_to_end(&mut answer))
            .await
            .ok()
            .map(|_| String::from_utf8_lossy(&answer).into_owned())
    }

    /// The first answer on `stream`, within `within`.
    async fn answer(stream: &mut TcpStream, within: Duration) -> Option<String> {
        let mut buffer = [0u8; 1024];
        let read = tokio::time::timeout(within, stream.read(&mut buffer))
            .await
            .ok()?;
        Some(String::from_utf8_lossy(&buffer[..read.ok()?]).into_owned())
    }

    #[tokio::test]
    async fn headers_that_never_finish_lose_the_connection() {
        let (address, _stop) = server(HttpOptions {
            header_read_timeout: Duration::from_millis(300),
            ..HttpOptions::default()
        })
        .await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(b"GET /crud/rdy HTTP/1.1\r\nHost: t\r\n")
            .await
            .expect("write");
        let started = Instant::now();
        let closed = until_closed(&mut stream, Duration::from_secs(5)).await;
        assert!(closed.is_some(), "still open after 5 s");
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[tokio::test]
    async fn a_body_that_never_finishes_is_a_408() {
        let (address, _stop) = server(HttpOptions {
            body_read_timeout: Duration::from_millis(300),
            ..HttpOptions::default()
        })
        .await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(
                b"POST /crud/s/post/one HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\n\r\n{\"title\":",
            )
            .await
            .expect("write");
        let answer = answer(&mut stream, Duration::from_secs(5))
            .await
            .expect("an answer within 5 s");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"code\":115"), "{answer}");
    }

    #[tokio::test]
    async fn connections_past_the_cap_wait_for_one_to_close() {
        let (address, _stop) = server(HttpOptions {
            max_connections: 2,
            ..HttpOptions::default()
        })
        .await;
        let mut first = TcpStream::connect(address).await.expect("connect");
        first.write_all(READY).await.expect("write");
        assert!(answer(&mut first, Duration::from_secs(5)).await.is_some());
        let mut second = TcpStream::connect(address).await.expect("connect");
        second.write_all(READY).await.expect("write");
        assert!(answer(&mut second, Duration::from_secs(5)).await.is_some());

        let mut third = TcpStream::connect(address)
            .await
            .expect("queued by the kernel");
        third.write_all(READY).await.expect("write");
        assert!(
            answer(&mut third, Duration::from_millis(500))
                .await
                .is_none(),
            "a third connection is served while two are open"
        );
        drop(first);
        let served = answer(&mut third, Duration::from_secs(5)).await;
        assert!(served.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
    }

    #[tokio::test]
    async fn shutdown_lets_the_request_in_flight_finish_and_stops() {
        let (address, stop) = server(HttpOptions::default()).await;
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream.write_all(READY).await.expect("write");
        assert!(answer(&mut stream, Duration::from_secs(5)).await.is_some());
        stop.send(()).expect("server running");
        // The idle kept-alive connection is closed, and nothing is accepted.
        assert!(
            until_closed(&mut stream, Duration::from_secs(5))
                .await
                .is_some()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            TcpStream::connect(address).await.is_err(),
            "still accepting"
        );
    }
}
