//! The hub: this node's sessions, and the operations on them.
//!
//! Every delivery goes out through the engine's broker and comes back in
//! through [`EventSink::deliver`], so a user on another node is reached the same
//! way as one on this node. The local maps sit behind a std `Mutex` that is
//! never held across an `.await`.

use crate::channels::LocalChannels;
use crate::config::Config;
use crate::engine::{AckRoute, ChannelEvent, Engine, EventSink, SessionRef, UserEvent};
use crate::session::{close, SessionHandle};
use rtm_protocol::codes::{LoginError, PeerMessageError};
use rtm_protocol::limits::{self, PEER_ACK_TIMEOUT_MS};
use rtm_protocol::{ConnectionChangeReason, OpError, Payload, Push, Reply, ServerFrame};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: `serverReceivedTs` and friends.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

#[derive(Default)]
struct Local {
    /// Every live session of this node.
    by_id: HashMap<u64, Arc<SessionHandle>>,
    /// (app, uid) → the newest session of that user on this node.
    by_user: HashMap<(String, String), u64>,
}

/// This node's state; cheap to share behind an `Arc`.
pub struct Hub {
    node: u64,
    engine: Engine,
    config: Config,
    next_session: AtomicU64,
    local: Mutex<Local>,
    channels: Mutex<LocalChannels>,
}

impl Hub {
    /// A hub on `engine`, attached to its broker.
    pub fn new(config: Config, engine: Engine) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            node: random_node_id(),
            engine,
            config,
            next_session: AtomicU64::new(1),
            local: Mutex::new(Local::default()),
            channels: Mutex::new(LocalChannels::default()),
        });
        let sink: Arc<dyn EventSink> = hub.clone();
        hub.engine.broker.attach(Arc::downgrade(&sink));
        crate::channels::spawn_count_ticker(Arc::downgrade(&hub));
        hub
    }

    /// The engine this hub runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// This node's channel members.
    pub(crate) fn local_channels(&self) -> std::sync::MutexGuard<'_, LocalChannels> {
        self.channels.lock().unwrap()
    }

    /// The settings this hub runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A fresh cluster-wide session name.
    pub fn next_session_ref(&self) -> SessionRef {
        SessionRef { node: self.node, session: self.next_session.fetch_add(1, Ordering::Relaxed) }
    }

    /// Checks who is logging in; the error is what `login()` rejects with.
    pub fn check_login(&self, app_id: &str, uid: &str) -> Result<(), OpError> {
        if !limits::validate_app_id(app_id) {
            return Err(LoginError::INVALID_APP_ID.err("the app id must be 1-64 printable characters"));
        }
        if let Some(apps) = &self.config.apps {
            if !apps.contains(app_id) {
                return Err(LoginError::INVALID_APP_ID.err(format!(
                    "app id {app_id:?} is not configured on this server; add it to [[apps]] in the config file"
                )));
            }
        }
        limits::validate_id(uid).map_err(|e| LoginError::INVALID_ARGUMENT.err(e.describe("uid")))
    }

    /// Makes `session` the user's session; the one it displaces (on any node) is
    /// ended with REMOTE_LOGIN.
    pub async fn register(&self, session: Arc<SessionHandle>) -> Result<(), OpError> {
        {
            let mut local = self.local.lock().unwrap();
            local.by_id.insert(session.sref.session, session.clone());
            local.by_user.insert((session.app.clone(), session.uid.clone()), session.sref.session);
        }
        let displaced = self
            .engine
            .presence
            .claim(&session.app, &session.uid, session.sref)
            .await
            .map_err(|e| LoginError::UNKNOWN.err(format!("presence store unavailable: {e}")))?;
        if let Some(old) = displaced {
            let kick = UserEvent::Kick { session: old, reason: ConnectionChangeReason::REMOTE_LOGIN };
            if let Err(e) = self.engine.broker.publish_user(&session.app, &session.uid, kick).await {
                tracing::warn!(error = %e, "could not reach the displaced session");
            }
        }
        Ok(())
    }

    /// Forgets a session that has ended, however it ended: it leaves its
    /// channels and stops being the user.
    pub async fn unregister(&self, session: &Arc<SessionHandle>) {
        self.leave_all(session).await;
        {
            let mut local = self.local.lock().unwrap();
            local.by_id.remove(&session.sref.session);
            let key = (session.app.clone(), session.uid.clone());
            if local.by_user.get(&key) == Some(&session.sref.session) {
                local.by_user.remove(&key);
            }
        }
        if let Err(e) = self.engine.presence.release(&session.app, &session.uid, session.sref).await {
            tracing::warn!(error = %e, "could not release presence");
        }
    }

    /// `sendMessageToPeer`: validates, routes, and answers `hasPeerReceived`
    /// once the peer's SDK acknowledged, or false when it is offline or silent.
    pub async fn send_peer(
        &self,
        from: &Arc<SessionHandle>,
        peer: String,
        payload: Payload,
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
        let online = self.engine.presence.lookup(&from.app, &peer).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "presence lookup failed; treating peer as offline");
            None
        });
        if online.is_none() {
            return not_received;
        }
        let (ack_id, acked) = from.wait_ack();
        let route = AckRoute { uid: from.uid.clone(), session: from.sref, ack_id };
        let event = UserEvent::PeerMessage { from: from.uid.clone(), payload, ts: now_ms(), ack: route };
        let taken = self.engine.broker.publish_user(&from.app, &peer, event).await.unwrap_or(0);
        if taken == 0 {
            from.forget_ack(ack_id);
            return not_received;
        }
        let received = tokio::time::timeout(Duration::from_millis(PEER_ACK_TIMEOUT_MS), acked).await;
        from.forget_ack(ack_id);
        Ok(Reply::PeerSent { has_peer_received: matches!(received, Ok(Ok(()))) })
    }

    /// The client of `session` acknowledged peer message `delivery`.
    pub async fn peer_ack(&self, session: &SessionHandle, delivery: u64) {
        if let Some(route) = session.take_delivery(delivery) {
            let uid = route.uid.clone();
            let _ = self.engine.broker.publish_user(&session.app, &uid, UserEvent::PeerAck { route }).await;
        }
    }

    fn local_session(&self, id: u64) -> Option<Arc<SessionHandle>> {
        self.local.lock().unwrap().by_id.get(&id).cloned()
    }

    fn local_user(&self, app: &str, uid: &str) -> Option<Arc<SessionHandle>> {
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
                let delivery = session.add_delivery(ack);
                let push = Push::PeerMessage { delivery, from, payload, ts, offline: false };
                usize::from(session.send(&ServerFrame::Push(push)))
            }
            UserEvent::PeerAck { route } => {
                if route.session.node != self.node {
                    return 0;
                }
                match self.local_session(route.session.session) {
                    Some(s) => usize::from(s.finish_ack(route.ack_id)),
                    None => 0,
                }
            }
            UserEvent::Kick { session, reason } => {
                if session.node != self.node {
                    return 0;
                }
                let Some(s) = self.local_session(session.session) else { return 0 };
                s.send(&ServerFrame::Push(Push::Kicked { reason }));
                s.close(close::KICKED, reason.as_str());
                1
            }
        }
    }

    fn deliver_channel(&self, app: &str, channel: &str, event: ChannelEvent) {
        self.fan_out(app, channel, event);
    }
}

/// A node id that differs between processes (and restarts) without a
/// random-number crate: the clock's nanoseconds mixed with the process id.
fn random_node_id() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32);
    // splitmix64 finaliser: spreads the bits.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}
