//! [`Channel`]: the web SDK's `RtmChannel`. Join, leave, send, list members,
//! and (optionally) a stream of the channel's own events.

use crate::core::{now_ms, Inner};
use crate::error::{self, Result};
use crate::event::{ChannelEvent, Events, Message};
use rtm_protocol::codes::{
    ChannelMessageError as SendError, GetMembersError as MembersError, JoinChannelError as JoinError,
    LeaveChannelError as LeaveError,
};
use rtm_protocol::limits::{MAX_JOINED_CHANNELS, MAX_MESSAGE_BYTES};
use rtm_protocol::rate::JoinRefusal;
use rtm_protocol::{Reply, Request};
use std::sync::Arc;

/// A channel of a [`crate::Client`]. Handles of one id name the same
/// channel: joined through one, it is joined for all.
#[derive(Clone)]
pub struct Channel {
    inner: Arc<Inner>,
    id: Arc<str>,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").field("id", &self.id).field("joined", &self.is_joined()).finish()
    }
}

impl Channel {
    pub(crate) fn new(inner: Arc<Inner>, id: String) -> Channel {
        Channel { inner, id: id.into() }
    }

    /// The channel id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether this client is in the channel.
    pub fn is_joined(&self) -> bool {
        self.inner.lock().channels.contains(&*self.id)
    }

    /// The channel's own event stream: its events come here instead of the
    /// client's stream from now on (until this stream is dropped). A later
    /// call replaces it.
    pub fn events(&self) -> Events<ChannelEvent> {
        self.inner.lock().router.channel_stream(&self.id)
    }

    /// Joins: the other members see `MemberJoined`, this client gets
    /// `MemberCountUpdated`.
    pub async fn join(&self) -> Result<()> {
        self.inner.live_link(&error::JOIN)?;
        {
            let mut s = self.inner.lock();
            if s.channels.contains(&*self.id) {
                return Err(JoinError::ALREADY_JOINED.err(format!("channel {:?} is already joined", self.id)));
            }
            if s.channels.len() >= MAX_JOINED_CHANNELS {
                let why =
                    format!("a client can be in at most {MAX_JOINED_CHANNELS} channels; leave one first");
                return Err(JoinError::EXCEED_LIMIT.err(why));
            }
            s.budgets.join(&self.id, now_ms()).map_err(|refusal| match refusal {
                JoinRefusal::SameChannel => JoinError::JOIN_SAME_CHANNEL_TOO_OFTEN
                    .err(format!("channel {:?} was joined twice in the last 5 s; wait and retry", self.id)),
                JoinRefusal::AnyChannel => {
                    JoinError::TOO_OFTEN.err("more than 50 joins in 3 s; wait and retry")
                }
            })?;
            // Listed before the request: the member count pushed right after
            // the reply belongs to a joined channel, and a reconnect during
            // the request re-joins it.
            s.channels.insert(self.id.to_string());
        }
        match self.inner.call(Request::Join { channel: self.id.to_string() }, &error::JOIN).await {
            Ok(Reply::Done) => Ok(()),
            other => {
                self.inner.lock().channels.remove(&*self.id);
                Err(other.map_or_else(|e| e, |_| error::JOIN.unexpected()))
            }
        }
    }

    /// Leaves: the other members see `MemberLeft`.
    pub async fn leave(&self) -> Result<()> {
        self.inner.live_link(&error::LEAVE)?;
        // Whatever the server says, the channel is no longer this client's.
        if !self.inner.lock().channels.remove(&*self.id) {
            return Err(LeaveError::NOT_IN_CHANNEL.err(format!("channel {:?} is not joined", self.id)));
        }
        self.inner.call(Request::Leave { channel: self.id.to_string() }, &error::LEAVE).await.map(drop)
    }

    /// Sends `message` to every other member (never echoed to the sender).
    pub async fn send_message(&self, message: impl Into<Message>) -> Result<()> {
        let message = message.into();
        if message.size() > MAX_MESSAGE_BYTES {
            let why = format!("the message is {} bytes; at most {MAX_MESSAGE_BYTES}", message.size());
            return Err(SendError::INVALID_MESSAGE.err(why));
        }
        self.inner.live_link(&error::CHANNEL_MESSAGE)?;
        if !self.is_joined() {
            return Err(
                SendError::NOT_IN_CHANNEL.err(format!("join channel {:?} before sending to it", self.id))
            );
        }
        self.inner.budget(
            |b, now| b.send(now),
            || {
                SendError::TOO_OFTEN
                    .err("more than 180 messages in 3 s (peer and channel together); slow down")
            },
        )?;
        let req = Request::SendChannel { channel: self.id.to_string(), payload: message };
        self.inner.call(req, &error::CHANNEL_MESSAGE).await.map(drop)
    }

    /// The members' user ids (a sample of 512 in a larger channel).
    pub async fn get_members(&self) -> Result<Vec<String>> {
        self.inner.live_link(&error::MEMBERS)?;
        if !self.is_joined() {
            return Err(
                MembersError::NOT_IN_CHANNEL.err(format!("join channel {:?} to list its members", self.id))
            );
        }
        self.inner
            .budget(|b, now| b.get_members(now), || MembersError::TOO_OFTEN.err("at most 5 calls per 2 s"))?;
        match self.inner.call(Request::GetMembers { channel: self.id.to_string() }, &error::MEMBERS).await? {
            Reply::Members { members } => Ok(members),
            _ => Err(error::MEMBERS.unexpected()),
        }
    }
}
