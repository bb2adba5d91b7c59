//! Waits for acknowledgements from other nodes: "the peer's SDK has the
//! message", "a session of the callee shows the invitation", "the caller's
//! node took the answer". The waiter names its wait in an [`AckRoute`]; the
//! answer comes back as a `NodeEvent::Ack` on this node's topic. Delivery is
//! never inferred from who a publish reached.

use crate::engine::AckRoute;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::oneshot;

/// The waits open on this node.
pub struct Acks {
    node: u64,
    next: AtomicU64,
    waits: Mutex<HashMap<u64, oneshot::Sender<bool>>>,
}

/// One open wait: where the answer goes, and the receiving end.
pub struct AckWait {
    /// Put this in the event that asks for the acknowledgement.
    pub route: AckRoute,
    rx: oneshot::Receiver<bool>,
}

impl Acks {
    /// The waits of node `node`.
    pub fn new(node: u64) -> Self {
        Acks { node, next: AtomicU64::new(1), waits: Mutex::new(HashMap::new()) }
    }

    /// Opens a wait.
    pub fn open(&self) -> AckWait {
        let ack_id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waits.lock().unwrap().insert(ack_id, tx);
        AckWait { route: AckRoute { node: self.node, ack_id }, rx }
    }

    /// The answer to wait `ack_id` arrived; false if nobody waits any more.
    pub fn finish(&self, ack_id: u64, ok: bool) -> bool {
        match self.waits.lock().unwrap().remove(&ack_id) {
            Some(tx) => tx.send(ok).is_ok(),
            None => false,
        }
    }

    /// The answer to `wait`, or `None` when none came `within`; the wait is
    /// closed either way.
    pub async fn outcome(&self, wait: AckWait, within: Duration) -> Option<bool> {
        let answer = tokio::time::timeout(within, wait.rx).await;
        self.waits.lock().unwrap().remove(&wait.route.ack_id);
        answer.ok().and_then(Result::ok)
    }

    /// Drops a wait without an answer.
    pub fn abandon(&self, wait: AckWait) {
        self.waits.lock().unwrap().remove(&wait.route.ack_id);
    }

    /// How many waits are open.
    pub fn open_count(&self) -> usize {
        self.waits.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_reach_their_wait_once_and_timeouts_close_it() {
        let acks = Acks::new(7);
        let wait = acks.open();
        assert_eq!(wait.route.node, 7);
        let id = wait.route.ack_id;
        assert!(acks.finish(id, true));
        assert!(!acks.finish(id, true), "at most once");
        assert_eq!(acks.outcome(wait, Duration::from_millis(10)).await, Some(true));
        let silent = acks.open();
        assert_eq!(acks.outcome(silent, Duration::from_millis(10)).await, None);
        assert_eq!(acks.open_count(), 0, "no wait leaks");
    }
}
