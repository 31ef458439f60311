//! The `blog` binary's settings: `blog config print` and the checks that
//! stop it before it serves. Each run has its own working directory and an
//! environment of its own (cleared, then set), so nothing of the test
//! process's environment leaks in.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "config-cli-4f1c9a7e2b6d4e0f8a3c5b7d9e1f2a4c";

fn blog(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blog"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `blog` to its end; one that still runs after a minute (a server
/// that should have refused to start) is killed and fails the test.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = blog(dir, args, env).spawn().expect("the blog binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("its status").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("killed");
            panic!("blog {args:?} did not stop: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_print_shows_sources_and_never_the_secrets() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("blog.toml"),
        "port = 4000\nshutdown_timeout_secs = 5\n",
    )
    .expect("blog.toml written");
    let output = run(
        dir.path(),
        &["config", "print"],
        &[
            ("JWT_SECRET", SECRET),
            (
                "DATABASE_URL",
                "postgres://blog:db-password-1@127.0.0.1/blog",
            ),
            ("SHUTDOWN_TIMEOUT_SECS", "7"),
        ],
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    for line in [
        format!(
            "jwt_secret = <redacted: {} chars> (environment JWT_SECRET)",
            SECRET.len()
        ),
        "database_url = \"postgres://blog:<redacted>@127.0.0.1/blog\" (environment DATABASE_URL)"
            .to_owned(),
        "port = 4000 (file blog.toml)".to_owned(),
        "shutdown_timeout_secs = 7 (environment SHUTDOWN_TIMEOUT_SECS)".to_owned(),
        "host = \"127.0.0.1\" (default)".to_owned(),
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line} in:\n{stdout}");
    }
    for secret in [SECRET, "db-password-1"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
    // Printing writes nothing: no generated secret, no database.
    assert!(!dir.path().join("data").exists());
}

#[test]
fn production_with_a_short_secret_refuses_to_start_naming_jwt_secret() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let env = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", "too-short"),
        ("PORT", "0"),
    ];
    for args in [&[][..], &["serve"], &["config", "print"]] {
        let output = run(dir.path(), args, &env);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "blog {args:?} started");
        assert!(
            stderr.contains(
                "`JWT_SECRET` (environment): 9 bytes long; \
                 production needs a random secret of at least 32 bytes"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains("too-short"), "{stderr}");
    }
    assert!(!dir.path().join("data").exists());
}

#[test]
fn production_without_a_secret_refuses_to_start() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("blog.toml"),
        "environment = \"production\"\n",
    )
    .expect("blog.toml written");
    let output = run(dir.path(), &["serve"], &[("PORT", "0")]);
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("`JWT_SECRET` (`jwt_secret` in the file) is not set and `environment` in blog.toml is `production`"),
        "{stderr}"
    );
    assert!(!dir.path().join("data/jwt_secret").exists());
}

#[test]
fn bad_settings_stop_the_server_before_it_logs() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (env, message) in [
        (
            &[("PORT", "abc")][..],
            "`PORT` (environment): `abc` is not a port number",
        ),
        (
            &[("LOG_FORMAT", "xml")],
            "`LOG_FORMAT` (environment): `xml` is not `text` or `json`",
        ),
        (
            &[("CONFIG_FILE", "absent.toml")],
            "`CONFIG_FILE` (environment): absent.toml does not exist",
        ),
    ] {
        let output = run(dir.path(), &[], env);
        assert!(!output.status.success());
        assert_eq!(text(&output.stderr).trim_end(), format!("blog: {message}"));
    }
}

#[test]
fn unknown_arguments_are_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = run(dir.path(), &["export", "schemas"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unrecognized subcommand 'schemas'"));
}
