//! Channels: join, leave, messages, member lists and counts.
//!
//! Membership and counts are engine state (so they span nodes); this node
//! keeps only its own members ([`local::Local`]) to fan out what the broker
//! brings on the channel's topic, which it hears while it has a local member.
//! Channel attributes belong to the attributes feature.

pub mod fanout;
pub mod local;

use super::handled::{done, unavailable, Handled};
use crate::clock::now_ms;
use crate::engine::event_log::record;
use crate::engine::{ChannelEvent, Event, Happening, LoggedEvent, SessionRef, Topic};
use crate::node::Node;
use crate::sessions::Session;
use local::{Local, Refused};
use rtm_protocol::codes::{
    ChannelMessageError, GetChannelMemberCountError, GetMembersError, JoinChannelError, LeaveChannelError,
};
use rtm_protocol::limits;
use rtm_protocol::rate::JoinRefusal;
use rtm_protocol::{OpError, Payload, Push, Reply, Request};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The channel feature of one node.
pub struct Channels {
    node: Arc<Node>,
    local: Mutex<Local>,
}

impl Channels {
    /// The feature on `node`; pushes member counts until it is dropped.
    pub fn new(node: Arc<Node>) -> Arc<Channels> {
        let channels = Arc::new(Channels { node, local: Mutex::new(Local::default()) });
        spawn_count_ticker(Arc::downgrade(&channels));
        channels
    }

    /// The broker brought `event` of `channel`.
    pub fn on_event(&self, app: &str, channel: &str, event: ChannelEvent) {
        fanout::deliver(&self.local, app, channel, event);
    }

    /// `Join`, `Leave`, `SendChannel`, `GetMembers`, `GetMemberCount`.
    pub async fn handle(&self, session: &Arc<Session>, req: Request) -> Handled {
        match req {
            Request::Join { channel } => match self.join(session, &channel).await {
                // The joiner's first count follows the reply.
                Ok(count) => {
                    let session = session.clone();
                    Handled::ReplyThen(
                        Ok(Reply::Done),
                        Box::pin(async move { session.push(&Push::MemberCount { channel, count }) }),
                    )
                }
                Err(e) => Handled::Reply(Err(e)),
            },
            Request::Leave { channel } => done(self.leave(session, &channel).await),
            Request::SendChannel { channel, payload } => done(self.send(session, &channel, payload).await),
            Request::GetMembers { channel } => Handled::Reply(
                self.members(session, &channel).await.map(|members| Reply::Members { members }),
            ),
            Request::GetMemberCount { channels } => Handled::Reply(
                self.counts(session, &channels).await.map(|counts| Reply::MemberCounts { counts }),
            ),
            _ => Handled::Reply(Err(JoinChannelError::FAILURE.err("not a channel request"))),
        }
    }

    /// `channel.join()`: the member count after joining.
    async fn join(&self, session: &Arc<Session>, channel: &str) -> Result<u32, OpError> {
        limits::validate_id(channel)
            .map_err(|e| JoinChannelError::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        if self.local.lock().unwrap().has(session, channel) {
            return Err(JoinChannelError::ALREADY_JOINED.err(format!("already joined channel {channel:?}")));
        }
        session.budgets(|b| b.join(channel, now_ms())).map_err(|refusal| match refusal {
            JoinRefusal::SameChannel => JoinChannelError::JOIN_SAME_CHANNEL_TOO_OFTEN
                .err(format!("channel {channel:?} was joined twice in the last 5 s; wait and retry")),
            JoinRefusal::AnyChannel => {
                JoinChannelError::TOO_OFTEN.err("more than 50 joins in 3 s; wait and retry")
            }
        })?;
        self.local.lock().unwrap().add(session, channel).map_err(|refused| match refused {
            Refused::AlreadyJoined => {
                JoinChannelError::ALREADY_JOINED.err(format!("already joined channel {channel:?}"))
            }
            Refused::TooMany => JoinChannelError::EXCEED_LIMIT.err(format!(
                "a client can be in at most {} channels; leave one first",
                limits::MAX_JOINED_CHANNELS
            )),
        })?;
        let topic = Topic::channel(&session.app, channel);
        // Hear the channel before joining it, so no event after the join is missed.
        if let Err(e) = self.node.subs.acquire(&topic).await {
            self.local.lock().unwrap().remove(session, channel);
            return Err(JoinChannelError::FAILURE.err(unavailable("the channel broker", e)));
        }
        let count =
            match self.node.engine.membership.join(&session.app, channel, &session.uid, session.sref).await {
                Ok(count) => count,
                Err(e) => {
                    self.local.lock().unwrap().remove(session, channel);
                    self.node.subs.release(&topic).await;
                    return Err(JoinChannelError::FAILURE.err(unavailable("the channel store", e)));
                }
            };
        let event = ChannelEvent::Joined { uid: session.uid.clone(), session: session.sref, count };
        let _ = self.node.publish(&topic, Event::Channel(event)).await;
        let joined = LoggedEvent::channel(Happening::Join, channel, &session.uid, now_ms());
        record(self.node.engine.events.as_ref(), &session.app, joined).await;
        Ok(count)
    }

    /// `channel.leave()`.
    async fn leave(&self, session: &Session, channel: &str) -> Result<(), OpError> {
        if !self.local.lock().unwrap().remove(session, channel) {
            return Err(LeaveChannelError::NOT_IN_CHANNEL.err(format!("not in channel {channel:?}")));
        }
        self.depart(session, channel).await;
        Ok(())
    }

    /// The engine side of a leave, once the local record is gone: the other
    /// members get MemberLeft; the topic is released after that publish.
    async fn depart(&self, session: &Session, channel: &str) {
        let topic = Topic::channel(&session.app, channel);
        match self.node.engine.membership.leave(&session.app, channel, &session.uid, session.sref).await {
            Ok(Some(count)) => {
                let event = ChannelEvent::Left { uid: session.uid.clone(), session: session.sref, count };
                let _ = self.node.publish(&topic, Event::Channel(event)).await;
                let left = LoggedEvent::channel(Happening::Leave, channel, &session.uid, now_ms());
                record(self.node.engine.events.as_ref(), &session.app, left).await;
            }
            Ok(None) => {} // a newer session of the same user holds the membership
            Err(e) => tracing::warn!(error = %e, channel, "could not leave channel"),
        }
        self.node.subs.release(&topic).await;
    }

    /// A session ended (logout, kick, grace over): it leaves every channel.
    pub async fn session_ended(&self, session: &Session) {
        let channels = self.local.lock().unwrap().take_all(session);
        for channel in channels {
            self.depart(session, &channel).await;
        }
    }

    /// `channel.sendMessage()`: resolves once the message is published.
    async fn send(&self, session: &Session, channel: &str, payload: Payload) -> Result<(), OpError> {
        if !self.local.lock().unwrap().has(session, channel) {
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
        self.publish(&session.app, &session.uid, session.sref, channel, payload).await?;
        crate::metrics::message_in(crate::metrics::CHANNEL);
        Ok(())
    }

    /// A channel message from user `from` of `app` that is no member: the
    /// REST API's. Every member gets it as from any member, none is skipped
    /// (a session of `from` in the channel gets it too: it did not send it).
    /// The caller has checked the ids, the size and its rate budget.
    pub async fn send_as(
        &self,
        app: &str,
        from: &str,
        channel: &str,
        payload: Payload,
    ) -> Result<(), OpError> {
        // Session ids start at 1: session 0 of this node is nobody's.
        let nobody = SessionRef { node: self.node.id, session: 0 };
        self.publish(app, from, nobody, channel, payload).await?;
        crate::metrics::message_in(crate::metrics::REST_CHANNEL);
        Ok(())
    }

    async fn publish(
        &self,
        app: &str,
        from: &str,
        sender: SessionRef,
        channel: &str,
        payload: Payload,
    ) -> Result<(), OpError> {
        let event = ChannelEvent::Message { from: from.to_owned(), sender, payload, ts: now_ms() };
        self.node
            .publish(&Topic::channel(app, channel), Event::Channel(event))
            .await
            .map_err(|e| ChannelMessageError::FAILURE.err(unavailable("the channel broker", e)))
    }

    /// `channel.getMembers()`.
    async fn members(&self, session: &Session, channel: &str) -> Result<Vec<String>, OpError> {
        if !self.local.lock().unwrap().has(session, channel) {
            return Err(
                GetMembersError::NOT_IN_CHANNEL.err(format!("join channel {channel:?} to list its members"))
            );
        }
        if !session.budgets(|b| b.get_members(now_ms())) {
            return Err(
                GetMembersError::TOO_OFTEN.err("more than 5 getMembers() calls in 2 s; wait and retry")
            );
        }
        self.node
            .engine
            .membership
            .members(&session.app, channel, limits::MAX_MEMBERS_LISTED)
            .await
            .map_err(|e| GetMembersError::FAILURE.err(unavailable("the channel store", e)))
    }

    /// `client.getChannelMemberCount()`.
    async fn counts(&self, session: &Session, channels: &[String]) -> Result<Vec<u32>, OpError> {
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
            let count = self.node.engine.membership.count(&session.app, channel).await;
            counts.push(
                count.map_err(|e| {
                    GetChannelMemberCountError::FAILURE.err(unavailable("the channel store", e))
                })?,
            );
        }
        Ok(counts)
    }
}

/// Pushes changed member counts four times a second until the feature is dropped.
fn spawn_count_ticker(channels: Weak<Channels>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let Some(channels) = channels.upgrade() else { break };
            fanout::push_counts(&channels.local, channels.node.engine.membership.as_ref(), Instant::now())
                .await;
        }
    });
}
