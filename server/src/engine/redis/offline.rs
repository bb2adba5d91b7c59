//! Peer messages kept for offline users, in Redis.
//!
//! - `off:<app,uid>` (sorted set): one member per message, scored by its id;
//!   the member is `<id>:<postcard(from, ts, payload)>` (the id makes two
//!   equal messages two members). Its TTL is `offline_max_age_ms`, renewed by
//!   every put: once the newest message is too old, the whole queue is, and
//!   Redis drops it without anyone listing it.
//! - `off-seq` (counter): ids, from INCR, so they grow in arrival order
//!   across every node.
//!
//! `put` is one Lua script (id, insert, cap to the newest
//! `offline_max_messages`, TTL), so the cap holds under concurrent puts.
//! `list` drops messages older than `offline_max_age_ms` (by their `ts`) as
//! it reads them. `remove` deletes by score within the user's own key, so an
//! id never reaches another user's message.
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

use super::keys::{Keys, MAX_TTL_MS};
use super::link::Link;
use crate::clock::now_ms;
use crate::engine::{OfflineStore, StoredMessage};
use ::redis::Script;
use anyhow::{anyhow, Context};
use async_trait::async_trait;
use rtm_protocol::Payload;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};

/// KEYS: the user's queue, the id counter. ARGV: body, cap, max age (ms).
/// Returns the new message's id.
static PUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], id, string.format('%d', id) .. ':' .. ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return id
",
    )
});

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
}

impl RedisOffline {
    /// Queues on `link` under `keys`, capped at `max_messages` per user,
    /// `max_age_ms` old at most.
    pub fn new(link: Arc<Link>, keys: Keys, max_messages: u32, max_age_ms: u64) -> RedisOffline {
        RedisOffline { link, keys, max_messages, max_age_ms }
    }
}

#[async_trait]
impl OfflineStore for RedisOffline {
    async fn put(&self, app: &str, uid: &str, from: &str, payload: &Payload, ts: u64) -> anyhow::Result<i64> {
        let mut conn = self.link.conn()?;
        let body = Body { from: from.to_owned(), ts, payload: payload.clone() };
        let result = PUT
            .key(self.keys.offline(app, uid))
            .key(self.keys.offline_seq())
            .arg(rtm_protocol::encode(&body))
            .arg(self.max_messages)
            .arg(self.max_age_ms.clamp(1, MAX_TTL_MS))
            .invoke_async::<i64>(&mut conn)
            .await;
        self.link.check(result)
    }

    async fn list(&self, app: &str, uid: &str) -> anyhow::Result<Vec<StoredMessage>> {
        let key = self.keys.offline(app, uid);
        let mut conn = self.link.conn()?;
        let result =
            ::redis::cmd("ZRANGE").arg(&key).arg(0).arg(-1).query_async::<Vec<Vec<u8>>>(&mut conn).await;
        let members = self.link.check(result)?;
        let oldest = now_ms().saturating_sub(self.max_age_ms);
        let mut kept = Vec::with_capacity(members.len());
        let mut expired = Vec::new();
        for member in members {
            match decode_member(&member) {
                Ok(m) if m.ts >= oldest => kept.push(m),
                Ok(_) => expired.push(member),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "dropping an undecodable offline message");
                    expired.push(member);
                }
            }
        }
        if !expired.is_empty() {
            let result = ::redis::cmd("ZREM").arg(&key).arg(expired).query_async::<i64>(&mut conn).await;
            self.link.check(result)?;
        }
        Ok(kept)
    }

    async fn remove(&self, app: &str, uid: &str, id: i64) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("ZREMRANGEBYSCORE")
            .arg(self.keys.offline(app, uid))
            .arg(id)
            .arg(id)
            .query_async::<i64>(&mut conn)
            .await;
        self.link.check(result).map(drop)
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
