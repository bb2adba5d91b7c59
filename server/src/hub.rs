//! The hub: this node's sessions, and the session-level operations — login,
//! resume, logout, peer messages, tokens.
//!
//! Every delivery goes out through the engine's broker and comes back in
//! through [`EventSink::deliver`], so a user on another node is reached the same
//! way as one on this node. The local maps sit behind a std `Mutex` that is
//! never held across an `.await`. Channel operations are in `channels.rs`.

use crate::attributes::EmptyChannels;
use crate::channels::LocalChannels;
use crate::config::Config;
use crate::engine::{AckRoute, ChannelEvent, Engine, EventSink, SessionRef, UserEvent};
use crate::invitations::Invitations;
use crate::presence::Watchers;
use crate::session::{close, Delivery, Outbox, SessionHandle};
use rtm_protocol::codes::{LoginError, PeerMessageError};
use rtm_protocol::limits::{self, PEER_ACK_TIMEOUT_MS};
use rtm_protocol::{ConnectionChangeReason, OpError, Payload, PeerState, Push, Reply};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: `serverReceivedTs` and friends.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[derive(Default)]
struct Local {
    /// Every live (or detached, in grace) session of this node.
    by_id: HashMap<u64, Arc<SessionHandle>>,
    /// (app, uid) → the newest session of that user on this node.
    by_user: HashMap<(String, String), u64>,
    /// Resume secret → session id.
    by_resume: HashMap<String, u64>,
}

/// This node's state; cheap to share behind an `Arc`.
pub struct Hub {
    node: u64,
    engine: Engine,
    config: Config,
    next_session: AtomicU64,
    local: Mutex<Local>,
    channels: Mutex<LocalChannels>,
    watchers: Mutex<Watchers>,
    empty_channels: Mutex<EmptyChannels>,
    invitations: Mutex<Invitations>,
    me: OnceLock<Weak<Hub>>,
}

impl Hub {
    /// A hub on `engine`, attached to its broker.
    pub fn new(config: Config, engine: Engine) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            node: rand::random(),
            engine,
            config,
            next_session: AtomicU64::new(1),
            local: Mutex::new(Local::default()),
            channels: Mutex::new(LocalChannels::default()),
            watchers: Mutex::new(Watchers::default()),
            empty_channels: Mutex::new(EmptyChannels::default()),
            invitations: Mutex::new(Invitations::default()),
            me: OnceLock::new(),
        });
        let _ = hub.me.set(Arc::downgrade(&hub));
        let sink: Arc<dyn EventSink> = hub.clone();
        hub.engine.broker.attach(Arc::downgrade(&sink));
        crate::channels::spawn_count_ticker(Arc::downgrade(&hub));
        hub
    }

    /// The settings this hub runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The engine this hub runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// This node's channel members.
    pub(crate) fn local_channels(&self) -> std::sync::MutexGuard<'_, LocalChannels> {
        self.channels.lock().unwrap()
    }

    /// This node's presence subscribers.
    pub(crate) fn watchers(&self) -> std::sync::MutexGuard<'_, Watchers> {
        self.watchers.lock().unwrap()
    }

    /// Channels without members, and since when.
    pub(crate) fn empty_channels(&self) -> std::sync::MutexGuard<'_, EmptyChannels> {
        self.empty_channels.lock().unwrap()
    }

    /// Invitations whose caller is on this node.
    pub(crate) fn invitations(&self) -> std::sync::MutexGuard<'_, Invitations> {
        self.invitations.lock().unwrap()
    }

    pub(crate) fn arc(&self) -> Option<Arc<Hub>> {
        self.me.get().and_then(Weak::upgrade)
    }

    /// Logs a new session in on `outbox`; the reply is for the caller to send,
    /// then [`Hub::deliver_stored`].
    pub async fn login(
        &self,
        outbox: &Outbox,
        app_id: String,
        uid: String,
        token: Option<String>,
    ) -> Result<(Arc<SessionHandle>, Reply), OpError> {
        let expires_at =
            self.check_credentials(&app_id, &uid, token.as_deref(), crate::auth::Purpose::Login)?;
        let sref = SessionRef { node: self.node, session: self.next_session.fetch_add(1, Ordering::Relaxed) };
        let resume = format!("{:032x}", rand::random::<u128>());
        let session = Arc::new(SessionHandle::new(sref, app_id, uid, resume.clone(), outbox.clone()));
        session.set_token(token);
        self.register(session.clone()).await?;
        self.watch_token(&session, expires_at);
        let reply = Reply::LoggedIn {
            server_ts: now_ms(),
            server: crate::SERVER_NAME.to_owned(),
            resume,
            grace_ms: self.config.grace.as_millis() as u64,
        };
        Ok((session, reply))
    }

    /// Takes a detached (or still attached) session back on `outbox`: answers
    /// request `id` there, then replays what the client missed.
    #[allow(clippy::too_many_arguments)]
    pub async fn resume(
        &self,
        outbox: &Outbox,
        id: u32,
        app_id: String,
        uid: String,
        token: Option<String>,
        resume: String,
        last_seq: u64,
    ) -> Result<(Arc<SessionHandle>, u64), OpError> {
        let expires_at =
            self.check_credentials(&app_id, &uid, token.as_deref(), crate::auth::Purpose::Login)?;
        let gone = || {
            LoginError::REJECTED
                .err("the session is gone (grace period over, or the server restarted); log in again")
        };
        let session = {
            let local = self.local.lock().unwrap();
            let sid = local.by_resume.get(&resume).ok_or_else(gone)?;
            local.by_id.get(sid).cloned().ok_or_else(gone)?
        };
        if session.app != app_id || session.uid != uid || session.has_ended() {
            return Err(gone());
        }
        let reply = Reply::Resumed { server_ts: now_ms() };
        let generation = session
            .attach(outbox.clone(), last_seq, |o| o.reply(id, Ok(reply)))
            .map_err(|_| LoginError::REJECTED.err("too much was missed to resume; log in again"))?;
        session.set_token(token);
        self.watch_token(&session, expires_at);
        if self
            .engine
            .presence
            .set_reachable(&session.app, &session.uid, session.sref, true)
            .await
            .unwrap_or(false)
        {
            self.publish_state(&session.app, &session.uid, PeerState::ONLINE).await;
        }
        tracing::debug!(app = %session.app, uid = %session.uid, last_seq, "resumed");
        Ok((session, generation))
    }

    /// `renewToken()`: checks the new token for this session's user.
    pub fn renew(&self, session: &Arc<SessionHandle>, token: String) -> Result<(), OpError> {
        let expires_at =
            self.check_credentials(&session.app, &session.uid, Some(&token), crate::auth::Purpose::Renew)?;
        session.set_token(Some(token));
        self.watch_token(session, expires_at);
        Ok(())
    }

    /// The app, uid and token rules; the token's expiry (unix s) if it has one.
    fn check_credentials(
        &self,
        app_id: &str,
        uid: &str,
        token: Option<&str>,
        purpose: crate::auth::Purpose,
    ) -> Result<Option<u64>, OpError> {
        if !limits::validate_app_id(app_id) {
            return Err(LoginError::INVALID_APP_ID.err("the app id must be 1-64 printable characters"));
        }
        let certificate = match self.config.apps.get(app_id) {
            Some(cert) => cert.as_deref(),
            None if self.config.development => None,
            None => {
                return Err(LoginError::INVALID_APP_ID.err(format!(
                "app id {app_id:?} is not configured on this server; add it to [[apps]] in the config file"
            )))
            }
        };
        limits::validate_id(uid).map_err(|e| LoginError::INVALID_ARGUMENT.err(e.describe("uid")))?;
        if token.is_some_and(|t| t.len() > limits::MAX_TOKEN_BYTES) {
            return Err(purpose.invalid("the token is longer than any valid token"));
        }
        match certificate {
            None => Ok(None),
            Some(cert) => crate::auth::check(app_id, cert, uid, token, purpose),
        }
    }

    /// Warns the session 30 s before its token expires.
    fn watch_token(&self, session: &Arc<SessionHandle>, expires_at: Option<u64>) {
        let timer = expires_at.map(|at| {
            let warn_at = at.saturating_sub(limits::TOKEN_WARNING_SECS);
            let wait = Duration::from_millis((warn_at * 1000).saturating_sub(now_ms()));
            let weak = Arc::downgrade(session);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if let Some(session) = weak.upgrade() {
                    session.push(&Push::TokenWillExpire);
                }
            })
        });
        session.set_token_timer(timer);
    }

    /// Makes `session` the user's session; the one it displaces (on any node) is
    /// ended with REMOTE_LOGIN.
    async fn register(&self, session: Arc<SessionHandle>) -> Result<(), OpError> {
        {
            let mut local = self.local.lock().unwrap();
            local.by_id.insert(session.sref.session, session.clone());
            local.by_user.insert((session.app.clone(), session.uid.clone()), session.sref.session);
            local.by_resume.insert(session.resume_token.clone(), session.sref.session);
        }
        let before =
            self.engine.presence.state(&session.app, &session.uid).await.unwrap_or(PeerState::OFFLINE);
        let displaced = self
            .engine
            .presence
            .claim(&session.app, &session.uid, session.sref)
            .await
            .map_err(|e| LoginError::UNKNOWN.err(format!("presence store unavailable: {e}")))?;
        if before != PeerState::ONLINE {
            self.publish_state(&session.app, &session.uid, PeerState::ONLINE).await;
        }
        if let Some(old) = displaced {
            let kick = UserEvent::Kick { session: old, reason: ConnectionChangeReason::REMOTE_LOGIN };
            if let Err(e) = self.engine.broker.publish_user(&session.app, &session.uid, kick).await {
                tracing::warn!(error = %e, "could not reach the displaced session");
            }
        }
        Ok(())
    }

    /// The connection of `session` (attachment `generation`) dropped without a
    /// logout: keep the session for the grace period, then end it.
    pub fn suspend(&self, session: &Arc<SessionHandle>, generation: u64) {
        if !session.detach(generation) {
            return; // already resumed on a newer connection
        }
        let (hub, session, grace) = (self.me.get().cloned(), session.clone(), self.config.grace);
        tokio::spawn(async move {
            if let Some(hub) = hub.as_ref().and_then(Weak::upgrade) {
                let presence = &hub.engine.presence;
                if presence
                    .set_reachable(&session.app, &session.uid, session.sref, false)
                    .await
                    .unwrap_or(false)
                {
                    hub.publish_state(&session.app, &session.uid, PeerState::UNREACHABLE).await;
                }
            }
            tokio::time::sleep(grace).await;
            let Some(hub) = hub.and_then(|h| h.upgrade()) else { return };
            if session.is_detached() && session.generation() == generation {
                tracing::debug!(app = %session.app, uid = %session.uid, "grace period over");
                hub.end_session(&session).await;
            }
        });
    }

    /// Ends a session for good (logout, kick, grace over): it leaves its
    /// channels and stops being the user. Idempotent.
    pub async fn end_session(&self, session: &Arc<SessionHandle>) {
        if !session.end() {
            return;
        }
        self.leave_all(session).await;
        self.unsubscribe_all(session);
        self.drop_invitations_of(session).await;
        {
            let mut local = self.local.lock().unwrap();
            local.by_id.remove(&session.sref.session);
            local.by_resume.remove(&session.resume_token);
            let key = (session.app.clone(), session.uid.clone());
            if local.by_user.get(&key) == Some(&session.sref.session) {
                local.by_user.remove(&key);
            }
        }
        if let Err(e) = self.engine.presence.release(&session.app, &session.uid, session.sref).await {
            tracing::warn!(error = %e, "could not release presence");
        }
        // After a remote login the user is still online through its new session.
        if self.engine.presence.state(&session.app, &session.uid).await.ok() == Some(PeerState::OFFLINE) {
            self.publish_state(&session.app, &session.uid, PeerState::OFFLINE).await;
            self.clear_user_attrs(session).await;
        }
    }

    /// Pushes the messages stored for this user while it was offline; each is
    /// deleted once the client acknowledges it.
    pub async fn deliver_stored(&self, session: &Arc<SessionHandle>) {
        let stored = match self.engine.store.list(&session.app, &session.uid).await {
            Ok(stored) => stored,
            Err(e) => return tracing::warn!(error = %e, "could not read offline messages"),
        };
        for m in stored {
            let delivery = session.add_delivery(Delivery::Stored(m.id));
            session.push(&Push::PeerMessage {
                delivery,
                from: m.from,
                payload: m.payload,
                ts: m.ts,
                offline: true,
            });
        }
    }

    /// `sendMessageToPeer`: validates, routes, and answers `hasPeerReceived`
    /// once the peer's SDK acknowledged, or false when it is offline or silent.
    pub async fn send_peer(
        &self,
        from: &Arc<SessionHandle>,
        peer: String,
        payload: Payload,
        offline: bool,
    ) -> Result<Reply, OpError> {
        limits::validate_id(&peer)
            .map_err(|e| PeerMessageError::INVALID_USERID.err(e.describe("peer id")))?;
        if payload.size() > limits::MAX_MESSAGE_BYTES {
            return Err(PeerMessageError::INVALID_MESSAGE.err(format!(
                "the message is {} bytes; at most {} bytes of text (or raw bytes plus description) are allowed",
                payload.size(),
                limits::MAX_MESSAGE_BYTES
            )));
        }
        if !from.budgets(|b| b.send(now_ms())) {
            return Err(PeerMessageError::TOO_OFTEN.err(format!(
                "more than {} messages in {} ms; slow down and retry",
                limits::SEND_RATE_MAX,
                limits::SEND_RATE_WINDOW_MS
            )));
        }
        let not_received = Ok(Reply::PeerSent { has_peer_received: false });
        let ts = now_ms();
        let online = self.engine.presence.lookup(&from.app, &peer).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "presence lookup failed; treating peer as offline");
            None
        });
        if online.is_none() {
            if offline {
                self.engine.store.put(&from.app, &peer, &from.uid, &payload, ts).await.map_err(|e| {
                    PeerMessageError::FAILURE.err(format!("could not store the offline message: {e}"))
                })?;
            }
            return not_received;
        }
        let (ack_id, acked) = from.wait_ack();
        let route = AckRoute { uid: from.uid.clone(), session: from.sref, ack_id };
        let event = UserEvent::PeerMessage { from: from.uid.clone(), payload, ts, ack: route };
        let taken = self.engine.broker.publish_user(&from.app, &peer, event).await.unwrap_or(0);
        if taken == 0 {
            from.forget_ack(ack_id);
            return not_received;
        }
        let received = tokio::time::timeout(Duration::from_millis(PEER_ACK_TIMEOUT_MS), acked).await;
        from.forget_ack(ack_id);
        Ok(Reply::PeerSent { has_peer_received: matches!(received, Ok(Ok(true))) })
    }

    /// The client of `session` acknowledged peer message `delivery`.
    pub async fn peer_ack(&self, session: &SessionHandle, delivery: u64) {
        match session.take_delivery(delivery) {
            Some(Delivery::Peer(route)) => {
                let uid = route.uid.clone();
                let _ = self
                    .engine
                    .broker
                    .publish_user(&session.app, &uid, UserEvent::Ack { route, ok: true })
                    .await;
            }
            Some(Delivery::Stored(id)) => {
                if let Err(e) = self.engine.store.remove(id).await {
                    tracing::warn!(error = %e, "could not delete a delivered offline message");
                }
            }
            None => {}
        }
    }

    /// A session of this node by id.
    pub(crate) fn local_session(&self, id: u64) -> Option<Arc<SessionHandle>> {
        self.local.lock().unwrap().by_id.get(&id).cloned()
    }

    /// The newest session of a user on this node.
    pub(crate) fn local_user(&self, app: &str, uid: &str) -> Option<Arc<SessionHandle>> {
        let local = self.local.lock().unwrap();
        let id = local.by_user.get(&(app.to_owned(), uid.to_owned()))?;
        local.by_id.get(id).cloned()
    }
}

impl EventSink for Hub {
    fn deliver(&self, app: &str, uid: &str, event: UserEvent) -> usize {
        match event {
            UserEvent::PeerMessage { from, payload, ts, ack } => {
                let Some(session) = self.local_user(app, uid) else { return 0 };
                let delivery = session.add_delivery(Delivery::Peer(ack));
                session.push(&Push::PeerMessage { delivery, from, payload, ts, offline: false });
                1
            }
            UserEvent::Ack { route, ok } => {
                if route.session.node != self.node {
                    return 0;
                }
                self.local_session(route.session.session)
                    .map_or(0, |s| usize::from(s.finish_ack(route.ack_id, ok)))
            }
            UserEvent::InviteOffer { .. }
            | UserEvent::InviteUpdate { .. }
            | UserEvent::InviteReceived { .. }
            | UserEvent::InviteAnswer { .. }
            | UserEvent::InviteCalleeGone { .. } => self.on_invite_event(app, uid, event),
            UserEvent::Kick { session, reason } => {
                if session.node != self.node {
                    return 0;
                }
                let Some(s) = self.local_session(session.session) else { return 0 };
                s.push(&Push::Kicked { reason });
                s.close(close::KICKED, reason.as_str());
                if let Some(hub) = self.arc() {
                    tokio::spawn(async move { hub.end_session(&s).await });
                }
                1
            }
        }
    }

    fn deliver_channel(&self, app: &str, channel: &str, event: ChannelEvent) {
        self.fan_out(app, channel, event);
    }

    fn deliver_status(&self, app: &str, uid: &str, state: PeerState) {
        self.fan_out_status(app, uid, state);
    }
}
