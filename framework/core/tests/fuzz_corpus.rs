//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! fuzz harnesses, so that every `cargo test` checks the inputs the fuzzers
//! were seeded with and the ones they found.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use ferrocrud::fuzzing::TARGETS;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// The names of the entries of `dir`, sorted; every one must be a `kind`.
fn entries(dir: &Path, is_dir: bool) -> Vec<String> {
    let read = fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    let mut names: Vec<String> = read
        .map(|entry| {
            let entry = entry.unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
            let path = entry.path();
            assert_eq!(
                path.is_dir(),
                is_dir,
                "{} is not a {}",
                path.display(),
                if is_dir { "directory" } else { "file" }
            );
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_target_has_a_corpus_and_every_corpus_a_target() {
    let dirs = entries(&corpus_root(), true);
    let mut targets: Vec<String> = TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    targets.sort();
    assert_eq!(dirs, targets);
}

#[test]
fn corpus_replays_without_a_failure() {
    let root = corpus_root();
    let mut failures = Vec::new();
    for (name, harness) in TARGETS {
        let dir = root.join(name);
        let files = entries(&dir, false);
        assert!(!files.is_empty(), "the corpus of {name} is empty");
        for file in &files {
            let path = dir.join(file);
            let data = fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
        eprintln!("{name}: {} inputs replayed", files.len());
    }
    assert!(failures.is_empty(), "harnesses failed on {failures:#?}");
}
