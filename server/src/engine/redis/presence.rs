//! Who is online, across processes: a hash per user, node leases as keys
//! with a TTL, and per-node indexes so that a dead node's users can be found
//! and taken atomically.
//!
//! - `pres:<app,uid>` (hash): `n` node, `s` session, `r` reachable (1/0), `e`
//!   epoch. Absent = OFFLINE.
//! - `epoch` (counter): every claim INCRs it, so epochs grow for every user,
//!   across nodes and releases.
//! - `node:<id>:lease` (string, PX = the lease): the node is alive while it
//!   exists. `nodes` (set) lists the nodes that have heartbeated, so a reaper
//!   can find those whose lease key is gone. A node that never heartbeated is
//!   in no set and is never reaped (as in the embedded engine).
//! - `node:<id>:users` (set of idents): the users whose session is there.
//!
//! Claim, set_reachable and release are Lua scripts: check and change in one
//! step, so a stale session can never overwrite or release the current one.
//! Node and session ids are compared as strings (a u64 does not fit a Lua
//! number). `reap` is one script per call: every node of `nodes` without a
//! lease is removed from the set together with its users, so two nodes that
//! reap at once each get a disjoint part — each reaped user goes to one
//! caller only.
//!
//! After this engine reconnects to Redis, `reap` finds nothing for one
//! lease (the longest heartbeated through it): during an outage longer than
//! a lease every lease lapses in Redis, and the first node back must not
//! reap the others before they could renew.
//!
//! Heartbeat only re-asserts the lease (and the node's place in `nodes`).
//! A node that finds itself no longer listed (it was reaped while cut off)
//! logs an error.
//! If Redis loses its data (restarted without persistence), the users of
//! live nodes are gone from presence until they log in again: the engine
//! does not know a node's users, so it cannot re-register them (see the
//! gaps in `mod.rs`).

use super::keys::{ident, parse_ident, ttl_ms, Keys};
use super::link::Link;
use crate::engine::{Claim, Presence, Reaped, SessionRef};
use ::redis::Script;
use anyhow::anyhow;
use async_trait::async_trait;
use rtm_protocol::PeerState;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

/// KEYS: user, epoch. ARGV: node, session, ident, prefix.
/// Returns {old node, old session, old reachable, epoch} ('' when none).
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HMGET', KEYS[1], 'n', 's', 'r')
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'n', ARGV[1], 's', ARGV[2], 'r', '1', 'e', epoch)
if old[1] and old[1] ~= ARGV[1] then
  redis.call('SREM', ARGV[4] .. ':node:' .. old[1] .. ':users', ARGV[3])
end
redis.call('SADD', ARGV[4] .. ':node:' .. ARGV[1] .. ':users', ARGV[3])
return {old[1] or '', old[2] or '', old[3] or '', epoch}
",
    )
});

/// KEYS: user. ARGV: node, session, reachable (1/0). 1 if changed.
static SET_REACHABLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = redis.call('HMGET', KEYS[1], 'n', 's')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[3])
return 1
",
    )
});

/// KEYS: user, node users. ARGV: node, session, ident. 1 if released.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local cur = redis.call('HMGET', KEYS[1], 'n', 's')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[3])
return 1
",
    )
});

/// KEYS: nodes. ARGV: prefix. Takes every node without a lease out of
/// `nodes`, with its users. Returns {dead nodes, {node, ident, session}...}.
static REAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p = ARGV[1]
local dead, users = {}, {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', p .. ':node:' .. node .. ':lease') == 0 then
    local set = p .. ':node:' .. node .. ':users'
    for _, who in ipairs(redis.call('SMEMBERS', set)) do
      local key = p .. ':pres:' .. who
      local cur = redis.call('HMGET', key, 'n', 's')
      if cur[1] == node then
        redis.call('DEL', key)
        table.insert(users, node)
        table.insert(users, who)
        table.insert(users, cur[2])
      end
    end
    redis.call('DEL', set)
    redis.call('SREM', KEYS[1], node)
    table.insert(dead, node)
  end
end
return {dead, users}
",
    )
});

/// Presence in Redis hashes, with node leases.
pub struct RedisPresence {
    link: Arc<Link>,
    keys: Keys,
    /// The longest lease heartbeated through this engine (ms): the grace
    /// after a reconnection.
    lease_ms: AtomicU64,
    /// The nodes that heartbeated through this engine.
    beating: Mutex<HashSet<u64>>,
}

impl RedisPresence {
    /// Presence on `link` under `keys`.
    pub fn new(link: Arc<Link>, keys: Keys) -> RedisPresence {
        RedisPresence { link, keys, lease_ms: AtomicU64::new(0), beating: Mutex::default() }
    }

    /// Within a lease of this engine's reconnection to Redis: the other
    /// nodes may not have renewed their leases yet.
    fn in_grace(&self) -> bool {
        let lease = Duration::from_millis(self.lease_ms.load(Ordering::Relaxed));
        self.link.reconnected_at().is_some_and(|t| t.elapsed() < lease)
    }
}

fn state_of(reachable: Option<&str>) -> PeerState {
    match reachable {
        None => PeerState::OFFLINE,
        Some("1") => PeerState::ONLINE,
        Some(_) => PeerState::UNREACHABLE,
    }
}

fn num(s: &str, what: &str) -> anyhow::Result<u64> {
    s.parse().map_err(|_| anyhow!("a stored {what} is not a number: {s:?}"))
}

#[async_trait]
impl Presence for RedisPresence {
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Claim> {
        let mut conn = self.link.conn()?;
        let (node, sid) = (session.node.to_string(), session.session.to_string());
        let result = CLAIM
            .key(self.keys.presence(app, uid))
            .key(self.keys.epoch())
            .arg(&node)
            .arg(&sid)
            .arg(ident(app, uid))
            .arg(self.keys.prefix())
            .invoke_async::<(String, String, String, u64)>(&mut conn)
            .await;
        let (old_node, old_session, reachable, epoch) = self.link.check(result)?;
        let old = if old_node.is_empty() {
            None
        } else {
            Some(SessionRef { node: num(&old_node, "node")?, session: num(&old_session, "session")? })
        };
        Ok(Claim {
            displaced: old.filter(|s| *s != session),
            was: state_of(old.map(|_| reachable.as_str())),
            epoch,
        })
    }

    async fn set_reachable(
        &self,
        app: &str,
        uid: &str,
        session: SessionRef,
        reachable: bool,
    ) -> anyhow::Result<bool> {
        let mut conn = self.link.conn()?;
        let result = SET_REACHABLE
            .key(self.keys.presence(app, uid))
            .arg(session.node.to_string())
            .arg(session.session.to_string())
            .arg(if reachable { "1" } else { "0" })
            .invoke_async::<i64>(&mut conn)
            .await;
        Ok(self.link.check(result)? == 1)
    }

    async fn states(&self, app: &str, uids: &[String]) -> anyhow::Result<Vec<PeerState>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.link.conn()?;
        let mut pipe = ::redis::pipe();
        for uid in uids {
            pipe.cmd("HGET").arg(self.keys.presence(app, uid)).arg("r");
        }
        let result = pipe.query_async::<Vec<Option<String>>>(&mut conn).await;
        Ok(self.link.check(result)?.iter().map(|r| state_of(r.as_deref())).collect())
    }

    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>> {
        let mut conn = self.link.conn()?;
        let result = ::redis::cmd("HMGET")
            .arg(self.keys.presence(app, uid))
            .arg("n")
            .arg("s")
            .query_async::<(Option<String>, Option<String>)>(&mut conn)
            .await;
        match self.link.check(result)? {
            (Some(node), Some(session)) => {
                Ok(Some(SessionRef { node: num(&node, "node")?, session: num(&session, "session")? }))
            }
            _ => Ok(None),
        }
    }

    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<bool> {
        let mut conn = self.link.conn()?;
        let result = RELEASE
            .key(self.keys.presence(app, uid))
            .key(self.keys.node_users(session.node))
            .arg(session.node.to_string())
            .arg(session.session.to_string())
            .arg(ident(app, uid))
            .invoke_async::<i64>(&mut conn)
            .await;
        Ok(self.link.check(result)? == 1)
    }

    async fn heartbeat(&self, node: u64, ttl: Duration) -> anyhow::Result<()> {
        let mut conn = self.link.conn()?;
        let ms = ttl_ms(ttl);
        let mut pipe = ::redis::pipe();
        pipe.atomic();
        if ms == 0 {
            // Already lapsed (PX must be positive).
            pipe.cmd("DEL").arg(self.keys.lease(node)).ignore();
        } else {
            pipe.cmd("SET").arg(self.keys.lease(node)).arg(1).arg("PX").arg(ms).ignore();
        }
        pipe.cmd("SADD").arg(self.keys.nodes()).arg(node.to_string());
        let (added,): (i64,) = self.link.check(pipe.query_async(&mut conn).await)?;
        self.lease_ms.fetch_max(ms, Ordering::Relaxed);
        let known = !self.beating.lock().unwrap_or_else(|p| p.into_inner()).insert(node);
        if added == 1 && known {
            tracing::error!(
                node,
                "this node was reaped while it could not renew its lease (cut off from Redis, or \
                 Redis lost its data): the cluster took its users offline and out of their channels; \
                 they are back only when they log in or join again"
            );
        }
        Ok(())
    }

    async fn reap(&self) -> anyhow::Result<(Vec<u64>, Vec<Reaped>)> {
        let mut conn = self.link.conn()?;
        if self.in_grace() {
            // After an outage every lease may have lapsed in Redis while its
            // node lived: give the nodes one lease to renew before judging.
            return Ok((Vec::new(), Vec::new()));
        }
        let result = REAP
            .key(self.keys.nodes())
            .arg(self.keys.prefix())
            .invoke_async::<(Vec<String>, Vec<String>)>(&mut conn)
            .await;
        let (dead, flat) = self.link.check(result)?;
        let nodes = dead.iter().map(|n| num(n, "node")).collect::<anyhow::Result<Vec<u64>>>()?;
        let mut reaped = Vec::with_capacity(flat.len() / 3);
        for user in flat.chunks_exact(3) {
            let (node, who, session) = (&user[0], &user[1], &user[2]);
            let Some((app, uid)) = parse_ident(who) else {
                tracing::warn!(member = %who, "a malformed member of a node's user set");
                continue;
            };
            let session = SessionRef { node: num(node, "node")?, session: num(session, "session")? };
            reaped.push(Reaped { app: app.to_owned(), uid: uid.to_owned(), session });
        }
        Ok((nodes, reaped))
    }
}
