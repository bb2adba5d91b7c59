//! Peer messages: `sendMessageToPeer` with `hasPeerReceived`, acknowledgements,
//! and offline messages.
//!
//! A message goes to the peer's user topic; the node holding the peer pushes
//! it and remembers the delivery until the peer's SDK acknowledges, then the
//! acknowledgement travels back to the sender's node (`node::Acks`).
//! `hasPeerReceived` is that acknowledgement arriving in time — never a count
//! of who a publish reached. With `enableOfflineMessaging` the message is
//! stored before it is published, and the recipient's acknowledgement deletes
//! it: a message the server accepted reaches the user at its next login
//! unless its SDK had it — whichever node or session dies in between.

use super::handled::Handled;
use crate::clock::now_ms;
use crate::engine::{AckRoute, Event, NodeEvent, OfflineFull, Topic, UserEvent};
use crate::node::{AckWait, Node};
use crate::sessions::Session;
use rtm_protocol::codes::PeerMessageError;
use rtm_protocol::limits::{self, PEER_ACK_TIMEOUT_MS};
use rtm_protocol::{OpError, Payload, Push, Reply, Request};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a pushed message's acknowledgement settles.
struct Delivery {
    /// The sender's wait, for a live message.
    ack: Option<AckRoute>,
    /// The stored copy, deleted once the client has the message.
    stored: Option<i64>,
}

#[derive(Default)]
struct Deliveries {
    next: u64,
    /// Delivery id → (recipient session id, delivery).
    open: HashMap<u64, (u64, Delivery)>,
    /// Session id → its open delivery ids; ids grow, so the first is the oldest.
    by_session: HashMap<u64, BTreeSet<u64>>,
}

impl Deliveries {
    /// Opens a delivery to session `owner`, which may hold at most `cap`:
    /// beyond it the oldest is forgotten, so a client that never
    /// acknowledges cannot grow this without bound. Forgetting loses
    /// nothing but the answer: that sender's hasPeerReceived becomes false
    /// (its wait times out), and an offline copy stays stored, to be
    /// delivered again at the next login.
    fn open(&mut self, owner: u64, delivery: Delivery, cap: usize) -> u64 {
        self.next += 1;
        let id = self.next;
        self.open.insert(id, (owner, delivery));
        let ids = self.by_session.entry(owner).or_default();
        ids.insert(id);
        while ids.len() > cap {
            let Some(oldest) = ids.pop_first() else { break };
            self.open.remove(&oldest);
        }
        id
    }

    /// Takes delivery `id` if session `owner` holds it.
    fn take(&mut self, owner: u64, id: u64) -> Option<Delivery> {
        if self.open.get(&id).is_none_or(|(o, _)| *o != owner) {
            return None;
        }
        if let Some(ids) = self.by_session.get_mut(&owner) {
            ids.remove(&id);
        }
        self.open.remove(&id).map(|(_, d)| d)
    }

    /// Forgets every delivery of session `owner`.
    fn forget(&mut self, owner: u64) {
        for id in self.by_session.remove(&owner).unwrap_or_default() {
            self.open.remove(&id);
        }
    }
}

/// The peer-message feature of one node.
pub struct Peer {
    node: Arc<Node>,
    deliveries: Mutex<Deliveries>,
}

impl Peer {
    /// The feature on `node`.
    pub fn new(node: Arc<Node>) -> Arc<Peer> {
        Arc::new(Peer { node, deliveries: Mutex::new(Deliveries::default()) })
    }

    /// `SendPeer` and `PeerAck`.
    pub async fn handle(self: &Arc<Self>, session: &Arc<Session>, req: Request) -> Handled {
        match req {
            Request::SendPeer { peer, payload, offline } => {
                if let Err(e) = check(session, &peer, &payload) {
                    return Handled::Reply(Err(e));
                }
                // Published here, one request after the other, so that one
                // sender's messages reach the peer in the order it sent them;
                // only the wait for the acknowledgement runs beside the
                // reader, which must keep reading: acks of messages *to* this
                // client arrive there.
                match self
                    .send_as(&session.app, &session.uid, peer, payload, offline, crate::metrics::PEER)
                    .await
                {
                    Ok(Some(wait)) => {
                        let node = self.node.clone();
                        Handled::Later(Box::pin(async move {
                            let received =
                                node.acks.outcome(wait, Duration::from_millis(PEER_ACK_TIMEOUT_MS)).await;
                            Ok(Reply::PeerSent { has_peer_received: received == Some(true) })
                        }))
                    }
                    Ok(None) => Handled::Reply(Ok(Reply::PeerSent { has_peer_received: false })),
                    Err(e) => Handled::Reply(Err(e)),
                }
            }
            Request::PeerAck { delivery } => {
                self.acknowledged(session, delivery).await;
                Handled::Silent
            }
            _ => Handled::Reply(Err(PeerMessageError::FAILURE.err("not a peer-message request"))),
        }
    }

    /// Stores (offline) and publishes a message from user `from` of `app`;
    /// the wait for its acknowledgement, or `None` when the peer is offline or
    /// the publish failed. The SDK's send and the REST API's both come here,
    /// so the recipient cannot tell them apart. `from` need not be logged in
    /// (the REST API sends as any user); the caller has checked the ids, the
    /// size and its rate budget. `kind` counts it in `rtm_messages_in_total`
    /// (`metrics::PEER` or `metrics::REST_PEER`).
    pub async fn send_as(
        &self,
        app: &str,
        from: &str,
        peer: String,
        payload: Payload,
        offline: bool,
        kind: &'static str,
    ) -> Result<Option<AckWait>, OpError> {
        let ts = now_ms();
        let stored = match offline {
            true => Some(self.store(app, &peer, from, &payload, ts).await?),
            false => None,
        };
        // Accepted: checked, and stored if asked to be.
        crate::metrics::message_in(kind);
        let online = self.node.engine.presence.lookup(app, &peer).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "presence lookup failed; treating the peer as offline");
            None
        });
        if online.is_none() {
            return Ok(None);
        }
        let wait = self.node.acks.open();
        let event = UserEvent::PeerMessage { from: from.to_owned(), payload, ts, stored, ack: wait.route };
        if self.node.publish(&Topic::user(app, &peer), Event::User(event)).await.is_err() {
            self.node.acks.abandon(wait);
            return Ok(None);
        }
        Ok(Some(wait))
    }

    async fn store(
        &self,
        app: &str,
        to: &str,
        from: &str,
        payload: &Payload,
        ts: u64,
    ) -> Result<i64, OpError> {
        let stored = self.node.engine.offline.put(app, to, from, payload, ts).await;
        match stored {
            Ok(Ok(id)) => Ok(id),
            // Agora's PeerMessageError has no "store full": FAILURE is its
            // generic refusal, and TOO_OFTEN would send apps into a retry
            // loop that cannot succeed until messages are delivered or expire.
            Ok(Err(OfflineFull::Sender)) => Err(PeerMessageError::FAILURE.err(
                "your stored offline messages reached their quota; send without enableOfflineMessaging, \
                 or wait until recipients log in",
            )),
            Ok(Err(OfflineFull::App)) => Err(PeerMessageError::FAILURE.err(
                "the app's stored offline messages reached their quota; send without enableOfflineMessaging",
            )),
            Err(e) => Err(PeerMessageError::FAILURE.err(format!("could not store the offline message: {e}"))),
        }
    }

    fn remember(&self, session: &Session, delivery: Delivery) -> u64 {
        let cap = self.node.config.limits.unacked_deliveries;
        self.deliveries.lock().unwrap().open(session.id(), delivery, cap)
    }

    /// The broker brought a peer message for `uid`: push it to the user's
    /// session on this node, if there is one.
    pub fn on_event(&self, app: &str, uid: &str, event: UserEvent) {
        let UserEvent::PeerMessage { from, payload, ts, stored, ack } = event else { return };
        let Some(session) = self.node.sessions.user(app, uid).filter(|s| !s.has_ended()) else { return };
        let delivery = self.remember(&session, Delivery { ack: Some(ack), stored });
        crate::metrics::messages_out(crate::metrics::PEER, 1);
        session.push(&Push::PeerMessage { delivery, from, payload, ts, offline: false });
    }

    /// After login: pushes what was stored while the user was offline; each
    /// stored message is deleted once the client acknowledges it.
    pub async fn deliver_stored(&self, session: &Session) {
        let stored = match self.node.engine.offline.list(&session.app, &session.uid).await {
            Ok(stored) => stored,
            Err(e) => return tracing::warn!(error = %e, "could not read offline messages"),
        };
        for m in stored {
            let delivery = self.remember(session, Delivery { ack: None, stored: Some(m.id) });
            crate::metrics::messages_out(crate::metrics::PEER, 1);
            session.push(&Push::PeerMessage {
                delivery,
                from: m.from,
                payload: m.payload,
                ts: m.ts,
                offline: true,
            });
        }
    }

    /// The client of `session` acknowledged `delivery`.
    async fn acknowledged(&self, session: &Session, delivery: u64) {
        let taken = self.deliveries.lock().unwrap().take(session.id(), delivery);
        let Some(Delivery { ack, stored }) = taken else { return };
        if let Some(ack) = ack {
            let event = Event::Node(NodeEvent::Ack { ack_id: ack.ack_id, ok: true });
            let _ = self.node.publish(&Topic::Node(ack.node), event).await;
        }
        if let Some(id) = stored {
            if let Err(e) = self.node.engine.offline.remove(&session.app, &session.uid, id).await {
                tracing::warn!(error = %e, "could not delete a delivered offline message");
            }
        }
    }

    /// A session ended: its unacknowledged deliveries are dropped. Their
    /// senders hear nothing and report false; a message sent for offline
    /// delivery stays stored for the user's next login.
    pub fn session_ended(&self, session: &Session) {
        self.deliveries.lock().unwrap().forget(session.id());
    }
}

/// The checks made before anything is sent: peer id, size, rate.
fn check(from: &Session, peer: &str, payload: &Payload) -> Result<(), OpError> {
    limits::validate_id(peer).map_err(|e| PeerMessageError::INVALID_USERID.err(e.describe("peer id")))?;
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
    Ok(())
}
