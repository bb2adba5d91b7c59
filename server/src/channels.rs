//! Channels on this node: join, leave, messages, member lists and counts.
//!
//! Membership lives in the engine (so counts and lists span nodes); this file
//! keeps only which local sessions are in which channel, to fan out what the
//! broker delivers. A channel push is encoded once per node and the same bytes
//! go to every member (framed with each member's sequence number on the way out).

use crate::engine::{ChannelEvent, SessionRef};
use crate::hub::{now_ms, Hub};
use crate::session::SessionHandle;
use bytes::Bytes;
use rtm_protocol::codes::{
    ChannelMessageError, GetChannelMemberCountError, GetMembersError, JoinChannelError, LeaveChannelError,
};
use rtm_protocol::limits::{self, MEMBER_EVENTS_MAX_MEMBERS};
use rtm_protocol::rate::JoinRefusal;
use rtm_protocol::{encode, OpError, Payload, Push};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// This node's sessions in one channel.
#[derive(Default)]
pub struct LocalChannel {
    members: HashMap<u64, Arc<SessionHandle>>,
    /// The latest member count seen in an event.
    count: u32,
    /// A count change not yet pushed.
    dirty: bool,
    last_count_push: Option<Instant>,
}

/// (app, channel) → this node's members.
pub type LocalChannels = HashMap<(String, String), LocalChannel>;

fn engine_error<E: std::fmt::Display>(e: E) -> String {
    format!("channel store unavailable: {e}")
}

impl Hub {
    /// `channel.join()`: returns the member count after joining, which the
    /// caller pushes (as MemberCount) right after the reply.
    pub async fn join(&self, session: &Arc<SessionHandle>, channel: &str) -> Result<u32, OpError> {
        limits::validate_id(channel)
            .map_err(|e| JoinChannelError::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        if session.has_joined(channel) {
            return Err(JoinChannelError::ALREADY_JOINED.err(format!("already joined channel {channel:?}")));
        }
        if session.joined_count() >= limits::MAX_JOINED_CHANNELS {
            return Err(JoinChannelError::EXCEED_LIMIT.err(format!(
                "a client can be in at most {} channels; leave one first",
                limits::MAX_JOINED_CHANNELS
            )));
        }
        session.budgets(|b| b.join(channel, now_ms())).map_err(|refusal| match refusal {
            JoinRefusal::SameChannel => JoinChannelError::JOIN_SAME_CHANNEL_TOO_OFTEN
                .err(format!("channel {channel:?} was joined twice in the last 5 s; wait and retry")),
            JoinRefusal::AnyChannel => {
                JoinChannelError::TOO_OFTEN.err("more than 50 joins in 3 s; wait and retry")
            }
        })?;
        session.add_joined(channel);
        self.local_channel_add(session, channel);
        let joined =
            match self.engine().membership.join(&session.app, channel, &session.uid, session.sref).await {
                Ok(joined) => joined,
                Err(e) => {
                    session.remove_joined(channel);
                    self.local_channel_remove(&session.app, channel, session.sref.session);
                    return Err(JoinChannelError::FAILURE.err(engine_error(e)));
                }
            };
        self.mark_occupied(&session.app, channel);
        let event =
            ChannelEvent::Joined { uid: session.uid.clone(), session: session.sref, count: joined.count };
        let _ = self.engine().broker.publish_channel(&session.app, channel, event).await;
        Ok(joined.count)
    }

    /// `channel.leave()`.
    pub async fn leave(&self, session: &Arc<SessionHandle>, channel: &str) -> Result<(), OpError> {
        if !session.remove_joined(channel) {
            return Err(LeaveChannelError::NOT_IN_CHANNEL.err(format!("not in channel {channel:?}")));
        }
        self.leave_joined(session, channel).await;
        Ok(())
    }

    /// Leaves every channel of a session that is ending (logout, remote login,
    /// lost connection): the other members get MemberLeft.
    pub async fn leave_all(&self, session: &Arc<SessionHandle>) {
        for channel in session.take_joined() {
            self.leave_joined(session, &channel).await;
        }
    }

    async fn leave_joined(&self, session: &Arc<SessionHandle>, channel: &str) {
        self.local_channel_remove(&session.app, channel, session.sref.session);
        let left = self.engine().membership.leave(&session.app, channel, &session.uid, session.sref).await;
        match left {
            Ok(Some(count)) => {
                if count == 0 {
                    self.mark_empty(&session.app, channel, true);
                }
                let event = ChannelEvent::Left { uid: session.uid.clone(), session: session.sref, count };
                let _ = self.engine().broker.publish_channel(&session.app, channel, event).await;
            }
            Ok(None) => {} // a newer session of the same user holds the membership
            Err(e) => tracing::warn!(error = %e, channel, "could not leave channel"),
        }
    }

    /// `channel.sendMessage()`: resolves once the message is published.
    pub async fn send_channel(
        &self,
        session: &Arc<SessionHandle>,
        channel: &str,
        payload: Payload,
    ) -> Result<(), OpError> {
        if !session.has_joined(channel) {
            return Err(ChannelMessageError::NOT_IN_CHANNEL
                .err(format!("join channel {channel:?} before sending to it")));
        }
        if payload.size() > limits::MAX_MESSAGE_BYTES {
            return Err(ChannelMessageError::INVALID_MESSAGE.err(format!(
                "the message is {} bytes; at most {} are allowed",
                payload.size(),
                limits::MAX_MESSAGE_BYTES
            )));
        }
        if !session.budgets(|b| b.send(now_ms())) {
            return Err(ChannelMessageError::TOO_OFTEN
                .err("more than 180 messages in 3 s (peer and channel together); slow down"));
        }
        let event =
            ChannelEvent::Message { from: session.uid.clone(), sender: session.sref, payload, ts: now_ms() };
        self.engine()
            .broker
            .publish_channel(&session.app, channel, event)
            .await
            .map_err(|e| ChannelMessageError::FAILURE.err(engine_error(e)))
    }

    /// `channel.getMembers()`.
    pub async fn get_members(
        &self,
        session: &Arc<SessionHandle>,
        channel: &str,
    ) -> Result<Vec<String>, OpError> {
        if !session.has_joined(channel) {
            return Err(
                GetMembersError::NOT_IN_CHANNEL.err(format!("join channel {channel:?} to list its members"))
            );
        }
        if !session.budgets(|b| b.get_members(now_ms())) {
            return Err(
                GetMembersError::TOO_OFTEN.err("more than 5 getMembers() calls in 2 s; wait and retry")
            );
        }
        self.engine()
            .membership
            .members(&session.app, channel, limits::MAX_MEMBERS_LISTED)
            .await
            .map_err(|e| GetMembersError::FAILURE.err(engine_error(e)))
    }

    /// `client.getChannelMemberCount()`.
    pub async fn member_counts(
        &self,
        session: &Arc<SessionHandle>,
        channels: &[String],
    ) -> Result<Vec<u32>, OpError> {
        if channels.is_empty() {
            return Err(GetChannelMemberCountError::INVALID_ARGUMENT.err("give at least one channel id"));
        }
        if channels.len() > limits::MAX_COUNT_CHANNELS {
            return Err(GetChannelMemberCountError::EXCEED_LIMIT
                .err(format!("at most {} channel ids per call", limits::MAX_COUNT_CHANNELS)));
        }
        for channel in channels {
            limits::validate_id(channel)
                .map_err(|e| GetChannelMemberCountError::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        }
        if !session.budgets(|b| b.member_count(now_ms())) {
            return Err(
                GetChannelMemberCountError::TOO_OFTEN.err("at most one call per second; wait and retry")
            );
        }
        let mut counts = Vec::with_capacity(channels.len());
        for channel in channels {
            let count = self.engine().membership.count(&session.app, channel).await;
            counts.push(count.map_err(|e| GetChannelMemberCountError::FAILURE.err(engine_error(e)))?);
        }
        Ok(counts)
    }

    fn local_channel_add(&self, session: &Arc<SessionHandle>, channel: &str) {
        let mut channels = self.local_channels();
        let local = channels.entry((session.app.clone(), channel.to_owned())).or_default();
        local.members.insert(session.sref.session, session.clone());
    }

    fn local_channel_remove(&self, app: &str, channel: &str, session: u64) {
        let mut channels = self.local_channels();
        let key = (app.to_owned(), channel.to_owned());
        if let Some(local) = channels.get_mut(&key) {
            local.members.remove(&session);
            if local.members.is_empty() {
                channels.remove(&key);
            }
        }
    }

    /// Fans a channel event out to this node's members of the channel.
    pub(crate) fn fan_out(&self, app: &str, channel: &str, event: ChannelEvent) {
        let channel_id = channel.to_owned();
        let (push, skip) = match event {
            ChannelEvent::Message { from, sender, payload, ts } => {
                (Push::ChannelMessage { channel: channel_id, from, payload, ts }, Some(sender))
            }
            ChannelEvent::Joined { uid, session, count } => {
                self.note_count(app, channel, count);
                if count > MEMBER_EVENTS_MAX_MEMBERS {
                    return;
                }
                (Push::MemberJoined { channel: channel_id, uid }, Some(session))
            }
            // Every member, the writer too if it is one.
            ChannelEvent::Attrs { attrs } => (Push::ChannelAttrs { channel: channel_id, attrs }, None),
            ChannelEvent::Left { uid, session, count } => {
                self.note_count(app, channel, count);
                if count >= MEMBER_EVENTS_MAX_MEMBERS {
                    return;
                }
                (Push::MemberLeft { channel: channel_id, uid }, Some(session))
            }
        };
        let body: Bytes = encode(&push).into();
        for session in self.local_members(app, channel, skip) {
            session.push_body(body.clone());
        }
    }

    fn note_count(&self, app: &str, channel: &str, count: u32) {
        if let Some(local) = self.local_channels().get_mut(&(app.to_owned(), channel.to_owned())) {
            local.count = count;
            local.dirty = true;
        }
    }

    fn local_members(&self, app: &str, channel: &str, skip: Option<SessionRef>) -> Vec<Arc<SessionHandle>> {
        let channels = self.local_channels();
        let Some(local) = channels.get(&(app.to_owned(), channel.to_owned())) else { return Vec::new() };
        local.members.values().filter(|s| Some(s.sref) != skip).cloned().collect()
    }

    /// Pushes MemberCount for channels whose count changed, at most once per
    /// interval each (1 s; 3 s above 512 members).
    fn push_counts(&self, now: Instant) {
        let mut due = Vec::new();
        for ((_, channel), local) in self.local_channels().iter_mut() {
            let interval = if local.count > MEMBER_EVENTS_MAX_MEMBERS {
                limits::MEMBER_COUNT_INTERVAL_LARGE_MS
            } else {
                limits::MEMBER_COUNT_INTERVAL_MS
            };
            let ready = local.last_count_push.is_none_or(|t| now - t >= Duration::from_millis(interval));
            if local.dirty && ready {
                local.dirty = false;
                local.last_count_push = Some(now);
                let push = Push::MemberCount { channel: channel.clone(), count: local.count };
                let body: Bytes = encode(&push).into();
                due.push((body, local.members.values().cloned().collect::<Vec<_>>()));
            }
        }
        for (body, members) in due {
            for session in members {
                session.push_body(body.clone());
            }
        }
    }
}

/// Runs [`Hub::push_counts`] four times a second until the hub is dropped.
pub fn spawn_count_ticker(hub: Weak<Hub>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(hub) = hub.upgrade() else { break };
            hub.push_counts(Instant::now());
        }
    });
}
