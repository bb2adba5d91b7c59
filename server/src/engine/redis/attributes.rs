//! User and channel attributes in Redis hashes, written whole or not at all.
//!
//! - `uattr:<app,uid>` (hash): key → value. Deleted by `clear_user`.
//! - `cattr:<app,channel>` (hash): key → `<ts>:<len(by)>:<by><value>` (the
//!   value with its last writer and write time). TTL while the channel is
//!   empty (see `membership.rs` for the rule).
//!
//! A write is optimistic: read the hash, apply the op in Rust with the
//! embedded engine's own `apply`, check the result against
//! [`AttrLimits::USER`] / [`AttrLimits::CHANNEL`] exactly as it does, and
//! then hand the old and the new set to a Lua script (`REPLACE`) that
//! writes the new set only if the hash still holds the old one; if another
//! writer came first, read again and retry. A refused write sends nothing.
//! (WATCH/MULTI would need a connection of its own: the engine's connection
//! is shared by every task.)
//!
//! The script writes the new fields before it deletes the dropped ones, so a
//! hash that stays non-empty is never deleted on the way, and its TTL (an
//! empty channel's countdown) survives the rewrite: rewrites do not extend
//! it. A channel hash the script creates while the channel has no member
//! gets the full TTL: a write to an empty channel starts the countdown.

use super::keys::{ttl_ms, Keys};
use super::link::Link;
use crate::engine::embedded::attributes::apply;
use crate::engine::AttributeStore;
use ::redis::Script;
use anyhow::{anyhow, Context};
use async_trait::async_trait;
use rtm_protocol::limits::{AttrError, AttrLimits};
use rtm_protocol::{AttrOp, ChannelAttr};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Attempts of a write that keeps losing to other writers.
const MAX_ATTEMPTS: usize = 32;

/// KEYS: the hash[, the channel's members]. ARGV: TTL ms, n old, old pairs,
/// new pairs. 1 if written, 0 if the hash no longer holds the old pairs.
static REPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = redis.call('HGETALL', KEYS[1])
local n_old = tonumber(ARGV[2])
if #cur ~= 2 * n_old then return 0 end
local want = {}
for i = 3, 2 + 2 * n_old, 2 do want[ARGV[i]] = ARGV[i + 1] end
for i = 1, #cur, 2 do
  if want[cur[i]] ~= cur[i + 1] then return 0 end
end
local first = 3 + 2 * n_old
local keep = {}
for i = first, #ARGV, 2 do keep[ARGV[i]] = true end
if #ARGV >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first, #ARGV)) end
for i = 1, #cur, 2 do
  if not keep[cur[i]] then redis.call('HDEL', KEYS[1], cur[i]) end
end
if #KEYS > 1 and #ARGV >= first then
  if redis.call('HLEN', KEYS[2]) > 0 then
    redis.call('PERSIST', KEYS[1])
  elseif redis.call('PTTL', KEYS[1]) == -1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
  end
end
return 1
",
    )
});

/// A channel attribute's stored value: `<ts>:<len(by)>:<by><value>`.
fn encode_entry(value: &str, by: &str, ts: u64) -> String {
    format!("{ts}:{}:{by}{value}", by.len())
}

/// Parses an [`encode_entry`] into (value, by, ts).
fn decode_entry(stored: &str) -> Option<(String, String, u64)> {
    let (ts, rest) = stored.split_once(':')?;
    let (len, rest) = rest.split_once(':')?;
    let len: usize = len.parse().ok()?;
    let by = rest.get(..len)?;
    Some((rest.get(len..)?.to_owned(), by.to_owned(), ts.parse().ok()?))
}

/// Attributes in Redis hashes.
pub struct RedisAttributes {
    link: Arc<Link>,
    keys: Keys,
    /// `channel_attrs_ttl` in ms.
    attrs_ttl_ms: u64,
}

impl RedisAttributes {
    /// Attributes on `link` under `keys`; an empty channel's live `attrs_ttl`.
    pub fn new(link: Arc<Link>, keys: Keys, attrs_ttl: Duration) -> RedisAttributes {
        let attrs_ttl_ms = ttl_ms(attrs_ttl);
        RedisAttributes { link, keys, attrs_ttl_ms }
    }

    async fn read(&self, key: &str) -> anyhow::Result<Vec<(String, String)>> {
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("HGETALL").arg(key).query_async::<Vec<(String, String)>>(&mut conn).await;
        self.link.check(result)
    }

    /// Writes `new` over `old` unless the hash changed since `old` was read.
    async fn replace(
        &self,
        keys: &[&str],
        old: &[(String, String)],
        new: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<bool> {
        let mut conn = self.link.conn()?;
        let mut call = REPLACE.prepare_invoke();
        keys.iter().for_each(|k| _ = call.key(*k));
        call.arg(self.attrs_ttl_ms).arg(old.len());
        old.iter().for_each(|(k, v)| _ = call.arg(k).arg(v));
        new.for_each(|(k, v)| _ = call.arg(k).arg(v));
        let result = call.invoke_async::<i64>(&mut conn).await;
        Ok(self.link.check(result)? == 1)
    }
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

#[async_trait]
impl AttributeStore for RedisAttributes {
    async fn user(&self, app: &str, uid: &str) -> anyhow::Result<Vec<(String, String)>> {
        Ok(sorted(self.read(&self.keys.user_attrs(app, uid)).await?))
    }

    async fn update_user(&self, app: &str, uid: &str, op: &AttrOp) -> anyhow::Result<Result<(), AttrError>> {
        let key = self.keys.user_attrs(app, uid);
        for _ in 0..MAX_ATTEMPTS {
            let old = self.read(&key).await?;
            let mut next: BTreeMap<String, String> = old.iter().cloned().collect();
            apply(&mut next, op, str::to_owned);
            if let Err(e) = AttrLimits::USER.check_set(next.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                return Ok(Err(e));
            }
            if self.replace(&[&key], &old, next.into_iter()).await? {
                return Ok(Ok(()));
            }
        }
        Err(anyhow!("user attributes of {uid:?} kept changing; gave up after {MAX_ATTEMPTS} attempts"))
    }

    async fn clear_user(&self, app: &str, uid: &str) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("DEL").arg(self.keys.user_attrs(app, uid)).query_async::<i64>(&mut conn).await;
        self.link.check(result).map(drop)
    }

    async fn channel(&self, app: &str, channel: &str) -> anyhow::Result<Vec<ChannelAttr>> {
        let stored = self.read(&self.keys.channel_attrs(app, channel)).await?;
        let mut attrs = stored
            .into_iter()
            .map(|(key, stored)| {
                let (value, last_update_uid, last_update_ts) = decode_entry(&stored)
                    .with_context(|| format!("a malformed channel attribute {key:?}"))?;
                Ok(ChannelAttr { key, value, last_update_uid, last_update_ts })
            })
            .collect::<anyhow::Result<Vec<ChannelAttr>>>()?;
        attrs.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(attrs)
    }

    async fn update_channel(
        &self,
        app: &str,
        channel: &str,
        by: &str,
        ts: u64,
        op: &AttrOp,
    ) -> anyhow::Result<Result<Vec<ChannelAttr>, AttrError>> {
        let (key, members) = (self.keys.channel_attrs(app, channel), self.keys.members(app, channel));
        for _ in 0..MAX_ATTEMPTS {
            let old = self.read(&key).await?;
            let mut next: BTreeMap<String, (String, String, u64)> = BTreeMap::new();
            for (k, stored) in &old {
                let entry =
                    decode_entry(stored).with_context(|| format!("a malformed channel attribute {k:?}"))?;
                next.insert(k.clone(), entry);
            }
            apply(&mut next, op, |v| (v.to_owned(), by.to_owned(), ts));
            let checked =
                AttrLimits::CHANNEL.check_set(next.iter().map(|(k, (v, _, _))| (k.as_str(), v.as_str())));
            if let Err(e) = checked {
                return Ok(Err(e));
            }
            let encoded = next.iter().map(|(k, (v, by, ts))| (k.clone(), encode_entry(v, by, *ts)));
            if self.replace(&[&key, &members], &old, encoded).await? {
                let attrs = next
                    .into_iter()
                    .map(|(key, (value, last_update_uid, last_update_ts))| ChannelAttr {
                        key,
                        value,
                        last_update_uid,
                        last_update_ts,
                    })
                    .collect();
                return Ok(Ok(attrs));
            }
        }
        Err(anyhow!("attributes of channel {channel:?} kept changing; gave up after {MAX_ATTEMPTS} attempts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_whatever_they_hold() {
        for (value, by, ts) in [("v", "u", 7), ("", "", 0), ("a:b:c", "1:x", u64::MAX), ("12:ab", ":", 3)] {
            assert_eq!(decode_entry(&encode_entry(value, by, ts)), Some((value.into(), by.into(), ts)));
        }
        assert_eq!(decode_entry("x"), None);
        assert_eq!(decode_entry("1:9:ab"), None);
    }
}
