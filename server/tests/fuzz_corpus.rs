//! The fuzz corpora (fuzz/corpus/<target>/) as regression tests on stable
//! Rust: every input the fuzzer kept runs once through the same function its
//! fuzz target calls (rtm_protocol::fuzzing, rtm_server::fuzzing), so a
//! crash the fuzzer once found, or any input that reached new code, is
//! checked by `npm test` without nightly or cargo-fuzz. How the corpora were
//! made: docs/security.md, "Fuzzing".

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// Runs `harness` on every file of fuzz/corpus/`target`, then fails naming
/// every input that panicked (not just the first: one bug often has many).
fn replay(target: &str, harness: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    // An empty or moved corpus would pass silently: it must not.
    assert!(!files.is_empty(), "no corpus inputs in {}", dir.display());
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| harness(&bytes))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{} of {} {target} inputs panicked: {failed:#?}", failed.len(), files.len());
}

#[test]
fn fuzz_corpus_frames() {
    replay("frames", rtm_protocol::fuzzing::frames);
}

#[test]
fn fuzz_corpus_token() {
    replay("token", rtm_server::fuzzing::token);
}

#[test]
fn fuzz_corpus_config() {
    replay("config", rtm_server::fuzzing::config);
}
