//! User and channel attributes: validation, rates and notifications on this
//! node. The attributes themselves live in the engine's `AttributeStore`.
//!
//! A channel that stays empty for `limits.channel_attrs_ttl_secs` loses its
//! attributes: the hub remembers since when each channel has been empty and a
//! timer clears it unless someone joined meanwhile.

use crate::engine::ChannelEvent;
use crate::hub::{now_ms, Hub};
use crate::session::SessionHandle;
use rtm_protocol::codes::AttributeOperationError as AttrErr;
use rtm_protocol::limits::{self, AttrError, AttrLimits};
use rtm_protocol::rate::AttrCall;
use rtm_protocol::{AttrOp, ChannelAttr, OpError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// (app, channel) → the mark of the moment it became empty.
pub type EmptyChannels = HashMap<(String, String), u64>;

fn attr_error(e: AttrError) -> OpError {
    match e {
        AttrError::BadKey(m) => AttrErr::INVALID_ARGUMENT.err(m),
        AttrError::Overflow(m) => AttrErr::SIZE_OVERFLOW.err(format!("{m}; nothing was changed")),
    }
}

fn store_error(e: anyhow::Error) -> OpError {
    AttrErr::FAILURE.err(format!("attribute store unavailable: {e}"))
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

fn budget(session: &SessionHandle, call: AttrCall, what: &str) -> Result<(), OpError> {
    if session.budgets(|b| b.attrs(call, now_ms())) {
        Ok(())
    } else {
        let (n, per) = match call {
            AttrCall::UserRead => limits::USER_ATTR_READ_RATE,
            AttrCall::ChannelRead => limits::CHANNEL_ATTR_READ_RATE,
            AttrCall::UserWrite | AttrCall::ChannelWrite => limits::ATTR_WRITE_RATE,
        };
        Err(AttrErr::TOO_OFTEN.err(format!("more than {n} {what} in {} s; wait and retry", per / 1000)))
    }
}

fn only_keys<T>(all: Vec<T>, keys: Option<&[String]>, key_of: impl Fn(&T) -> &str) -> Vec<T> {
    match keys {
        None => all,
        Some(keys) => all.into_iter().filter(|a| keys.iter().any(|k| k == key_of(a))).collect(),
    }
}

impl Hub {
    /// Changes the caller's own user attributes.
    pub async fn write_user_attrs(&self, session: &SessionHandle, op: AttrOp) -> Result<(), OpError> {
        check_op(&op)?;
        budget(session, AttrCall::UserWrite, "user attribute writes")?;
        let store = &self.engine().attributes;
        store.update_user(&session.app, &session.uid, &op).await.map_err(store_error)?.map_err(attr_error)
    }

    /// Reads a user's attributes (all, or these keys).
    pub async fn read_user_attrs(
        &self,
        session: &SessionHandle,
        uid: &str,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<(String, String)>, OpError> {
        limits::validate_id(uid).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("user id")))?;
        if let Some(keys) = &keys {
            keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(attr_error)?;
        }
        budget(session, AttrCall::UserRead, "user attribute reads")?;
        let all = self.engine().attributes.user(&session.app, uid).await.map_err(store_error)?;
        Ok(only_keys(all, keys.as_deref(), |(k, _)| k))
    }

    /// Changes a channel's attributes; with `notify`, its members get the full set.
    pub async fn write_channel_attrs(
        &self,
        session: &SessionHandle,
        channel: &str,
        op: AttrOp,
        notify: bool,
    ) -> Result<(), OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        check_op(&op)?;
        budget(session, AttrCall::ChannelWrite, "channel attribute writes")?;
        let store = &self.engine().attributes;
        let attrs = store
            .update_channel(&session.app, channel, &session.uid, now_ms(), &op)
            .await
            .map_err(store_error)?
            .map_err(attr_error)?;
        if notify {
            let event = ChannelEvent::Attrs { attrs };
            let _ = self.engine().broker.publish_channel(&session.app, channel, event).await;
        }
        // Attributes of a channel nobody is in start their countdown now.
        if self.engine().membership.count(&session.app, channel).await.unwrap_or(0) == 0 {
            self.mark_empty(&session.app, channel, false);
        }
        Ok(())
    }

    /// Reads a channel's attributes (all, or these keys); joining is not needed.
    pub async fn read_channel_attrs(
        &self,
        session: &SessionHandle,
        channel: &str,
        keys: Option<Vec<String>>,
    ) -> Result<Vec<ChannelAttr>, OpError> {
        limits::validate_id(channel).map_err(|e| AttrErr::INVALID_ARGUMENT.err(e.describe("channel id")))?;
        if let Some(keys) = &keys {
            keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(attr_error)?;
        }
        budget(session, AttrCall::ChannelRead, "channel attribute reads")?;
        let all = self.engine().attributes.channel(&session.app, channel).await.map_err(store_error)?;
        Ok(only_keys(all, keys.as_deref(), |a| &a.key))
    }

    /// The channel has no members (since now, or — `keep` — since earlier if
    /// already marked): clear its attributes when the TTL passes, unless
    /// someone joins first.
    pub(crate) fn mark_empty(&self, app: &str, channel: &str, restart: bool) {
        let key = (app.to_owned(), channel.to_owned());
        let mark = rand::random::<u64>();
        {
            let mut empty = self.empty_channels();
            if !restart && empty.contains_key(&key) {
                return;
            }
            empty.insert(key.clone(), mark);
        }
        let ttl = Duration::from_secs(self.config().limits.channel_attrs_ttl_secs);
        let Some(hub) = self.arc() else { return };
        tokio::spawn(async move {
            tokio::time::sleep(ttl).await;
            let still_empty = hub.empty_channels().get(&key) == Some(&mark);
            if still_empty {
                hub.empty_channels().remove(&key);
                if let Err(e) = hub.engine().attributes.clear_channel(&key.0, &key.1).await {
                    tracing::warn!(error = %e, "could not clear the attributes of an empty channel");
                }
            }
        });
    }

    /// Someone is in the channel: its attributes stay.
    pub(crate) fn mark_occupied(&self, app: &str, channel: &str) {
        self.empty_channels().remove(&(app.to_owned(), channel.to_owned()));
    }

    /// A session ended: its user attributes go.
    pub(crate) async fn clear_user_attrs(&self, session: &Arc<SessionHandle>) {
        if let Err(e) = self.engine().attributes.clear_user(&session.app, &session.uid).await {
            tracing::warn!(error = %e, "could not clear user attributes");
        }
    }
}
