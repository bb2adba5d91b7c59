//! The engine boundary: what the hub needs from the world beyond this process.
//!
//! Like centrifuge's broker and presence manager, the hub never delivers to a
//! user directly: it publishes a [`UserEvent`] on the user's topic through the
//! [`Broker`], and the broker calls back into every hub that holds a session of
//! that user ([`EventSink::deliver`]). One process (`engine_memory`) and many
//! processes over Redis share that one delivery path.
//!
//! [`Presence`] answers "which session is this user's", across nodes.

use async_trait::async_trait;
use rtm_protocol::{ConnectionChangeReason, Payload};
use std::sync::{Arc, Weak};

/// A session anywhere in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionRef {
    /// The node (process) holding it; random per process start.
    pub node: u64,
    /// The session, unique within its node.
    pub session: u64,
}

/// Where the recipient's acknowledgement of a peer message goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRoute {
    /// The sender's user id: acks travel on the sender's topic.
    pub uid: String,
    /// The sending session.
    pub session: SessionRef,
    /// Names the waiting send within that session.
    pub ack_id: u64,
}

/// What is published on a user's topic.
#[derive(Debug, Clone, PartialEq)]
pub enum UserEvent {
    /// A peer message for the user's current session.
    PeerMessage {
        /// Sender's user id.
        from: String,
        /// The message.
        payload: Payload,
        /// Server receive time, ms since the epoch.
        ts: u64,
        /// Where to send the acknowledgement.
        ack: AckRoute,
    },
    /// The recipient acknowledged a message this user's session sent.
    PeerAck {
        /// The route the message carried.
        route: AckRoute,
    },
    /// End this particular session of the user.
    Kick {
        /// Which session.
        session: SessionRef,
        /// Why (REMOTE_LOGIN, BANNED_BY_SERVER, ...).
        reason: ConnectionChangeReason,
    },
}

/// Receives what the broker delivers: implemented by the hub.
pub trait EventSink: Send + Sync {
    /// Hands `event` for user `uid` of `app` to the local sessions it concerns;
    /// returns how many took it.
    fn deliver(&self, app: &str, uid: &str, event: UserEvent) -> usize;
}

/// Publishes user events to whichever nodes hold the user's sessions.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Connects the broker to this node's hub. Called once, before any publish.
    fn attach(&self, sink: Weak<dyn EventSink>);
    /// Publishes `event` on the topic of user `uid` in `app`; returns how many
    /// sessions took it (0: nobody of that user is online anywhere).
    async fn publish_user(&self, app: &str, uid: &str, event: UserEvent) -> anyhow::Result<usize>;
}

/// Which session currently is a user.
#[async_trait]
pub trait Presence: Send + Sync {
    /// Makes `session` the user's session; returns the one it displaced.
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Option<SessionRef>>;
    /// Forgets the user's session if it still is `session`.
    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<()>;
    /// The user's session, if the user is online.
    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>>;
}

/// The engine a hub runs on.
#[derive(Clone)]
pub struct Engine {
    /// Delivery.
    pub broker: Arc<dyn Broker>,
    /// Who is online.
    pub presence: Arc<dyn Presence>,
}

impl Engine {
    /// The single-process engine.
    pub fn memory() -> Self {
        Engine {
            broker: Arc::new(crate::engine_memory::MemoryBroker::default()),
            presence: Arc::new(crate::engine_memory::MemoryPresence::default()),
        }
    }
}
