//! This node's lease, and the reaping of dead nodes.
//!
//! A node renews its lease every third of its length. Every node also reaps:
//! the engine hands each dead node's users and channel memberships to exactly
//! one reaper, which tells the cluster what a clean logout would have told it
//! (OFFLINE to subscribers, MemberLeft to channels) and clears the users'
//! attributes. So when a node dies its users go OFFLINE within about one
//! lease plus one period.

use super::Services;
use crate::engine::{ChannelEvent, Event, Topic};
use rtm_protocol::PeerState;
use std::sync::Weak;

/// Renews the lease and reaps until the services are dropped.
pub fn spawn(services: Weak<Services>) {
    tokio::spawn(async move {
        let Some(lease) = services.upgrade().map(|s| s.node.config.lease) else { return };
        let mut tick = tokio::time::interval(lease / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(this) = services.upgrade() else { break };
            this.beat().await;
        }
    });
}

impl Services {
    async fn beat(&self) {
        let engine = &self.node.engine;
        if let Err(e) = engine.presence.heartbeat(self.node.id, self.node.config.lease).await {
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
        for user in users {
            self.publish_state(&user.app, &user.uid, PeerState::OFFLINE).await;
            self.attributes.user_offline(&user.app, &user.uid).await;
        }
        if nodes.is_empty() {
            return;
        }
        match engine.membership.reap(&nodes).await {
            Ok(departed) => {
                for d in departed {
                    let event = ChannelEvent::Left { uid: d.uid, session: d.session, count: d.count };
                    let _ =
                        self.node.publish(&Topic::channel(&d.app, &d.channel), Event::Channel(event)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not remove the channel members of dead nodes"),
        }
    }
}
