//! rtm-client: a native Rust client of rtm-server, for bots, app servers and
//! load tests (the role Agora's Linux SDKs play next to its web SDK). It
//! speaks the same protocol as the browser SDK (`rtm-protocol`) and reads like
//! it, in async Rust:
//!
//! ```no_run
//! use rtm_client::{Client, Event, SendMessageOptions};
//!
//! # async fn run() -> Result<(), rtm_client::Error> {
//! let client = Client::connect("ws://127.0.0.1:8080/rtm", "my-app-id")?;
//! let mut events = client.events();
//! client.login("bot", None).await?;
//! let lobby = client.channel("lobby")?;
//! lobby.join().await?;
//! lobby.send_message("hello, lobby").await?;
//! while let Some(event) = events.recv().await {
//!     if let Event::MessageFromPeer { from, message, .. } = event {
//!         client.send_message_to_peer(&from, message, SendMessageOptions::default()).await?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The map:
//!
//! ```text
//! client       Client: login, logout, peer messages, presence, member counts
//! channel      Channel: join, leave, send, members, its own event stream
//! attributes   user and channel attributes (methods of Client)
//! invitation   LocalInvitation, RemoteInvitation: call invitations
//! event        Event, ChannelEvent and the streams they arrive on
//! error        Error (Agora's numeric code, class, message) per operation
//! session      login, logout, renewToken, resume or re-login after a drop
//! pushes       server pushes turned into events; a dropped link reconnects
//! core         the client's state behind one lock
//! link         one WebSocket: a task reading frames and writing requests
//! ```
//!
//! Connection handling is the web SDK's: the same states and reasons; after
//! a drop the session is resumed within the server's grace period with every
//! missed push replayed once, in order, or else logged in again with its
//! channels re-joined and subscriptions renewed. Rate budgets are checked
//! here before the server checks them again. A client costs one task (its
//! link's reader and writer) and a few allocations per message: thousands fit
//! in one process.
#![warn(missing_docs)]

mod attributes;
mod channel;
mod client;
mod core;
mod error;
mod event;
mod invitation;
mod link;
mod pushes;
mod session;

pub use attributes::ChannelAttributeOptions;
pub use channel::Channel;
pub use client::{Client, PeerSendResult, SendMessageOptions};
pub use error::{Error, Result};
pub use event::{ChannelEvent, Event, Events, Message};
pub use invitation::{
    LocalInvitation, LocalInvitationEvent, LocalInvitationState, RemoteInvitation, RemoteInvitationEvent,
    RemoteInvitationState,
};
pub use rtm_protocol::{ChannelAttr, ConnectionChangeReason, ConnectionState, ErrorKind, PeerState};
