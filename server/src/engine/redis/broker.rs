//! The broker over Redis pub/sub: a topic is a Redis channel
//! ([`Keys::topic`]), an event is its postcard encoding
//! ([`rtm_protocol::encode`]).
//!
//! Several nodes may share one engine in a process (tests start several
//! `Server`s on one engine), so, as in the embedded broker, the broker keeps
//! per Redis channel the topic and the local nodes that hear it, and per node
//! the [`Sink`] it registered. It SUBSCRIBEs in Redis when a channel gets its
//! first local node and UNSUBSCRIBEs after the last; a message that arrives
//! is decoded once and given to each local node's sink, from the link's
//! reader thread, in the order Redis delivers (so per topic, publish order).
//!
//! Subscription changes of one channel are serialized by one of `GATES`
//! async locks (chosen by hashing the channel name): without that, an
//! UNSUBSCRIBE racing a SUBSCRIBE could reach Redis last and leave a topic
//! with local nodes unheard. Different channels proceed in parallel.
//!
//! The local set is the truth. While Redis is unreachable a subscribe or
//! unsubscribe changes only the local set (and succeeds: a node can start
//! during an outage); a SUBSCRIBE that fails marks the link down. Before the
//! link is ready again, [`Subscriber::restore`] SUBSCRIBEs every local
//! channel and UNSUBSCRIBEs those dropped meanwhile (`stale`), and flips the
//! link to ready under the same lock that subscribe checks readiness under:
//! no subscription can slip between the restore and the first publish.
//! Publishes fail fast while the link is down (at most once, like any
//! publish: events published during an outage are lost).

use super::keys::Keys;
use super::link::{Link, Subscriber};
use crate::engine::{Broker, Event, Sink, Topic};
use anyhow::anyhow;
use async_trait::async_trait;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Locks that serialize subscription changes per channel.
const GATES: usize = 64;
/// Channels per SUBSCRIBE when restoring.
const RESTORE_BATCH: usize = 512;
/// Restore rounds before giving up (each round runs again only if the local
/// set changed while it ran).
const RESTORE_ROUNDS: usize = 8;

/// Pub/sub through Redis for the nodes of this process.
pub struct RedisBroker {
    link: Arc<Link>,
    keys: Keys,
    state: Mutex<State>,
    gates: Vec<tokio::sync::Mutex<()>>,
    /// This broker, for the tasks that unsubscribe a dropped node.
    me: Weak<RedisBroker>,
}

struct Local {
    topic: Topic,
    nodes: BTreeSet<u64>,
}

#[derive(Default)]
struct State {
    sinks: HashMap<u64, Weak<dyn Sink>>,
    /// Redis channel → the topic and the local nodes that hear it. No empty sets.
    channels: HashMap<String, Local>,
    /// Channels dropped locally whose UNSUBSCRIBE did not (or could not) go
    /// out: the next restore sends it.
    stale: HashSet<String>,
    /// Grows with every change of `channels` or `stale`.
    version: u64,
}

impl RedisBroker {
    /// A broker on `link`, naming channels with `keys`.
    pub fn new(link: Arc<Link>, keys: Keys) -> Arc<RedisBroker> {
        Arc::new_cyclic(|me| RedisBroker {
            link,
            keys,
            state: Mutex::default(),
            gates: (0..GATES).map(|_| tokio::sync::Mutex::new(())).collect(),
            me: me.clone(),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing under this lock can panic half-way through a change.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn gate(&self, channel: &str) -> &tokio::sync::Mutex<()> {
        let mut h = DefaultHasher::new();
        channel.hash(&mut h);
        &self.gates[(h.finish() % GATES as u64) as usize]
    }

    /// How many Redis channels this process hears (tests, metrics).
    pub fn channels(&self) -> usize {
        self.state().channels.len()
    }

    /// Forgets nodes whose sink was dropped, unsubscribing their topics.
    fn sweep(&self) {
        let gone: Vec<(u64, Vec<Topic>)> = {
            let mut state = self.state();
            let dead: Vec<u64> =
                state.sinks.iter().filter(|(_, s)| s.strong_count() == 0).map(|(n, _)| *n).collect();
            dead.into_iter()
                .map(|node| {
                    state.sinks.remove(&node);
                    let topics = state
                        .channels
                        .values()
                        .filter(|l| l.nodes.contains(&node))
                        .map(|l| l.topic.clone())
                        .collect();
                    (node, topics)
                })
                .collect()
        };
        let Some(me) = self.me.upgrade() else { return };
        if gone.is_empty() {
            return;
        }
        tokio::spawn(async move {
            for (node, topics) in gone {
                for topic in topics {
                    let _ = me.unsubscribe(node, &topic).await;
                }
            }
        });
    }
}

#[async_trait]
impl Broker for RedisBroker {
    fn register(&self, node: u64, sink: Weak<dyn Sink>) {
        self.state().sinks.insert(node, sink);
    }

    async fn subscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()> {
        let name = self.keys.topic(topic);
        let _gate = self.gate(&name).lock().await;
        let send = {
            let mut state = self.state();
            let state = &mut *state;
            let first = match state.channels.get_mut(&name) {
                Some(local) => {
                    local.nodes.insert(node);
                    false
                }
                None => {
                    let local = Local { topic: topic.clone(), nodes: BTreeSet::from([node]) };
                    state.channels.insert(name.clone(), local);
                    state.stale.remove(&name);
                    state.version += 1;
                    true
                }
            };
            // Read under the lock the restore flips readiness under: if not
            // ready, the restore (yet to finish) sees this channel.
            first && self.link.ready()
        };
        if send {
            let mut conn = self.link.raw();
            if let Err(e) = conn.subscribe(&name).await {
                // Kept locally: the restore that runs before the link is
                // ready again subscribes it.
                self.link.down(&format!("SUBSCRIBE failed: {e}"));
            }
        }
        Ok(())
    }

    async fn unsubscribe(&self, node: u64, topic: &Topic) -> anyhow::Result<()> {
        let name = self.keys.topic(topic);
        let _gate = self.gate(&name).lock().await;
        let send = {
            let mut state = self.state();
            let Some(local) = state.channels.get_mut(&name) else { return Ok(()) };
            if !local.nodes.remove(&node) || !local.nodes.is_empty() {
                return Ok(());
            }
            state.channels.remove(&name);
            state.version += 1;
            let ready = self.link.ready();
            if !ready {
                state.stale.insert(name.clone());
            }
            ready
        };
        if send {
            let mut conn = self.link.raw();
            if let Err(e) = conn.unsubscribe(&name).await {
                let mut state = self.state();
                if !state.channels.contains_key(&name) {
                    state.stale.insert(name.clone());
                    state.version += 1;
                }
                drop(state);
                self.link.down(&format!("UNSUBSCRIBE failed: {e}"));
            }
        }
        Ok(())
    }

    async fn publish(&self, topic: &Topic, event: Event) -> anyhow::Result<()> {
        let name = self.keys.topic(topic);
        let mut conn = self.link.conn()?;
        let payload = rtm_protocol::encode(&event);
        let result = ::redis::cmd("PUBLISH").arg(&name).arg(payload).query_async::<i64>(&mut conn).await;
        self.link.check(result)?;
        Ok(())
    }
}

#[async_trait]
impl Subscriber for RedisBroker {
    fn message(&self, channel: &str, payload: &[u8]) {
        let (topic, sinks) = {
            let state = self.state();
            let Some(local) = state.channels.get(channel) else { return };
            let sinks: Vec<Weak<dyn Sink>> =
                local.nodes.iter().filter_map(|n| state.sinks.get(n).cloned()).collect();
            (local.topic.clone(), sinks)
        };
        let event: Event = match rtm_protocol::decode(payload) {
            Ok(event) => event,
            Err(e) => {
                return tracing::warn!(channel, error = %e, "an undecodable event (another version's node?)");
            }
        };
        let mut event = Some(event);
        let mut dropped = false;
        let last = sinks.len().saturating_sub(1);
        for (i, sink) in sinks.iter().enumerate() {
            let Some(sink) = sink.upgrade() else {
                dropped = true;
                continue;
            };
            // The last sink takes the event itself: one clone fewer.
            let event = if i == last { event.take() } else { event.clone() };
            if let Some(event) = event {
                sink.deliver(&topic, event);
            }
        }
        if dropped {
            self.sweep();
        }
    }

    async fn restore(&self, link: &Link) -> anyhow::Result<usize> {
        let mut conn = link.raw();
        for _ in 0..RESTORE_ROUNDS {
            let (version, names, stale) = {
                let state = self.state();
                let names: Vec<String> = state.channels.keys().cloned().collect();
                (state.version, names, state.stale.iter().cloned().collect::<Vec<String>>())
            };
            for batch in stale.chunks(RESTORE_BATCH) {
                conn.unsubscribe(batch).await?;
            }
            for batch in names.chunks(RESTORE_BATCH) {
                conn.subscribe(batch).await?;
            }
            let mut state = self.state();
            if state.version == version {
                state.stale.clear();
                link.mark_up();
                return Ok(names.len());
            }
        }
        Err(anyhow!("the local subscriptions kept changing during {RESTORE_ROUNDS} restores"))
    }
}
