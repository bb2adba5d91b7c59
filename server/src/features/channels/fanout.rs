//! Delivering channel events to this node's members: each push is encoded
//! once and the same bytes go to every member (the writer frames them with
//! each member's sequence number). Member counts are pushed on their own
//! clock, at most once a second per channel (every 3 s above 512 members).

use super::Channels;
use crate::engine::ChannelEvent;
use bytes::Bytes;
use rtm_protocol::limits::MEMBER_EVENTS_MAX_MEMBERS;
use rtm_protocol::{encode, Push};
use std::sync::Weak;
use std::time::{Duration, Instant};

impl Channels {
    /// The broker brought `event` of `channel`: push it to the local members
    /// it concerns.
    pub fn on_event(&self, app: &str, channel: &str, event: ChannelEvent) {
        let channel_id = channel.to_owned();
        let (push, skip) = match event {
            ChannelEvent::Message { from, sender, payload, ts } => {
                (Push::ChannelMessage { channel: channel_id, from, payload, ts }, Some(sender))
            }
            ChannelEvent::Joined { uid, session, count } => {
                self.local.lock().unwrap().note_count(app, channel, count);
                if count > MEMBER_EVENTS_MAX_MEMBERS {
                    return;
                }
                (Push::MemberJoined { channel: channel_id, uid }, Some(session))
            }
            ChannelEvent::Left { uid, session, count } => {
                self.local.lock().unwrap().note_count(app, channel, count);
                if count >= MEMBER_EVENTS_MAX_MEMBERS {
                    return;
                }
                (Push::MemberLeft { channel: channel_id, uid }, Some(session))
            }
            // Every member, the writer too if it is one.
            ChannelEvent::Attrs { attrs } => (Push::ChannelAttrs { channel: channel_id, attrs }, None),
        };
        let members = self.local.lock().unwrap().members(app, channel, skip);
        if members.is_empty() {
            return;
        }
        let body: Bytes = encode(&push).into();
        for session in members {
            session.push_body(body.clone());
        }
    }

    /// Pushes MemberCount to the members of channels whose count changed.
    /// The count is read from the engine: events from several nodes may
    /// arrive out of order, the engine's count is the truth.
    async fn push_counts(&self, now: Instant) {
        let due = self.local.lock().unwrap().due_counts(now);
        for ((app, channel), members) in due {
            let count = match self.node.engine.membership.count(&app, &channel).await {
                Ok(count) => count,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read a member count");
                    continue;
                }
            };
            let body: Bytes = encode(&Push::MemberCount { channel, count }).into();
            for session in members {
                session.push_body(body.clone());
            }
        }
    }
}

/// Runs [`Channels::push_counts`] four times a second until the feature is dropped.
pub fn spawn_count_ticker(channels: Weak<Channels>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(channels) = channels.upgrade() else { break };
            channels.push_counts(Instant::now()).await;
        }
    });
}
