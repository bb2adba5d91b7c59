//! User and channel attributes: the web SDK's `setLocalUserAttributes` …
//! `getChannelAttributesByKeys`, as methods of [`Client`]. Keys and sizes
//! are checked here first (`AttrLimits`, as the server checks them again);
//! failures carry `AttributeOperationError` codes.

use crate::client::Client;
use crate::error::{self, Result};
use rtm_protocol::codes::AttributeOperationError as AttrError;
use rtm_protocol::limits::{self, AttrError as Refusal};
use rtm_protocol::rate::AttrCall;
use rtm_protocol::{AttrLimits, AttrOp, ChannelAttr, Reply, Request};
use std::collections::HashMap;

/// Options of the channel attribute writes (`ChannelAttributeOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChannelAttributeOptions {
    /// Push the new set to the channel's members (`AttributesUpdated`).
    pub enable_notification_to_channel_members: bool,
}

fn refused(e: Refusal) -> crate::Error {
    match e {
        Refusal::BadKey(m) => AttrError::INVALID_ARGUMENT.err(m),
        Refusal::Overflow(m) => AttrError::SIZE_OVERFLOW.err(m),
    }
}

fn pairs(attrs: &HashMap<String, String>) -> Vec<(String, String)> {
    attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Checks a write's keys and values, and that a whole new set fits.
fn check_write(op: &AttrOp, kind: AttrLimits) -> Result<()> {
    match op {
        AttrOp::Set(items) => {
            AttrLimits::check_items(items.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(refused)?;
            kind.check_set(items.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(refused)
        }
        AttrOp::Upsert(items) => {
            if items.is_empty() {
                return Err(AttrError::INVALID_ARGUMENT.err("give at least one attribute"));
            }
            AttrLimits::check_items(items.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(refused)
        }
        AttrOp::Delete(keys) => {
            if keys.is_empty() {
                return Err(AttrError::INVALID_ARGUMENT.err("give at least one key"));
            }
            keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(refused)
        }
        AttrOp::Clear => Ok(()),
    }
}

impl Client {
    async fn write_user(&self, op: AttrOp) -> Result<()> {
        check_write(&op, AttrLimits::USER)?;
        self.inner.live_link(&error::ATTRS)?;
        self.inner.budget(|b, now| b.attrs(AttrCall::UserWrite, now), too_often)?;
        self.inner.call(Request::UserAttrs { op }, &error::ATTRS).await.map(drop)
    }

    /// Replaces this user's attributes with `attrs`.
    pub async fn set_local_user_attributes(&self, attrs: &HashMap<String, String>) -> Result<()> {
        self.write_user(AttrOp::Set(pairs(attrs))).await
    }

    /// Adds these attributes, or updates their values.
    pub async fn add_or_update_local_user_attributes(&self, attrs: &HashMap<String, String>) -> Result<()> {
        self.write_user(AttrOp::Upsert(pairs(attrs))).await
    }

    /// Deletes these keys of this user's attributes.
    pub async fn delete_local_user_attributes_by_keys(&self, keys: &[&str]) -> Result<()> {
        self.write_user(AttrOp::Delete(keys.iter().map(|k| k.to_string()).collect())).await
    }

    /// Deletes all of this user's attributes.
    pub async fn clear_local_user_attributes(&self) -> Result<()> {
        self.write_user(AttrOp::Clear).await
    }

    /// All attributes of user `uid`.
    pub async fn get_user_attributes(&self, uid: &str) -> Result<HashMap<String, String>> {
        self.read_user(uid, None).await
    }

    /// The attributes of user `uid` with these keys.
    pub async fn get_user_attributes_by_keys(
        &self,
        uid: &str,
        keys: &[&str],
    ) -> Result<HashMap<String, String>> {
        self.read_user(uid, Some(keys)).await
    }

    async fn read_user(&self, uid: &str, keys: Option<&[&str]>) -> Result<HashMap<String, String>> {
        limits::validate_id(uid).map_err(|e| AttrError::INVALID_ARGUMENT.err(e.describe("userId")))?;
        let keys = checked_keys(keys)?;
        self.inner.live_link(&error::ATTRS)?;
        self.inner.budget(|b, now| b.attrs(AttrCall::UserRead, now), too_often)?;
        match self.inner.call(Request::GetUserAttrs { uid: uid.to_owned(), keys }, &error::ATTRS).await? {
            Reply::UserAttrs { attrs } => Ok(attrs.into_iter().collect()),
            _ => Err(error::ATTRS.unexpected()),
        }
    }

    async fn write_channel(&self, channel: &str, op: AttrOp, options: ChannelAttributeOptions) -> Result<()> {
        limits::validate_id(channel).map_err(|e| AttrError::INVALID_ARGUMENT.err(e.describe("channelId")))?;
        check_write(&op, AttrLimits::CHANNEL)?;
        self.inner.live_link(&error::ATTRS)?;
        self.inner.budget(|b, now| b.attrs(AttrCall::ChannelWrite, now), too_often)?;
        let req = Request::ChannelAttrs {
            channel: channel.to_owned(),
            op,
            notify: options.enable_notification_to_channel_members,
        };
        self.inner.call(req, &error::ATTRS).await.map(drop)
    }

    /// Replaces the attributes of `channel` (joining it is not needed).
    pub async fn set_channel_attributes(
        &self,
        channel: &str,
        attrs: &HashMap<String, String>,
        options: ChannelAttributeOptions,
    ) -> Result<()> {
        self.write_channel(channel, AttrOp::Set(pairs(attrs)), options).await
    }

    /// Adds these attributes of `channel`, or updates their values.
    pub async fn add_or_update_channel_attributes(
        &self,
        channel: &str,
        attrs: &HashMap<String, String>,
        options: ChannelAttributeOptions,
    ) -> Result<()> {
        self.write_channel(channel, AttrOp::Upsert(pairs(attrs)), options).await
    }

    /// Deletes these keys of the attributes of `channel`.
    pub async fn delete_channel_attributes_by_keys(
        &self,
        channel: &str,
        keys: &[&str],
        options: ChannelAttributeOptions,
    ) -> Result<()> {
        let op = AttrOp::Delete(keys.iter().map(|k| k.to_string()).collect());
        self.write_channel(channel, op, options).await
    }

    /// Deletes all attributes of `channel`.
    pub async fn clear_channel_attributes(
        &self,
        channel: &str,
        options: ChannelAttributeOptions,
    ) -> Result<()> {
        self.write_channel(channel, AttrOp::Clear, options).await
    }

    /// All attributes of `channel`, by key.
    pub async fn get_channel_attributes(&self, channel: &str) -> Result<HashMap<String, ChannelAttr>> {
        self.read_channel(channel, None).await
    }

    /// The attributes of `channel` with these keys.
    pub async fn get_channel_attributes_by_keys(
        &self,
        channel: &str,
        keys: &[&str],
    ) -> Result<HashMap<String, ChannelAttr>> {
        self.read_channel(channel, Some(keys)).await
    }

    async fn read_channel(
        &self,
        channel: &str,
        keys: Option<&[&str]>,
    ) -> Result<HashMap<String, ChannelAttr>> {
        limits::validate_id(channel).map_err(|e| AttrError::INVALID_ARGUMENT.err(e.describe("channelId")))?;
        let keys = checked_keys(keys)?;
        self.inner.live_link(&error::ATTRS)?;
        self.inner.budget(|b, now| b.attrs(AttrCall::ChannelRead, now), too_often)?;
        let req = Request::GetChannelAttrs { channel: channel.to_owned(), keys };
        match self.inner.call(req, &error::ATTRS).await? {
            Reply::ChannelAttrs { attrs } => Ok(attrs.into_iter().map(|a| (a.key.clone(), a)).collect()),
            _ => Err(error::ATTRS.unexpected()),
        }
    }
}

fn checked_keys(keys: Option<&[&str]>) -> Result<Option<Vec<String>>> {
    let Some(keys) = keys else { return Ok(None) };
    if keys.is_empty() {
        return Err(AttrError::INVALID_ARGUMENT.err("give at least one key"));
    }
    keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(refused)?;
    Ok(Some(keys.iter().map(|k| k.to_string()).collect()))
}

fn too_often() -> crate::Error {
    AttrError::TOO_OFTEN.err("attribute calls are limited (writes 10 per 5 s); wait and retry")
}
