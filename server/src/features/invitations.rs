//! Call invitations. The caller's node keeps each pending invitation (its
//! timer, its caller) and decides every race — cancel against accept, answer
//! against timeout — because every signal about it travels to the caller's
//! user topic. The callee's node shows the offer and acknowledges that it did
//! (without that answer in time the caller gets PEER_OFFLINE: never a count), and
//! remembers what rings at each session so a callee that goes away is
//! reported.

use super::handled::{done, Handled};
use crate::clock::now_ms;
use crate::engine::{Event, NodeEvent, Topic, UserEvent};
use crate::node::Node;
use crate::sessions::Session;
use rtm_protocol::codes::{InvitationApiCallError as InvErr, InviteSendError};
use rtm_protocol::limits::{self, MAX_INVITATION_BYTES, PEER_ACK_TIMEOUT_MS};
use rtm_protocol::{InvitationUpdate, OpError, Push, Reply, Request};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the caller waits for a callee's node to show the offer.
const OFFER_ACK_TIMEOUT: Duration = Duration::from_millis(PEER_ACK_TIMEOUT_MS);

/// An invitation that has not ended, kept on the caller's node.
struct Pending {
    caller: Arc<Session>,
    callee: String,
    content: String,
    timer: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct State {
    /// Invitations placed by this node's sessions: id → pending.
    pending: HashMap<u64, Pending>,
    /// Session id → invitations ringing at it (id → caller).
    ringing: HashMap<u64, HashMap<u64, String>>,
}

/// The invitations feature of one node.
pub struct Invitations {
    node: Arc<Node>,
    state: Mutex<State>,
}

fn check_size(what: &str, text: &str) -> Result<(), OpError> {
    if text.len() > MAX_INVITATION_BYTES {
        return Err(InvErr::INVALID_ARGUMENT
            .err(format!("the {what} is {} bytes; at most {MAX_INVITATION_BYTES}", text.len())));
    }
    Ok(())
}

fn not_pending() -> OpError {
    InvErr::ALREADY_END.err("the invitation is no longer pending (answered, canceled or expired)")
}

fn failure(reason: &str) -> InvitationUpdate {
    InvitationUpdate::Failure(reason.into())
}

impl Invitations {
    /// The feature on `node`.
    pub fn new(node: Arc<Node>) -> Arc<Invitations> {
        Arc::new(Invitations { node, state: Mutex::new(State::default()) })
    }

    /// `InviteSend`, `InviteCancel`, `InviteReceived`, `InviteAnswer`.
    pub async fn handle(self: &Arc<Self>, session: &Arc<Session>, req: Request) -> Handled {
        match req {
            Request::InviteSend { callee, content, channel_id } => {
                match self.send(session, callee, content, channel_id).await {
                    Ok(handled) => handled,
                    Err(e) => Handled::Reply(Err(e)),
                }
            }
            Request::InviteCancel { invitation } => done(self.cancel(session, invitation).await),
            Request::InviteReceived { invitation, caller } => {
                let event = Event::User(UserEvent::InviteReceived { invitation });
                let _ = self.node.publish(&Topic::user(&session.app, &caller), event).await;
                Handled::Silent
            }
            Request::InviteAnswer { invitation, caller, accept, response } => {
                if let Err(e) = check_size("response", &response) {
                    return Handled::Reply(Err(e));
                }
                if let Some(ringing) = self.state.lock().unwrap().ringing.get_mut(&session.id()) {
                    ringing.remove(&invitation);
                }
                let wait = self.node.acks.open();
                let event = UserEvent::InviteAnswer {
                    invitation,
                    callee: session.uid.clone(),
                    accept,
                    response,
                    ack: wait.route,
                };
                let _ = self.node.publish(&Topic::user(&session.app, &caller), Event::User(event)).await;
                // The caller's node decides; its answer must not stall this reader.
                let node = self.node.clone();
                Handled::Later(Box::pin(async move {
                    match node.acks.outcome(wait, OFFER_ACK_TIMEOUT).await {
                        Some(true) => Ok(Reply::Done),
                        _ => Err(not_pending()),
                    }
                }))
            }
            _ => Handled::Reply(Err(InvErr::INVALID_ARGUMENT.err("not an invitation request"))),
        }
    }

    /// `send()`: records the invitation and offers it to the callee if the
    /// callee is online; the reply says whether it was offered.
    async fn send(
        self: &Arc<Self>,
        session: &Arc<Session>,
        callee: String,
        content: String,
        channel_id: String,
    ) -> Result<Handled, OpError> {
        limits::validate_id(&callee).map_err(|e| InvErr::INVALID_ARGUMENT.err(e.describe("calleeId")))?;
        check_size("content", &content)?;
        if !session.budgets(|b| b.invite(now_ms())) {
            let (max, window) = limits::INVITE_RATE;
            return Err(InviteSendError::TOO_OFTEN
                .err(format!("more than {max} invitations in {window} ms; slow down and retry")));
        }
        if !channel_id.is_empty() {
            limits::validate_id(&channel_id)
                .map_err(|e| InvErr::INVALID_ARGUMENT.err(e.describe("channelId")))?;
        }
        let invitation = rand::random::<u64>() >> 11; // exact in a JS number
        let offline = Ok(Reply::InviteSent { invitation, delivered: false });
        if self.node.engine.presence.lookup(&session.app, &callee).await.ok().flatten().is_none() {
            return Ok(Handled::Reply(offline));
        }
        let timeout = Duration::from_secs(self.node.config.limits.invitation_timeout_secs);
        let weak = Arc::downgrade(self);
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(this) = weak.upgrade() {
                this.expire(invitation).await;
            }
        });
        let pending =
            Pending { caller: session.clone(), callee: callee.clone(), content: content.clone(), timer };
        self.state.lock().unwrap().pending.insert(invitation, pending);
        let wait = self.node.acks.open();
        let offer = UserEvent::InviteOffer {
            invitation,
            caller: session.uid.clone(),
            content,
            channel_id,
            ack: wait.route,
        };
        let _ = self.node.publish(&Topic::user(&session.app, &callee), Event::User(offer)).await;
        // The reply goes out now, before anything about the invitation can come
        // back (the SDK learns the invitation's id from it). If no session of
        // the callee shows the offer in time, the caller hears PEER_OFFLINE.
        let this = self.clone();
        tokio::spawn(async move {
            let reason = match this.node.acks.outcome(wait, OFFER_ACK_TIMEOUT).await {
                Some(true) => return,
                // The callee's node refused it: too many ring there already.
                // Agora has no "busy" reason; the callee does not answer this
                // one, which is what PEER_NO_RESPONSE tells the caller.
                Some(false) => "PEER_NO_RESPONSE",
                None => "PEER_OFFLINE",
            };
            if let Some(p) = this.take(invitation) {
                p.caller.push(&Push::Invitation { invitation, update: failure(reason) });
            }
        });
        Ok(Handled::Reply(Ok(Reply::InviteSent { invitation, delivered: true })))
    }

    /// Removes a pending invitation and stops its timer.
    fn take(&self, invitation: u64) -> Option<Pending> {
        let p = self.state.lock().unwrap().pending.remove(&invitation)?;
        p.timer.abort();
        Some(p)
    }

    /// `cancel()`: the callee is told, with the invitation's content.
    async fn cancel(&self, session: &Session, invitation: u64) -> Result<(), OpError> {
        let mine = self
            .state
            .lock()
            .unwrap()
            .pending
            .get(&invitation)
            .is_some_and(|p| p.caller.sref == session.sref);
        let p = if mine { self.take(invitation) } else { None }.ok_or_else(not_pending)?;
        self.tell(&session.app, &p.callee, invitation, InvitationUpdate::Canceled(p.content)).await;
        Ok(())
    }

    /// No answer in time: both sides get INVITATION_EXPIRE, as with Agora (the
    /// callee got the offer, or the caller would have heard PEER_OFFLINE).
    async fn expire(&self, invitation: u64) {
        let Some(p) = self.state.lock().unwrap().pending.remove(&invitation) else { return };
        p.caller.push(&Push::Invitation { invitation, update: failure("INVITATION_EXPIRE") });
        self.tell(&p.caller.app, &p.callee, invitation, failure("INVITATION_EXPIRE")).await;
    }

    async fn tell(&self, app: &str, uid: &str, invitation: u64, update: InvitationUpdate) {
        let event = Event::User(UserEvent::InviteUpdate { invitation, update });
        let _ = self.node.publish(&Topic::user(app, uid), event).await;
    }

    /// A session ended: invitations it placed fail for their callees, and those
    /// ringing at it fail for their callers (PEER_OFFLINE both ways).
    pub async fn session_ended(&self, session: &Session) {
        let (ringing, placed) = {
            let mut state = self.state.lock().unwrap();
            let ringing = state.ringing.remove(&session.id()).unwrap_or_default();
            let ids: Vec<u64> = state
                .pending
                .iter()
                .filter(|(_, p)| p.caller.sref == session.sref)
                .map(|(id, _)| *id)
                .collect();
            let placed: Vec<(u64, Pending)> =
                ids.into_iter().filter_map(|id| state.pending.remove(&id).map(|p| (id, p))).collect();
            (ringing, placed)
        };
        for (invitation, caller) in ringing {
            let event = Event::User(UserEvent::InviteCalleeGone { invitation });
            let _ = self.node.publish(&Topic::user(&session.app, &caller), event).await;
        }
        for (invitation, p) in placed {
            p.timer.abort();
            self.tell(&session.app, &p.callee, invitation, failure("PEER_OFFLINE")).await;
        }
    }

    /// The broker brought an invitation event for user `uid` of `app`.
    pub fn on_event(self: &Arc<Self>, app: &str, uid: &str, event: UserEvent) {
        let user = || self.node.sessions.user(app, uid).filter(|s| !s.has_ended());
        match event {
            UserEvent::InviteOffer { invitation, caller, content, channel_id, ack } => {
                let Some(callee) = user() else { return };
                {
                    let mut state = self.state.lock().unwrap();
                    let ringing = state.ringing.entry(callee.id()).or_default();
                    // A bound on what callers can queue at one callee: without
                    // it a flood of offers gets the callee cut off as slow.
                    if ringing.len() >= limits::MAX_RINGING_PER_CALLEE {
                        drop(state);
                        return self.acknowledge(ack.node, ack.ack_id, false);
                    }
                    ringing.insert(invitation, caller.clone());
                }
                callee.push(&Push::InvitationReceived { invitation, caller, content, channel_id });
                self.acknowledge(ack.node, ack.ack_id, true);
                self.ring_out(callee.id(), invitation);
            }
            UserEvent::InviteUpdate { invitation, update } => {
                let Some(session) = user() else { return };
                if let Some(ringing) = self.state.lock().unwrap().ringing.get_mut(&session.id()) {
                    ringing.remove(&invitation);
                }
                session.push(&Push::Invitation { invitation, update });
            }
            UserEvent::InviteReceived { invitation } => {
                let caller = self.state.lock().unwrap().pending.get(&invitation).map(|p| p.caller.clone());
                let caller = caller.filter(|c| c.app == app && c.uid == uid);
                if let Some(caller) = caller {
                    caller.push(&Push::Invitation { invitation, update: InvitationUpdate::ReceivedByPeer });
                }
            }
            UserEvent::InviteAnswer { invitation, callee, accept, response, ack } => {
                // Only the callee of this invitation, in its caller's app, answers it.
                let theirs = self
                    .state
                    .lock()
                    .unwrap()
                    .pending
                    .get(&invitation)
                    .is_some_and(|p| p.caller.app == app && p.caller.uid == uid && p.callee == callee);
                match theirs.then(|| self.take(invitation)).flatten() {
                    Some(p) => {
                        let update = if accept {
                            InvitationUpdate::Accepted(response)
                        } else {
                            InvitationUpdate::Refused(response)
                        };
                        p.caller.push(&Push::Invitation { invitation, update });
                        self.acknowledge(ack.node, ack.ack_id, true);
                    }
                    // Only a node holding the caller can say "too late"; others stay silent.
                    None if user().is_some() => self.acknowledge(ack.node, ack.ack_id, false),
                    None => {}
                }
            }
            UserEvent::InviteCalleeGone { invitation } => {
                if let Some(p) = self.take(invitation) {
                    p.caller.push(&Push::Invitation { invitation, update: failure("PEER_OFFLINE") });
                }
            }
            UserEvent::PeerMessage { .. } => {}
        }
    }

    /// The callee's own end of an invitation: normally the caller's node says
    /// how it ended, but if that node dies nothing will, so an invitation
    /// still ringing here well after the caller's timer (one offer round trip
    /// later) expires for the callee.
    fn ring_out(self: &Arc<Self>, session: u64, invitation: u64) {
        let timeout = Duration::from_secs(self.node.config.limits.invitation_timeout_secs);
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(timeout + OFFER_ACK_TIMEOUT).await;
            let Some(this) = weak.upgrade() else { return };
            let rang =
                this.state.lock().unwrap().ringing.get_mut(&session).and_then(|r| r.remove(&invitation));
            if let (Some(_), Some(callee)) = (rang, this.node.sessions.get(session)) {
                callee.push(&Push::Invitation { invitation, update: failure("INVITATION_EXPIRE") });
            }
        });
    }

    /// Answers a wait on `node` (from the broker's delivery, which must not block).
    fn acknowledge(&self, node: u64, ack_id: u64, ok: bool) {
        let this = self.node.clone();
        tokio::spawn(async move {
            let _ = this.publish(&Topic::Node(node), Event::Node(NodeEvent::Ack { ack_id, ok })).await;
        });
    }
}
