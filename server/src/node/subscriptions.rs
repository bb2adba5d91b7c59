//! Which topics this node hears, counted by local interest.
//!
//! A node subscribes to a topic when its first local interest appears (the
//! user's first session here, the channel's first local member, the first
//! local watcher of a user's status) and unsubscribes when the last goes —
//! centrifuge's rule, so a cluster node hears only what its clients need.
//! The broker calls of one node are serialized: an unsubscribe racing a
//! subscribe of the same topic could otherwise land last and leave a topic
//! with local interest unheard.

use crate::engine::{Broker, Topic};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// Reference counts of this node's topics.
pub struct Subscriptions {
    node: u64,
    broker: Arc<dyn Broker>,
    counts: Mutex<HashMap<Topic, usize>>,
}

impl Subscriptions {
    /// Counts for node `node` on `broker`.
    pub fn new(node: u64, broker: Arc<dyn Broker>) -> Self {
        Subscriptions { node, broker, counts: Mutex::new(HashMap::new()) }
    }

    /// One more local interest in `topic`; subscribes on the first. On error
    /// nothing is counted.
    pub async fn acquire(&self, topic: &Topic) -> anyhow::Result<()> {
        let mut counts = self.counts.lock().await;
        let n = counts.get(topic).copied().unwrap_or(0);
        if n == 0 {
            self.broker.subscribe(self.node, topic).await?;
        }
        counts.insert(topic.clone(), n + 1);
        Ok(())
    }

    /// One less local interest in `topic`; unsubscribes after the last.
    pub async fn release(&self, topic: &Topic) {
        let mut counts = self.counts.lock().await;
        match counts.get_mut(topic) {
            Some(n) if *n > 1 => *n -= 1,
            Some(_) => {
                counts.remove(topic);
                if let Err(e) = self.broker.unsubscribe(self.node, topic).await {
                    // Unwanted events are dropped by the features; only traffic is wasted.
                    tracing::warn!(error = %e, ?topic, "could not unsubscribe");
                }
            }
            None => tracing::error!(?topic, "released a topic that was not acquired"),
        }
    }

    /// How many topics this node hears because of local interest.
    pub async fn topics(&self) -> usize {
        self.counts.lock().await.len()
    }
}
