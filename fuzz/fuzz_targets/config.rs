//! Fuzzes the TOML config file (rtm_server::config::FileConfig::parse).
//! The checks live in the crate so tests/fuzz_corpus.rs replays this corpus on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtm_server::fuzzing::config(data));
