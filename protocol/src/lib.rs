//! The wire protocol shared by the rtm-wasm browser SDK and rtm-server.
//!
//! Layout:
//! - [`frames`]: what travels over the WebSocket — requests, replies and pushes.
//! - [`codec`]: how frames become bytes (postcard; append-only evolution).
//! - [`codes`]: Agora's numeric error codes, one enum per operation family, and the
//!   connection states and reasons; [`families`]: per operation, the codes a client
//!   gives a lost connection, a timeout and "not logged in".
//! - [`limits`]: sizes, rates and id rules that both sides enforce.
//! - [`rate`]: the sliding-window limiter both sides use for those rates.
//! - [`order`], [`backoff`], [`session`]: what every client (the browser SDK,
//!   the native rtm-client) does alike: keep pushes in sequence, space
//!   reconnects, read the replies that establish a session.
//!
//! This crate has no runtime dependencies beyond serde: it compiles for
//! `wasm32-unknown-unknown` and natively, and is tested natively.
#![warn(missing_docs)]

pub mod backoff;
pub mod codec;
pub mod codes;
pub mod families;
pub mod frames;
#[doc(hidden)]
pub mod fuzzing;
pub mod limits;
pub mod order;
pub mod rate;
pub mod session;

pub use codec::{decode, decode_prefix, encode, push_frame, DecodeError};
pub use codes::{ConnectionChangeReason, ConnectionState, ErrorKind, OpError, PeerState};
pub use frames::{
    AttrOp, ChannelAttr, ClientFrame, ErrorReply, InvitationUpdate, Payload, Push, Reply, Request,
    ServerFrame,
};
pub use limits::AttrLimits;

/// The WebSocket subprotocol of this protocol version. Clients offer it in
/// `Sec-WebSocket-Protocol`; the server accepts only versions it speaks.
pub const SUBPROTOCOL: &str = "rtm.v1";

/// Every subprotocol the server can speak, newest first.
pub const SUPPORTED_SUBPROTOCOLS: &[&str] = &[SUBPROTOCOL];

/// The path of the WebSocket endpoint on rtm-server.
pub const WS_PATH: &str = "/rtm";
