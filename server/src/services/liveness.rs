//! This node's lease, and the reaping of dead nodes.
//!
//! A node renews its lease every third of its length. Every node also reaps:
//! the engine hands each dead node's users and channel memberships to exactly
//! one reaper, which tells the cluster what a clean logout would have told it
//! (OFFLINE to subscribers, MemberLeft to channels, Leave and Logout to the
//! REST event log) and clears the users' attributes. So when a node dies its users go OFFLINE within about one
//! lease plus one period.
//!
//! Every node also deletes expired offline messages once a minute
//! ([`spawn_expiry`]): they are never delivered, but until deleted they
//! occupy the disk and their senders' quotas. (This used to be a delete over
//! the whole table on every login.) On Redis several nodes doing it at once
//! is harmless: each deletion is atomic and happens once.

use crate::clock::now_ms;
use crate::engine::event_log::record;
use crate::engine::{ChannelEvent, Event, Happening, LoggedEvent, Topic};
use crate::features::attributes::Attributes;
use crate::node::Node;
use rtm_protocol::PeerState;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often a node deletes expired offline messages.
pub const OFFLINE_EXPIRY_PERIOD: Duration = Duration::from_secs(60);

/// Deletes expired offline messages every [`OFFLINE_EXPIRY_PERIOD`] until the
/// node is dropped.
pub fn spawn_expiry(node: Weak<Node>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(OFFLINE_EXPIRY_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(node) = node.upgrade() else { break };
            match node.engine.offline.expire().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired offline messages"),
                Err(e) => tracing::warn!(error = %e, "could not delete expired offline messages"),
            }
        }
    });
}

/// Renews the lease and reaps until the node is dropped.
pub fn spawn(node: Weak<Node>, attributes: Weak<Attributes>) {
    tokio::spawn(async move {
        let Some(lease) = node.upgrade().map(|n| n.config.lease) else { return };
        let mut tick = tokio::time::interval(lease / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (Some(node), Some(attributes)) = (node.upgrade(), attributes.upgrade()) else { break };
            beat(&node, &attributes).await;
        }
    });
}

async fn beat(node: &Arc<Node>, attributes: &Attributes) {
    let engine = &node.engine;
    if let Err(e) = engine.presence.heartbeat(node.id, node.config.lease).await {
        tracing::warn!(error = %e, "could not renew this node's lease");
    }
    let (nodes, users) = match engine.presence.reap().await {
        Ok(reaped) => reaped,
        Err(e) => return tracing::warn!(error = %e, "could not reap dead nodes"),
    };
    if !nodes.is_empty() {
        tracing::warn!(
            ?nodes,
            users = users.len(),
            "nodes stopped renewing their lease; their users are offline"
        );
    }
    for user in &users {
        node.announce(&user.app, &user.uid, PeerState::OFFLINE).await;
        attributes.user_offline(&user.app, &user.uid).await;
    }
    if !nodes.is_empty() {
        match engine.membership.reap(&nodes).await {
            Ok(departed) => {
                for d in departed {
                    let left = LoggedEvent::channel(Happening::Leave, &d.channel, &d.uid, now_ms());
                    record(engine.events.as_ref(), &d.app, left).await;
                    let event = ChannelEvent::Left { uid: d.uid, session: d.session, count: d.count };
                    let _ = node.publish(&Topic::channel(&d.app, &d.channel), Event::Channel(event)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not remove the channel members of dead nodes"),
        }
    }
    // After their Leaves, as a clean logout logs them.
    for user in users {
        record(engine.events.as_ref(), &user.app, LoggedEvent::user(Happening::Logout, &user.uid, now_ms()))
            .await;
    }
}
