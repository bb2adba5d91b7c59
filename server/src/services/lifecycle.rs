//! A session's life: login, resume, token renewal, the grace period after a
//! dropped link, and its end (logout, kick, grace over).
//!
//! The races between them are decided in the session's link (see
//! `sessions/link.rs`): a session ends once, a resume and the grace period
//! cannot both win, and a request that arrives after the end is refused. The
//! clean-up after an end waits for the session's request in flight, then
//! tells every feature.

use crate::clock::now_ms;
use crate::engine::event_log::record;
use crate::engine::{Event, Happening, LoggedEvent, NodeEvent, SessionRef, Topic};
use crate::features::attributes::Attributes;
use crate::features::channels::Channels;
use crate::features::invitations::Invitations;
use crate::features::peer::Peer;
use crate::features::presence::Presence;
use crate::node::Node;
use crate::sessions::{close, AttachError, Outbound, Outbox, Session};
use crate::token::login::{check_credentials, Purpose};
use rtm_protocol::codes::{LoginError, RenewTokenError};
use rtm_protocol::limits;
use rtm_protocol::rate::RateWindow;
use rtm_protocol::{ConnectionChangeReason, OpError, PeerState, Push, Reply};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Logs sessions in and out, and ends them; the only part of a node that
/// concerns every feature at once.
pub struct Lifecycle {
    node: Arc<Node>,
    peer: Arc<Peer>,
    channels: Arc<Channels>,
    presence: Arc<Presence>,
    attributes: Arc<Attributes>,
    invitations: Arc<Invitations>,
    /// Recent logins per user on this node.
    logins: LoginRate,
    me: Weak<Lifecycle>,
}

impl Lifecycle {
    /// The lifecycle of `node`'s sessions, cleaning up in these features.
    pub fn new(
        node: Arc<Node>,
        peer: Arc<Peer>,
        channels: Arc<Channels>,
        presence: Arc<Presence>,
        attributes: Arc<Attributes>,
        invitations: Arc<Invitations>,
    ) -> Arc<Lifecycle> {
        Arc::new_cyclic(|me| Lifecycle {
            node,
            peer,
            channels,
            presence,
            attributes,
            invitations,
            logins: LoginRate::default(),
            me: me.clone(),
        })
    }

    /// Logs a new session in on `outbox`. The caller sends the reply, then the
    /// stored offline messages.
    pub async fn login(
        &self,
        outbox: &Outbox,
        app: String,
        uid: String,
        token: Option<String>,
    ) -> Result<(Arc<Session>, Reply), OpError> {
        let node = &self.node;
        let per_sec = node.config.limits.logins_per_user_per_sec;
        if !self.logins.try_hit(&app, &uid, per_sec) {
            let msg = format!("login() is limited to {per_sec} calls per second per user; wait and retry");
            return Err(LoginError::TOO_OFTEN.err(msg));
        }
        let expires_at = check_credentials(&node.config, &app, &uid, token.as_deref(), Purpose::Login)?;
        self.check_ban(&app, &uid).await?;
        let sref = SessionRef { node: node.id, session: node.sessions.next_id() };
        let resume = crate::node::relays::secret(node.id);
        let replay = node.config.limits.replay_bytes;
        let session = Arc::new(Session::new(sref, app, uid, resume.clone(), outbox.clone(), replay));
        node.sessions.insert(session.clone());
        let user_topic = Topic::user(&session.app, &session.uid);
        if let Err(e) = node.subs.acquire(&user_topic).await {
            node.sessions.remove(&session);
            return Err(LoginError::UNKNOWN.err(format!("the broker is unavailable: {e}; retry shortly")));
        }
        let claim = match node.engine.presence.claim(&session.app, &session.uid, sref).await {
            Ok(claim) => claim,
            Err(e) => {
                node.sessions.remove(&session);
                node.subs.release(&user_topic).await;
                return Err(
                    LoginError::UNKNOWN.err(format!("the presence store is unavailable: {e}; retry shortly"))
                );
            }
        };
        node.sessions.own(&session, claim.epoch);
        let login = LoggedEvent::user(Happening::Login, &session.uid, now_ms());
        record(node.engine.events.as_ref(), &session.app, login).await;
        if claim.was != PeerState::ONLINE {
            self.node.announce(&session.app, &session.uid, PeerState::ONLINE).await;
        }
        if let Some(old) = claim.displaced {
            let kick = NodeEvent::Kick { session: old.session, reason: ConnectionChangeReason::REMOTE_LOGIN };
            let _ = node.publish(&Topic::Node(old.node), Event::Node(kick)).await;
        }
        self.watch_token(&session, expires_at);
        let reply = Reply::LoggedIn {
            server_ts: now_ms(),
            server: crate::SERVER_NAME.to_owned(),
            resume,
            grace_ms: node.config.grace.as_millis() as u64,
        };
        Ok((session, reply))
    }

    /// Refuses a banned user (the admin API's bans hold on every node: they
    /// are engine state). REJECTED is the code the SDK already shows for a
    /// login the server turns down.
    async fn check_ban(&self, app: &str, uid: &str) -> Result<(), OpError> {
        match self.node.engine.directory.banned_until(app, uid, now_ms()).await {
            Ok(None) => Ok(()),
            Ok(Some(until)) => {
                let secs = until.saturating_sub(now_ms()).div_ceil(1000);
                Err(LoginError::REJECTED.err(format!("user {uid:?} is banned for {secs} more seconds")))
            }
            Err(e) => {
                Err(LoginError::UNKNOWN.err(format!("the ban list is unavailable: {e}; retry shortly")))
            }
        }
    }

    /// Ends the session of `uid`, wherever in the cluster it is, for `reason`
    /// (the admin API's kick). A user has one session (a newer login
    /// displaces the older), so this ends all of the user's. Returns whether
    /// there was one.
    pub async fn kick_user(
        &self,
        app: &str,
        uid: &str,
        reason: ConnectionChangeReason,
    ) -> anyhow::Result<bool> {
        let Some(sref) = self.node.engine.presence.lookup(app, uid).await? else { return Ok(false) };
        let kick = NodeEvent::Kick { session: sref.session, reason };
        self.node.publish(&Topic::Node(sref.node), Event::Node(kick)).await?;
        Ok(true)
    }

    /// Takes a session back on `outbox` for request `id`: the reply is queued
    /// there, then everything the client missed after `last_seq`. Returns the
    /// session and the attachment generation.
    #[allow(clippy::too_many_arguments)]
    pub async fn resume(
        &self,
        outbox: &Outbox,
        id: u32,
        app: String,
        uid: String,
        token: Option<String>,
        secret: String,
        last_seq: u64,
    ) -> Result<(Arc<Session>, u64), OpError> {
        let expires_at = check_credentials(&self.node.config, &app, &uid, token.as_deref(), Purpose::Login)?;
        let gone = || {
            LoginError::REJECTED
                .err("the session is gone (grace period over, or the server restarted); log in again")
        };
        let session = self
            .node
            .sessions
            .resumable(&secret)
            .filter(|s| s.app == app && s.uid == uid)
            .ok_or_else(gone)?;
        let reply = Outbound::reply(id, Ok(Reply::Resumed { server_ts: now_ms() }));
        let generation = session.attach(outbox.clone(), last_seq, reply).map_err(|e| match e {
            AttachError::Ended => gone(),
            AttachError::Gap => LoginError::REJECTED.err("too much was missed to resume; log in again"),
        })?;
        self.watch_token(&session, expires_at);
        let presence = &self.node.engine.presence;
        if presence.set_reachable(&session.app, &session.uid, session.sref, true).await.unwrap_or(false) {
            self.node.announce(&session.app, &session.uid, PeerState::ONLINE).await;
        }
        tracing::debug!(app = %session.app, uid = %session.uid, last_seq, "resumed");
        Ok((session, generation))
    }

    /// `renewToken()`: checks the new token for this session's user.
    pub fn renew(&self, session: &Arc<Session>, token: String) -> Result<(), OpError> {
        if !session.budgets(|b| b.renew(now_ms())) {
            return Err(RenewTokenError::TOO_OFTEN.err("renewToken() is limited to 2 calls per second"));
        }
        let expires_at =
            check_credentials(&self.node.config, &session.app, &session.uid, Some(&token), Purpose::Renew)?;
        self.watch_token(session, expires_at);
        Ok(())
    }

    /// Warns the session 30 s before its token expires.
    fn watch_token(&self, session: &Arc<Session>, expires_at: Option<u64>) {
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

    /// The link of `session` (attachment `generation`) dropped without a
    /// logout: the user is UNREACHABLE, and the session waits for a resume
    /// for the grace period, then ends.
    pub fn suspend(&self, session: &Arc<Session>, generation: u64) {
        if !session.detach(generation) {
            return; // resumed on a newer connection, or ended
        }
        let (me, session, grace) = (self.me.clone(), session.clone(), self.node.config.grace);
        tokio::spawn(async move {
            if let Some(this) = me.upgrade() {
                let presence = &this.node.engine.presence;
                let (app, uid, sref) = (&session.app, &session.uid, session.sref);
                if presence.set_reachable(app, uid, sref, false).await.unwrap_or(false) {
                    if session.is_attached() {
                        // A resume overtook this; its ONLINE stands.
                        let _ = presence.set_reachable(app, uid, sref, true).await;
                    } else {
                        this.node.announce(app, uid, PeerState::UNREACHABLE).await;
                    }
                }
            }
            tokio::time::sleep(grace).await;
            let Some(this) = me.upgrade() else { return };
            if session.end_if_detached(generation) {
                tracing::debug!(app = %session.app, uid = %session.uid, "grace period over");
                this.clean_up(&session).await;
            }
        });
    }

    /// Ends a session now (logout). Idempotent.
    pub async fn end(&self, session: &Arc<Session>) {
        if session.end() {
            self.clean_up(session).await;
        }
    }

    /// The broker says: end session `id` of this node (a newer login took its user).
    pub fn kick(&self, id: u64, reason: ConnectionChangeReason) {
        let Some(session) = self.node.sessions.get(id) else { return };
        // Ended here and now, so requests already queued behind it are refused.
        if !session.end() {
            return;
        }
        session.push(&Push::Kicked { reason });
        session.close(close::KICKED, reason.as_str());
        let me = self.me.clone();
        tokio::spawn(async move {
            if let Some(this) = me.upgrade() {
                this.clean_up(&session).await;
            }
        });
    }

    /// After a session ended: every feature lets go of it, then the node, then
    /// presence. If the user is now offline, subscribers hear it and its
    /// attributes go.
    async fn clean_up(&self, session: &Arc<Session>) {
        let _quiet = session.serialize().await;
        self.channels.session_ended(session).await;
        self.presence.session_ended(session).await;
        self.invitations.session_ended(session).await;
        self.peer.session_ended(session);
        self.node.sessions.remove(session);
        self.node.subs.release(&Topic::user(&session.app, &session.uid)).await;
        let released = self.node.engine.presence.release(&session.app, &session.uid, session.sref).await;
        match released {
            Ok(true) => {
                let logout = LoggedEvent::user(Happening::Logout, &session.uid, now_ms());
                record(self.node.engine.events.as_ref(), &session.app, logout).await;
                self.node.announce(&session.app, &session.uid, PeerState::OFFLINE).await;
                self.attributes.user_offline(&session.app, &session.uid).await;
            }
            Ok(false) => {} // a newer session of the user is online
            Err(e) => tracing::warn!(error = %e, "could not release presence; the lease will expire it"),
        }
    }
}

/// Logins per user, within `[limits] logins_per_user_per_sec`.
#[derive(Default)]
struct LoginRate(std::sync::Mutex<LoginWindows>);

#[derive(Default)]
struct LoginWindows {
    users: HashMap<(String, String), RateWindow>,
    /// The size at which the table is next swept.
    sweep_at: usize,
}

impl LoginRate {
    /// Counts a login of `uid`; false when it is one too many.
    fn try_hit(&self, app: &str, uid: &str, per_sec: u32) -> bool {
        let now = now_ms();
        let mut t = self.0.lock().unwrap();
        // Users whose window emptied are forgotten, so a flood of distinct
        // uids keeps about a second's worth of entries. The sweep runs when
        // the table has doubled since the last one: sweeping at every login
        // past a fixed size made a burst of logins quadratic.
        if t.users.len() >= t.sweep_at.max(1024) {
            t.users.retain(|_, window| !window.is_empty_at(now));
            t.sweep_at = t.users.len() * 2;
        }
        let key = (app.to_owned(), uid.to_owned());
        t.users.entry(key).or_insert_with(|| RateWindow::new(per_sec, 1_000)).try_hit(now)
    }
}
