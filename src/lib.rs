//! rtm-wasm
