//! The `ferrocrud` binary on disk: a project rendered with `--framework-path`
//! into a temporary directory, then generators run in it. Building the
//! rendered project is `scripts/check-template.sh`'s work.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ferrocrud(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ferrocrud"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeds(dir: &Path, args: &[&str]) -> String {
    let output = ferrocrud(dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let output = ferrocrud(dir, args);
    assert!(
        !output.status.success(),
        "{args:?} should fail: {}",
        stdout(&output)
    );
    stderr(&output)
}

/// This checkout of the workspace.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the checkout")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn new_then_generate_service_and_command() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let framework = checkout();
    let framework = framework.to_str().expect("a UTF-8 path");
    let out = succeeds(tmp.path(), &["new", "demo", "--framework-path", framework]);
    assert!(out.contains("created"), "{out}");
    let demo = tmp.path().join("demo");
    let manifest = read(&demo.join("Cargo.toml"));
    assert!(manifest.contains("name = \"demo\""));
    assert!(
        manifest.contains(&format!(
            "ferrocrud = {{ path = \"{framework}/framework/core\""
        )),
        "{manifest}"
    );
    assert!(!demo.join(".cargo").exists());
    assert!(read(&demo.join("tests/support.rs")).contains("use demo::build;"));

    let out = succeeds(&demo.join("src"), &["generate", "service", "profile"]);
    assert!(
        out.contains("created src/services/profile/entity.rs"),
        "{out}"
    );
    let out = succeeds(&demo, &["generate", "cmd", "profile", "publish"]);
    assert!(
        out.contains("created src/services/profile/publish.rs"),
        "{out}"
    );
    assert!(read(&demo.join("src/shared.rs")).contains("pub struct ProfilePublishDto {"));
    assert!(
        read(&demo.join("src/lib.rs"))
            .contains("let app = services::profile::register(app, &db)?;")
    );

    let lib = read(&demo.join("src/lib.rs"));
    let out = succeeds(&demo, &["generate", "service", "profile"]);
    assert!(out.contains("nothing to do"), "{out}");
    let out = succeeds(&demo, &["generate", "cmd", "profile", "publish"]);
    assert!(out.contains("nothing to do"), "{out}");
    assert_eq!(read(&demo.join("src/lib.rs")), lib);

    let err = fails(&demo, &["generate", "service", "user"]);
    assert!(err.contains("`user` is the built-in user service"), "{err}");
    let err = fails(&demo, &["generate", "cmd", "post", "publish"]);
    assert!(err.contains("no service `post`"), "{err}");
    let err = fails(&demo, &["generate", "cmd", "profile", "create"]);
    assert!(err.contains("abilities read it as a CRUD action"), "{err}");
}

#[test]
fn new_refuses_an_existing_directory_and_bad_names() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(tmp.path().join("taken")).expect("a directory");
    let err = fails(tmp.path(), &["new", "taken"]);
    assert!(err.contains("already exists"), "{err}");
    let err = fails(tmp.path(), &["new", "serde"]);
    assert!(
        err.contains("the project depends on a crate of that name"),
        "{err}"
    );
    let err = fails(tmp.path(), &["new", "Demo"]);
    assert!(err.contains("invalid project name `Demo`"), "{err}");
    let err = fails(tmp.path(), &["new", "demo", "--framework-path", "."]);
    assert!(
        err.contains("is not a checkout of the ferrocrud workspace"),
        "{err}"
    );
    assert!(!tmp.path().join("demo").exists());
}

#[test]
fn new_without_a_framework_path_depends_by_version() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    succeeds(tmp.path(), &["new", "my-app", "--db", "postgres"]);
    let manifest = read(&tmp.path().join("my-app/Cargo.toml"));
    assert!(manifest.contains("name = \"my-app\""));
    assert!(manifest.contains(&format!(
        "ferrocrud = {{ version = \"{}\" }}",
        env!("CARGO_PKG_VERSION")
    )));
    let settings = read(&tmp.path().join("my-app/src/settings.rs"));
    assert!(settings.contains("postgres://postgres@localhost:5432/my_app"));
}

#[test]
fn generators_need_a_project() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let err = fails(tmp.path(), &["generate", "service", "profile"]);
    assert!(
        err.contains("not inside a project made by `ferrocrud new`"),
        "{err}"
    );
}
