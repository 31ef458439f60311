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

use ferrocrud::storage::Db;
use ferrocrud::user::CrudUserService;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub use ferrocrud::storage::testing::run_db_test;

pub mod fixture;

/// Runs `body` against a blog server on every configured backend.
///
/// # Panics
///
/// When the body panics, or the server cannot start.
pub fn run_blog_test<F, Fut>(test_name: &str, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    run_server_test(test_name, ServerApp::Blog, body);
}

/// Which application a [`TestServer`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerApp {
    /// The blog example as it ships.
    Blog,
    /// The blog with the [`fixture`] additions on service `post`.
    Fixture,
}

/// Runs `body` against a server of `app` on every configured backend.
///
/// # Panics
///
/// When the body panics, or the server cannot start.
pub fn run_server_test<F, Fut>(test_name: &str, app: ServerApp, body: F)
where
    F: Fn(TestServer) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = test_name.to_owned();
    run_db_test(test_name, move |db| {
        let body = body.clone();
        let name = name.clone();
        async move {
            let server = TestServer::start_app(db, &name, app).await;
            let stopper = server.clone_handle();
            body(server).await;
            stopper.stop();
        }
    });
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
    pub users: CrudUserService,
    /// The server's database, for reading rows directly.
    pub db: Db,
    /// The application being served, for calling its services directly.
    pub app: ferrocrud::app::App,
    http: reqwest::Client,
    shutdown: std::sync::Arc<tokio::sync::Notify>,
}

/// Stops a [`TestServer`].
#[derive(Debug)]
pub struct Stopper(std::sync::Arc<tokio::sync::Notify>);

impl Stopper {
    /// Asks the server to stop.
    pub fn stop(self) {
        self.0.notify_one();
    }
}

impl TestServer {
    /// Starts the blog on `db`.
    ///
    /// # Panics
    ///
    /// If the blog cannot be built or the port cannot be bound.
    pub async fn start(db: Db, test_name: &str) -> Self {
        Self::start_app(db, test_name, ServerApp::Blog).await
    }

    /// Starts `app` on `db`, with the [`MODERATOR`] account seeded.
    ///
    /// # Panics
    ///
    /// If the application cannot be built or the port cannot be bound.
    pub async fn start_app(db: Db, test_name: &str, app: ServerApp) -> Self {
        let dir = std::env::temp_dir().join(format!("ferrocrud-e2e-{test_name}-{}", rand_suffix()));
        std::fs::create_dir_all(&dir).expect("test directory");
        let mail_log = dir.join("mail.jsonl");
        let settings = blog::settings::Settings {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: String::new(),
            database_pool_size: 10,
            jwt_secret: format!("e2e secret {test_name}"),
            mail_log: mail_log.clone(),
            seeds: vec![(MODERATOR.0.into(), MODERATOR.1.into(), "moderator".into())],
        };
        let app = match app {
            ServerApp::Blog => blog::build_on(db.clone(), &settings)
                .await
                .expect("blog app"),
            ServerApp::Fixture => fixture::build_on(db.clone(), &settings)
                .await
                .expect("fixture app"),
        };
        let users = app.users().expect("a user service").clone();
        let served = app.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let shutdown = std::sync::Arc::new(tokio::sync::Notify::new());
        let signal = std::sync::Arc::clone(&shutdown);
        tokio::spawn(async move {
            let _ = served
                .serve(listener, async move { signal.notified().await })
                .await;
        });
        Self {
            url,
            mail_log,
            users,
            db,
            app,
            http: reqwest::Client::new(),
            shutdown,
        }
    }

    /// A handle that stops this server.
    pub fn clone_handle(&self) -> Stopper {
        Stopper(std::sync::Arc::clone(&self.shutdown))
    }

    /// Sends a request as `@eicrud/client` does: `query` and `options` as
    /// JSON texts in the query string, the body as JSON.
    ///
    /// # Panics
    ///
    /// If the server does not answer.
    pub async fn send(&self, request: Request<'_>) -> Answer {
        let mut url = reqwest::Url::parse(&format!("{}{}", self.url, request.path)).expect("url");
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
        let mut builder = self.http.request(request.method, url);
        if let Some(token) = request.token {
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
        let response = builder.send().await.expect("server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("answer body");
        Answer {
            status,
            headers,
            text,
        }
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
        std::fs::read_to_string(&self.mail_log)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not a JSON object: {other}"),
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
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
