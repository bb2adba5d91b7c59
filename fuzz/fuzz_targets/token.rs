//! Fuzzes 006/007 login tokens (rtm_server::token::verify).
//! The checks live in the crate so tests/fuzz_corpus.rs replays this corpus on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtm_server::fuzzing::token(data));
