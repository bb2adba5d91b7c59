//! User and channel attributes: checks, rates and notifications. The
//! attributes themselves are engine state (`AttributeStore`), which also
//! expires a channel's attributes once it stays empty. A user's attributes
//! end when the user goes offline, as in Agora.

use super::handled::{done, unavailable, Handled};
use crate::clock::now_ms;
use crate::engine::{ChannelEvent, Event, Topic};
use crate::node::Node;
use crate::sessions::Session;
use rtm_protocol::codes::AttributeOperationError as AttrErr;
use rtm_protocol::limits::{self, AttrError, AttrLimits};
use rtm_protocol::rate::AttrCall;
use rtm_protocol::{AttrOp, ChannelAttr, OpError, PeerState, Reply, Request};
use std::sync::Arc;

fn attr_error(e: AttrError) -> OpError {
    match e {
        AttrError::BadKey(m) => AttrErr::INVALID_ARGUMENT.err(m),
        AttrError::Overflow(m) => AttrErr::SIZE_OVERFLOW.err(format!("{m}; nothing was changed")),
    }
}

fn store_error(e: anyhow::Error) -> OpError {
    AttrErr::FAILURE.err(unavailable("the attribute store", e))
}

/// Checks what a write carries before it reaches the store.
fn check_op(op: &AttrOp) -> Result<(), OpError> {
    match op {
        AttrOp::Set(items) | AttrOp::Upsert(items) => {
            AttrLimits::check_items(items.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(attr_error)
        }
        AttrOp::Delete(keys) => {
            if keys.is_empty() {
                return Err(AttrErr::INVALID_ARGUMENT.err("give at least one key to delete"));
            }
            keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(attr_error)
        }
        AttrOp::Clear => Ok(()),
    }
}

fn check_keys(keys: &Option<Vec<String>>) -> Result<(), OpError> {
    match keys {
        Some(keys) => keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(attr_error),
        None => Ok(()),
    }
}

fn budget(session: &Session, call: AttrCall, what: &str) -> Result<(), OpError> {
    if session.budgets(|b| b.attrs(call, now_ms())) {
        return Ok(());
    }
    let (n, per) = match call {
        AttrCall::UserRead => limits::USER_ATTR_READ_RATE,
        AttrCall::ChannelRead => limits::CHANNEL_ATTR_READ_RATE,
        AttrCall::UserWrite | AttrCall::ChannelWrite => limits::ATTR_WRITE_RATE,
    };
    Err(AttrErr::TOO_OFTEN.err(format!("more than {n} {what} in {} s; wait and retry", per / 1000)))
}

fn only_keys<T>(all: Vec<T>, keys: Option<&[String]>, key_of: impl Fn(&T) -> &str) -> Vec<T> {
    match keys {
        None => all,
        Some(keys) => all.into_iter().filter(|a| keys.iter().any(|k| k == key_of(a))).collect(),
    }
}

/// The attributes feature of one node (it keeps no state of its own).
pub struct Attributes {
    node: Arc<Node>,
}

impl Attributes {
    /// The feature on `node`.
    pub fn new(node: Arc<Node>) -> Arc<Attributes> {
        Arc::new(Attributes { node })
    }

    /// `UserAttrs`, `GetUserAttrs`, `ChannelAttrs`, `GetChannelAttrs`.
    pub async fn handle(&self, session: &Session, req: Request) -> Handled {
        match req {
            Request::UserAttrs { op } => done(self.write_user(session, op).await),
            Request::GetUserAttrs { uid, keys } => Handled::Reply(
                self.read_user(session, &uid, keys).await.map(|attrs| Reply::UserAttrs { attrs }),
            ),
            Request::ChannelAttrs { channel, op, notify } => {
                done(self.write_channel(session, &channel, op, notify).await)
            }
            Request::GetChannelAttrs { channel, keys } => Handled::Reply(
                self.read_channel(session, &channel, keys).await.map(|attrs| Reply::ChannelAttrs { attrs }),
            ),
            _ => Handled::Reply(Err(AttrErr::FAILURE.err("not an attribute request"))),
        }
    }

    /// Changes the caller's own user attributes.
    async fn write_user(&self, session: &Session, op: AttrOp) -> Result<(), OpError> {
        check_op(&op)?;
        budget(session, AttrCall::UserWrite, "user attribute writes")?;
        let store = &self.node.engine.attributes;
        store.update_user(&session.app, &session.uid, &op).await.map_err(store_error)?.map_err(attr_error)
    }

    /// Reads a user's attributes (all, or these keys).
    async fn read_user(
        &self,
        session: &Session,
        uid: &str,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<(String, String)>, OpError> {
        limits::validate_id(uid).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("user id")))?;
        check_keys(&keys)?;
        budget(session, AttrCall::UserRead, "user attribute reads")?;
        // As with Agora, a user's attributes are readable while the user is
        // logged in; of anyone else, the answer is USER_NOT_FOUND.
        if uid != session.uid {
            let states = self.node.engine.presence.states(&session.app, &[uid.to_owned()]).await;
            let online = states.map_err(store_error)?.first() == Some(&PeerState::ONLINE);
            if !online {
                return Err(AttrErr::USER_NOT_FOUND.err(format!("user {uid:?} is not logged in")));
            }
        }
        let all = self.node.engine.attributes.user(&session.app, uid).await.map_err(store_error)?;
        Ok(only_keys(all, keys.as_deref(), |(k, _)| k))
    }

    /// Changes a channel's attributes; with `notify`, its members get the full set.
    async fn write_channel(
        &self,
        session: &Session,
        channel: &str,
        op: AttrOp,
        notify: bool,
    ) -> Result<(), OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        check_op(&op)?;
        budget(session, AttrCall::ChannelWrite, "channel attribute writes")?;
        let store = &self.node.engine.attributes;
        let attrs = store
            .update_channel(&session.app, channel, &session.uid, now_ms(), &op)
            .await
            .map_err(store_error)?
            .map_err(attr_error)?;
        if notify {
            let event = Event::Channel(ChannelEvent::Attrs { attrs });
            let _ = self.node.publish(&Topic::channel(&session.app, channel), event).await;
        }
        Ok(())
    }

    /// Reads a channel's attributes (all, or these keys); joining is not needed.
    async fn read_channel(
        &self,
        session: &Session,
        channel: &str,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<ChannelAttr>, OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        check_keys(&keys)?;
        budget(session, AttrCall::ChannelRead, "channel attribute reads")?;
        let all = self.node.engine.attributes.channel(&session.app, channel).await.map_err(store_error)?;
        Ok(only_keys(all, keys.as_deref(), |a| &a.key))
    }

    /// An operator's read of a user's attributes (the admin API). A user has
    /// attributes only while logged in; of anyone else, USER_NOT_FOUND.
    pub async fn admin_read_user(&self, app: &str, uid: &str) -> Result<Vec<(String, String)>, OpError> {
        limits::validate_id(uid).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("user id")))?;
        let states = self.node.engine.presence.states(app, &[uid.to_owned()]).await.map_err(store_error)?;
        if states.first().is_none_or(|s| *s == PeerState::OFFLINE) {
            return Err(AttrErr::USER_NOT_FOUND.err(format!("user {uid:?} is not logged in")));
        }
        self.node.engine.attributes.user(app, uid).await.map_err(store_error)
    }

    /// An operator's change to a user's attributes: a client's checks and
    /// limits without a session's rate budget; refused for a user who is not
    /// logged in (the attributes would outlive the session they belong to).
    /// Returns the attributes after it.
    pub async fn admin_write_user(
        &self,
        app: &str,
        uid: &str,
        op: AttrOp,
    ) -> Result<Vec<(String, String)>, OpError> {
        check_op(&op)?;
        self.admin_read_user(app, uid).await?;
        let store = &self.node.engine.attributes;
        store.update_user(app, uid, &op).await.map_err(store_error)?.map_err(attr_error)?;
        store.user(app, uid).await.map_err(store_error)
    }

    /// An operator's read of a channel's attributes.
    pub async fn admin_read_channel(&self, app: &str, channel: &str) -> Result<Vec<ChannelAttr>, OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        self.node.engine.attributes.channel(app, channel).await.map_err(store_error)
    }

    /// An operator's change to a channel's attributes, written as `by`; with
    /// `notify`, its members get the full set as after a client's write.
    pub async fn admin_write_channel(
        &self,
        app: &str,
        channel: &str,
        by: &str,
        op: AttrOp,
        notify: bool,
    ) -> Result<Vec<ChannelAttr>, OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        check_op(&op)?;
        let store = &self.node.engine.attributes;
        let attrs = store
            .update_channel(app, channel, by, now_ms(), &op)
            .await
            .map_err(store_error)?
            .map_err(attr_error)?;
        if notify {
            let event = Event::Channel(ChannelEvent::Attrs { attrs: attrs.clone() });
            let _ = self.node.publish(&Topic::channel(app, channel), event).await;
        }
        Ok(attrs)
    }

    /// The user went offline (its last session ended, here or on a dead node):
    /// its attributes go.
    pub async fn user_offline(&self, app: &str, uid: &str) {
        if let Err(e) = self.node.engine.attributes.clear_user(app, uid).await {
            tracing::warn!(error = %e, "could not clear user attributes");
        }
    }
}
