//! The engine: everything a node shares with the other nodes of its cluster.
//!
//! Small traits, one per concern, shaped like centrifuge's broker and presence
//! manager so that they hold across processes:
//! - [`Broker`]: publish to a [`Topic`], subscribe a node to it. A publish
//!   reports only success or failure — never who received. "Delivered" is an
//!   acknowledgement that travels back ([`events::AckRoute`]).
//! - [`Presence`]: which session is a user's, under a node lease that a live
//!   node renews; a dead node's users are reaped.
//! - [`Membership`]: who is in which channel, and counts.
//! - [`AttributeStore`], [`OfflineStore`]: user and channel attributes, and
//!   peer messages kept for offline users.
//! - [`Directory`]: what an operator asks of the whole cluster (who is
//!   online, the channels by size) and the bans it sets.
//! - [`EventLog`]: login/logout and join/leave events for the REST API.
//!
//! [`embedded`] is the one-process engine (memory, SQLite for what must
//! survive a restart); [`redis`] is cluster mode (every process on one Redis
//! is a node of one system). Every implementation passes the same
//! conformance suite (server/tests/conformance/).

pub mod embedded;
pub mod event_log;
pub mod events;
pub mod redis;

pub use event_log::{EventKind, EventLog, Happening, LoggedEvent};
pub use events::{
    AckRoute, ChannelEvent, Event, NodeEvent, Relayed, SessionRef, Topic, UserEvent, RELAY_BEAT,
};

use async_trait::async_trait;
use rtm_protocol::limits::AttrError;
use rtm_protocol::{AttrOp, ChannelAttr, Payload, PeerState};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Receives what the broker delivers to one node. Implemented by the node's
/// services; called in publish order per topic, and must not block.
pub trait Sink: Send + Sync {
    /// `event` was published on `topic`, which this node subscribes to.
    fn deliver(&self, topic: &Topic, event: Event);
}

/// Publish/subscribe between nodes. At most once per subscribed node, in
/// publish order per topic; no memory of past events.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Makes `sink` the receiver of node `node`'s subscriptions. Called once
    /// per node, when it starts; the node then subscribes to its own
    /// [`Topic::Node`].
    fn register(&self, node: u64, sink: Weak<dyn Sink>);
    /// Node `node` hears `topic` from now on. Idempotent.
    async fn subscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()>;
    /// Node `node` stops hearing `topic`. Idempotent.
    async fn unsubscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()>;
    /// Publishes `event` to every node subscribed to `topic` (none is fine).
    async fn publish(&self, topic: &Topic, event: Event) -> anyhow::Result<()>;
}

/// What [`Presence::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// The session that was the user's before, if another.
    pub displaced: Option<SessionRef>,
    /// The user's state before the claim (publish ONLINE if it differs).
    pub was: PeerState,
    /// Grows with every claim of this user: the latest claim wins everywhere.
    pub epoch: u64,
}

/// A user whose node stopped renewing its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaped {
    /// App id.
    pub app: String,
    /// User id.
    pub uid: String,
    /// The session that was the user's.
    pub session: SessionRef,
}

/// Which session is a user's, across nodes. Every entry belongs to a node's
/// lease: when the lease lapses, [`Presence::reap`] removes its users.
#[async_trait]
pub trait Presence: Send + Sync {
    /// Makes `session` the user's (reachable) session.
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Claim>;
    /// Marks the user's session reachable or not (its link dropped and it waits
    /// for a resume); false if `session` is no longer the user's.
    async fn set_reachable(
        &self,
        app: &str,
        uid: &str,
        session: SessionRef,
        reachable: bool,
    ) -> anyhow::Result<bool>;
    /// The online state of each of `uids`, in order.
    async fn states(&self, app: &str, uids: &[String]) -> anyhow::Result<Vec<PeerState>>;
    /// The user's session, if the user is online or unreachable.
    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>>;
    /// Forgets the user's session if it still is `session`; true when it was
    /// (the user is now OFFLINE).
    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<bool>;
    /// Node `node` is alive for `ttl` more.
    async fn heartbeat(&self, node: u64, ttl: Duration) -> anyhow::Result<()>;
    /// Removes and returns the users of nodes whose lease lapsed, with those
    /// nodes. Each reaped user is returned to one caller only.
    async fn reap(&self) -> anyhow::Result<(Vec<u64>, Vec<Reaped>)>;
}

/// A member removed by [`Membership::reap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    /// App id.
    pub app: String,
    /// Channel id.
    pub channel: String,
    /// User id.
    pub uid: String,
    /// The member's session.
    pub session: SessionRef,
    /// Members left in the channel.
    pub count: u32,
}

/// Who is in which channel, across nodes. A user is a member through one
/// session; only that session's leave removes it (a stale session's leave
/// after a remote login must not remove the new one).
#[async_trait]
pub trait Membership: Send + Sync {
    /// Adds `uid` (through `session`) to `channel`; the count after.
    async fn join(&self, app: &str, channel: &str, uid: &str, session: SessionRef) -> anyhow::Result<u32>;
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
    /// Removes every member held by a session of `nodes` (dead nodes).
    async fn reap(&self, nodes: &[u64]) -> anyhow::Result<Vec<Departed>>;
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

/// What one stored message costs beyond its payload (ids, sender, times, the
/// row or member around it), so that empty messages are not free.
pub const OFFLINE_MESSAGE_OVERHEAD: u64 = 64;

/// The bytes a stored message counts against [`OfflineQuotas`].
pub fn offline_charge(payload: &Payload) -> u64 {
    payload.size() as u64 + OFFLINE_MESSAGE_OVERHEAD
}

/// How many bytes ([`offline_charge`]) of stored offline messages one sender,
/// and one app, may have at once. The per-user cap alone let anyone fill the
/// disk by writing to many made-up uids; these bound it per sender and per app.
/// A message leaves its sender's count when it is delivered, dropped by the
/// per-user cap, or expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineQuotas {
    /// Bytes stored by one sender of one app.
    pub per_sender: u64,
    /// Bytes stored in one app.
    pub per_app: u64,
}

impl OfflineQuotas {
    /// No quota (tests of other limits).
    pub const UNLIMITED: OfflineQuotas = OfflineQuotas { per_sender: u64::MAX, per_app: u64::MAX };
}

/// Why [`OfflineStore::put`] stored nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineFull {
    /// The sender's quota would be exceeded.
    Sender,
    /// The app's quota would be exceeded.
    App,
}

/// Peer messages kept for users who are offline (`enableOfflineMessaging`).
/// A stored message survives a crash of any node.
#[async_trait]
pub trait OfflineStore: Send + Sync {
    /// Stores a message for `uid`, durably before it returns, unless it would
    /// exceed a quota; the oldest beyond the per-user cap are dropped.
    /// Returns the message's id.
    async fn put(
        &self,
        app: &str,
        uid: &str,
        from: &str,
        payload: &Payload,
        ts: u64,
    ) -> anyhow::Result<Result<i64, OfflineFull>>;
    /// The user's stored messages, oldest first, without expired ones.
    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>>;
    /// Deletes a delivered message of `uid`.
    async fn remove(&self, app: &str, uid: &str, id: i64) -> anyhow::Result<()>;
    /// Deletes expired messages (of every user), which gives their bytes back
    /// to their senders' quotas; how many. Run periodically by the node.
    async fn expire(&self) -> anyhow::Result<u64>;
    /// How many messages are stored (`rtm_offline_messages_stored`), or
    /// `None` for a store that cannot count them cheaply.
    async fn stored(&self) -> anyhow::Result<Option<u64>> {
        Ok(None)
    }
    /// Fails unless the store can be written now (`/readyz`). By default
    /// nothing beyond the engine's [`Health`] (a networked store's health).
    async fn writable(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// User and channel attributes. A write is applied whole or not at all: one
/// that would break a limit changes nothing. A channel's attributes expire
/// once it has had no member for the engine's TTL (the engine sees joins and
/// leaves through [`Membership`]).
#[async_trait]
pub trait AttributeStore: Send + Sync {
    /// A user's attributes.
    async fn user(&self, app: &str, uid: &str) -> anyhow::Result<Vec<(String, String)>>;
    /// Applies `op` to a user's attributes if the result is within limits.
    async fn update_user(&self, app: &str, uid: &str, op: &AttrOp) -> anyhow::Result<Result<(), AttrError>>;
    /// Deletes a user's attributes (the user went offline).
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
}

/// A channel with members, and how many ([`Directory::channels`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSize {
    /// App id.
    pub app: String,
    /// Channel id.
    pub channel: String,
    /// Members now.
    pub members: u32,
}

/// What the admin API asks of the whole cluster, and the bans it sets. A ban
/// is engine state so that every node refuses the user's logins, not only
/// the node that took the admin request.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Refuses logins of `uid` until `until_ms` (ms since the epoch); replaces
    /// an earlier ban of the user.
    async fn ban(&self, app: &str, uid: &str, until_ms: u64) -> anyhow::Result<()>;
    /// Lifts the user's ban; true if there was one.
    async fn unban(&self, app: &str, uid: &str) -> anyhow::Result<bool>;
    /// When the user's ban ends, if the user is banned at `now_ms`.
    async fn banned_until(&self, app: &str, uid: &str, now_ms: u64) -> anyhow::Result<Option<u64>>;
    /// Every channel with members (of every app, on every node), unordered.
    async fn channels(&self) -> anyhow::Result<Vec<ChannelSize>>;
    /// Every user with a session (online or unreachable), as (app, uid), unordered.
    async fn users(&self) -> anyhow::Result<Vec<(String, String)>>;
}

/// Whether the engine can serve now: `/readyz` answers 503 while it cannot
/// (a networked engine that lost its connection).
pub trait Health: Send + Sync {
    /// True while the engine's backing store answers.
    fn ready(&self) -> bool;
}

/// An engine that is always ready (in-process).
pub struct AlwaysReady;

impl Health for AlwaysReady {
    fn ready(&self) -> bool {
        true
    }
}

/// The engine a node runs on: one handle per concern. Cheap to clone; the
/// nodes of a cluster (or of a test process) share one.
#[derive(Clone)]
pub struct Engine {
    /// Delivery between nodes.
    pub broker: Arc<dyn Broker>,
    /// Who is online, where.
    pub presence: Arc<dyn Presence>,
    /// Who is in which channel.
    pub membership: Arc<dyn Membership>,
    /// Offline peer messages.
    pub offline: Arc<dyn OfflineStore>,
    /// User and channel attributes.
    pub attributes: Arc<dyn AttributeStore>,
    /// Whether it can serve now.
    pub health: Arc<dyn Health>,
    /// Cluster-wide listings and bans, for the admin API.
    pub directory: Arc<dyn Directory>,
    /// The REST API's user and channel events.
    pub events: Arc<dyn EventLog>,
}
