//! Support for ferrocrud's end-to-end tests: the blog server, or the
//! [`fixture`] (the blog with more rules and commands), on a fresh database
//! and a loopback port, and a small client speaking eicrud's wire protocol
//! byte for byte (JSON texts in the query string, bearer tokens).
//! [`blog_test!`] and [`fixture_test!`] declare the tests; the server keeps
//! a handle to its user service for direct application calls.
//!
//! Every test body runs on SQLite, and on PostgreSQL when
//! `FERROCRUD_TEST_POSTGRES_URL` is set (see [`ferrocrud::storage::testing`]).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrocrud::storage::Db;
use ferrocrud::user::AccountService;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::watch;

pub use ferrocrud::storage::testing::run_db_test;

pub mod fixture;
pub mod logs;

/// The login throttle of test servers (see [`LoginThrottle::Short`]): short,
/// so that a test logging in twice as one user waits little in between.
pub const SHORT_LOGIN_THROTTLE: Duration = Duration::from_millis(30);

/// Runs `body` against a blog server on every configured backend, with the
/// [short login throttle](LoginThrottle::Short).
///
/// # Panics
///
/// When the body panics, or the server cannot start.
pub fn run_blog_test<F, Fut>(test_name: &str, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_server_test(test_name, ServerApp::Blog, LoginThrottle::Short, body);
}

/// Which application a [`TestServer`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerApp {
    /// The blog example as it ships.
    Blog,
    /// The blog with the [`fixture`] additions on service `post`.
    Fixture,
}

/// The login throttle a [`TestServer`] runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginThrottle {
    /// [`SHORT_LOGIN_THROTTLE`]: for every test but the throttle's own.
    Short,
    /// The user service's default (600 ms): for the tests of the throttle.
    Real,
    /// No throttle: for the tests of races between attempts on one
    /// identifier, which the throttle would otherwise turn away first.
    Off,
}

/// Runs `body` against a server of `app` on every configured backend.
///
/// The test's files (its servers' mailboxes) live in a temporary directory
/// removed when the test ends, passed or failed, once its servers are
/// stopped and its runtime is gone.
///
/// # Panics
///
/// When the body panics, or the server cannot start.
pub fn run_server_test<F, Fut>(test_name: &str, app: ServerApp, throttle: LoginThrottle, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Made out here so that it outlives `run_db_test`'s runtime: tasks the
    // servers spawned (mails sent after the answer) may write into it until
    // the runtime drops them.
    let scratch = Arc::new(Scratch::new(test_name));
    let name = test_name.to_owned();
    run_db_test(test_name, move |db| {
        let body = body.clone();
        let setup = Setup {
            test_name: name.clone(),
            app,
            throttle,
            scratch: Arc::clone(&scratch),
            stop: Arc::new(watch::Sender::new(false)),
        };
        async move {
            // Stops this backend's servers when the body ends, even by a panic.
            let _stop = StopOnDrop(Arc::clone(&setup.stop));
            let server = TestServer::start(db, setup).await;
            body(server).await;
        }
    });
    logs::check();
}

/// Runs `body` against a blog server on the database at `url`, one the test
/// owns (the outage test's private PostgreSQL), with the pool the blog makes
/// in production ([`Db::DEFAULT_POOL_SIZE`] connections), on a runtime of
/// two worker threads. The [short login throttle](LoginThrottle::Short)
/// applies.
///
/// # Panics
///
/// When the body panics, or the database or the server cannot start.
pub fn run_server_on_url<F, Fut>(test_name: &str, url: &str, body: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: Future<Output = ()>,
{
    let scratch = Arc::new(Scratch::new(test_name));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let db = Db::connect(url).await.expect("the test's database");
        let setup = Setup {
            test_name: test_name.to_owned(),
            app: ServerApp::Blog,
            throttle: LoginThrottle::Short,
            scratch,
            stop: Arc::new(watch::Sender::new(false)),
        };
        let _stop = StopOnDrop(Arc::clone(&setup.stop));
        let server = TestServer::start(db, setup).await;
        body(server).await;
    });
    logs::check();
}

/// Declares end-to-end tests that run on each backend against the blog.
///
/// ```ignore
/// blog_test!(async fn creates_a_post(server: TestServer) { ... });
/// ```
#[macro_export]
macro_rules! blog_test {
    ($(#[$meta:meta])* async fn $name:ident($server:ident : TestServer $(,)?) $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::run_blog_test(stringify!($name), |$server: $crate::TestServer| async move $body);
        }
    };
}

/// Declares end-to-end tests that run on each backend against the
/// [`fixture`] application (the blog with extra rules and commands).
///
/// ```ignore
/// fixture_test!(async fn pings(server: TestServer) { ... });
/// ```
#[macro_export]
macro_rules! fixture_test {
    ($(#[$meta:meta])* async fn $name:ident($server:ident : TestServer $(,)?) $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            $crate::run_server_test(
                stringify!($name),
                $crate::ServerApp::Fixture,
                $crate::LoginThrottle::Short,
                |$server: $crate::TestServer| async move $body,
            );
        }
    };
}

/// Moderator account seeded in every test server.
pub const MODERATOR: (&str, &str) = ("moderator@blog.test", "moderator-pass-1");

/// A blog server listening on a loopback port, on its own database.
#[derive(Debug, Clone)]
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The server's mailbox file.
    pub mail_log: PathBuf,
    /// The server's user service, for direct application calls (its
    /// `crud()`, its token `keys()`).
    pub users: AccountService,
    /// The server's database, for reading rows directly.
    pub db: Db,
    /// The application being served, for calling its services directly.
    pub app: ferrocrud::app::App,
    /// `http://127.0.0.1:<port>/metrics`: the application's metrics.
    pub metrics_url: String,
    http: reqwest::Client,
    setup: Setup,
}

/// How a test's servers are made, and what they share.
#[derive(Debug, Clone)]
struct Setup {
    test_name: String,
    app: ServerApp,
    throttle: LoginThrottle,
    scratch: Arc<Scratch>,
    /// Set to `true` to stop every server of the test on this backend.
    stop: Arc<watch::Sender<bool>>,
}

/// A test's temporary directory, removed when dropped.
#[derive(Debug)]
struct Scratch {
    dir: tempfile::TempDir,
    mailboxes: AtomicUsize,
}

impl Scratch {
    fn new(test_name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("ferrocrud-e2e-{test_name}-"))
            .tempdir()
            .expect("test directory");
        Self {
            dir,
            mailboxes: AtomicUsize::new(0),
        }
    }

    /// A mailbox file of its own for a new server.
    fn mail_log(&self) -> PathBuf {
        let n = self.mailboxes.fetch_add(1, Ordering::Relaxed);
        self.dir.path().join(format!("mail-{n}.jsonl"))
    }
}

/// Stops a test's servers when dropped.
struct StopOnDrop(Arc<watch::Sender<bool>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.send_replace(true);
    }
}

impl TestServer {
    /// Starts the application of `setup` on `db`, with the [`MODERATOR`]
    /// account seeded.
    ///
    /// # Panics
    ///
    /// If the application cannot be built or the port cannot be bound.
    async fn start(db: Db, setup: Setup) -> Self {
        // Captures the logs of every test from the first server on.
        let _ = logs::path();
        let mail_log = setup.scratch.mail_log();
        let settings = blog::settings::Settings {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: String::new(),
            database_pool_size: 10,
            jwt_secret: format!("e2e secret {}", setup.test_name),
            mail_log: mail_log.clone(),
            seeds: vec![(MODERATOR.0.into(), MODERATOR.1.into(), "moderator".into())],
            login_throttle: match setup.throttle {
                LoginThrottle::Short => Some(SHORT_LOGIN_THROTTLE),
                LoginThrottle::Real => None,
                LoginThrottle::Off => Some(Duration::ZERO),
            },
            // Every test server records metrics, served on a port of its own.
            metrics_addr: Some(([127, 0, 0, 1], 0).into()),
            ..blog::settings::Settings::in_memory(String::new())
        };
        let app = match setup.app {
            ServerApp::Blog => blog::build_on(db.clone(), &settings)
                .await
                .expect("blog app"),
            ServerApp::Fixture => fixture::build_on(db.clone(), &settings)
                .await
                .expect("fixture app"),
        };
        let users = app.users().expect("a user service").clone();
        let metrics = app.metrics().expect("metrics").clone();
        let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback port");
        let metrics_url = format!(
            "http://{}/metrics",
            metrics_listener.local_addr().expect("address")
        );
        tokio::spawn(metrics.serve(metrics_listener));
        let served = app.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let mut stop = setup.stop.subscribe();
        tokio::spawn(async move {
            let _ = served
                .serve(listener, async move {
                    // An error means the sender is gone: stop as well.
                    let _ = stop.wait_for(|stop| *stop).await;
                })
                .await;
        });
        Self {
            url,
            mail_log,
            users,
            db,
            app,
            metrics_url,
            http: reqwest::Client::new(),
            setup,
        }
    }

    /// A second server of the same application on the same database, with
    /// its own port and mailbox, as another instance behind a load balancer.
    /// It stops with the test.
    ///
    /// # Panics
    ///
    /// If the application cannot be built or the port cannot be bound.
    pub async fn another_instance(&self) -> Self {
        Self::start(self.db.clone(), self.setup.clone()).await
    }

    /// Waits out this server's login throttle: after it, the next login on
    /// an identifier already tried is not refused as too early (425).
    pub async fn after_login_throttle(&self) {
        tokio::time::sleep(self.users.options().min_time_between_login_attempts).await;
    }

    /// Sends a request as `@eicrud/client` does: `query` and `options` as
    /// JSON texts in the query string, the body as JSON.
    ///
    /// # Panics
    ///
    /// If the server does not answer.
    pub async fn send(&self, request: Request<'_>) -> Answer {
        send_to(&self.http, &self.url, request).await
    }

    /// Runs a command (`POST` = secure mode, `PATCH` = normal mode).
    pub async fn cmd(
        &self,
        method: Method,
        service: &str,
        cmd: &str,
        dto: Value,
        token: Option<&str>,
    ) -> Answer {
        self.send(
            Request::new(method, &format!("/crud/s/{service}/cmd/{cmd}"))
                .body(dto)
                .token(token),
        )
        .await
    }

    /// Creates a `user` account and answers its id.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub async fn create_account(&self, email: &str, password: &str) -> String {
        let dto = serde_json::json!({"email": email, "password": password, "role": "user"});
        let answer = self
            .cmd(Method::POST, "user", "create_account", dto, None)
            .await;
        assert_eq!(answer.status, 201, "create_account: {}", answer.text);
        answer.json()["userId"].as_str().expect("userId").to_owned()
    }

    /// Logs in and answers the access token.
    ///
    /// # Panics
    ///
    /// If the server refuses.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let dto = serde_json::json!({"email": email, "password": password});
        let answer = self.cmd(Method::PATCH, "user", "login", dto, None).await;
        assert_eq!(answer.status, 200, "login: {}", answer.text);
        answer.json()["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned()
    }

    /// A new account, logged in: (user id, token).
    pub async fn user(&self, email: &str) -> (String, String) {
        let password = "pass-word-123";
        let id = self.create_account(email, password).await;
        let token = self.login(email, password).await;
        (id, token)
    }

    /// Sets fields of a user's row directly through the user service's
    /// CRUD (no validation, no authorization), as application code may.
    ///
    /// # Panics
    ///
    /// If the user does not exist or the update fails.
    pub async fn set_user_fields(&self, user_id: &str, data: Value) {
        let query = serde_json::json!({ "id": user_id });
        let ctx = ferrocrud::CrudContext::internal_for::<ferrocrud::shared::user::UserService>(
            ferrocrud::context::Verb::Patch,
        );
        let answer = self
            .users
            .crud()
            .patch_one(object(query), object(data), &ctx)
            .await
            .expect("user updated");
        assert_eq!(answer.count, 1, "one user updated");
    }

    /// A token for `user_id` signed with the server's keys, valid for
    /// `lifetime_secs` (negative: already expired).
    ///
    /// # Panics
    ///
    /// If signing fails.
    pub fn token_for(&self, user_id: &str, rvkd: Option<i64>, lifetime_secs: i64) -> String {
        self.users
            .keys()
            .issue(user_id, rvkd, lifetime_secs, None)
            .expect("signed token")
            .0
    }

    /// The mailbox's lines.
    pub fn mails(&self) -> Vec<Value> {
        let mails: Vec<Value> = std::fs::read_to_string(&self.mail_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        mails.iter().for_each(logs::note_secrets_in);
        mails
    }
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not a JSON object: {other}"),
    }
}

/// Sends a request to the server at `base_url` (`http://127.0.0.1:<port>`)
/// as `@eicrud/client` does: `query` and `options` as JSON texts in the
/// query string, the body as JSON. [`TestServer::send`] for the test's
/// own servers; this for an application a test serves itself
/// ([`serve_app`]).
///
/// # Panics
///
/// If the server does not answer.
pub async fn send_to(http: &reqwest::Client, base_url: &str, request: Request<'_>) -> Answer {
    let mut url = reqwest::Url::parse(&format!("{base_url}{}", request.path)).expect("url");
    {
        let mut pairs = url.query_pairs_mut();
        if let Some(options) = &request.options {
            pairs.append_pair("options", &options.to_string());
        }
        if let Some(query) = &request.query {
            pairs.append_pair("query", &query.to_string());
        }
    }
    if url.query() == Some("") {
        url.set_query(None);
    }
    if let Some(body) = &request.body {
        logs::note_secrets_in(body);
    }
    let mut builder = http.request(request.method, url);
    if let Some(token) = request.token {
        logs::note_secret(token);
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in request.headers {
        builder = builder.header(*name, value.as_str());
    }
    if let Some(body) = &request.body {
        builder = builder
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    if let Some((content_type, body)) = request.raw_body {
        if !content_type.is_empty() {
            builder = builder.header("content-type", content_type);
        }
        builder = builder.body(body);
    }
    let response = builder.send().await.expect("server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("answer body");
    if let Ok(answer) = serde_json::from_str::<Value>(&text) {
        logs::note_secrets_in(&answer);
    }
    for cookie in headers.get_all(reqwest::header::SET_COOKIE) {
        let value = cookie.to_str().unwrap_or_default();
        let value = value.split(';').next().unwrap_or_default();
        if let Some((_, value)) = value.split_once('=') {
            logs::note_secret(value);
        }
    }
    Answer {
        status,
        headers,
        text,
    }
}

/// Serves `app` on a loopback port: answers its base URL and a sender that
/// stops it.
///
/// # Panics
///
/// If no port can be bound.
pub async fn serve_app(app: ferrocrud::app::App) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(listener, async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

/// A request to send with [`TestServer::send`].
#[derive(Debug)]
#[must_use]
pub struct Request<'a> {
    method: Method,
    path: String,
    query: Option<Value>,
    options: Option<Value>,
    body: Option<Value>,
    raw_body: Option<(&'a str, String)>,
    token: Option<&'a str>,
    headers: &'a [(&'a str, String)],
}

impl<'a> Request<'a> {
    /// `method` on `path` (e.g. `/crud/s/post/one`).
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            query: None,
            options: None,
            body: None,
            raw_body: None,
            token: None,
            headers: &[],
        }
    }

    /// A CRUD route: `method /crud/s/{service}/{op}`.
    pub fn crud(method: Method, service: &str, op: &str) -> Self {
        Self::new(method, &format!("/crud/s/{service}/{op}"))
    }

    /// The `query` parameter.
    pub fn query(mut self, query: Value) -> Self {
        self.query = Some(query);
        self
    }

    /// The `options` parameter.
    pub fn options(mut self, options: Value) -> Self {
        self.options = Some(options);
        self
    }

    /// The JSON body.
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// A body as it is, sent with that `Content-Type` (none when empty).
    pub fn raw_body(mut self, content_type: &'a str, body: impl Into<String>) -> Self {
        self.raw_body = Some((content_type, body.into()));
        self
    }

    /// A bearer token.
    pub fn token(mut self, token: Option<&'a str>) -> Self {
        self.token = token;
        self
    }

    /// Extra headers.
    pub fn headers(mut self, headers: &'a [(&'a str, String)]) -> Self {
        self.headers = headers;
        self
    }
}

/// An answer: status, headers and body text.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub text: String,
}

impl Answer {
    /// The body as JSON.
    ///
    /// # Panics
    ///
    /// If the body is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The top-level `code` of an error body.
    pub fn code(&self) -> Option<u64> {
        self.json().get("code").and_then(Value::as_u64)
    }

    /// The `message` of an error body.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The JSON inside the `message` of an eicrud coded error.
    pub fn inner(&self) -> Value {
        serde_json::from_str(&self.message()).unwrap_or(Value::Null)
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
