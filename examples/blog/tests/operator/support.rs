//! Running the blog binary on a database of the test's own.

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ferrocrud::storage::Db;
use ferrocrud::storage::testing::{BACKENDS_ENV, POSTGRES_URL_ENV, TestDb};

/// The blog's migrations, in order.
pub(crate) const MIGRATIONS: [&str; 4] = [
    "m20261207_000001_ferrocrud_command_usage",
    "m20261207_000002_ferrocrud_user",
    "m20261207_120000_blog_tables",
    "m20261207_130000_user_website",
];

/// Longest wait for a server to answer ready: a deadline, not a timing check.
const READY_DEADLINE: Duration = Duration::from_secs(120);

/// A database for one test: its URL and a directory for the blog's files.
#[derive(Debug)]
pub(crate) struct Database {
    /// `sqlite://…` or `postgres://…`.
    pub(crate) url: String,
    /// The blog's working directory (and the SQLite file's).
    pub(crate) dir: tempfile::TempDir,
}

impl Database {
    /// A connection, for looking at the database directly.
    pub(crate) async fn connect(&self) -> Db {
        Db::connect_with_pool_size(&self.url, 2)
            .await
            .expect("the test's database")
    }

    /// Runs `blog ARGS` to its end.
    pub(crate) fn blog(&self, args: &[&str]) -> Output {
        self.command(args, 0)
            .output()
            .expect("the blog binary runs")
    }

    /// Starts the blog server on `port`, logging to a file of the test's
    /// directory.
    pub(crate) fn serve(&self, port: u16) -> Server {
        let log = self.dir.path().join(format!("server-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = self
            .command(&[], port)
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("the blog server starts");
        Server { child, port, log }
    }

    fn command(&self, args: &[&str], port: u16) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_blog"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("DATABASE_URL", &self.url)
            .env("DATABASE_POOL_SIZE", "4")
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            // Two servers run at once: neither binds the default metrics port.
            .env("METRICS_ADDR", "off")
            .env("JWT_SECRET", "blog integration test secret")
            .env("MAIL_LOG", self.dir.path().join("mail.jsonl"))
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("SEED_MOD_EMAIL")
            .env_remove("SEED_ADMIN_EMAIL");
        command
    }
}

/// A blog server process, killed when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    log: PathBuf,
}

impl Server {
    /// What the server logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("process state").is_none()
    }

    /// Waits until `GET /crud/health/ready` answers 200, and answers its body.
    ///
    /// # Panics
    ///
    /// When the process ends first, or past [`READY_DEADLINE`].
    pub(crate) async fn ready(&mut self) -> String {
        let start = Instant::now();
        loop {
            if let Some((200, body)) = get(self.port, "/crud/health/ready") {
                return body;
            }
            assert!(
                self.is_running(),
                "the server on port {} stopped:\n{}",
                self.port,
                self.log()
            );
            assert!(
                start.elapsed() < READY_DEADLINE,
                "the server on port {} is not ready:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Server {
    /// Waits until the process ends (a refused start), and answers what it
    /// logged.
    ///
    /// # Panics
    ///
    /// When it is still running past [`READY_DEADLINE`], or ended with
    /// success.
    pub(crate) async fn wait_for_exit(&mut self) -> String {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("process state") {
                assert!(!status.success(), "the server ended well:\n{}", self.log());
                return self.log();
            }
            assert!(
                start.elapsed() < READY_DEADLINE,
                "the server on port {} still runs:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// A port free on 127.0.0.1 a moment ago.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port")
        .port()
}

/// `GET path` on 127.0.0.1:`port`: the status and body, `None` when nothing
/// answers.
pub(crate) fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// The standard output of a run that succeeded, as lines.
///
/// # Panics
///
/// When the run failed.
pub(crate) fn lines(output: &Output) -> Vec<String> {
    assert!(
        output.status.success(),
        "blog failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The standard error of a run that failed.
///
/// # Panics
///
/// When the run succeeded.
pub(crate) fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "blog succeeded: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn enabled(backend: &str) -> bool {
    match std::env::var(BACKENDS_ENV) {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .any(|b| b.trim().eq_ignore_ascii_case(backend)),
        _ => true,
    }
}

/// Runs `body` on a SQLite file, then on a fresh PostgreSQL database when
/// [`POSTGRES_URL_ENV`] is set (the database is dropped after, passed or
/// failed). [`BACKENDS_ENV`] limits the backends, as for every database test.
pub(crate) async fn on_each_backend<F, Fut>(test_name: &str, body: F)
where
    F: Fn(Database) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if enabled("sqlite") {
        let dir = scratch(test_name);
        let url = format!("sqlite://{}", dir.path().join("blog.sqlite").display());
        body(Database { url, dir }).await;
    }
    if enabled("postgres") {
        on_postgres(test_name, body).await;
    }
}

/// Runs `body` on a fresh PostgreSQL database when [`POSTGRES_URL_ENV`] is
/// set, and says so on standard error when it is not.
pub(crate) async fn on_postgres<F, Fut>(test_name: &str, body: F)
where
    F: FnOnce(Database) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(pg) = TestDb::postgres(test_name).await else {
        eprintln!("{test_name}: skipped on PostgreSQL: {POSTGRES_URL_ENV} is not set");
        return;
    };
    let admin = std::env::var(POSTGRES_URL_ENV).expect("set, since the database was made");
    let database = Database {
        url: database_url(&admin, pg.name()),
        dir: scratch(test_name),
    };
    let outcome = tokio::spawn(body(database)).await;
    pg.cleanup().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// `url` (a PostgreSQL URL) naming database `name` instead of its own.
fn database_url(url: &str, name: &str) -> String {
    let (url, params) = url.split_once('?').map_or((url, ""), |(u, p)| (u, p));
    let authority = url.find("://").map_or(0, |at| at + 3);
    let base = match url[authority..].find('/') {
        Some(slash) => &url[..authority + slash],
        None => url,
    };
    if params.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{params}")
    }
}

fn scratch(test_name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("blog-{test_name}-"))
        .tempdir()
        .expect("test directory")
}

#[test]
fn database_urls_name_the_test_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        database_url("postgres://u:p@host/db?sslmode=disable", "t2"),
        "postgres://u:p@host/t2?sslmode=disable"
    );
    assert_eq!(database_url("postgres://host", "t3"), "postgres://host/t3");
}
