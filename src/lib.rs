//! rtm-wasm: a drop-in, self-hostable replacement for the Agora RTM Web SDK 1.x.
//!
//! Layout:
//! - [`module`]: the `AgoraRTM` object and `createInstance`.
//! - [`client`]: the `RtmClient` class; [`channel`]: `RtmChannel`; [`presence`]:
//!   online status; [`attributes`]: user and channel attributes; [`invitation`]:
//!   `LocalInvitation` and `RemoteInvitation`; [`login`]: login, logout, reconnect.
//! - [`core`]: one client's state and what pushes and a lost link mean for it;
//!   channels, presence and invitations are [`core::Feature`]s with their own
//!   state, given to the core by the client; [`transport`]: its link, the
//!   requests waiting for replies, the order of pushes.
//! - [`link`]: the browser WebSocket (the only file that touches it).
//! - [`emitter`]: where each object's events go; the EventEmitter methods
//!   themselves are JS (`src/js/emitter.js`).
//! - [`message`], [`errors`], [`log`]: the JS shapes of messages, errors, logs;
//!   [`params`]: the module's `setParameter` / `getParameter`.
//! - [`state`], [`calls`]: pure logic (connection and invitation states),
//!   unit-tested natively.
//!
//! Typings are written by hand in `src/types.d.ts` (precise per-class event
//! maps) and shipped through a `typescript_custom_section`.
#![warn(missing_docs)]

pub mod attributes;
pub mod calls;
pub mod channel;
pub mod client;
pub mod core;
pub mod emitter;
pub mod errors;
pub mod ids;
pub mod invitation;
pub mod link;
pub mod log;
pub mod login;
pub mod message;
pub mod module;
pub mod params;
pub mod presence;
pub mod requests;
pub mod state;
pub mod table;
pub mod transport;

pub use client::RtmClient;
pub use module::{agora_rtm, create_instance, set_server_url};

/// The allocator in the browser: talc, smaller and faster than dlmalloc there.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");
