//! What the fuzz targets (fuzz/fuzz_targets/) run, shared with the corpus
//! regression test (tests/fuzz_corpus.rs) so a stable `cargo test` replays
//! every input the fuzzer kept through exactly the same checks.
//!
//! Both inputs here come from outside: a login token from any client, a
//! config file from an operator. Either must give a value or an error,
//! never a panic (a panic in a login would kill that connection's task; in
//! the config, the server at startup with a backtrace instead of a message).

use crate::config::FileConfig;
use crate::token::{self, Grant, TokenError};

/// The app the token target verifies against: the one the token test
/// vectors (src/token/testdata/) were made for, so the seeds from there get
/// past the signature check and the fuzzer reaches the expiry logic.
pub const TOKEN_APP_ID: &str = "970CA35de60c44645bbae8a215061b33";
/// That app's certificate.
pub const TOKEN_CERTIFICATE: &str = "5CFd2fd1755d40ecb72977518be15d3b";
/// The user the vectors' tokens log in.
pub const TOKEN_UID: &str = "test_user";

/// Login times to verify at: just after the two issue times the vectors use
/// (1111111 and 1700000000), so both the fixed and the extra vectors are
/// still valid at one of them and expired or valid at the other.
const NOWS: [u64; 2] = [1_111_112, 1_700_000_001];

/// Runs `bytes` as a login token through the full parse and verification
/// (006 or 007, chosen by its prefix, as a login does) for the fixed app and
/// user, and checks what a grant must mean.
///
/// Panics (that is the finding) if verification panics or a property fails.
pub fn token(bytes: &[u8]) {
    // A token reaches the server inside a decoded frame: always UTF-8.
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    for now in NOWS {
        let result = token::verify(text, TOKEN_APP_ID, TOKEN_CERTIFICATE, TOKEN_UID, now);
        if let Ok(grant) = result {
            check_grant(text, now, grant);
        }
    }
}

/// What an accepted token must also satisfy. Only runs for inputs that
/// carry a valid signature, so it costs nothing on the usual garbage.
fn check_grant(text: &str, now: u64, grant: Grant) {
    // "Expired from the second its privilege ends": a grant runs past now.
    if let Some(end) = grant.expires_at {
        assert!(now < end, "token granted at {now} although it ends at {end}");
    }
    // The signature binds the user and the certificate: the same token
    // must not log in anyone else, nor verify under another certificate.
    let other_user = format!("{TOKEN_UID}2");
    assert_eq!(
        token::verify(text, TOKEN_APP_ID, TOKEN_CERTIFICATE, &other_user, now),
        Err(TokenError::WrongUid),
        "a token for {TOKEN_UID:?} logs in {other_user:?}"
    );
    let other_certificate = TOKEN_CERTIFICATE.replace('5', "6");
    assert_eq!(
        token::verify(text, TOKEN_APP_ID, &other_certificate, TOKEN_UID, now),
        Err(TokenError::BadSignature),
        "a token verifies under another certificate"
    );
}

/// Runs `bytes` as a config file through everything `--config` does after
/// reading it: TOML parsing and the checks. Errors are fine; panics are not.
pub fn config(bytes: &[u8]) {
    // `--config` reads the file with read_to_string: non-UTF-8 never parses.
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    if let Ok(file) = FileConfig::parse(text) {
        // What the server derives from a file that passed the checks.
        assert!(file.limits.queue_bytes > 0 && file.limits.max_connections > 0);
    }
}
