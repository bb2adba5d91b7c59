//! This node's sessions: the [`Registry`] that finds them (by id, by user, by
//! resume secret), and each [`Session`] with its outbox and replay.
//!
//! The registry owns its indexes behind one private lock, so they change
//! together and never disagree. Who *is* a user across the cluster is the
//! engine's presence; the registry follows it: a session becomes the user's
//! on this node only with a newer claim epoch than the one it replaces, so
//! concurrent logins of one user settle on the last claim whatever order
//! their tasks finish in.

pub mod link;
pub mod outbox;
pub mod queue;
pub mod session;

pub use link::AttachError;
pub use outbox::{close, CloseReason, Outbox};
pub use queue::{Outbound, Queued};
pub use session::Session;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Indexes {
    /// Every live (or detached, in grace) session of this node.
    by_id: HashMap<u64, Arc<Session>>,
    /// (app, uid) → the user's session on this node and the epoch of its claim.
    by_user: HashMap<(String, String), (u64, u64)>,
    /// Resume secret → session id.
    by_resume: HashMap<String, u64>,
}

/// This node's sessions.
pub struct Registry {
    next_id: AtomicU64,
    indexes: Mutex<Indexes>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { next_id: AtomicU64::new(1), indexes: Mutex::new(Indexes::default()) }
    }
}

impl Registry {
    /// A fresh session id for this node.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Adds a session that is logging in (findable by id and resume secret;
    /// not yet the user's: see [`Registry::own`]).
    pub fn insert(&self, session: Arc<Session>) {
        let mut ix = self.indexes.lock().unwrap();
        ix.by_resume.insert(session.resume_token.clone(), session.id());
        ix.by_id.insert(session.id(), session);
    }

    /// Makes `session` the user's session on this node, unless it has ended or
    /// a session with a later claim `epoch` already is. True if it now is.
    pub fn own(&self, session: &Session, epoch: u64) -> bool {
        let mut ix = self.indexes.lock().unwrap();
        if session.has_ended() || !ix.by_id.contains_key(&session.id()) {
            return false;
        }
        let key = (session.app.clone(), session.uid.clone());
        match ix.by_user.get(&key) {
            Some((_, current)) if *current > epoch => false,
            _ => {
                ix.by_user.insert(key, (session.id(), epoch));
                true
            }
        }
    }

    /// Forgets a session that ended. The user's entry goes only if it is this
    /// session's: a newer session of the same user stays reachable.
    pub fn remove(&self, session: &Session) {
        let mut ix = self.indexes.lock().unwrap();
        ix.by_id.remove(&session.id());
        ix.by_resume.remove(&session.resume_token);
        let key = (session.app.clone(), session.uid.clone());
        if ix.by_user.get(&key).is_some_and(|(id, _)| *id == session.id()) {
            ix.by_user.remove(&key);
        }
    }

    /// A session of this node by id.
    pub fn get(&self, id: u64) -> Option<Arc<Session>> {
        self.indexes.lock().unwrap().by_id.get(&id).cloned()
    }

    /// The user's session on this node, if any.
    pub fn user(&self, app: &str, uid: &str) -> Option<Arc<Session>> {
        let ix = self.indexes.lock().unwrap();
        let (id, _) = ix.by_user.get(&(app.to_owned(), uid.to_owned()))?;
        ix.by_id.get(id).cloned()
    }

    /// The session a resume secret names.
    pub fn resumable(&self, secret: &str) -> Option<Arc<Session>> {
        let ix = self.indexes.lock().unwrap();
        ix.by_resume.get(secret).and_then(|id| ix.by_id.get(id)).cloned()
    }

    /// How many sessions this node holds (live or in grace).
    pub fn len(&self) -> usize {
        self.indexes.lock().unwrap().by_id.len()
    }

    /// Whether this node holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SessionRef;

    fn session(reg: &Registry, uid: &str) -> Arc<Session> {
        let (outbox, _rx, _kill) = Outbox::new(&Default::default());
        let id = reg.next_id();
        let sref = SessionRef { node: 1, session: id };
        let s = Arc::new(Session::new(sref, "app".into(), uid.into(), format!("r{id}"), outbox, 1 << 20));
        reg.insert(s.clone());
        s
    }

    #[test]
    fn the_latest_claim_owns_the_user_whatever_order_tasks_finish_in() {
        let reg = Registry::default();
        let (a, b) = (session(&reg, "u"), session(&reg, "u"));
        assert!(reg.own(&b, 2), "b claimed last");
        assert!(!reg.own(&a, 1), "a's earlier claim finishes late and must not take over");
        assert_eq!(reg.user("app", "u").unwrap().id(), b.id());
        a.end();
        reg.remove(&a);
        assert_eq!(reg.user("app", "u").unwrap().id(), b.id(), "the loser's end keeps the winner");
        assert!(reg.resumable(&a.resume_token).is_none());
        assert!(reg.resumable(&b.resume_token).is_some());
    }

    #[test]
    fn an_ended_session_cannot_become_the_user() {
        let reg = Registry::default();
        let a = session(&reg, "u");
        a.end();
        assert!(!reg.own(&a, 1));
        assert!(reg.user("app", "u").is_none());
    }
}
