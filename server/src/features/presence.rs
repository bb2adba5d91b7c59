//! Online status: queries, subscriptions, and telling subscribers when a user
//! comes online, becomes unreachable (link lost, inside the grace period) or
//! goes offline.
//!
//! The state is the engine's presence, so answers span nodes. Changes are
//! published on the user's presence topic (by the session lifecycle); this
//! node hears that topic while one of its sessions subscribes to the user,
//! and its watcher index finds the local subscribers.

use super::handled::{done, unavailable, Handled};
use crate::clock::now_ms;
use crate::engine::Topic;
use crate::node::Node;
use crate::sessions::Session;
use bytes::Bytes;
use rtm_protocol::codes::{PeerSubscriptionStatusError as SubErr, QueryPeersOnlineStatusError as QueryErr};
use rtm_protocol::limits::{self, MAX_PEERS_PER_CALL, MAX_SUBSCRIBED_PEERS};
use rtm_protocol::rate::PresenceCall;
use rtm_protocol::{encode, OpError, PeerState, Push, Reply, Request};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Watches {
    /// (app, uid) → this node's sessions subscribed to that user.
    watchers: HashMap<(String, String), HashMap<u64, Arc<Session>>>,
    /// Session id → the users it subscribes to.
    subscribed: HashMap<u64, BTreeSet<String>>,
}

impl Watches {
    /// Adds the subscriptions of `peers` not held yet, within the cap; returns
    /// the added ones.
    fn add(&mut self, session: &Arc<Session>, peers: &[String]) -> Result<Vec<String>, OpError> {
        let set = self.subscribed.entry(session.id()).or_default();
        let new: BTreeSet<&String> = peers.iter().filter(|p| !set.contains(*p)).collect();
        let total = set.len() + new.len();
        if total > MAX_SUBSCRIBED_PEERS {
            return Err(SubErr::OVERFLOW.err(format!(
                "a client can subscribe to at most {MAX_SUBSCRIBED_PEERS} peers ({total} asked); unsubscribe some first"
            )));
        }
        let added: Vec<String> = new.into_iter().cloned().collect();
        set.extend(added.iter().cloned());
        for peer in &added {
            let key = (session.app.clone(), peer.clone());
            self.watchers.entry(key).or_default().insert(session.id(), session.clone());
        }
        Ok(added)
    }

    /// Removes the subscriptions of `peers` (all when `None`); returns the removed ones.
    fn remove(&mut self, session: &Session, peers: Option<&[String]>) -> Vec<String> {
        let Some(set) = self.subscribed.get_mut(&session.id()) else { return Vec::new() };
        let removed: Vec<String> = match peers {
            None => std::mem::take(set).into_iter().collect(),
            Some(peers) => peers.iter().filter(|p| set.remove(*p)).cloned().collect(),
        };
        if set.is_empty() {
            self.subscribed.remove(&session.id());
        }
        for peer in &removed {
            let key = (session.app.clone(), peer.clone());
            if let Some(watchers) = self.watchers.get_mut(&key) {
                watchers.remove(&session.id());
                if watchers.is_empty() {
                    self.watchers.remove(&key);
                }
            }
        }
        removed
    }
}

/// The presence feature of one node.
pub struct Presence {
    node: Arc<Node>,
    watches: Mutex<Watches>,
}

/// Checks a presence call's peer list: 1–256 valid ids.
fn check_peers(peers: &[String], invalid: impl Fn(String) -> OpError) -> Result<(), OpError> {
    if peers.is_empty() || peers.len() > MAX_PEERS_PER_CALL {
        return Err(invalid(format!("give 1 to {MAX_PEERS_PER_CALL} peer ids, not {}", peers.len())));
    }
    for peer in peers {
        limits::validate_id(peer).map_err(|e| invalid(e.describe("peer id")))?;
    }
    Ok(())
}

fn too_often(call: &str) -> String {
    format!("more than 10 {call} calls in 5 s; wait and retry")
}

impl Presence {
    /// The feature on `node`.
    pub fn new(node: Arc<Node>) -> Arc<Presence> {
        Arc::new(Presence { node, watches: Mutex::new(Watches::default()) })
    }

    /// `QueryOnline`, `Subscribe`, `Unsubscribe`.
    pub async fn handle(&self, session: &Arc<Session>, req: Request) -> Handled {
        match req {
            Request::QueryOnline { peers } => {
                Handled::Reply(self.query(session, &peers).await.map(|online| Reply::Online { online }))
            }
            Request::Subscribe { peers } => Handled::Reply(
                self.subscribe(session, &peers).await.map(|states| Reply::PeerStates { states }),
            ),
            Request::Unsubscribe { peers } => done(self.unsubscribe(session, &peers).await),
            _ => Handled::Reply(Err(QueryErr::FAILURE.err("not a presence request"))),
        }
    }

    /// `queryPeersOnlineStatus()`: whether each peer is ONLINE.
    async fn query(&self, session: &Session, peers: &[String]) -> Result<Vec<bool>, OpError> {
        check_peers(peers, |m| QueryErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Query, now_ms())) {
            return Err(QueryErr::TOO_OFTEN.err(too_often("queryPeersOnlineStatus")));
        }
        let states = self.node.engine.presence.states(&session.app, peers).await;
        let states = states.map_err(|e| QueryErr::FAILURE.err(unavailable("the presence store", e)))?;
        Ok(states.into_iter().map(|s| s == PeerState::ONLINE).collect())
    }

    /// `subscribePeersOnlineStatus()`: the current state of each peer.
    async fn subscribe(&self, session: &Arc<Session>, peers: &[String]) -> Result<Vec<PeerState>, OpError> {
        check_peers(peers, |m| SubErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Subscribe, now_ms())) {
            return Err(SubErr::TOO_OFTEN.err(too_often("subscribePeersOnlineStatus")));
        }
        let added = self.watches.lock().unwrap().add(session, peers)?;
        // Hear each user's changes before reading its state, so none falls between.
        for (i, peer) in added.iter().enumerate() {
            if let Err(e) = self.node.subs.acquire(&Topic::presence(&session.app, peer)).await {
                let failed = &added[i..];
                self.watches.lock().unwrap().remove(session, Some(failed));
                return Err(SubErr::FAILURE.err(unavailable("the presence broker", e)));
            }
        }
        let states = self.node.engine.presence.states(&session.app, peers).await;
        states.map_err(|e| SubErr::FAILURE.err(unavailable("the presence store", e)))
    }

    /// `unsubscribePeersOnlineStatus()`.
    async fn unsubscribe(&self, session: &Session, peers: &[String]) -> Result<(), OpError> {
        check_peers(peers, |m| SubErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Unsubscribe, now_ms())) {
            return Err(SubErr::TOO_OFTEN.err(too_often("unsubscribePeersOnlineStatus")));
        }
        let removed = self.watches.lock().unwrap().remove(session, Some(peers));
        self.release(&session.app, removed).await;
        Ok(())
    }

    async fn release(&self, app: &str, peers: Vec<String>) {
        for peer in peers {
            self.node.subs.release(&Topic::presence(app, &peer)).await;
        }
    }

    /// A session ended: its subscriptions go.
    pub async fn session_ended(&self, session: &Session) {
        let removed = self.watches.lock().unwrap().remove(session, None);
        self.release(&session.app, removed).await;
    }

    /// The broker brought a user's new state: tell this node's subscribers.
    pub fn on_event(&self, app: &str, uid: &str, state: PeerState) {
        let watchers: Vec<Arc<Session>> =
            match self.watches.lock().unwrap().watchers.get(&(app.to_owned(), uid.to_owned())) {
                Some(set) => set.values().cloned().collect(),
                None => return,
            };
        let body: Bytes = encode(&Push::PeerState { uid: uid.to_owned(), state }).into();
        for session in watchers {
            session.push_body(body.clone());
        }
    }
}
