//! [`Client`]: the web SDK's `RtmClient` in async Rust. Logging in and out,
//! peer messages, presence, member counts; channels come from
//! [`Client::channel`], attributes are in `attributes.rs`.

use crate::channel::Channel;
use crate::core::Inner;
use crate::error::{self, Result};
use crate::event::{Events, Message};
use crate::invitation::LocalInvitation;
use rtm_protocol::codes::{
    CreateChannelError, CreateInstanceError, GetChannelMemberCountError as CountError,
    InvitationApiCallError, PeerMessageError, PeerSubscriptionStatusError as SubError,
    QueryPeersOnlineStatusError as QueryError,
};
use rtm_protocol::limits::{
    self, MAX_COUNT_CHANNELS, MAX_MESSAGE_BYTES, MAX_PEERS_PER_CALL, MAX_SUBSCRIBED_PEERS,
};
use rtm_protocol::rate::PresenceCall;
use rtm_protocol::{ConnectionChangeReason, ConnectionState, PeerState, Reply, Request};
use std::collections::HashMap;
use std::sync::Arc;

/// Options of [`Client::send_message_to_peer`] (`SendMessageOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendMessageOptions {
    /// Keep the message for an offline peer, delivered at its next login
    /// (`enableOfflineMessaging`).
    pub enable_offline_messaging: bool,
}

/// What [`Client::send_message_to_peer`] resolves with (`PeerMessageSendResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSendResult {
    /// The peer's client has the message (false: it is offline, or was
    /// stored for it).
    pub has_peer_received: bool,
}

/// A client of rtm-server: one user's session once logged in. Cheap to
/// clone; clones (and its [`Channel`]s) are the same client. Every method
/// that talks to the server fails with an [`crate::Error`] carrying the web
/// SDK's code for it. Dropping every handle closes the connection (the
/// server then keeps the session for its grace period); `logout()` ends it
/// at once.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (state, reason) = self.connection_state();
        f.debug_struct("Client")
            .field("url", &self.inner.url)
            .field("state", &state)
            .field("reason", &reason)
            .finish()
    }
}

fn check_ids(
    ids: &[&str],
    max: usize,
    what: &str,
    invalid: impl Fn(String) -> crate::Error,
) -> Result<Vec<String>> {
    if ids.is_empty() || ids.len() > max {
        return Err(invalid(format!("give 1-{max} {what}s (got {})", ids.len())));
    }
    for id in ids {
        limits::validate_id(id).map_err(|e| invalid(e.describe(what)))?;
    }
    Ok(ids.iter().map(|id| id.to_string()).collect())
}

impl Client {
    /// A client of the rtm-server at `url` (`ws://HOST:PORT/rtm` or
    /// `wss://…`) for `app_id`, as `AgoraRTM.createInstance(appId)`. It
    /// connects on [`Client::login`]; this checks only its arguments.
    pub fn connect(url: &str, app_id: &str) -> Result<Client> {
        if !limits::validate_app_id(app_id) {
            return Err(CreateInstanceError::INVALID_ARGUMENT
                .err("the app id must be 1-64 printable ASCII characters"));
        }
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(
                CreateInstanceError::INVALID_ARGUMENT.err(format!("{url:?} is not a ws:// or wss:// URL"))
            );
        }
        Ok(Client { inner: Inner::new(url.to_owned(), app_id.to_owned()) })
    }

    /// This client's events from now on (ask before `login` to see its
    /// state changes). A later call starts a new stream and ends the earlier
    /// one; events that happen while there is no stream are not kept.
    pub fn events(&self) -> Events {
        self.inner.lock().router.client_stream()
    }

    /// The connection state and the reason of its last change.
    pub fn connection_state(&self) -> (ConnectionState, ConnectionChangeReason) {
        let s = self.inner.lock();
        (s.state, s.reason)
    }

    /// The user logged in (or logging in), if any.
    pub fn uid(&self) -> Option<String> {
        self.inner.lock().creds.as_ref().map(|c| c.uid.clone())
    }

    /// Logs in as `uid`, with a token if the app has a certificate.
    pub async fn login(&self, uid: &str, token: Option<&str>) -> Result<()> {
        crate::session::login(self.inner.clone(), uid, token).await
    }

    /// Logs out: channels are left, the connection closes.
    pub async fn logout(&self) -> Result<()> {
        crate::session::logout(self.inner.clone()).await
    }

    /// Replaces the session's token (after `TokenPrivilegeWillExpire` or
    /// `TokenExpired`).
    pub async fn renew_token(&self, token: &str) -> Result<()> {
        crate::session::renew_token(self.inner.clone(), token).await
    }

    /// Sends `message` to `peer`.
    pub async fn send_message_to_peer(
        &self,
        peer: &str,
        message: impl Into<Message>,
        options: SendMessageOptions,
    ) -> Result<PeerSendResult> {
        let message = message.into();
        limits::validate_id(peer).map_err(|e| PeerMessageError::INVALID_USERID.err(e.describe("peerId")))?;
        if message.size() > MAX_MESSAGE_BYTES {
            let why = format!("the message is {} bytes; at most {MAX_MESSAGE_BYTES}", message.size());
            return Err(PeerMessageError::INVALID_MESSAGE.err(why));
        }
        self.inner.live_link(&error::PEER)?;
        self.inner.budget(
            |b, now| b.send(now),
            || PeerMessageError::TOO_OFTEN.err("more than 180 messages in 3 s (peer and channel together)"),
        )?;
        let req = Request::SendPeer {
            peer: peer.to_owned(),
            payload: message,
            offline: options.enable_offline_messaging,
        };
        match self.inner.call(req, &error::PEER).await? {
            Reply::PeerSent { has_peer_received } => Ok(PeerSendResult { has_peer_received }),
            _ => Err(error::PEER.unexpected()),
        }
    }

    /// The channel `id` (no server call until [`Channel::join`]).
    pub fn channel(&self, id: &str) -> Result<Channel> {
        limits::validate_id(id)
            .map_err(|e| CreateChannelError::INVALID_ARGUMENT.err(e.describe("channelId")))?;
        Ok(Channel::new(self.inner.clone(), id.to_owned()))
    }

    /// Member counts of 1–32 channels (0 for an empty one).
    pub async fn get_channel_member_count(&self, channels: &[&str]) -> Result<HashMap<String, u32>> {
        let ids =
            check_ids(channels, MAX_COUNT_CHANNELS, "channelId", |m| CountError::INVALID_ARGUMENT.err(m))?;
        self.inner.live_link(&error::MEMBER_COUNT)?;
        self.inner.budget(
            |b, now| b.member_count(now),
            || CountError::TOO_OFTEN.err("at most 1 call per second"),
        )?;
        match self.inner.call(Request::GetMemberCount { channels: ids.clone() }, &error::MEMBER_COUNT).await?
        {
            Reply::MemberCounts { counts } => Ok(ids.into_iter().zip(counts).collect()),
            _ => Err(error::MEMBER_COUNT.unexpected()),
        }
    }

    /// Whether each of 1–256 peers is online.
    pub async fn query_peers_online_status(&self, peers: &[&str]) -> Result<HashMap<String, bool>> {
        let ids = check_ids(peers, MAX_PEERS_PER_CALL, "peerId", |m| QueryError::INVALID_ARGUMENT.err(m))?;
        self.inner.live_link(&error::QUERY)?;
        self.inner.budget(
            |b, now| b.presence(PresenceCall::Query, now),
            || QueryError::TOO_OFTEN.err("at most 10 calls per 5 s"),
        )?;
        match self.inner.call(Request::QueryOnline { peers: ids.clone() }, &error::QUERY).await? {
            Reply::Online { online } => Ok(ids.into_iter().zip(online).collect()),
            _ => Err(error::QUERY.unexpected()),
        }
    }

    /// Subscribes to the online state of 1–256 peers (512 at most in all):
    /// their current states come as one `PeersOnlineStatusChanged` event,
    /// changes follow.
    pub async fn subscribe_peers_online_status(&self, peers: &[&str]) -> Result<()> {
        let ids = check_ids(peers, MAX_PEERS_PER_CALL, "peerId", |m| SubError::INVALID_ARGUMENT.err(m))?;
        self.inner.live_link(&error::SUBSCRIBE)?;
        {
            let s = self.inner.lock();
            let new = ids.iter().filter(|p| !s.subscribed.contains(*p)).count();
            if s.subscribed.len() + new > MAX_SUBSCRIBED_PEERS {
                return Err(
                    SubError::OVERFLOW.err(format!("at most {MAX_SUBSCRIBED_PEERS} peers subscribed"))
                );
            }
        }
        self.inner.budget(
            |b, now| b.presence(PresenceCall::Subscribe, now),
            || SubError::TOO_OFTEN.err("at most 10 calls per 5 s"),
        )?;
        match self.inner.call(Request::Subscribe { peers: ids.clone() }, &error::SUBSCRIBE).await? {
            Reply::PeerStates { states } => {
                let mut s = self.inner.lock();
                s.subscribed.extend(ids.iter().cloned());
                let now: HashMap<String, PeerState> = ids.into_iter().zip(states).collect();
                s.router.emit(crate::Event::PeersOnlineStatusChanged(now));
                Ok(())
            }
            _ => Err(error::SUBSCRIBE.unexpected()),
        }
    }

    /// Ends the subscription to 1–256 peers.
    pub async fn unsubscribe_peers_online_status(&self, peers: &[&str]) -> Result<()> {
        let ids = check_ids(peers, MAX_PEERS_PER_CALL, "peerId", |m| SubError::INVALID_ARGUMENT.err(m))?;
        self.inner.live_link(&error::SUBSCRIBE)?;
        self.inner.budget(
            |b, now| b.presence(PresenceCall::Unsubscribe, now),
            || SubError::TOO_OFTEN.err("at most 10 calls per 5 s"),
        )?;
        self.inner.call(Request::Unsubscribe { peers: ids.clone() }, &error::SUBSCRIBE).await?;
        let mut s = self.inner.lock();
        for id in &ids {
            s.subscribed.remove(id);
        }
        Ok(())
    }

    /// The peers this client is subscribed to (`queryPeersBySubscriptionOption`).
    pub fn subscribed_peers(&self) -> Vec<String> {
        self.inner.lock().subscribed.iter().cloned().collect()
    }

    /// A call invitation to `callee` (no server call until `send()`).
    pub fn create_local_invitation(&self, callee: &str) -> Result<LocalInvitation> {
        limits::validate_id(callee)
            .map_err(|e| InvitationApiCallError::INVALID_ARGUMENT.err(e.describe("calleeId")))?;
        Ok(LocalInvitation::new(self.inner.host(), callee.to_owned()))
    }
}
