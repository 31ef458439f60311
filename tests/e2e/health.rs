//! `/crud/health/live` and `/crud/health/ready`: readiness follows the
//! database, through a TCP proxy the test cuts and restores.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ferrocrud::migration::Migrations;
use ferrocrud::storage::testing::{POSTGRES_URL_ENV, TestDb};
use ferrocrud_tests::{Request, TestServer, blog_test, fixture_test, run_server_on_url};
use reqwest::Method;
use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use serde_json::{Value, json};

/// Readiness must turn 503 within this of the database going away.
const DOWN_WITHIN: Duration = Duration::from_secs(2);

/// Readiness must turn 200 within this of the database's return.
const UP_WITHIN: Duration = Duration::from_secs(5);

async fn ready(server: &TestServer) -> (u16, Value) {
    let answer = server
        .send(Request::new(Method::GET, "/crud/health/ready"))
        .await;
    (answer.status, answer.json())
}

/// Polls readiness until it answers `status`; answers how long that took.
async fn wait_for(server: &TestServer, status: u16, within: Duration) -> (Duration, Value) {
    let start = Instant::now();
    loop {
        let (now, body) = ready(server).await;
        if now == status {
            return (start.elapsed(), body);
        }
        assert!(
            start.elapsed() < within,
            "readiness still {now} after {within:?}, not {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

blog_test!(
    async fn live_and_ready_answer_with_their_checks(server: TestServer) {
        let live = server
            .send(Request::new(Method::GET, "/crud/health/live"))
            .await;
        assert_eq!((live.status, live.json()), (200, json!({"status": "live"})));
        let (status, body) = ready(&server).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ready");
        assert_eq!(body["checks"]["database"], "ok");
        assert_eq!(body["checks"]["server"], "ok");
        // eicrud's readiness keeps its meaning.
        let rdy = server.send(Request::new(Method::GET, "/crud/rdy")).await;
        assert_eq!(rdy.text, "true");
    }
);

blog_test!(
    async fn readiness_compares_the_applied_migrations_with_the_code(server: TestServer) {
        let (status, body) = ready(&server).await;
        assert_eq!(
            (status, &body["checks"]["schema"]),
            (200, &json!("ok")),
            "{body}"
        );

        // A migration rolled back under the running server: behind.
        let migrations = Migrations::of(blog::migration::Migrator);
        migrations.down(&server.db, 1).await.expect("rolled back");
        let (status, body) = ready(&server).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["checks"]["schema"], "behind");
        assert_eq!(body["checks"]["database"], "ok");
        migrations.up(&server.db).await.expect("applied again");
        assert_eq!(ready(&server).await.0, 200);

        // A migration of a newer build recorded: ahead.
        let newer = "m20991231_000000_from_a_newer_build";
        let record = Query::insert()
            .into_table("seaql_migrations")
            .columns(["version", "applied_at"])
            .values_panic([newer.into(), 0i64.into()])
            .to_owned();
        server.db.execute(&record).await.expect("recorded");
        let (status, body) = ready(&server).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["checks"]["schema"], "ahead");
        let forget = Query::delete()
            .from_table("seaql_migrations")
            .and_where(Expr::col("version").eq(newer))
            .to_owned();
        server.db.execute(&forget).await.expect("forgotten");
        assert_eq!(ready(&server).await.0, 200);
    }
);

fixture_test!(
    async fn without_a_migrator_readiness_has_no_schema_check(server: TestServer) {
        let (status, body) = ready(&server).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["checks"].get("schema"), None, "{body}");
    }
);

/// A TCP proxy to one upstream address, on its own threads (so that it
/// outlives any runtime), which the test cuts and restores: while cut, it
/// resets every connection it holds and every new one.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let addr = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (accept_up, accept_open) = (Arc::clone(&up), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !accept_up.load(Ordering::Acquire) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let mut held = accept_open.lock().unwrap_or_else(PoisonError::into_inner);
                for stream in [&client, &server] {
                    if let Ok(clone) = stream.try_clone() {
                        held.push(clone);
                    }
                }
                drop(held);
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        Proxy { addr, up, open }
    }

    /// Resets every connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::Release);
        let mut held = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        for stream in held.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Lets connections through again.
    fn restore(&self) {
        self.up.store(true, Ordering::Release);
    }
}

/// Copies `from` to `to` on a thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _: io::Result<()> = from.shutdown(Shutdown::Both);
    });
}

#[test]
fn readiness_follows_the_database_through_a_cut_proxy() {
    let test_name = "readiness_follows_the_database";
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(database) = setup.block_on(TestDb::postgres(test_name)) else {
        eprintln!("{POSTGRES_URL_ENV} not set: readiness through a proxy runs on PostgreSQL only");
        return;
    };
    let admin_url = std::env::var(POSTGRES_URL_ENV).expect("set, since the database exists");
    let mut url = reqwest::Url::parse(&admin_url).expect("a PostgreSQL URL");
    let upstream = (
        url.host_str().unwrap_or("127.0.0.1").to_owned(),
        url.port().unwrap_or(5432),
    );
    let upstream: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&upstream)
        .expect("the PostgreSQL address")
        .next()
        .expect("an address");
    let proxy = Proxy::start(upstream);
    url.set_host(Some("127.0.0.1")).expect("host");
    url.set_port(Some(proxy.addr.port())).expect("port");
    url.set_path(&format!("/{}", database.name()));

    run_server_on_url(test_name, url.as_str(), |server| async move {
        let (_, body) = wait_for(&server, 200, UP_WITHIN).await;
        assert_eq!(body["checks"]["userListener"], "ok", "{body}");

        proxy.cut();
        let (took, body) = wait_for(&server, 503, DOWN_WITHIN).await;
        assert_eq!(body["status"], "unavailable", "{body}");
        assert_ne!(body["checks"]["database"], "ok", "{body}");
        eprintln!("readiness 503 {took:?} after the cut: {body}");
        // Liveness does no I/O: it still answers.
        let live = server
            .send(Request::new(Method::GET, "/crud/health/live"))
            .await;
        assert_eq!(live.status, 200);

        proxy.restore();
        let (took, body) = wait_for(&server, 200, UP_WITHIN).await;
        eprintln!("readiness 200 {took:?} after the return: {body}");
    });
    setup.block_on(database.cleanup());
}
