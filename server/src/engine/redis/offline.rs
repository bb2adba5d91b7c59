//! Peer messages kept for offline users, in Redis.
//!
//! - `off:<app,uid>` (sorted set): one member per message, scored by its id;
//!   the member is `<id>:<postcard(from, ts, payload)>` (the id makes two
//!   equal messages two members).
//! - `off-meta:<app,uid>` (hash): id → `<ts>:<charge>:<sender>`, what Lua
//!   needs to expire a message and give its bytes back (it cannot read
//!   postcard).
//! - `off-bytes:<app>` (hash): sender → bytes stored, `""` → the app's total:
//!   the quotas of [`OfflineQuotas`]. Every script that deletes a message
//!   takes its charge off both, so the counts stay exact.
//! - `off-queues` (sorted set): every queue (as an ident), scored by when its
//!   oldest message expires. [`OfflineStore::expire`] trims the queues whose
//!   time has come and scores them again.
//! - `off-seq` (counter): ids, from INCR, so they grow in arrival order
//!   across every node.
//!
//! None of them has a TTL: a queue that Redis expired by itself would leave
//! its bytes counted against its senders for good. Expiry is the periodic
//! trim instead (and `list` never returns an expired message).
//!
//! `put` is one Lua script (quotas, id, insert, cap to the newest
//! `offline_max_messages`, index), so the cap and the quotas hold under
//! concurrent puts from every node. `remove` deletes by score within the
//! user's own key, so an id never reaches another user's message.
//!
//! Durability: a put has returned once Redis applied it in memory. What
//! survives a Redis crash is what its persistence wrote: run Redis with
//! `appendonly yes`; with the default `appendfsync everysec`, up to about one
//! second of acknowledged messages (and removals) can be lost if the Redis
//! process or its machine crashes (a clean restart loses nothing);
//! `appendfsync always` closes that window at a cost in throughput. Without
//! persistence a Redis restart loses every stored message. A crash of an
//! rtm-server node loses nothing: the message is in Redis before the sender
//! is answered.

use super::keys::{ident, parse_ident, Keys};
use super::link::Link;
use crate::clock::now_ms;
use crate::engine::{offline_charge, OfflineFull, OfflineQuotas, OfflineStore, StoredMessage};
use ::redis::Script;
use anyhow::{anyhow, Context};
use async_trait::async_trait;
use rtm_protocol::Payload;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

/// Lua shared by the scripts. KEYS[1] the queue, KEYS[2] its meta, KEYS[3]
/// the app's byte counts. `drop(id)` forgets one message and gives its bytes
/// back (a member written before the meta existed has none, and was never
/// counted).
const DROP_FN: &str = r"
local function drop(id)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], id, id)
  local meta = redis.call('HGET', KEYS[2], id)
  if not meta then return end
  redis.call('HDEL', KEYS[2], id)
  local charge = tonumber(string.match(meta, '^%d+:(%d+):'))
  local sender = string.match(meta, '^%d+:%d+:(.*)$')
  for _, field in ipairs({sender, ''}) do
    if redis.call('HINCRBY', KEYS[3], field, -charge) <= 0 then
      redis.call('HDEL', KEYS[3], field)
    end
  end
end
";

/// KEYS: queue, meta, bytes, queues index, id counter. ARGV: body, cap, ts,
/// charge, sender, per-sender quota, per-app quota, max age, queue ident.
/// Returns the new id, or -1 (sender over quota) / -2 (app over quota).
static PUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{DROP_FN}{}",
        r"
local charge = tonumber(ARGV[4])
if tonumber(redis.call('HGET', KEYS[3], ARGV[5]) or '0') + charge > tonumber(ARGV[6]) then return -1 end
if tonumber(redis.call('HGET', KEYS[3], '') or '0') + charge > tonumber(ARGV[7]) then return -2 end
local id = redis.call('INCR', KEYS[5])
local sid = string.format('%d', id)
redis.call('ZADD', KEYS[1], id, sid .. ':' .. ARGV[1])
redis.call('HSET', KEYS[2], sid, ARGV[3] .. ':' .. ARGV[4] .. ':' .. ARGV[5])
redis.call('HINCRBY', KEYS[3], ARGV[5], charge)
redis.call('HINCRBY', KEYS[3], '', charge)
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))) do
  drop(string.match(m, '^(%d+):'))
end
-- Queues written before the index had a TTL; the trim expires them now.
redis.call('PERSIST', KEYS[1])
redis.call('ZADD', KEYS[4], 'LT', tonumber(ARGV[3]) + tonumber(ARGV[8]), ARGV[9])
return id
"
    ))
});

/// KEYS: queue, meta, bytes. ARGV: the ids to delete.
static REMOVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{DROP_FN}{}",
        "for _, id in ipairs(ARGV) do drop(id) end
return 0
"
    ))
});

/// KEYS: queue, meta, bytes, queues index. ARGV: the expiry cutoff (ms),
/// max age, queue ident. Deletes the queue's messages older than the cutoff
/// and scores the queue by its new oldest (or unlists it when none is left);
/// returns how many it deleted.
static TRIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{DROP_FN}{}",
        r"
local all = redis.call('HGETALL', KEYS[2])
local cutoff, deleted, oldest = tonumber(ARGV[1]), 0, nil
for i = 1, #all, 2 do
  local ts = tonumber(string.match(all[i + 1], '^(%d+):'))
  if ts < cutoff then
    drop(all[i])
    deleted = deleted + 1
  elseif not oldest or ts < oldest then
    oldest = ts
  end
end
if oldest then
  redis.call('ZADD', KEYS[4], oldest + tonumber(ARGV[2]), ARGV[3])
else
  redis.call('ZREM', KEYS[4], ARGV[3])
end
return deleted
"
    ))
});

/// Queues trimmed per round of [`OfflineStore::expire`].
const TRIM_BATCH: usize = 100;

/// What a member holds after its id.
#[derive(Serialize, Deserialize)]
struct Body {
    from: String,
    ts: u64,
    payload: Payload,
}

/// Parses a member into a message.
fn decode_member(member: &[u8]) -> anyhow::Result<StoredMessage> {
    let colon = member.iter().position(|b| *b == b':').context("no id")?;
    let id = std::str::from_utf8(&member[..colon])?.parse()?;
    let body: Body = rtm_protocol::decode(&member[colon + 1..]).map_err(|e| anyhow!("{e}"))?;
    Ok(StoredMessage { id, from: body.from, payload: body.payload, ts: body.ts })
}

/// Offline messages in Redis sorted sets.
pub struct RedisOffline {
    link: Arc<Link>,
    keys: Keys,
    max_messages: u32,
    max_age_ms: u64,
    quotas: OfflineQuotas,
}

impl RedisOffline {
    /// Queues on `link` under `keys`, capped at `max_messages` per user,
    /// `max_age_ms` old at most, and `quotas` bytes per sender and app.
    pub fn new(
        link: Arc<Link>,
        keys: Keys,
        max_messages: u32,
        max_age_ms: u64,
        quotas: OfflineQuotas,
    ) -> RedisOffline {
        RedisOffline { link, keys, max_messages, max_age_ms, quotas }
    }

    /// A script invocation on the user's queue, meta and the app's counts.
    fn on_queue<'a>(&self, script: &'a Script, app: &str, uid: &str) -> ::redis::ScriptInvocation<'a> {
        let mut call = script.prepare_invoke();
        call.key(self.keys.offline(app, uid))
            .key(self.keys.offline_meta(app, uid))
            .key(self.keys.offline_bytes(app));
        call
    }

    /// Trims the queues whose oldest message has expired, one batch; how
    /// many messages it deleted and whether a full batch was due.
    async fn trim_batch(&self, now: u64) -> anyhow::Result<(u64, bool)> {
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("ZRANGEBYSCORE")
            .arg(self.keys.offline_queues())
            .arg("-inf")
            .arg(format!("({now}"))
            .arg("LIMIT")
            .arg(0)
            .arg(TRIM_BATCH)
            .query_async::<Vec<String>>(&mut conn)
            .await;
        let due = self.link.check(result)?;
        let cutoff = now.saturating_sub(self.max_age_ms);
        let mut deleted = 0;
        for queue in &due {
            let Some((app, uid)) = parse_ident(queue) else { continue };
            let result = self
                .on_queue(&TRIM, app, uid)
                .key(self.keys.offline_queues())
                .arg(cutoff)
                .arg(self.max_age_ms)
                .arg(queue)
                .invoke_async::<u64>(&mut conn)
                .await;
            deleted += self.link.check(result)?;
        }
        Ok((deleted, due.len() == TRIM_BATCH))
    }
}

#[async_trait]
impl OfflineStore for RedisOffline {
    async fn put(
        &self,
        app: &str,
        uid: &str,
        from: &str,
        payload: &Payload,
        ts: u64,
    ) -> anyhow::Result<Result<i64, OfflineFull>> {
        let mut conn = self.link.conn()?;
        let body = Body { from: from.to_owned(), ts, payload: payload.clone() };
        let result = self
            .on_queue(&PUT, app, uid)
            .key(self.keys.offline_queues())
            .key(self.keys.offline_seq())
            .arg(rtm_protocol::encode(&body))
            .arg(self.max_messages)
            .arg(ts)
            .arg(offline_charge(payload))
            .arg(from)
            .arg(self.quotas.per_sender)
            .arg(self.quotas.per_app)
            .arg(self.max_age_ms)
            .arg(ident(app, uid))
            .invoke_async::<i64>(&mut conn)
            .await;
        Ok(match self.link.check(result)? {
            -1 => Err(OfflineFull::Sender),
            -2 => Err(OfflineFull::App),
            id => Ok(id),
        })
    }

    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>> {
        let key = self.keys.offline(app, uid);
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).query_async::<Vec<Vec<u8>>>(&mut conn).await;
        let members = self.link.check(result)?;
        // Expired ones stay until the trim deletes them; they are not delivered.
        let oldest = now_ms().saturating_sub(self.max_age_ms);
        let mut kept = Vec::with_capacity(members.len());
        let mut unreadable = Vec::new();
        for member in members {
            match decode_member(&member) {
                Ok(m) if m.ts >= oldest => kept.push(m),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "dropping an undecodable offline message");
                    unreadable.push(member);
                }
            }
        }
        if !unreadable.is_empty() {
            // Its meta, if any, goes (with its bytes) when the trim reaches it.
            let result = ::redis::cmd("ZREM").arg(&key).arg(unreadable).query_async::<i64>(&mut conn).await;
            self.link.check(result)?;
        }
        Ok(kept)
    }

    async fn remove(&self, app: &str, uid: &str, id: i64) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let result = self.on_queue(&REMOVE, app, uid).arg(id).invoke_async::<i64>(&mut conn).await;
        self.link.check(result).map(drop)
    }

    async fn expire(&self) -> anyhow::Result<u64> {
        let now = now_ms();
        let mut deleted = 0;
        // Bounded, so one call never runs away; the next period goes on.
        for _ in 0..100 {
            let (n, more) = self.trim_batch(now).await?;
            deleted += n;
            if !more {
                break;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_decode_back() {
        let body = Body {
            from: "a:b".into(),
            ts: 9,
            payload: Payload::Raw { data: vec![0, 58, 255].into(), description: "d".into() },
        };
        let mut member = b"42:".to_vec();
        member.extend(rtm_protocol::encode(&body));
        let m = decode_member(&member).unwrap();
        assert_eq!((m.id, m.from.as_str(), m.ts, m.payload), (42, "a:b", 9, body.payload));
        assert!(decode_member(b"x:1").is_err());
        assert!(decode_member(b"nocolon").is_err());
    }
}
