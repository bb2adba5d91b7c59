//! Who is online, in one process: (app, uid) → the user's session and whether
//! it is reachable. Claim epochs come from one counter per engine: strictly
//! increasing for every user, so entries need not keep theirs.
//!
//! Leases work as they would across processes, so that a node of a test
//! cluster can "die" and be reaped: [`Presence::heartbeat`] records a deadline
//! per node (a `tokio::time::Instant`, so tests can `tokio::time::pause()`),
//! and [`Presence::reap`] removes the nodes past it with every user whose
//! session they held. A node that never heartbeated has no deadline and is
//! treated as alive: an engine works before the node's first heartbeat, and a
//! single-process server that never heartbeats never reaps itself. (A node
//! that was reaped and comes back is, likewise, alive again until its next
//! lease lapses.)

use crate::engine::{Claim, Presence, Reaped, SessionRef};
use async_trait::async_trait;
use rtm_protocol::PeerState;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// The user's session and what is known of it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    session: SessionRef,
    reachable: bool,
}

impl Entry {
    fn state(&self) -> PeerState {
        if self.reachable {
            PeerState::ONLINE
        } else {
            PeerState::UNREACHABLE
        }
    }
}

#[derive(Default)]
struct State {
    users: HashMap<(String, String), Entry>,
    /// Node → when its lease lapses.
    leases: HashMap<u64, Instant>,
    /// The last epoch handed out. One counter for every user: strictly
    /// increasing per user, and cheap.
    epoch: u64,
}

/// Presence in a map, with node leases.
#[derive(Default)]
pub struct MemoryPresence {
    state: Mutex<State>,
}

fn key(app: &str, uid: &str) -> (String, String) {
    (app.to_owned(), uid.to_owned())
}

impl MemoryPresence {
    /// Nobody online, no lease.
    pub fn new() -> MemoryPresence {
        MemoryPresence::default()
    }

    /// Every user with a session, as (app, uid) (the admin API's listing).
    pub fn users(&self) -> Vec<(String, String)> {
        self.state().users.keys().cloned().collect()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way through a change.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Presence for MemoryPresence {
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Claim> {
        let mut state = self.state();
        state.epoch += 1;
        let epoch = state.epoch;
        let old = state.users.insert(key(app, uid), Entry { session, reachable: true });
        Ok(Claim {
            displaced: old.map(|e| e.session).filter(|s| *s != session),
            was: old.map_or(PeerState::OFFLINE, |e| e.state()),
            epoch,
        })
    }

    async fn set_reachable(
        &self,
        app: &str,
        uid: &str,
        session: SessionRef,
        reachable: bool,
    ) -> anyhow::Result<bool> {
        let mut state = self.state();
        match state.users.get_mut(&key(app, uid)) {
            Some(entry) if entry.session == session => {
                entry.reachable = reachable;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn states(&self, app: &str, uids: &[String]) -> anyhow::Result<Vec<PeerState>> {
        let state = self.state();
        Ok(uids
            .iter()
            .map(|uid| state.users.get(&key(app, uid)).map_or(PeerState::OFFLINE, Entry::state))
            .collect())
    }

    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>> {
        Ok(self.state().users.get(&key(app, uid)).map(|e| e.session))
    }

    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<bool> {
        let mut state = self.state();
        let key = key(app, uid);
        if state.users.get(&key).is_some_and(|e| e.session == session) {
            state.users.remove(&key);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn heartbeat(&self, node: u64, ttl: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + ttl;
        self.state().leases.insert(node, deadline);
        Ok(())
    }

    async fn reap(&self) -> anyhow::Result<(Vec<u64>, Vec<Reaped>)> {
        let now = Instant::now();
        let mut state = self.state();
        let mut dead: Vec<u64> =
            state.leases.iter().filter(|(_, deadline)| **deadline <= now).map(|(node, _)| *node).collect();
        if dead.is_empty() {
            return Ok((dead, Vec::new()));
        }
        dead.sort_unstable();
        for node in &dead {
            state.leases.remove(node);
        }
        let mut reaped = Vec::new();
        state.users.retain(|(app, uid), entry| {
            let lost = dead.binary_search(&entry.session.node).is_ok();
            if lost {
                reaped.push(Reaped { app: app.clone(), uid: uid.clone(), session: entry.session });
            }
            !lost
        });
        Ok((dead, reaped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(node: u64, session: u64) -> SessionRef {
        SessionRef { node, session }
    }

    #[tokio::test]
    async fn claim_displaces_and_release_is_owner_only() {
        let p = MemoryPresence::new();
        let (a, b) = (s(1, 1), s(1, 2));
        let first = p.claim("app", "u", a).await.unwrap();
        assert_eq!((first.displaced, first.was), (None, PeerState::OFFLINE));
        let second = p.claim("app", "u", b).await.unwrap();
        assert_eq!((second.displaced, second.was), (Some(a), PeerState::ONLINE));
        assert!(second.epoch > first.epoch);
        assert!(!p.release("app", "u", a).await.unwrap(), "a stale release keeps the new owner");
        assert_eq!(p.lookup("app", "u").await.unwrap(), Some(b));
        assert_eq!(p.lookup("other-app", "u").await.unwrap(), None, "apps are namespaces");
        assert!(!p.set_reachable("app", "u", a, false).await.unwrap(), "only the owner");
        assert!(p.set_reachable("app", "u", b, false).await.unwrap());
        let again = p.claim("app", "u", b).await.unwrap();
        assert_eq!((again.displaced, again.was), (None, PeerState::UNREACHABLE), "a resume reclaims");
        assert!(p.release("app", "u", b).await.unwrap());
        assert_eq!(p.lookup("app", "u").await.unwrap(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn leases_lapse_on_time_and_silent_nodes_live() {
        let p = MemoryPresence::new();
        p.claim("app", "on-1", s(1, 1)).await.unwrap();
        p.claim("app", "on-2", s(2, 1)).await.unwrap();
        p.claim("app", "silent", s(3, 1)).await.unwrap();
        p.heartbeat(1, Duration::from_secs(10)).await.unwrap();
        p.heartbeat(2, Duration::from_secs(30)).await.unwrap();
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(p.reap().await.unwrap(), (vec![], vec![]));
        p.heartbeat(1, Duration::from_secs(10)).await.unwrap();
        tokio::time::advance(Duration::from_secs(10)).await;
        let (nodes, users) = p.reap().await.unwrap();
        assert_eq!(nodes, [1]);
        assert_eq!(users, [Reaped { app: "app".into(), uid: "on-1".into(), session: s(1, 1) }]);
        assert_eq!(p.reap().await.unwrap(), (vec![], vec![]), "reaped once");
        tokio::time::advance(Duration::from_secs(3600)).await;
        let (nodes, users) = p.reap().await.unwrap();
        assert_eq!((nodes, users.len()), (vec![2], 1));
        let states = p.states("app", &["on-1".into(), "on-2".into(), "silent".into()]).await.unwrap();
        assert_eq!(states, [PeerState::OFFLINE, PeerState::OFFLINE, PeerState::ONLINE], "never heartbeated");
    }
}
