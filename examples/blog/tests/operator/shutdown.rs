//! SIGTERM with requests in flight: the blog process answers every one of
//! them, then exits 0.
//!
//! 200 clients each open a connection and send a login at once; the logins
//! wait for the password hashing threads (or are refused 503 once its queue
//! is full). SIGTERM arrives while they wait. Every client must read a whole
//! HTTP answer (none is reset or closed unanswered), some of them after the
//! signal, and the process must exit with status 0.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use crate::support::{Database, free_port, on_each_backend};

const CLIENTS: usize = 200;

/// Sends one request on a new connection and reads the answer.
fn exchange(address: SocketAddr, request: &[u8]) -> Result<(String, Instant), String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(request)
        .map_err(|e| format!("write: {e}"))?;
    read_answer(&mut stream)
}

/// Reads an answer to the connection's end; answers its status line, or
/// what was wrong: an I/O error (a reset), no head, a short body.
fn read_answer(stream: &mut TcpStream) -> Result<(String, Instant), String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    let answered = Instant::now();
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no complete head in {} bytes", answer.len()))?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .ok_or_else(|| format!("no content-length in {head}"))?;
    if body.len() != length {
        return Err(format!("body of {} bytes, {length} announced", body.len()));
    }
    let status = head.lines().next().unwrap_or_default().to_owned();
    Ok((status, answered))
}

fn login_request(n: usize) -> Vec<u8> {
    let body = format!(r#"{{"email":"nobody-{n}@example.com","password":"wrong-password-{n}"}}"#);
    format!(
        "POST /crud/s/user/cmd/login HTTP/1.1\r\nHost: blog\r\nContent-Type: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Waits until the server answers readiness 200.
fn wait_until_ready(address: SocketAddr, blog: &mut Child) {
    let started = Instant::now();
    loop {
        let ready = b"GET /crud/health/ready HTTP/1.1\r\nHost: blog\r\nConnection: close\r\n\r\n";
        if let Ok((status, _)) = exchange(address, ready)
            && status.contains(" 200 ")
        {
            return;
        }
        if let Ok(Some(status)) = blog.try_wait() {
            panic!("the blog exited before it was ready: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the blog did not become ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn sigterm_answers_every_request_in_flight_and_exits_0() {
    on_each_backend(
        "sigterm_answers_every_request_in_flight_and_exits_0",
        |db| async move {
            tokio::task::spawn_blocking(move || sigterm_with_logins_in_flight(&db))
                .await
                .expect("the scenario ran");
        },
    )
    .await;
}

/// The scenario of the module documentation, on `db`.
fn sigterm_with_logins_in_flight(db: &Database) {
    let port = free_port();
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut blog = Command::new(env!("CARGO_BIN_EXE_blog"))
        .current_dir(db.dir.path())
        .env("PORT", port.to_string())
        .env("HOST", "127.0.0.1")
        .env("DATABASE_URL", &db.url)
        .env(
            "JWT_SECRET",
            "a test secret that is long enough to sign tokens",
        )
        .env("METRICS_ADDR", "off")
        .env("RUST_LOG", "warn,blog=info,ferrocrud::app=info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the blog starts");
    wait_until_ready(address, &mut blog);

    let sent = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let sent = Arc::clone(&sent);
            std::thread::spawn(move || {
                let request = login_request(n);
                let mut stream = match TcpStream::connect(address) {
                    Ok(stream) => stream,
                    Err(error) => {
                        sent.wait();
                        return Err(format!("connect: {error}"));
                    }
                };
                let written = stream.write_all(&request);
                sent.wait();
                written.map_err(|e| format!("write: {e}"))?;
                read_answer(&mut stream)
            })
        })
        .collect();
    sent.wait();
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &blog.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());

    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    let mut after_signal = 0;
    let mut failures = Vec::new();
    for client in clients {
        match client.join().expect("a client thread") {
            Ok((status, answered)) => {
                *statuses.entry(status).or_default() += 1;
                after_signal += usize::from(answered > signalled);
            }
            Err(error) => failures.push(error),
        }
    }
    let exit = {
        let started = Instant::now();
        loop {
            if let Some(status) = blog.try_wait().expect("the blog's status") {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = blog.kill();
                panic!("the blog did not exit within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    eprintln!("answers: {statuses:?}; {after_signal} after SIGTERM; failures: {failures:?}");
    assert!(
        failures.is_empty(),
        "requests without a whole answer: {failures:?}"
    );
    assert_eq!(statuses.values().sum::<usize>(), CLIENTS);
    assert!(
        after_signal > 0,
        "no request was still in flight at SIGTERM: the test proved nothing"
    );
    assert!(
        statuses.keys().any(|status| status.contains(" 401 ")),
        "some logins were checked: {statuses:?}"
    );
    assert!(exit.success(), "the blog exited with {exit}");
}
