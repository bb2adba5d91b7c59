//! The engine's one connection to Redis, and whether it works.
//!
//! One [`ConnectionManager`] per engine: a multiplexed RESP3 connection that
//! carries every command of every concern and, as RESP3 push messages, the
//! pub/sub messages of the broker. The manager reconnects by itself after an
//! I/O error and, with automatic resubscription, re-sends the SUBSCRIBEs it
//! had seen confirmed. What it does not do is say whether Redis is there, or
//! make a command fail fast while it is not: a command issued during an
//! outage waits for the reconnect. So this module adds a supervisor:
//!
//! - [`Link::ready`] is the engine's health (`/readyz`). It starts false.
//! - Every operation asks [`Link::conn`] first, which fails at once with
//!   "Redis at ADDR is unreachable" while not ready; a command that fails with
//!   a connection error ([`Link::check`]) marks the link down, and so does the
//!   manager's `Disconnection` push (Redis closed the socket: a restart).
//! - The supervisor task PINGs every [`HEALTH_EVERY`] while up (a Redis that
//!   hangs without closing the socket is noticed too) and, while down, with
//!   jittered exponential backoff up to [`MAX_BACKOFF`]. When PING answers, it
//!   asks the [`Subscriber`] (the broker) to restore its subscriptions from
//!   its local set — the truth — and only then is the link ready again. So a
//!   publish that succeeds after a recovery reaches every topic that was
//!   subscribed before it.
//!
//! Logs: an error when Redis is first found unreachable (naming the address,
//! never the password), a warning every 30 s while it stays so, and an info
//! line when it answers again.
//!
//! The reader takes the manager's pushes off an unbounded channel, in the
//! order Redis sent them, and hands each pub/sub message to the subscriber
//! synchronously: delivery order per topic is Redis's order. It is an OS
//! thread of its own ([`PUSH_THREAD`]), not a task: it fans every message of
//! the node's topics out to the local sessions, serially, and as one task
//! among hundreds of connection writers it waited its turn in the runtime's
//! queue for each batch of pushes — cluster fan-out ran at about half the
//! embedded engine's rate (docs/benchmarks.md, "Across a cluster on Redis").
//! The thread enters the runtime's context, so what a sink spawns runs on the
//! runtime as before, and it ends when the channel closes (the manager is
//! gone) or the link is dropped.

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{
    Client, IntoConnectionInfo, Msg, ProtocolVersion, PushInfo, PushKind, RedisError, RedisResult,
};
use anyhow::{anyhow, Context};
use async_trait::async_trait;
use rand::Rng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::sync::Notify;
use tokio::time::{timeout, Instant};

/// How often a working link is checked.
pub const HEALTH_EVERY: Duration = Duration::from_secs(1);
/// The longest pause between two reconnection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The first pause after a failed attempt.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// A PING slower than this counts as a failure.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// How long restoring the subscriptions may take.
const RESTORE_TIMEOUT: Duration = Duration::from_secs(10);
/// A command's reply slower than this is an error (the connection is then
/// presumed broken).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one TCP connect may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// While unreachable, a reminder this often.
const LOG_EVERY: Duration = Duration::from_secs(30);
/// The name of the thread that reads pushes (one per engine; at most 15
/// bytes, the longest name Linux keeps).
pub const PUSH_THREAD: &str = "rtm-redis-push";

/// What the link needs from the broker: messages, and the subscriptions to
/// restore after an outage.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// A pub/sub message arrived on `channel`. Must not block.
    fn message(&self, channel: &str, payload: &[u8]);
    /// Subscribes in Redis to every channel of the local set (and drops the
    /// stale ones), then calls [`Link::mark_up`] with no local change in
    /// between. Returns how many channels are subscribed.
    async fn restore(&self, link: &Link) -> anyhow::Result<usize>;
}

/// The connection, its health, and the subscriber it feeds.
pub struct Link {
    manager: ConnectionManager,
    /// Where Redis is (host:port), for logs and errors; no credentials.
    addr: String,
    ready: AtomicBool,
    /// Redis was found unreachable since the last `mark_up` (at startup
    /// too): the next `mark_up` is a reconnection.
    outage: AtomicBool,
    /// When the link last became ready again after an outage.
    reconnected: Mutex<Option<Instant>>,
    wake: Arc<Notify>,
    subscriber: OnceLock<Weak<dyn Subscriber>>,
}

impl Link {
    /// A link to `url`, not connected yet (see [`Link::start`]). Fails only
    /// on a URL that cannot be used.
    pub fn open(url: &str) -> anyhow::Result<(Arc<Link>, UnboundedReceiver<PushInfo>)> {
        let info = url.into_connection_info().with_context(|| "the Redis URL is not valid")?;
        let addr = info.addr().to_string();
        let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
        let client = Client::open(info.set_redis_settings(settings))?;
        let (tx, rx) = unbounded_channel();
        let config = ConnectionManagerConfig::new()
            .set_push_sender(tx)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client, config)?;
        let link = Link {
            manager,
            addr,
            ready: AtomicBool::new(false),
            outage: AtomicBool::new(false),
            reconnected: Mutex::new(None),
            wake: Arc::new(Notify::new()),
            subscriber: OnceLock::new(),
        };
        Ok((Arc::new(link), rx))
    }

    /// Where Redis is (host:port).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Makes `subscriber` the receiver of messages and the restorer of
    /// subscriptions. Once, before [`Link::start`].
    pub fn attach(&self, subscriber: Weak<dyn Subscriber>) {
        let _ = self.subscriber.set(subscriber);
    }

    /// Reads pushes, tries to connect once (waiting for that attempt), and
    /// leaves the supervisor running. Never fails: an unreachable Redis is
    /// logged and retried in the background.
    pub async fn start(self: &Arc<Self>, pushes: UnboundedReceiver<PushInfo>) {
        let (link, runtime) = (Arc::downgrade(self), tokio::runtime::Handle::current());
        std::thread::Builder::new()
            .name(PUSH_THREAD.into())
            .spawn(move || read_pushes(link, pushes, runtime))
            .expect("could not start the thread that reads Redis pushes");
        let first = self.attempt().await;
        if let Err(e) = &first {
            tracing::error!(
                redis = %self.addr,
                error = %e,
                "Redis is unreachable; retrying in the background (backoff up to {MAX_BACKOFF:?}); \
                 every engine operation fails until it answers, and /readyz says not ready"
            );
        }
        tokio::spawn(supervise(Arc::downgrade(self), self.wake.clone(), first.is_ok()));
    }

    /// True while Redis answers (the engine's health).
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The connection for one operation; fails at once while Redis is
    /// unreachable.
    pub fn conn(&self) -> anyhow::Result<ConnectionManager> {
        if self.ready() {
            Ok(self.manager.clone())
        } else {
            crate::metrics::engine_error();
            Err(anyhow!("Redis at {} is unreachable (reconnecting in the background)", self.addr))
        }
    }

    /// The connection whatever the health (the supervisor and restore).
    pub fn raw(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The result of a command; a connection error marks the link down.
    pub fn check<T>(&self, result: RedisResult<T>) -> anyhow::Result<T> {
        result.map_err(|e| {
            crate::metrics::engine_error();
            if is_link_error(&e) {
                self.down(&e);
            }
            anyhow!("Redis at {}: {e}", self.addr)
        })
    }

    /// Redis stopped answering (or a subscription could not be sent): not
    /// ready until the supervisor has reconnected and restored.
    pub fn down(&self, why: &dyn std::fmt::Display) {
        self.outage.store(true, Ordering::Release);
        if self.ready.swap(false, Ordering::AcqRel) {
            tracing::warn!(redis = %self.addr, reason = %why, "lost Redis; reconnecting in the background");
        }
        self.wake.notify_one();
    }

    /// Ready: called by the subscriber's restore, under its own lock.
    pub fn mark_up(&self) {
        if self.outage.swap(false, Ordering::AcqRel) {
            crate::metrics::redis_reconnect();
            *self.reconnected.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
        self.ready.store(true, Ordering::Release);
    }

    /// When the link last came back after an outage, or first came up after
    /// failed attempts at startup (`None` if Redis always answered):
    /// presence holds off reaping for a lease after it.
    pub fn reconnected_at(&self) -> Option<Instant> {
        *self.reconnected.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One PING and, if it answers, one restore.
    async fn attempt(&self) -> anyhow::Result<usize> {
        let result = self.try_attempt().await;
        if result.is_err() {
            self.outage.store(true, Ordering::Release);
        }
        result
    }

    async fn try_attempt(&self) -> anyhow::Result<usize> {
        self.ping().await?;
        match self.subscriber.get().and_then(Weak::upgrade) {
            Some(subscriber) => timeout(RESTORE_TIMEOUT, subscriber.restore(self))
                .await
                .map_err(|_| anyhow!("restoring subscriptions timed out"))?,
            None => {
                self.mark_up();
                Ok(0)
            }
        }
    }

    /// A PING of a working link; false marks it down.
    async fn healthy(&self) -> bool {
        match self.ping().await {
            Ok(()) => true,
            Err(e) => {
                self.down(&e);
                false
            }
        }
    }

    /// One PING, bounded by [`PING_TIMEOUT`].
    async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.raw();
        let cmd = ::redis::cmd("PING");
        match timeout(PING_TIMEOUT, cmd.query_async::<String>(&mut conn)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(anyhow!("PING timed out after {PING_TIMEOUT:?}")),
        }
    }
}

/// An error that says the connection (not the command) failed.
fn is_link_error(e: &RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error() || e.is_timeout() || e.is_connection_dropped()
}

/// Hands pub/sub messages to the subscriber, and notices disconnections.
/// Runs on its own thread (see the module docs) until the channel closes or
/// the link is dropped.
fn read_pushes(link: Weak<Link>, mut pushes: UnboundedReceiver<PushInfo>, runtime: tokio::runtime::Handle) {
    let _context = runtime.enter();
    while let Some(push) = pushes.blocking_recv() {
        let Some(link) = link.upgrade() else { return };
        match push.kind {
            PushKind::Disconnection => link.down(&"the connection closed"),
            PushKind::Message => {
                let subscriber = link.subscriber.get().and_then(Weak::upgrade);
                if let (Some(msg), Some(subscriber)) = (Msg::from_push_info(push), subscriber) {
                    match msg.get_channel::<String>() {
                        Ok(channel) => subscriber.message(&channel, msg.get_payload_bytes()),
                        Err(e) => tracing::warn!(error = %e, "a pub/sub message with a bad channel name"),
                    }
                }
            }
            _ => {}
        }
    }
}

/// Keeps the link up: checks it while up, reconnects with backoff while down.
async fn supervise(link: Weak<Link>, wake: Arc<Notify>, mut up: bool) {
    let mut backoff = MIN_BACKOFF;
    let mut down_since = (!up).then(Instant::now);
    let mut last_log = Instant::now();
    loop {
        if up {
            // A wake (a command saw the connection fail) or the next check.
            let _ = timeout(HEALTH_EVERY, wake.notified()).await;
        } else {
            let pause = rand::rng().random_range(backoff / 2..=backoff);
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        let Some(link) = link.upgrade() else { return };
        if up && link.ready() && link.healthy().await {
            continue;
        }
        if up {
            up = false;
            down_since = Some(Instant::now());
            last_log = Instant::now();
            backoff = MIN_BACKOFF;
        }
        match link.attempt().await {
            Ok(topics) => {
                let after = down_since.take().map(|t| t.elapsed()).unwrap_or_default();
                tracing::info!(redis = %link.addr, ?after, topics, "Redis answers; subscriptions restored, ready");
                up = true;
                backoff = MIN_BACKOFF;
            }
            Err(e) if last_log.elapsed() >= LOG_EVERY => {
                last_log = Instant::now();
                let since = down_since.map(|t| t.elapsed()).unwrap_or_default();
                tracing::warn!(
                    redis = %link.addr,
                    error = %e,
                    unreachable_for = ?since,
                    "Redis is still unreachable; retrying (backoff up to {MAX_BACKOFF:?})"
                );
            }
            Err(e) => {
                tracing::debug!(redis = %link.addr, error = %e, "reconnection attempt failed")
            }
        }
    }
}
