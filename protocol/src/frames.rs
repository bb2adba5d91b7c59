//! What travels over the WebSocket.
//!
//! The client sends [`ClientFrame`]s: a request id and a [`Request`]. The server
//! answers each request that wants an answer with [`ServerFrame::Reply`] naming
//! that id, and sends events as [`ServerFrame::Push`]. Every frame is one binary
//! WebSocket message encoded by [`crate::codec`].
//!
//! Every enum here is append-only and no variant's fields ever change (the
//! codec carries no field names): see `codec.rs` and docs/protocol.md.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// One frame from the SDK to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFrame {
    /// Chosen by the client, echoed in the reply. Requests that get no reply
    /// ([`Request::PeerAck`]) carry 0.
    pub id: u32,
    /// What is asked.
    pub req: Request,
}

/// Just the id of a client frame (its first field): read when a frame does not
/// decode as a whole, so the error reply can still name the request it answers.
#[derive(Debug, Deserialize)]
pub struct ClientFrameId {
    /// The request id.
    pub id: u32,
}

/// The requests a client can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// The first request on a connection: who this is. Replied with
    /// [`Reply::LoggedIn`] or a login error; any other request before it is
    /// refused with "not logged in".
    Login {
        /// The Agora app id: a namespace, users of one app never meet another's.
        app_id: String,
        /// The user id, per [`crate::limits::validate_id`].
        uid: String,
        /// Login token; required only by apps configured with a certificate.
        token: Option<String>,
    },
    /// Ends the session; the server replies, then closes the socket.
    Logout,
    /// A message for one user. Replied with [`Reply::PeerSent`].
    SendPeer {
        /// The recipient's user id.
        peer: String,
        /// The message.
        payload: Payload,
        /// Store for an offline peer (`enableOfflineMessaging`).
        offline: bool,
    },
    /// The SDK has handed the pushed peer message `delivery` to the app. No reply.
    PeerAck {
        /// [`Push::PeerMessage::delivery`] of the message.
        delivery: u64,
    },
    /// Keeps an idle connection alive; replied with [`Reply::Done`].
    Ping,
    /// `channel.join()`. Replied with [`Reply::Done`]; the joiner then gets a
    /// [`Push::MemberCount`], the other members [`Push::MemberJoined`].
    Join {
        /// Channel id, per [`crate::limits::validate_id`].
        channel: String,
    },
    /// `channel.leave()`. Replied with [`Reply::Done`].
    Leave {
        /// Channel id.
        channel: String,
    },
    /// `channel.sendMessage()`: to every other member. Replied with
    /// [`Reply::Done`] once the server has it.
    SendChannel {
        /// Channel id (must be joined).
        channel: String,
        /// The message.
        payload: Payload,
    },
    /// `channel.getMembers()`. Replied with [`Reply::Members`].
    GetMembers {
        /// Channel id (must be joined).
        channel: String,
    },
    /// `client.getChannelMemberCount()`. Replied with [`Reply::MemberCounts`].
    GetMemberCount {
        /// 1–32 channel ids.
        channels: Vec<String>,
    },
    /// The first request on a new connection after a dropped one: take the
    /// session back (its channels, and every push after `last_seq`). Replied
    /// with [`Reply::Resumed`], or an error, after which the client logs in anew.
    Resume {
        /// As in [`Request::Login`].
        app_id: String,
        /// As in [`Request::Login`].
        uid: String,
        /// As in [`Request::Login`] (checked again: it may have expired).
        token: Option<String>,
        /// [`Reply::LoggedIn::resume`] of the session.
        resume: String,
        /// The `seq` of the last push the client processed.
        last_seq: u64,
    },
    /// `renewToken()`: replaces the session's token. Replied with [`Reply::Done`].
    RenewToken {
        /// The new token.
        token: String,
    },
    /// `queryPeersOnlineStatus()`. Replied with [`Reply::Online`].
    QueryOnline {
        /// 1–256 user ids.
        peers: Vec<String>,
    },
    /// `subscribePeersOnlineStatus()`. Replied with [`Reply::PeerStates`] (the
    /// current state of each); changes follow as [`Push::PeerState`].
    Subscribe {
        /// 1–256 user ids.
        peers: Vec<String>,
    },
    /// `unsubscribePeersOnlineStatus()`. Replied with [`Reply::Done`].
    Unsubscribe {
        /// 1–256 user ids.
        peers: Vec<String>,
    },
    /// Changes the caller's own user attributes. Replied with [`Reply::Done`].
    UserAttrs {
        /// What to change.
        op: AttrOp,
    },
    /// `getUserAttributes()` / `getUserAttributesByKeys()`. Replied with
    /// [`Reply::UserAttrs`].
    GetUserAttrs {
        /// Whose.
        uid: String,
        /// Only these keys; `None` for all.
        keys: Option<Vec<String>>,
    },
    /// Changes a channel's attributes (joining is not needed). Replied with
    /// [`Reply::Done`].
    ChannelAttrs {
        /// Channel id.
        channel: String,
        /// What to change.
        op: AttrOp,
        /// Push the full new set to the channel's members
        /// (`enableNotificationToChannelMembers`).
        notify: bool,
    },
    /// `getChannelAttributes()` / `getChannelAttributesByKeys()`. Replied with
    /// [`Reply::ChannelAttrs`].
    GetChannelAttrs {
        /// Channel id.
        channel: String,
        /// Only these keys; `None` for all.
        keys: Option<Vec<String>>,
    },
    /// `localInvitation.send()`. Replied with [`Reply::InviteSent`].
    InviteSend {
        /// Who is called.
        callee: String,
        /// The invitation's content (≤ 8 KB).
        content: String,
        /// The invitation's channel id (may be empty).
        channel_id: String,
    },
    /// `localInvitation.cancel()`. Replied with [`Reply::Done`], or an error
    /// when the invitation is no longer pending (answered, expired).
    InviteCancel {
        /// [`Reply::InviteSent::invitation`].
        invitation: u64,
    },
    /// The callee's SDK has the invitation (no reply).
    InviteReceived {
        /// [`Push::InvitationReceived::invitation`].
        invitation: u64,
        /// The caller, whose node keeps the invitation.
        caller: String,
    },
    /// `remoteInvitation.accept()` / `refuse()`. Replied with [`Reply::Done`],
    /// or an error when the invitation is no longer pending (canceled, expired).
    InviteAnswer {
        /// The invitation.
        invitation: u64,
        /// The caller.
        caller: String,
        /// Accept (true) or refuse.
        accept: bool,
        /// The callee's response (≤ 8 KB).
        response: String,
    },
}

/// A change to a set of attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttrOp {
    /// Replace all attributes with these (`set...Attributes`).
    Set(Vec<(String, String)>),
    /// Add these, or update their values (`addOrUpdate...Attributes`).
    Upsert(Vec<(String, String)>),
    /// Delete these keys (`delete...AttributesByKeys`).
    Delete(Vec<String>),
    /// Delete all (`clear...Attributes`).
    Clear,
}

/// One channel attribute with who wrote it last, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAttr {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// The user who last wrote it.
    pub last_update_uid: String,
    /// When (ms since the Unix epoch).
    pub last_update_ts: u64,
}

/// A message body, as the app gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// A TEXT message.
    Text(String),
    /// A RAW message: bytes travel as MessagePack bin, never base64.
    Raw {
        /// The bytes.
        data: ByteBuf,
        /// The app's description of the bytes (may be empty).
        description: String,
    },
}

impl Payload {
    /// The size counted against [`crate::limits::MAX_MESSAGE_BYTES`]: the text, or
    /// the raw bytes plus the description.
    pub fn size(&self) -> usize {
        match self {
            Payload::Text(t) => t.len(),
            Payload::Raw { data, description } => data.len() + description.len(),
        }
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Self {
        Payload::Text(text.to_owned())
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Self {
        Payload::Text(text)
    }
}

impl From<Vec<u8>> for Payload {
    /// RAW bytes without a description.
    fn from(data: Vec<u8>) -> Self {
        Payload::Raw { data: ByteBuf::from(data), description: String::new() }
    }
}

/// One frame from the server to the SDK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// The answer to the request with this id.
    Reply {
        /// The request's id.
        id: u32,
        /// What happened.
        result: Result<Reply, ErrorReply>,
    },
    /// An event the client did not ask for. `seq` counts the pushes of a
    /// session from 1, so a resumed session can replay what was missed and the
    /// client can drop what it already has.
    Push {
        /// Position in the session's push sequence.
        seq: u64,
        /// The event.
        push: Push,
    },
}

/// Successful answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Login accepted.
    LoggedIn {
        /// The server's clock (ms since the Unix epoch), for the client's info.
        server_ts: u64,
        /// The server's name and version, e.g. `rtm-server 0.1.0`.
        server: String,
        /// Secret naming this session in a later [`Request::Resume`].
        resume: String,
        /// How long the server keeps the session after its connection drops (ms).
        grace_ms: u64,
    },
    /// The request was carried out and has nothing to report.
    Done,
    /// Outcome of [`Request::SendPeer`].
    PeerSent {
        /// The peer's SDK acknowledged the message.
        has_peer_received: bool,
    },
    /// Outcome of [`Request::GetMembers`]: at most
    /// [`crate::limits::MAX_MEMBERS_LISTED`] user ids, a random sample when more.
    Members {
        /// User ids.
        members: Vec<String>,
    },
    /// Outcome of [`Request::GetMemberCount`], in the order asked.
    MemberCounts {
        /// One count per channel asked for (0 for an empty channel).
        counts: Vec<u32>,
    },
    /// [`Request::Resume`] succeeded: the pushes the client missed follow.
    Resumed {
        /// The server's clock (ms since the Unix epoch).
        server_ts: u64,
    },
    /// Outcome of [`Request::QueryOnline`], in the order asked.
    Online {
        /// Whether each peer is ONLINE.
        online: Vec<bool>,
    },
    /// Outcome of [`Request::Subscribe`], in the order asked.
    PeerStates {
        /// The current state of each peer.
        states: Vec<crate::codes::PeerState>,
    },
    /// Outcome of [`Request::GetUserAttrs`].
    UserAttrs {
        /// Key, value.
        attrs: Vec<(String, String)>,
    },
    /// Outcome of [`Request::GetChannelAttrs`].
    ChannelAttrs {
        /// The attributes.
        attrs: Vec<ChannelAttr>,
    },
    /// Outcome of [`Request::InviteSend`].
    InviteSent {
        /// Names the invitation from now on.
        invitation: u64,
        /// The callee is online and was offered it (false: PEER_OFFLINE).
        delivered: bool,
    },
}

/// What happened to an invitation, as told to its caller or callee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationUpdate {
    /// To the caller: the callee's SDK has it.
    ReceivedByPeer,
    /// To the caller: accepted, with the callee's response.
    Accepted(String),
    /// To the caller: refused, with the callee's response.
    Refused(String),
    /// To the callee: the caller canceled; the invitation's content.
    Canceled(String),
    /// To either: it failed (`PEER_NO_RESPONSE`, `INVITATION_EXPIRE`, `PEER_OFFLINE`, ...).
    Failure(String),
}

/// A refused request: Agora's numeric code for the operation, and a message a
/// person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Agora's code within the request's operation family ([`crate::codes`]).
    pub code: u16,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl ErrorReply {
    /// An error reply with this code and message.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ErrorReply { code, message: message.into() }
    }
}

/// Events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Push {
    /// A message from another user. The SDK answers with [`Request::PeerAck`].
    PeerMessage {
        /// Names this delivery in the acknowledgement.
        delivery: u64,
        /// The sender's user id.
        from: String,
        /// The message.
        payload: Payload,
        /// When the server received it (ms since the Unix epoch).
        ts: u64,
        /// It was stored while this user was offline.
        offline: bool,
    },
    /// A message to a joined channel, from another member.
    ChannelMessage {
        /// Channel id.
        channel: String,
        /// The sender's user id.
        from: String,
        /// The message.
        payload: Payload,
        /// When the server received it (ms since the Unix epoch).
        ts: u64,
    },
    /// Someone joined a joined channel (not sent above
    /// [`crate::limits::MEMBER_EVENTS_MAX_MEMBERS`] members).
    MemberJoined {
        /// Channel id.
        channel: String,
        /// Who joined.
        uid: String,
    },
    /// Someone left a joined channel: leave, logout, remote login or a lost
    /// connection (not sent above [`crate::limits::MEMBER_EVENTS_MAX_MEMBERS`]).
    MemberLeft {
        /// Channel id.
        channel: String,
        /// Who left.
        uid: String,
    },
    /// The member count of a joined channel: right after joining, then at most
    /// once a second while it changes (every 3 s above 512 members).
    MemberCount {
        /// Channel id.
        channel: String,
        /// Members now.
        count: u32,
    },
    /// The server ends this session; the socket closes right after. The SDK must
    /// not reconnect when [`crate::ConnectionChangeReason::should_retry`] is false.
    Kicked {
        /// Why: REMOTE_LOGIN, BANNED_BY_SERVER, TOKEN_EXPIRED, INTERRUPTED.
        reason: crate::ConnectionChangeReason,
    },
    /// The session's token expires in 30 s: call `renewToken()`
    /// (`TokenPrivilegeWillExpire`).
    TokenWillExpire,
    /// A joined channel's attributes changed and the writer asked to notify:
    /// the full new set (`AttributesUpdated`).
    ChannelAttrs {
        /// Channel id.
        channel: String,
        /// Every attribute of the channel now.
        attrs: Vec<ChannelAttr>,
    },
    /// Someone calls (`RemoteInvitationReceived`). The SDK answers with
    /// [`Request::InviteReceived`].
    InvitationReceived {
        /// Names the invitation.
        invitation: u64,
        /// The caller.
        caller: String,
        /// Its content.
        content: String,
        /// Its channel id.
        channel_id: String,
    },
    /// An invitation of this user's moved on.
    Invitation {
        /// Which.
        invitation: u64,
        /// What happened.
        update: InvitationUpdate,
    },
    /// A subscribed peer's online state changed (`PeersOnlineStatusChanged`).
    PeerState {
        /// The peer.
        uid: String,
        /// Its state now.
        state: crate::codes::PeerState,
    },
}
