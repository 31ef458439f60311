//! The binary's settings: `config print` and the checks that stop the
//! server before it serves. Each run has its own working directory and an
//! environment of its own, so nothing of the test process's leaks in.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ferrocrud_app::settings::CONFIG_FILE;

/// The binary under test.
const BINARY: &str = env!("CARGO_BIN_EXE_ferrocrud-app");

const SECRET: &str = "template-config-0b7c2e9f4a1d6c3e8b5a7f2d9c4e1b6a";

/// Runs the binary to its end; one that still runs after a minute (a
/// server that should have refused to start) is killed and fails the test.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("its status").is_none() {
        if Instant::now() > deadline {
            child.kill().expect("killed");
            panic!("{args:?} did not stop: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_print_shows_sources_and_never_the_secret() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join(CONFIG_FILE), "port = 4000\n").expect("settings file written");
    let output = run(dir.path(), &["config", "print"], &[("JWT_SECRET", SECRET)]);
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stderr}");
    for line in [
        format!(
            "jwt_secret = <redacted: {} chars> (environment JWT_SECRET)",
            SECRET.len()
        ),
        format!("port = 4000 (file {CONFIG_FILE})"),
        "host = \"127.0.0.1\" (default)".to_owned(),
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line} in:\n{stdout}");
    }
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
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
        assert!(!output.status.success(), "{args:?} started");
        assert!(
            stderr.contains(
                "`JWT_SECRET` (environment): 9 bytes long; \
                 production needs a random secret of at least 32 bytes"
            ),
            "{stderr}"
        );
    }
    assert!(!dir.path().join("data").exists());
}
