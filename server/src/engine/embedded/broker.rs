//! The in-process broker: topics are keys of a map, "delivery" is a call.
//!
//! Several nodes may share one process — two `Server`s in one test share one
//! [`Engine`](crate::engine::Engine) and so one broker — so the broker keeps,
//! per topic, the set of node ids that hear it, and per node the [`Sink`] it
//! registered. A publish takes the subscribers' sinks under the lock, releases
//! it, and then calls each sink with its own clone of the event: a sink may
//! publish or subscribe from `deliver` without deadlocking, and a slow sink
//! never holds up subscribe calls. Sequential publishes on a topic reach each
//! sink in order because delivery is synchronous.
//!
//! Sinks are held weakly: a node that was dropped without unregistering (a
//! test server that ended) is skipped, and its entries are swept the next time
//! a publish finds it gone.

use crate::engine::{Broker, Event, Sink, Topic};
use async_trait::async_trait;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard, Weak};

/// Delivers by calling the subscribed nodes' sinks.
#[derive(Default)]
pub struct MemoryBroker {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    sinks: HashMap<u64, Weak<dyn Sink>>,
    /// Topic → the nodes that hear it. No empty sets.
    topics: HashMap<Topic, BTreeSet<u64>>,
}

impl MemoryBroker {
    /// An empty broker.
    pub fn new() -> MemoryBroker {
        MemoryBroker::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way through a change.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets the nodes whose sink was dropped, and their subscriptions.
    fn sweep(&self) {
        let mut state = self.state();
        let gone: Vec<u64> =
            state.sinks.iter().filter(|(_, sink)| sink.strong_count() == 0).map(|(node, _)| *node).collect();
        if gone.is_empty() {
            return;
        }
        for node in &gone {
            state.sinks.remove(node);
        }
        state.topics.retain(|_, nodes| {
            gone.iter().for_each(|node| _ = nodes.remove(node));
            !nodes.is_empty()
        });
    }
}

#[async_trait]
impl Broker for MemoryBroker {
    fn register(&self, node: u64, sink: Weak<dyn Sink>) {
        self.state().sinks.insert(node, sink);
    }

    async fn subscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()> {
        let mut state = self.state();
        if let Some(nodes) = state.topics.get_mut(topic) {
            nodes.insert(node);
        } else {
            state.topics.insert(topic.clone(), BTreeSet::from([node]));
        }
        Ok(())
    }

    async fn unsubscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()> {
        let mut state = self.state();
        if let Some(nodes) = state.topics.get_mut(topic) {
            nodes.remove(&node);
            if nodes.is_empty() {
                state.topics.remove(topic);
            }
        }
        Ok(())
    }

    async fn publish(&self, topic: &Topic, event: Event) -> anyhow::Result<()> {
        let sinks: Vec<Weak<dyn Sink>> = {
            let state = self.state();
            let Some(nodes) = state.topics.get(topic) else { return Ok(()) };
            nodes.iter().filter_map(|node| state.sinks.get(node).cloned()).collect()
        };
        let mut dropped = false;
        let mut event = Some(event);
        let last = sinks.len().saturating_sub(1);
        for (i, sink) in sinks.iter().enumerate() {
            let Some(sink) = sink.upgrade() else {
                dropped = true;
                continue;
            };
            // The last sink takes the event itself: one clone fewer.
            let event = if i == last { event.take() } else { event.clone() };
            if let Some(event) = event {
                sink.deliver(topic, event);
            }
        }
        if dropped {
            self.sweep();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NodeEvent;
    use std::sync::Arc;

    #[derive(Default)]
    struct Collect(Mutex<Vec<(Topic, Event)>>);

    impl Sink for Collect {
        fn deliver(&self, topic: &Topic, event: Event) {
            self.0.lock().unwrap().push((topic.clone(), event));
        }
    }

    impl Collect {
        fn count(&self) -> usize {
            self.0.lock().unwrap().len()
        }
    }

    fn ack(id: u64) -> Event {
        Event::Node(NodeEvent::Ack { ack_id: id, ok: true })
    }

    fn register(b: &MemoryBroker, node: u64) -> Arc<Collect> {
        let sink = Arc::new(Collect::default());
        let weak: Weak<dyn Sink> = Arc::downgrade(&(sink.clone() as Arc<dyn Sink>));
        b.register(node, weak);
        sink
    }

    #[tokio::test]
    async fn delivery_is_synchronous_and_per_node() {
        let b = MemoryBroker::new();
        let (one, two) = (register(&b, 1), register(&b, 2));
        let t = Topic::channel("app", "c");
        b.subscribe(1, &t).await.unwrap();
        b.subscribe(2, &t).await.unwrap();
        b.subscribe(2, &t).await.unwrap();
        b.publish(&t, ack(1)).await.unwrap();
        assert_eq!((one.count(), two.count()), (1, 1), "delivered before publish returns, once per node");
        b.unsubscribe(1, &t).await.unwrap();
        b.publish(&t, ack(2)).await.unwrap();
        assert_eq!((one.count(), two.count()), (1, 2));
    }

    #[tokio::test]
    async fn dropped_sinks_are_skipped_and_swept() {
        let b = MemoryBroker::new();
        let kept = register(&b, 1);
        drop(register(&b, 2));
        let t = Topic::user("app", "u");
        b.subscribe(1, &t).await.unwrap();
        b.subscribe(2, &t).await.unwrap();
        b.subscribe(2, &Topic::Node(2)).await.unwrap();
        b.publish(&t, ack(1)).await.unwrap();
        assert_eq!(kept.count(), 1);
        let state = b.state();
        assert!(!state.sinks.contains_key(&2));
        assert_eq!(state.topics.len(), 1, "the dropped node's topics are gone: {:?}", state.topics.keys());
    }

    #[tokio::test]
    async fn a_sink_may_publish_from_deliver() {
        struct Echo(Weak<MemoryBroker>, Mutex<u32>);
        impl Sink for Echo {
            fn deliver(&self, _: &Topic, _: Event) {
                *self.1.lock().unwrap() += 1;
                if let Some(b) = self.0.upgrade() {
                    // The broker's lock is not held here; this would deadlock otherwise.
                    let _ = b.state().topics.len();
                }
            }
        }
        let b = Arc::new(MemoryBroker::new());
        let echo = Arc::new(Echo(Arc::downgrade(&b), Mutex::new(0)));
        let weak: Weak<dyn Sink> = Arc::downgrade(&(echo.clone() as Arc<dyn Sink>));
        b.register(7, weak);
        b.subscribe(7, &Topic::Node(7)).await.unwrap();
        b.publish(&Topic::Node(7), ack(1)).await.unwrap();
        assert_eq!(*echo.1.lock().unwrap(), 1);
        b.publish(&Topic::Node(8), ack(1)).await.unwrap();
    }
}
