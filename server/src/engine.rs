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
use rtm_protocol::limits::AttrError;
use rtm_protocol::{AttrOp, ChannelAttr, ConnectionChangeReason, Payload, PeerState};
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
    /// The answer a session of this user waits for on `route`: a peer
    /// message's acknowledgement (always `ok`), or whether the caller's node
    /// took an invitation answer.
    Ack {
        /// The waiting session and its wait.
        route: AckRoute,
        /// Taken (true) or refused (false).
        ok: bool,
    },
    /// An invitation for this user (the callee).
    InviteOffer {
        /// Names it.
        invitation: u64,
        /// The caller.
        caller: String,
        /// Content.
        content: String,
        /// Channel id.
        channel_id: String,
    },
    /// An invitation of this user moved on (to the caller or the callee).
    InviteUpdate {
        /// Which.
        invitation: u64,
        /// What happened.
        update: rtm_protocol::InvitationUpdate,
    },
    /// To the caller's node: the callee's SDK has the invitation.
    InviteReceived {
        /// Which.
        invitation: u64,
    },
    /// To the caller's node: the callee answers; the outcome goes back on `route`.
    InviteAnswer {
        /// Which.
        invitation: u64,
        /// Accept or refuse.
        accept: bool,
        /// The callee's response.
        response: String,
        /// Where to report whether the answer was taken.
        route: AckRoute,
    },
    /// To the caller's node: the callee's session ended while it rang.
    InviteCalleeGone {
        /// Which.
        invitation: u64,
    },
    /// End this particular session of the user.
    Kick {
        /// Which session.
        session: SessionRef,
        /// Why (REMOTE_LOGIN, BANNED_BY_SERVER, ...).
        reason: ConnectionChangeReason,
    },
}

/// What is published on a channel's topic.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelEvent {
    /// A message for every member but the sender.
    Message {
        /// Sender's user id.
        from: String,
        /// Sender's session (skipped in fan-out).
        sender: SessionRef,
        /// The message.
        payload: Payload,
        /// Server receive time, ms since the epoch.
        ts: u64,
    },
    /// A member joined; `count` is the member count after the join.
    Joined {
        /// Who.
        uid: String,
        /// Their session (not told about itself).
        session: SessionRef,
        /// Members now.
        count: u32,
    },
    /// The channel's attributes changed and members are to be told: the full set.
    Attrs {
        /// Every attribute of the channel now.
        attrs: Vec<ChannelAttr>,
    },
    /// A member left; `count` is the member count after the leave.
    Left {
        /// Who.
        uid: String,
        /// Their session.
        session: SessionRef,
        /// Members now.
        count: u32,
    },
}

/// What [`Membership::join`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    /// Members after the join.
    pub count: u32,
}

/// Receives what the broker delivers: implemented by the hub.
pub trait EventSink: Send + Sync {
    /// Hands `event` for user `uid` of `app` to the local sessions it concerns;
    /// returns how many took it.
    fn deliver(&self, app: &str, uid: &str, event: UserEvent) -> usize;
    /// Hands `event` of `channel` in `app` to this node's members of it.
    fn deliver_channel(&self, app: &str, channel: &str, event: ChannelEvent);
    /// Tells this node's subscribers of `uid` in `app` its new online state.
    fn deliver_status(&self, app: &str, uid: &str, state: PeerState);
}

/// Publishes user events to whichever nodes hold the user's sessions.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Connects the broker to this node's hub. Called once, before any publish.
    fn attach(&self, sink: Weak<dyn EventSink>);
    /// Publishes `event` on the topic of user `uid` in `app`; returns how many
    /// sessions took it (0: nobody of that user is online anywhere).
    async fn publish_user(&self, app: &str, uid: &str, event: UserEvent) -> anyhow::Result<usize>;
    /// Publishes `event` on the topic of `channel` in `app`.
    async fn publish_channel(&self, app: &str, channel: &str, event: ChannelEvent) -> anyhow::Result<()>;
    /// Publishes a user's new online state to its subscribers, on every node.
    async fn publish_status(&self, app: &str, uid: &str, state: PeerState) -> anyhow::Result<()>;
}

/// Who is in which channel, across nodes. A user is a member through one
/// session; only that session's leave removes it (a stale session's leave after
/// a remote login must not remove the new one).
#[async_trait]
pub trait Membership: Send + Sync {
    /// Adds `uid` (through `session`) to `channel`.
    async fn join(&self, app: &str, channel: &str, uid: &str, session: SessionRef) -> anyhow::Result<Joined>;
    /// Removes `uid` if it is a member through `session`; the count after, or
    /// `None` when it was not.
    async fn leave(
        &self,
        app: &str,
        channel: &str,
        uid: &str,
        session: SessionRef,
    ) -> anyhow::Result<Option<u32>>;
    /// Up to `max` member ids, a uniform random sample when there are more.
    async fn members(&self, app: &str, channel: &str, max: usize) -> anyhow::Result<Vec<String>>;
    /// How many members `channel` has (0 when empty or unknown).
    async fn count(&self, app: &str, channel: &str) -> anyhow::Result<u32>;
}

/// Which session currently is a user.
#[async_trait]
pub trait Presence: Send + Sync {
    /// Makes `session` the user's (reachable) session; returns the one it displaced.
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Option<SessionRef>>;
    /// Marks the user's session reachable or not (its connection dropped and it
    /// waits for a resume); false if `session` is no longer the user's.
    async fn set_reachable(
        &self,
        app: &str,
        uid: &str,
        session: SessionRef,
        reachable: bool,
    ) -> anyhow::Result<bool>;
    /// The user's online state.
    async fn state(&self, app: &str, uid: &str) -> anyhow::Result<PeerState>;
    /// Forgets the user's session if it still is `session`.
    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<()>;
    /// The user's session, if the user is online.
    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>>;
}

/// A peer message stored for a user who was offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Store id, in arrival order.
    pub id: i64,
    /// Sender's user id.
    pub from: String,
    /// The message.
    pub payload: Payload,
    /// Server receive time, ms since the epoch.
    pub ts: u64,
}

/// Peer messages kept for users who are offline (`enableOfflineMessaging`).
/// They must survive a crash of the server.
#[async_trait]
pub trait OfflineStore: Send + Sync {
    /// Stores a message for `uid`; the oldest beyond the per-user cap are dropped.
    async fn put(&self, app: &str, uid: &str, from: &str, payload: &Payload, ts: u64) -> anyhow::Result<()>;
    /// The user's stored messages, oldest first (expired ones are dropped).
    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>>;
    /// Deletes a delivered message.
    async fn remove(&self, id: i64) -> anyhow::Result<()>;
}

/// User and channel attributes. A write is applied whole or not at all: one
/// that would break a limit changes nothing.
#[async_trait]
pub trait AttributeStore: Send + Sync {
    /// A user's attributes.
    async fn user(&self, app: &str, uid: &str) -> anyhow::Result<Vec<(String, String)>>;
    /// Applies `op` to a user's attributes if the result is within limits.
    async fn update_user(&self, app: &str, uid: &str, op: &AttrOp) -> anyhow::Result<Result<(), AttrError>>;
    /// Deletes a user's attributes (its session ended).
    async fn clear_user(&self, app: &str, uid: &str) -> anyhow::Result<()>;
    /// A channel's attributes.
    async fn channel(&self, app: &str, channel: &str) -> anyhow::Result<Vec<ChannelAttr>>;
    /// Applies `op`, written by `by` at `ts`, if the result is within limits;
    /// returns the channel's attributes after it.
    async fn update_channel(
        &self,
        app: &str,
        channel: &str,
        by: &str,
        ts: u64,
        op: &AttrOp,
    ) -> anyhow::Result<Result<Vec<ChannelAttr>, AttrError>>;
    /// Deletes a channel's attributes (it stayed empty too long).
    async fn clear_channel(&self, app: &str, channel: &str) -> anyhow::Result<()>;
}

/// The engine a hub runs on.
#[derive(Clone)]
pub struct Engine {
    /// Delivery.
    pub broker: Arc<dyn Broker>,
    /// Who is online.
    pub presence: Arc<dyn Presence>,
    /// Who is in which channel.
    pub membership: Arc<dyn Membership>,
    /// Offline peer messages.
    pub store: Arc<dyn OfflineStore>,
    /// User and channel attributes.
    pub attributes: Arc<dyn AttributeStore>,
}

impl Engine {
    /// The single-process engine, keeping offline messages in `store`.
    pub fn memory(store: Arc<dyn OfflineStore>) -> Self {
        Engine {
            store,
            broker: Arc::new(crate::engine_memory::MemoryBroker::default()),
            presence: Arc::new(crate::engine_memory::MemoryPresence::default()),
            membership: Arc::new(crate::engine_memory::MemoryMembership::default()),
            attributes: Arc::new(crate::attributes_memory::MemoryAttributes::default()),
        }
    }
}
