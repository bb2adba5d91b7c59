//! Events: what the web SDK emits on `RtmClient`, `RtmChannel` and the
//! invitation objects, as one typed enum on a stream.
//!
//! A client has one stream ([`crate::Client::events`]); a channel may have its
//! own ([`crate::Channel::events`]). Channel events go to the channel's stream
//! once it has one, and to the client's stream otherwise, so nothing is lost
//! whichever an app listens on. Events that happen while no stream exists
//! (before the first `events()`, or after the app dropped its stream) are
//! not kept, as with the web SDK's listeners. Streams are unbounded: an
//! event is a value moved into a queue, never a task; a bot that holds a
//! stream and stops reading it grows only its own queue.

use crate::invitation::{LocalInvitation, LocalInvitationEvent, RemoteInvitation, RemoteInvitationEvent};
use rtm_protocol::{ChannelAttr, ConnectionChangeReason, ConnectionState, Payload, PeerState};
use std::collections::HashMap;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// A message: `TEXT` or `RAW` (bytes with a description), as in the web SDK.
pub type Message = Payload;

/// Everything a client hears.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// `ConnectionStateChanged(newState, reason)`.
    ConnectionStateChanged {
        /// The state now.
        state: ConnectionState,
        /// Why it changed.
        reason: ConnectionChangeReason,
    },
    /// `MessageFromPeer(message, peerId, properties)`.
    MessageFromPeer {
        /// The sender.
        from: String,
        /// The message.
        message: Message,
        /// When the server received it (ms since the Unix epoch).
        server_received_ts: u64,
        /// It was stored while this user was offline.
        is_offline_message: bool,
    },
    /// `PeersOnlineStatusChanged({peerId: state})` for subscribed peers.
    PeersOnlineStatusChanged(HashMap<String, PeerState>),
    /// `TokenPrivilegeWillExpire`: call [`crate::Client::renew_token`] within 30 s.
    TokenPrivilegeWillExpire,
    /// `TokenExpired`: reconnecting needs a new token ([`crate::Client::renew_token`]).
    TokenExpired,
    /// `RemoteInvitationReceived(remoteInvitation)`: someone calls.
    RemoteInvitationReceived(RemoteInvitation),
    /// An invitation this client sent moved on.
    LocalInvitation(LocalInvitation, LocalInvitationEvent),
    /// An invitation this client received moved on.
    RemoteInvitation(RemoteInvitation, RemoteInvitationEvent),
    /// A channel event, when the channel has no stream of its own.
    Channel(ChannelEvent),
}

/// What an `RtmChannel` emits.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// `ChannelMessage(message, memberId, properties)`; never one's own.
    Message {
        /// Channel id.
        channel: String,
        /// The sender.
        from: String,
        /// The message.
        message: Message,
        /// When the server received it (ms since the Unix epoch).
        server_received_ts: u64,
    },
    /// `MemberJoined(memberId)`.
    MemberJoined {
        /// Channel id.
        channel: String,
        /// Who joined.
        uid: String,
    },
    /// `MemberLeft(memberId)`.
    MemberLeft {
        /// Channel id.
        channel: String,
        /// Who left.
        uid: String,
    },
    /// `MemberCountUpdated(memberCount)`.
    MemberCountUpdated {
        /// Channel id.
        channel: String,
        /// Members now.
        count: u32,
    },
    /// `AttributesUpdated(attributes)`: every attribute of the channel now.
    AttributesUpdated {
        /// Channel id.
        channel: String,
        /// The attributes, by key.
        attributes: HashMap<String, ChannelAttr>,
    },
}

impl ChannelEvent {
    /// The channel it belongs to.
    pub fn channel(&self) -> &str {
        match self {
            ChannelEvent::Message { channel, .. }
            | ChannelEvent::MemberJoined { channel, .. }
            | ChannelEvent::MemberLeft { channel, .. }
            | ChannelEvent::MemberCountUpdated { channel, .. }
            | ChannelEvent::AttributesUpdated { channel, .. } => channel,
        }
    }
}

/// A stream of events: `recv().await` them one by one, or use it as a
/// [`futures_core::Stream`]. It ends when its client is dropped, or when a
/// newer stream replaces it.
#[derive(Debug)]
pub struct Events<T = Event> {
    rx: mpsc::UnboundedReceiver<T>,
}

impl<T> Events<T> {
    pub(crate) fn new() -> (mpsc::UnboundedSender<T>, Events<T>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, Events { rx })
    }

    /// The next event; `None` once the stream has ended.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

impl<T> futures_core::Stream for Events<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }
}

/// Where a client's events go: its stream, and each channel's own.
#[derive(Debug, Default)]
pub(crate) struct Router {
    /// None until the app asks for a stream: as with an EventEmitter, what
    /// happens before anyone listens is not kept (a bot that never reads
    /// events must not pile them up).
    client: Option<mpsc::UnboundedSender<Event>>,
    channels: HashMap<String, mpsc::UnboundedSender<ChannelEvent>>,
}

impl Router {
    /// The client's stream, replacing (and ending) an earlier one.
    pub fn client_stream(&mut self) -> Events {
        let (tx, events) = Events::new();
        self.client = Some(tx);
        events
    }

    /// A stream of its own for `channel`, replacing an earlier one.
    pub fn channel_stream(&mut self, channel: &str) -> Events<ChannelEvent> {
        let (tx, events) = Events::new();
        self.channels.insert(channel.to_owned(), tx);
        events
    }

    pub fn emit(&mut self, event: Event) {
        if let Some(tx) = &self.client {
            if tx.send(event).is_err() {
                self.client = None; // the app dropped its stream
            }
        }
    }

    pub fn emit_channel(&mut self, event: ChannelEvent) {
        let event = match self.channels.get(event.channel()) {
            Some(tx) => match tx.send(event) {
                Ok(()) => return,
                // That stream was dropped: back to the client's.
                Err(mpsc::error::SendError(event)) => {
                    self.channels.remove(event.channel());
                    event
                }
            },
            None => event,
        };
        self.emit(Event::Channel(event));
    }
}
