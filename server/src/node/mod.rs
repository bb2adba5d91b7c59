//! The node: what every feature of this process shares — its id, its
//! settings, the engine it runs on, its sessions, the topics it hears, the
//! acknowledgements it waits for and the links it relays for other nodes. Features reach shared state only through
//! it, and never through each other.

pub mod acks;
pub mod relays;
pub mod subscriptions;

pub use acks::{AckWait, Acks};
pub use relays::Relays;
pub use subscriptions::Subscriptions;

use crate::config::Config;
use crate::engine::{Engine, Event, Topic};
use crate::sessions::Registry;
use rtm_protocol::PeerState;
use std::sync::Arc;

/// This process's place in the cluster.
pub struct Node {
    /// Random per process start; names this node's sessions and topic.
    pub id: u64,
    /// Settings.
    pub config: Config,
    /// The shared engine.
    pub engine: Engine,
    /// This node's sessions.
    pub sessions: Registry,
    /// The topics this node hears.
    pub subs: Subscriptions,
    /// Acknowledgements this node waits for.
    pub acks: Acks,
    /// Connections relayed between this node and others.
    pub relays: Relays,
}

impl Node {
    /// A node with a fresh random id on `engine`.
    pub fn new(config: Config, engine: Engine) -> Arc<Node> {
        let id = rand::random::<u64>();
        Arc::new(Node {
            id,
            subs: Subscriptions::new(id, engine.broker.clone()),
            acks: Acks::new(id),
            relays: Relays::default(),
            sessions: Registry::default(),
            config,
            engine,
        })
    }

    /// Publishes `event` on `topic`; a failure is logged and reported.
    pub async fn publish(&self, topic: &Topic, event: Event) -> anyhow::Result<()> {
        let result = self.engine.broker.publish(topic, event).await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, ?topic, "publish failed");
        }
        result
    }

    /// Tells every subscriber of a user's status, on every node, its new state.
    pub async fn announce(&self, app: &str, uid: &str, state: PeerState) {
        let _ = self.publish(&Topic::presence(app, uid), Event::Presence(state)).await;
    }
}
