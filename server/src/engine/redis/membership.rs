//! Who is in which channel, across processes, and the expiry clock of an
//! empty channel's attributes — kept by Redis key TTLs.
//!
//! - `chan:<app,channel>` (hash): uid → `node:session`. Redis drops an empty
//!   hash, so "no key" = no members.
//! - `node:<id>:chans` (set of [`member_ref`]s): the memberships held by a
//!   node's sessions, so `reap` finds a dead node's without a scan.
//!
//! Join and leave are Lua scripts (check, change, count in one step): a join
//! from another session of the member replaces the old one (moving the index
//! entry if the node changed); a leave removes the member only if it is
//! through the leaving session. `members` is one HRANDFIELD with a positive
//! count: distinct fields, all of them when the channel is smaller.
//!
//! The attribute expiry rule of the embedded engine (an empty channel's
//! attributes expire `channel_attrs_ttl` after it became empty or after the
//! first write to it while empty; rewrites do not extend it; a member stops
//! it; attributes that expired unseen stay expired) is the TTL of the
//! `cattr:` key: a join PERSISTs it in the join script, the last leave and
//! a reap that empties a channel PEXPIRE it, and `attributes.rs` PEXPIREs a
//! key it creates on an empty channel. A write keeps an existing TTL (HSET
//! and HDEL do not touch it), and an expired key is simply gone.

use super::keys::{member_ref, parse_member_ref, parse_session, session_value, ttl_ms, Keys};
use super::link::Link;
use crate::engine::{Departed, Membership, SessionRef};
use ::redis::{Script, ScriptInvocation};
use async_trait::async_trait;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// KEYS: members, attrs, the joining node's index. ARGV: uid, session,
/// member ref, prefix. Returns the count after.
static JOIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if old and old ~= ARGV[2] then
  local old_node = string.sub(old, 1, string.find(old, ':', 1, true) - 1)
  local new_node = string.sub(ARGV[2], 1, string.find(ARGV[2], ':', 1, true) - 1)
  if old_node ~= new_node then
    redis.call('SREM', ARGV[4] .. ':node:' .. old_node .. ':chans', ARGV[3])
  end
end
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('PERSIST', KEYS[2])
return redis.call('HLEN', KEYS[1])
",
    )
});

/// KEYS: members, attrs, the leaving node's index. ARGV: uid, session,
/// member ref, attrs TTL (ms). Returns the count after, or -1 if `uid` is not
/// a member through that session.
static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[3])
local n = redis.call('HLEN', KEYS[1])
if n == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return n
",
    )
});

/// KEYS: the dead node's index. ARGV: node, prefix, attrs TTL (ms).
/// Removes each member still held by a session of that node; returns
/// {member ref, session, count after}... and deletes the index.
static REAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local node, p = ARGV[1], ARGV[2]
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local colon = string.find(m, ':', 1, true)
  local len = tonumber(string.sub(m, 1, colon - 1))
  local chident = string.sub(m, colon + 1, colon + len)
  local uid = string.sub(m, colon + len + 1)
  local key = p .. ':chan:' .. chident
  local s = redis.call('HGET', key, uid)
  if s and string.sub(s, 1, string.find(s, ':', 1, true) - 1) == node then
    redis.call('HDEL', key, uid)
    local n = redis.call('HLEN', key)
    if n == 0 then redis.call('PEXPIRE', p .. ':cattr:' .. chident, ARGV[3]) end
    table.insert(out, m)
    table.insert(out, s)
    table.insert(out, n)
  end
end
redis.call('DEL', KEYS[1])
return out
",
    )
});

/// Channel members in Redis hashes.
pub struct RedisMembership {
    link: Arc<Link>,
    keys: Keys,
    /// `channel_attrs_ttl` in ms, for PEXPIRE.
    attrs_ttl_ms: u64,
}

impl RedisMembership {
    /// Membership on `link` under `keys`; an emptied channel's attributes
    /// live `attrs_ttl` more.
    pub fn new(link: Arc<Link>, keys: Keys, attrs_ttl: Duration) -> RedisMembership {
        let attrs_ttl_ms = ttl_ms(attrs_ttl);
        RedisMembership { link, keys, attrs_ttl_ms }
    }

    /// `script` (JOIN or LEAVE) with the keys and arguments both take: the
    /// channel's members and attributes, the node's memberships; the member,
    /// its session, and its entry in the node's set. Each adds its last argument.
    fn member_change<'a>(
        &self,
        script: &'a Script,
        app: &str,
        channel: &str,
        uid: &str,
        session: SessionRef,
    ) -> ScriptInvocation<'a> {
        let mut call = script.key(self.keys.members(app, channel));
        call.key(self.keys.channel_attrs(app, channel))
            .key(self.keys.node_channels(session.node))
            .arg(uid)
            .arg(session_value(session.node, session.session))
            .arg(member_ref(app, channel, uid));
        call
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl Membership for RedisMembership {
    async fn join(&self, app: &str, channel: &str, uid: &str, session: SessionRef) -> anyhow::Result<u32> {
        let mut conn = self.link.conn()?;
        let result = self
            .member_change(&JOIN, app, channel, uid, session)
            .arg(self.keys.prefix())
            .invoke_async::<i64>(&mut conn)
            .await;
        Ok(count(self.link.check(result)?))
    }

    async fn leave(
        &self,
        app: &str,
        channel: &str,
        uid: &str,
        session: SessionRef,
    ) -> anyhow::Result<Option<u32>> {
        let mut conn = self.link.conn()?;
        let result = self
            .member_change(&LEAVE, app, channel, uid, session)
            .arg(self.attrs_ttl_ms)
            .invoke_async::<i64>(&mut conn)
            .await;
        let n = self.link.check(result)?;
        Ok((n >= 0).then(|| count(n)))
    }

    async fn members(&self, app: &str, channel: &str, max: usize) -> anyhow::Result<Vec<String>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("HRANDFIELD")
            .arg(self.keys.members(app, channel))
            .arg(max)
            .query_async::<Vec<String>>(&mut conn)
            .await;
        self.link.check(result)
    }

    async fn count(&self, app: &str, channel: &str) -> anyhow::Result<u32> {
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("HLEN").arg(self.keys.members(app, channel)).query_async::<i64>(&mut conn).await;
        Ok(count(self.link.check(result)?))
    }

    async fn reap(&self, nodes: &[u64]) -> anyhow::Result<Vec<Departed>> {
        let mut departed = Vec::new();
        for &node in nodes {
            let mut conn = self.link.conn()?;
            let result = REAP
                .key(self.keys.node_channels(node))
                .arg(node.to_string())
                .arg(self.keys.prefix())
                .arg(self.attrs_ttl_ms)
                .invoke_async::<Vec<(String, String, i64)>>(&mut conn)
                .await;
            for (member, session, n) in self.link.check(result)? {
                let (Some((app, channel, uid)), Some((node, session))) =
                    (parse_member_ref(&member), parse_session(&session))
                else {
                    tracing::warn!(%member, "a malformed entry of a node's channel index");
                    continue;
                };
                departed.push(Departed {
                    app: app.to_owned(),
                    channel: channel.to_owned(),
                    uid: uid.to_owned(),
                    session: SessionRef { node, session },
                    count: count(n),
                });
            }
        }
        Ok(departed)
    }
}
