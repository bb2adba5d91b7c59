//! The Redis engine: cluster mode. Every rtm-server process on one Redis (and
//! one key prefix) is a node of one system; what nodes share lives in Redis
//! and what they tell each other travels by Redis pub/sub. No gossip: a
//! node's liveness is a lease key that it renews.
//!
//! - [`link`]: the one connection (a RESP3 `ConnectionManager`), the health
//!   that `/readyz` reports, the supervisor that reconnects with backoff and
//!   restores subscriptions, the reader of pub/sub pushes.
//! - [`broker`]: topics as Redis channels, local fan-out to this process's
//!   nodes.
//! - [`presence`], [`membership`], [`attributes`], [`offline`]: one concern
//!   each, atomic through Lua scripts.
//! - [`directory`]: the admin API's listings and bans.
//! - [`keys`]: every name, under the prefix.
//!
//! # Layout (prefix `P`, default `rtm`)
//!
//! `<app,id>` is `<len(app)>:<app>:<id>`: app ids, uids and channel ids may
//! hold `:`, so the app id is length-prefixed and the id comes last.
//!
//! | key / channel | type | what | TTL |
//! |---|---|---|---|
//! | `P:t:u:<app,uid>` | pub/sub channel | a user's topic (peer messages, invitations) | — |
//! | `P:t:c:<app,channel>` | pub/sub channel | a channel's topic (messages, member events, attributes) | — |
//! | `P:t:p:<app,uid>` | pub/sub channel | a user's online-state topic | — |
//! | `P:t:n:<node>` | pub/sub channel | a node's topic (acknowledgements, kicks) | — |
//! | `P:pres:<app,uid>` | hash `n` node, `s` session, `r` reachable 1/0, `e` epoch | a user's session; absent = offline | none (removed by release or reap) |
//! | `P:epoch` | string (INCR) | the last claim epoch | none |
//! | `P:nodes` | set of node ids | nodes that heartbeated and were not reaped | none |
//! | `P:node:<node>:lease` | string | the node is alive while it exists | PX = the lease (9 s), renewed every lease/3 |
//! | `P:node:<node>:users` | set of `<app,uid>` | users whose session is on the node (for reaping) | none (deleted by reap) |
//! | `P:node:<node>:chans` | set of `<len>:<app,channel><uid>` | channel memberships held on the node (for reaping) | none (deleted by reap) |
//! | `P:chan:<app,channel>` | hash uid → `node:session` | channel members | none (gone when empty) |
//! | `P:uattr:<app,uid>` | hash key → value | user attributes | none (deleted when the user goes offline) |
//! | `P:cattr:<app,channel>` | hash key → `<ts>:<len(by)>:<by><value>` | channel attributes with last writer and time | `channel_attrs_ttl` while the channel is empty (PERSIST on join) |
//! | `P:off:<app,uid>` | sorted set, score = id, member `<id>:<postcard>` | offline messages, newest `offline_max_messages` | none (the periodic trim expires messages) |
//! | `P:off-meta:<app,uid>` | hash id → `<ts>:<charge>:<sender>` | what Lua needs to expire a message and give its bytes back | none (trimmed with the queue) |
//! | `P:off-bytes:<app>` | hash sender → bytes, `""` → app total | the offline quotas | none (fields at 0 are deleted) |
//! | `P:off-queues` | sorted set of queue idents, score = when the oldest expires | what the trim visits | none |
//! | `P:off-seq` | string (INCR) | the last offline message id | none |
//! | `P:ban:<app,uid>` | string: the ban's end (ms since the epoch) | a user banned by the admin API | PX = until the ban ends |
//! | `P:events:<kind>:<app>` | list of `<ms>:<json>`, kind `user`/`channel` | REST user/channel events, newest 2,000 | 24 h, renewed by each append (see `event_log.rs`) |
//!
//! Scripts build per-node keys from the prefix, so the engine needs one
//! Redis primary at one address, not Redis Cluster.
//!
//! # Durability
//!
//! Offline messages and channel attributes must survive a restart: run
//! Redis with `appendonly yes`. With `appendfsync everysec` (Redis's
//! default) up to about one second of acknowledged writes can be lost when
//! the Redis process or its machine crashes; a clean restart (SIGTERM,
//! SHUTDOWN) loses nothing; `appendfsync always` closes the window at a cost
//! in throughput. Presence, membership and user attributes describe live
//! sessions; they are in Redis too and survive a Redis restart with AOF.
//!
//! # Outages
//!
//! [`engine`] does not fail when Redis is unreachable: it logs it (error,
//! naming the address) and the link retries in the background with backoff;
//! meanwhile every operation fails at once with "Redis at ADDR is
//! unreachable", and [`Engine::health`] is false. Once Redis answers, the
//! broker re-subscribes every topic of its local set, then the engine is
//! ready again. Node leases come back with the next heartbeat. An outage
//! longer than the lease lets every lease lapse inside Redis while the nodes
//! live on, so after (re)connecting after failed attempts an engine reaps
//! nothing for one lease: the other nodes get that long to renew theirs.
//!
//! # Gaps
//!
//! - A Redis that restarts without persistence (or loses data) forgets the
//!   users and channel members of live nodes: they look offline (and channels
//!   look empty) until their sessions log in or join again. The engine does
//!   not know a node's users, so heartbeat re-asserts only the lease.
//! - Events published while Redis is unreachable, or while a node is
//!   re-subscribing, are lost (the broker delivers at most once).
//! - A node cut off from Redis for longer than its lease while Redis stayed
//!   up is reaped by the others: its users go offline and leave their
//!   channels although their sockets are still open. When it is back its
//!   heartbeat logs an error; its sessions stay connected but are not
//!   re-registered (the services would have to kick them so the clients log
//!   in again).
//! - If the node that reaped a dead node's presence dies before it reaps the
//!   node's channel memberships, those memberships stay until their users
//!   rejoin or leave (the dead node is no longer listed in `P:nodes`).
//! - TLS (`rediss://`) is not compiled in, and Redis Cluster is not
//!   supported (scripts touch keys they build, across hash slots), nor is
//!   the Sentinel protocol: one primary at one address (a failover that
//!   keeps the address works; writes acknowledged but not yet replicated at
//!   a failover are lost).

pub mod attributes;
pub mod broker;
pub mod directory;
pub mod event_log;
pub mod keys;
pub mod link;
pub mod membership;
pub mod offline;
pub mod presence;

pub use attributes::RedisAttributes;
pub use broker::RedisBroker;
pub use directory::RedisDirectory;
pub use membership::RedisMembership;
pub use offline::RedisOffline;
pub use presence::RedisPresence;

use crate::config::Limits;
use crate::engine::{Engine, Health, OfflineQuotas};
use keys::Keys;
use link::{Link, Subscriber};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// What the Redis engine is built with. Its `Debug` hides the password.
#[derive(Clone)]
pub struct RedisOptions {
    /// `redis://[[user]:password@]host:port[/db]`, or `unix:///path`. (TLS,
    /// `rediss://`, is not compiled in: such a URL fails at startup.)
    pub url: String,
    /// Key and channel namespace: deployments (and tests) sharing a Redis
    /// use different prefixes. Default `rtm`.
    pub prefix: String,
    /// Offline messages kept per user (the oldest go first).
    pub offline_max_messages: u32,
    /// Offline messages older than this are dropped (ms).
    pub offline_max_age_ms: u64,
    /// Bytes of offline messages per sender and per app.
    pub offline_quotas: OfflineQuotas,
    /// A channel empty this long loses its attributes.
    pub channel_attrs_ttl: Duration,
}

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "rtm";

impl RedisOptions {
    /// The options `limits` ask for, on the Redis at `url`, prefix `rtm`.
    pub fn from_limits(url: &str, limits: &Limits) -> RedisOptions {
        RedisOptions {
            url: url.to_owned(),
            prefix: DEFAULT_PREFIX.to_owned(),
            offline_max_messages: limits.offline_max_messages,
            offline_max_age_ms: u64::from(limits.offline_max_age_days) * 24 * 3600 * 1000,
            offline_quotas: limits.offline_quotas(),
            channel_attrs_ttl: Duration::from_secs(limits.channel_attrs_ttl_secs),
        }
    }
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("offline_max_messages", &self.offline_max_messages)
            .field("offline_max_age_ms", &self.offline_max_age_ms)
            .field("offline_quotas", &self.offline_quotas)
            .field("channel_attrs_ttl", &self.channel_attrs_ttl)
            .finish()
    }
}

/// `url` without the credentials of its authority (`user:pass@` → `***@`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

impl Default for RedisOptions {
    /// The local Redis, with the default limits.
    fn default() -> Self {
        RedisOptions::from_limits("redis://127.0.0.1:6379", &Limits::default())
    }
}

/// Health = the link works.
struct LinkHealth(Arc<Link>);

impl Health for LinkHealth {
    fn ready(&self) -> bool {
        self.0.ready()
    }
}

/// Builds the Redis engine. Waits for one connection attempt (a few seconds
/// at most); if Redis does not answer it logs that, returns a not-ready
/// engine and keeps retrying in the background. Fails only on a URL that
/// cannot be used.
pub async fn engine(opts: &RedisOptions) -> anyhow::Result<Engine> {
    let (link, pushes) = Link::open(&opts.url)?;
    let keys = Keys::new(&opts.prefix);
    let broker = RedisBroker::new(link.clone(), keys.clone());
    let subscriber: Weak<dyn Subscriber> = Arc::downgrade(&(broker.clone() as Arc<dyn Subscriber>));
    link.attach(subscriber);
    link.start(pushes).await;
    let ttl = opts.channel_attrs_ttl;
    let keys_for_events = keys.clone();
    Ok(Engine {
        broker,
        presence: Arc::new(RedisPresence::new(link.clone(), keys.clone())),
        membership: Arc::new(RedisMembership::new(link.clone(), keys.clone(), ttl)),
        attributes: Arc::new(RedisAttributes::new(link.clone(), keys.clone(), ttl)),
        offline: Arc::new(RedisOffline::new(
            link.clone(),
            keys.clone(),
            opts.offline_max_messages,
            opts.offline_max_age_ms,
            opts.offline_quotas,
        )),
        health: Arc::new(LinkHealth(link.clone())),
        directory: Arc::new(RedisDirectory::new(link.clone(), keys)),
        events: Arc::new(event_log::RedisEventLog::new(link, keys_for_events)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_the_limits() {
        let limits = Limits {
            offline_max_messages: 7,
            offline_max_age_days: 2,
            channel_attrs_ttl_secs: 9,
            ..Limits::default()
        };
        let opts = RedisOptions::from_limits("redis://h:1", &limits);
        assert_eq!((opts.url.as_str(), opts.prefix.as_str()), ("redis://h:1", "rtm"));
        assert_eq!(opts.offline_max_messages, 7);
        assert_eq!(opts.offline_max_age_ms, 2 * 86_400_000);
        assert_eq!(opts.channel_attrs_ttl, Duration::from_secs(9));
    }

    #[test]
    fn passwords_stay_out_of_debug_output() {
        assert_eq!(redact("redis://:s3cret@h:6379/0"), "redis://***@h:6379/0");
        assert_eq!(redact("redis://user:p@ss@h"), "redis://***@h");
        assert_eq!(redact("redis://h:1/x@y"), "redis://h:1/x@y");
        assert_eq!(redact("unix:///tmp/r.sock"), "unix:///tmp/r.sock");
        let opts = RedisOptions { url: "redis://:s3cret@h".into(), ..RedisOptions::default() };
        assert!(!format!("{opts:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn a_bad_url_fails_and_an_unreachable_redis_does_not() {
        let bad = RedisOptions { url: "not a url".into(), ..RedisOptions::default() };
        assert!(engine(&bad).await.is_err());
        // Port 1 on loopback: nothing listens there.
        let down = RedisOptions { url: "redis://127.0.0.1:1".into(), ..RedisOptions::default() };
        let e = engine(&down).await.expect("an unreachable Redis is not an error at startup");
        assert!(!e.health.ready());
        let err = e.presence.lookup("app", "u").await.unwrap_err().to_string();
        assert!(err.contains("unreachable") && err.contains("127.0.0.1:1"), "{err}");
    }
}
