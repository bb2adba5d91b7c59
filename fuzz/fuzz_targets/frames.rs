//! Fuzzes client and server frames (rtm_protocol::decode, decode_prefix).
//! The checks live in the crate so tests/fuzz_corpus.rs replays this corpus on stable.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rtm_protocol::fuzzing::frames(data));
