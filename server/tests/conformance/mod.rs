//! The engine conformance suite: what every [`Engine`] must do, whatever is
//! behind it (the embedded engine, Redis). Each case is a `pub async fn`
//! taking a [`Factory`] that makes a fresh engine with the [`Settings`] the
//! case needs; [`run_all`] runs them all in sequence, and
//! [`conformance_tests!`] makes one `#[tokio::test]` per case.
//!
//! Written for engines that deliver asynchronously and are shared between
//! tests: events are awaited (up to [`WAIT`]), never assumed delivered when
//! `publish` returns; every case uses its own random app id and node ids and
//! looks only at what carries them.
#![allow(dead_code)]

pub mod attributes;
pub mod broker;
pub mod directory;
pub mod event_log;
pub mod membership;
pub mod offline;
pub mod offline_quotas;
pub mod presence;

use rtm_server::engine::{Engine, Event, NodeEvent, OfflineQuotas, SessionRef, Sink, Topic};
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// How long an expected event or effect may take.
pub const WAIT: Duration = Duration::from_secs(2);
/// How long to keep listening before concluding that nothing more comes.
pub const QUIET: Duration = Duration::from_millis(150);

/// What a case asks of the engine it gets.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// A channel empty this long loses its attributes.
    pub channel_attrs_ttl: Duration,
    /// Offline messages kept per user.
    pub offline_max_messages: u32,
    /// Offline messages older than this are dropped (ms).
    pub offline_max_age_ms: u64,
    /// Bytes of offline messages per sender and per app.
    pub offline_quotas: OfflineQuotas,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            channel_attrs_ttl: Duration::from_secs(300),
            offline_max_messages: 200,
            offline_max_age_ms: 7 * 24 * 3600 * 1000,
            offline_quotas: OfflineQuotas::UNLIMITED,
        }
    }
}

/// Makes a fresh engine (async: a networked one connects).
pub trait Factory {
    /// An engine configured with `settings`.
    fn make(&self, settings: Settings) -> impl Future<Output = anyhow::Result<Engine>>;
}

impl<F, Fut> Factory for F
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<Engine>>,
{
    fn make(&self, settings: Settings) -> impl Future<Output = anyhow::Result<Engine>> {
        self(settings)
    }
}

/// An engine from `factory`, or the test fails.
pub async fn engine(factory: &impl Factory, settings: Settings) -> Engine {
    factory.make(settings).await.expect("the factory makes an engine")
}

/// A fresh app id: cases sharing a backend do not see each other.
pub fn app() -> String {
    format!("conf-{:016x}", rand::random::<u64>())
}

/// A fresh node id.
pub fn node() -> u64 {
    rand::random::<u64>() >> 1
}

/// Session `session` of `node`.
pub fn session(node: u64, session: u64) -> SessionRef {
    SessionRef { node, session }
}

/// Items as owned pairs.
pub fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A test node's sink: collects what the broker delivers.
#[derive(Default)]
pub struct Collector {
    got: Mutex<Vec<(Topic, Event)>>,
    arrived: Notify,
}

impl Sink for Collector {
    fn deliver(&self, topic: &Topic, event: Event) {
        self.got.lock().unwrap().push((topic.clone(), event));
        self.arrived.notify_waiters();
    }
}

impl Collector {
    /// A collector registered as node `node`'s sink, subscribed to its own
    /// node topic (as a starting node does). Keep the `Arc`: the broker holds
    /// the sink weakly.
    pub async fn node(engine: &Engine, node: u64) -> Arc<Collector> {
        let sink = Arc::new(Collector::default());
        let weak: Weak<Collector> = Arc::downgrade(&sink);
        engine.broker.register(node, weak);
        engine.broker.subscribe(node, &Topic::Node(node)).await.unwrap();
        sink
    }

    /// Everything delivered so far.
    pub fn all(&self) -> Vec<(Topic, Event)> {
        self.got.lock().unwrap().clone()
    }

    /// The events delivered on `topic`, in delivery order.
    pub fn on(&self, topic: &Topic) -> Vec<Event> {
        self.got.lock().unwrap().iter().filter(|(t, _)| t == topic).map(|(_, e)| e.clone()).collect()
    }

    /// Waits (up to [`WAIT`]) until `topic` has had `n` events, and returns
    /// them; fewer if they did not come.
    pub async fn wait_on(&self, topic: &Topic, n: usize) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let got = self.on(topic);
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.on(topic);
            }
        }
    }
}

/// Publishes a marker on `node`'s own topic and waits for it: whatever was
/// published to that node before has had its chance to arrive, given
/// [`QUIET`] more for brokers that do not order across topics.
pub async fn settle(engine: &Engine, node: u64, sink: &Collector) {
    let id = rand::random::<u64>();
    let marker = Event::Node(NodeEvent::Ack { ack_id: id, ok: true });
    let before = sink.on(&Topic::Node(node)).len();
    engine.broker.publish(&Topic::Node(node), marker.clone()).await.unwrap();
    let got = sink.wait_on(&Topic::Node(node), before + 1).await;
    assert!(got.contains(&marker), "node {node} did not hear its own topic within {WAIT:?}");
    tokio::time::sleep(QUIET).await;
}

/// Calls `$run!((extra...) group: [case, ...], ...)` with every case of the
/// suite: the one list that [`run_all`] and [`conformance_tests!`] expand.
#[macro_export]
macro_rules! for_each_case {
    ($run:ident ! ($($extra:tt)*)) => {
        $run! {
            ($($extra)*)
            broker: [
                only_subscribed_nodes_hear,
                subscribe_is_idempotent_and_unsubscribe_stops,
                publish_without_subscribers_is_ok,
                order_per_topic,
                node_topics,
                topics_and_apps_are_distinct,
            ],
            presence: [
                claim_displaces_and_epochs_grow,
                only_the_owner_changes_or_releases,
                states_in_order,
                apps_are_namespaces,
                lapsed_leases_are_reaped_once,
            ],
            membership: [
                join_count_leave,
                joining_twice_counts_once,
                remote_login_replaces_and_stale_leave_is_ignored,
                members_sample_without_duplicates,
                reap_removes_the_dead_nodes_members,
            ],
            offline: [
                order_and_fields,
                cap_per_user,
                remove_is_scoped,
                apps_are_namespaces,
                old_messages_expire,
            ],
            offline_quotas: [
                sender_quota,
                app_quota,
                capped_messages_give_bytes_back,
                expired_messages_give_bytes_back,
            ],
            attributes: [
                user_ops,
                refused_writes_change_nothing,
                channel_last_update_fields,
                clear_user,
                namespaces,
                empty_channels_expire,
            ],
            directory: [
                bans_end_and_lift,
                listings_cover_every_node,
            ],
            event_log: [
                kinds_order_and_once,
                cap_and_max,
                concurrent_takes_return_each_event_once,
                old_events_are_dropped,
            ],
        }
    };
}

/// Runs every case on engines from `factory`, one after the other.
pub async fn run_all<F, Fut>(factory: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<Engine>>,
{
    macro_rules! run {
        (() $($group:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
            $($( $group::$case(&factory).await; )*)*
        };
    }
    for_each_case!(run!());
}

/// One `#[tokio::test]` per case, in one module per group (`broker::order_per_topic`),
/// each on engines from `$factory`: an expression, resolved inside those
/// modules with `use super::*`, of a type implementing [`Factory`].
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::for_each_case!(__conformance_expand!($factory));
    };
}

/// The expansion of [`conformance_tests!`].
#[macro_export]
macro_rules! __conformance_expand {
    (($factory:expr) $($group:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $group {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        $crate::conformance::$group::$case(&$factory).await;
                    }
                )*
            }
        )*
    };
}
