//! What travels between nodes: topics and the events published on them.
//!
//! Every event is addressed to a [`Topic`], never to a process. A node hears a
//! topic only while it is subscribed to it (see `node::Subscriptions`), so the
//! same events work whether the nodes share one process (the embedded engine)
//! or talk through Redis. Events derive serde so a networked broker can carry
//! them as they are.

use rtm_protocol::{ChannelAttr, ConnectionChangeReason, InvitationUpdate, Payload, PeerState};
use serde::{Deserialize, Serialize};

/// A session anywhere in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionRef {
    /// The node (process) holding it; random per process start.
    pub node: u64,
    /// The session, unique within its node.
    pub session: u64,
}

/// Where an acknowledgement goes back to: a wait on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AckRoute {
    /// The waiting node.
    pub node: u64,
    /// Names the wait within that node (`node::Acks`).
    pub ack_id: u64,
}

/// A named stream of events. Apps are namespaces: every topic but a node's
/// carries its app id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    /// Everything addressed to one user (peer messages, invitations). A node
    /// hears it while it holds a session of that user.
    User {
        /// App id.
        app: String,
        /// User id.
        uid: String,
    },
    /// A channel's messages and member events. A node hears it while it has a
    /// local member.
    Channel {
        /// App id.
        app: String,
        /// Channel id.
        channel: String,
    },
    /// A user's online state. A node hears it while a local session subscribes
    /// to that user's status.
    Presence {
        /// App id.
        app: String,
        /// User id.
        uid: String,
    },
    /// One node: acknowledgements, kicks and relayed links. Each node hears
    /// its own from start.
    Node(u64),
}

impl Topic {
    /// The topic of user `uid` of `app`.
    pub fn user(app: &str, uid: &str) -> Topic {
        Topic::User { app: app.to_owned(), uid: uid.to_owned() }
    }

    /// The topic of `channel` of `app`.
    pub fn channel(app: &str, channel: &str) -> Topic {
        Topic::Channel { app: app.to_owned(), channel: channel.to_owned() }
    }

    /// The online-state topic of user `uid` of `app`.
    pub fn presence(app: &str, uid: &str) -> Topic {
        Topic::Presence { app: app.to_owned(), uid: uid.to_owned() }
    }
}

/// An event, with the topic family it is published on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// On a [`Topic::User`].
    User(UserEvent),
    /// On a [`Topic::Channel`].
    Channel(ChannelEvent),
    /// On a [`Topic::Presence`]: the user's new online state.
    Presence(PeerState),
    /// On a [`Topic::Node`].
    Node(NodeEvent),
}

/// What is published on a user's topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// A peer message. The recipient's SDK acknowledges it; the
    /// acknowledgement travels back on `ack`.
    PeerMessage {
        /// Sender's user id.
        from: String,
        /// The message.
        payload: Payload,
        /// Server receive time, ms since the epoch.
        ts: u64,
        /// Sent with `enableOfflineMessaging`: the message is already in the
        /// offline store under this id, and the recipient's acknowledgement
        /// deletes it. Unacknowledged, it reaches the user at its next login,
        /// whatever happened to the node that pushed it.
        stored: Option<i64>,
        /// Where the recipient's acknowledgement goes.
        ack: AckRoute,
    },
    /// A call invitation for this user (the callee). A node that shows it to a
    /// session acknowledges on `ack`.
    InviteOffer {
        /// Names it.
        invitation: u64,
        /// The caller.
        caller: String,
        /// Content.
        content: String,
        /// Channel id.
        channel_id: String,
        /// Where "a session of the callee has it" goes.
        ack: AckRoute,
    },
    /// An invitation of this user moved on (told to the caller or the callee).
    InviteUpdate {
        /// Which.
        invitation: u64,
        /// What happened.
        update: InvitationUpdate,
    },
    /// To the caller: the callee's SDK has the invitation.
    InviteReceived {
        /// Which.
        invitation: u64,
    },
    /// To the caller: the callee answers; whether the answer was taken goes
    /// back on `ack`.
    InviteAnswer {
        /// Which.
        invitation: u64,
        /// Who answers: taken only from the invitation's callee (the app is
        /// the topic's), so knowing an id is not enough to answer for someone.
        callee: String,
        /// Accept or refuse.
        accept: bool,
        /// The callee's response.
        response: String,
        /// Where "taken" (or "too late") goes.
        ack: AckRoute,
    },
    /// To the caller: the callee's session ended while the invitation rang.
    InviteCalleeGone {
        /// Which.
        invitation: u64,
    },
}

/// What is published on a channel's topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A member left; `count` is the member count after the leave.
    Left {
        /// Who.
        uid: String,
        /// Their session.
        session: SessionRef,
        /// Members now.
        count: u32,
    },
    /// The channel's attributes changed and members are to be told: the full set.
    Attrs {
        /// Every attribute of the channel now.
        attrs: Vec<ChannelAttr>,
    },
}

/// What is published on a node's topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NodeEvent {
    /// The answer to a wait on this node: taken (true) or refused (false).
    Ack {
        /// Which wait.
        ack_id: u64,
        /// The outcome.
        ok: bool,
    },
    /// End this session of this node.
    Kick {
        /// Which session (of this node).
        session: u64,
        /// Why (REMOTE_LOGIN, ...).
        reason: ConnectionChangeReason,
    },
    /// A frame from a client whose connection reached another node (the
    /// entry, `from`) with a resume of a session of this node: the entry
    /// relays the connection here (`node::relays`).
    RelayIn {
        /// The entry node.
        from: u64,
        /// Names the connection within the entry node.
        link: u64,
        /// Numbers this link's frames from 0: a gap (events lost while the
        /// broker was down) ends the link, and the client resumes.
        seq: u64,
        /// The client's frame; `None` when its connection closed.
        #[serde(with = "serde_bytes")]
        frame: Option<Vec<u8>>,
    },
    /// What the node holding a relayed session sends back to the entry.
    RelayOut {
        /// The entry's name for the connection.
        link: u64,
        /// Numbers this link's items from 0 (as `RelayIn`).
        seq: u64,
        /// A frame, a close, or a beat.
        item: Relayed,
    },
}

/// What travels back to the entry of a relayed link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Relayed {
    /// A frame for the client, as the entry writes it.
    Frame(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Close the client's connection with this code and reason.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Why.
        reason: String,
    },
    /// The holding node is alive (sent every [`RELAY_BEAT`] while nothing
    /// else is): an entry that hears nothing for a few beats gives up.
    Beat,
}

/// How often the node holding a relayed session tells the entry it is alive.
pub const RELAY_BEAT: std::time::Duration = std::time::Duration::from_secs(2);
