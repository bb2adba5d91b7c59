//! Delivering channel events to this node's members: each push is encoded
//! once and the same bytes go to every member (the writer frames them with
//! each member's sequence number). Member counts are pushed on their own
//! clock, at most once a second per channel (every 3 s above 512 members).

use super::local::Local;
use crate::engine::{ChannelEvent, Membership};
use bytes::Bytes;
use rtm_protocol::limits::MEMBER_EVENTS_MAX_MEMBERS;
use rtm_protocol::{encode, Push};
use std::sync::Mutex;
use std::time::Instant;

/// The broker brought `event` of `channel`: push it to the local members it
/// concerns.
pub fn deliver(local: &Mutex<Local>, app: &str, channel: &str, event: ChannelEvent) {
    let channel_id = channel.to_owned();
    let (push, skip) = match event {
        ChannelEvent::Message { from, sender, payload, ts } => {
            (Push::ChannelMessage { channel: channel_id, from, payload, ts }, Some(sender))
        }
        ChannelEvent::Joined { uid, session, count } => {
            local.lock().unwrap().note_count(app, channel, count);
            if count > MEMBER_EVENTS_MAX_MEMBERS {
                return;
            }
            (Push::MemberJoined { channel: channel_id, uid }, Some(session))
        }
        ChannelEvent::Left { uid, session, count } => {
            local.lock().unwrap().note_count(app, channel, count);
            if count >= MEMBER_EVENTS_MAX_MEMBERS {
                return;
            }
            (Push::MemberLeft { channel: channel_id, uid }, Some(session))
        }
        // Every member, the writer too if it is one.
        ChannelEvent::Attrs { attrs } => (Push::ChannelAttrs { channel: channel_id, attrs }, None),
    };
    let members = local.lock().unwrap().members(app, channel, skip);
    if members.is_empty() {
        return;
    }
    // Counted once per fan-out, not per member: one atomic add each.
    let n = members.len() as u64;
    crate::metrics::fanout(n);
    if matches!(push, Push::ChannelMessage { .. }) {
        crate::metrics::messages_out(crate::metrics::CHANNEL, n);
    }
    let body: Bytes = encode(&push).into();
    for session in members {
        session.push_body(body.clone());
    }
}

/// Pushes MemberCount to the members of channels whose count changed. The
/// count is read from the engine: events from several nodes may arrive out of
/// order, the engine's count is the truth.
pub async fn push_counts(local: &Mutex<Local>, membership: &dyn Membership, now: Instant) {
    let due = local.lock().unwrap().due_counts(now);
    for ((app, channel), members) in due {
        let count = match membership.count(&app, &channel).await {
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
