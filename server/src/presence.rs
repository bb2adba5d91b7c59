//! Online status: queries, subscriptions, and telling subscribers when a user
//! comes online, becomes unreachable (connection lost, inside the grace
//! period) or goes offline.
//!
//! The state lives in the engine's `Presence`, so answers span nodes; changes
//! travel through the broker to every node, where this file's watcher index
//! finds the local subscribers.

use crate::hub::{now_ms, Hub};
use crate::session::SessionHandle;
use rtm_protocol::codes::{PeerSubscriptionStatusError as SubErr, QueryPeersOnlineStatusError as QueryErr};
use rtm_protocol::limits::{self, MAX_PEERS_PER_CALL, MAX_SUBSCRIBED_PEERS};
use rtm_protocol::rate::PresenceCall;
use rtm_protocol::{OpError, PeerState, Push};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// (app, uid) → ids of this node's sessions subscribed to that user.
pub type Watchers = HashMap<(String, String), HashSet<u64>>;

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

impl Hub {
    /// `queryPeersOnlineStatus()`: whether each peer is ONLINE.
    pub async fn query_online(
        &self,
        session: &SessionHandle,
        peers: &[String],
    ) -> Result<Vec<bool>, OpError> {
        check_peers(peers, |m| QueryErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Query, now_ms())) {
            return Err(QueryErr::TOO_OFTEN.err(too_often("queryPeersOnlineStatus")));
        }
        let states = self.peer_states(&session.app, peers).await.map_err(|m| QueryErr::FAILURE.err(m))?;
        Ok(states.into_iter().map(|s| s == PeerState::ONLINE).collect())
    }

    /// `subscribePeersOnlineStatus()`: the current state of each peer.
    pub async fn subscribe(
        &self,
        session: &Arc<SessionHandle>,
        peers: &[String],
    ) -> Result<Vec<PeerState>, OpError> {
        check_peers(peers, |m| SubErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Subscribe, now_ms())) {
            return Err(SubErr::TOO_OFTEN.err(too_often("subscribePeersOnlineStatus")));
        }
        let added = session.subscribed(|set| {
            let new: Vec<&String> = peers.iter().filter(|p| !set.contains(*p)).collect();
            let total = set.len() + new.iter().collect::<HashSet<_>>().len();
            if total > MAX_SUBSCRIBED_PEERS {
                return Err(SubErr::OVERFLOW.err(format!(
                    "a client can subscribe to at most {MAX_SUBSCRIBED_PEERS} peers ({total} asked); unsubscribe some first"
                )));
            }
            set.extend(new.iter().map(|p| (*p).clone()));
            Ok(())
        });
        added?;
        {
            let mut watchers = self.watchers();
            for peer in peers {
                watchers.entry((session.app.clone(), peer.clone())).or_default().insert(session.sref.session);
            }
        }
        self.peer_states(&session.app, peers).await.map_err(|m| SubErr::FAILURE.err(m))
    }

    /// `unsubscribePeersOnlineStatus()`.
    pub fn unsubscribe(&self, session: &SessionHandle, peers: &[String]) -> Result<(), OpError> {
        check_peers(peers, |m| SubErr::INVALID_ARGUMENT.err(m))?;
        if !session.budgets(|b| b.presence(PresenceCall::Unsubscribe, now_ms())) {
            return Err(SubErr::TOO_OFTEN.err(too_often("unsubscribePeersOnlineStatus")));
        }
        session.subscribed(|set| peers.iter().for_each(|p| _ = set.remove(p)));
        self.forget_watches(session, peers.iter().cloned());
        Ok(())
    }

    /// Drops every subscription of a session that is ending.
    pub(crate) fn unsubscribe_all(&self, session: &SessionHandle) {
        let all = session.subscribed(std::mem::take);
        self.forget_watches(session, all.into_iter());
    }

    fn forget_watches(&self, session: &SessionHandle, peers: impl Iterator<Item = String>) {
        let mut watchers = self.watchers();
        for peer in peers {
            let key = (session.app.clone(), peer);
            if let Some(set) = watchers.get_mut(&key) {
                set.remove(&session.sref.session);
                if set.is_empty() {
                    watchers.remove(&key);
                }
            }
        }
    }

    async fn peer_states(&self, app: &str, peers: &[String]) -> Result<Vec<PeerState>, String> {
        let mut states = Vec::with_capacity(peers.len());
        for peer in peers {
            let state = self.engine().presence.state(app, peer).await;
            states.push(state.map_err(|e| format!("presence store unavailable: {e}"))?);
        }
        Ok(states)
    }

    /// Tells every subscriber, on every node, the user's new state.
    pub(crate) async fn publish_state(&self, app: &str, uid: &str, state: PeerState) {
        if let Err(e) = self.engine().broker.publish_status(app, uid, state).await {
            tracing::warn!(error = %e, "could not publish an online-state change");
        }
    }

    /// The broker's delivery of a state change to this node's subscribers.
    pub(crate) fn fan_out_status(&self, app: &str, uid: &str, state: PeerState) {
        let ids: Vec<u64> = match self.watchers().get(&(app.to_owned(), uid.to_owned())) {
            Some(set) => set.iter().copied().collect(),
            None => return,
        };
        let body: bytes::Bytes = rtm_protocol::encode(&Push::PeerState { uid: uid.to_owned(), state }).into();
        for session in ids.into_iter().filter_map(|id| self.local_session(id)) {
            session.push_body(body.clone());
        }
    }
}
