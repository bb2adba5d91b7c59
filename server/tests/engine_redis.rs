//! The engine conformance suite (tests/conformance/) on the Redis engine,
//! against a real `redis-server` that this test binary starts itself
//! (tests/redis_server/), and what only the Redis engine promises: several
//! engines (processes) on one Redis are one system, data survives a Redis
//! restart with AOF, and the engine rides out an outage — not ready while
//! Redis is away, ready and delivering again once it is back.
//!
//! Every engine gets a random key prefix, so the cases share one server
//! without seeing each other. Every wait is bounded.

#[macro_use]
mod conformance;
mod redis_server;

use conformance::{app, kv, node, session, Collector, Settings};
use redis_server::RedisServer;
use rtm_protocol::{AttrOp, Payload};
use rtm_server::clock::now_ms;
use rtm_server::engine::redis::{self, RedisOptions};
use rtm_server::engine::{Engine, Event, NodeEvent, Reaped, Topic};
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;
use tokio::task::block_in_place;
use tokio::time::Instant;

/// How long the engine may take to notice a Redis restart and recover.
const RECOVERY: Duration = Duration::from_secs(10);

fn options(url: &str, settings: Settings) -> RedisOptions {
    RedisOptions {
        url: url.to_owned(),
        prefix: format!("test{:016x}", rand::random::<u64>()),
        offline_max_messages: settings.offline_max_messages,
        offline_max_age_ms: settings.offline_max_age_ms,
        offline_quotas: settings.offline_quotas,
        channel_attrs_ttl: settings.channel_attrs_ttl,
    }
}

/// An engine on the Redis at `opts.url` that is ready.
async fn ready_engine(opts: &RedisOptions) -> anyhow::Result<Engine> {
    let e = redis::engine(opts).await?;
    anyhow::ensure!(e.health.ready(), "an engine on a running Redis is ready at once");
    Ok(e)
}

/// The suite's factory: a fresh engine (own prefix) on the shared server.
async fn on_shared(settings: Settings) -> anyhow::Result<Engine> {
    let url = block_in_place(|| redis_server::shared().url());
    ready_engine(&options(&url, settings)).await
}

conformance_tests!(on_shared);

/// Engine logs in the test output (shown for failing tests, or with
/// `--nocapture`): what the link says about an outage is part of the story.
fn logs() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("rtm_server=debug").try_init();
}

/// Polls `check` until it is true, for at most `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until `e` is ready and answers (after a Redis restart).
async fn recovered(e: &Engine) {
    eventually(RECOVERY, "the engine is ready again", || async {
        e.health.ready() && e.membership.count("app", "probe").await.is_ok()
    })
    .await;
}

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_on_one_redis_are_one_cluster() {
    let url = block_in_place(|| redis_server::shared().url());
    let opts = options(&url, Settings::default());
    let (one, two) = (ready_engine(&opts).await.unwrap(), ready_engine(&opts).await.unwrap());
    let app = app();
    let (a, b) = (node(), node());
    let claim = one.presence.claim(&app, "u", session(a, 1)).await.unwrap();
    assert_eq!(two.presence.lookup(&app, "u").await.unwrap(), Some(session(a, 1)));
    assert!(two.presence.claim(&app, "u", session(b, 1)).await.unwrap().epoch > claim.epoch);
    one.membership.join(&app, "c", "u", session(a, 1)).await.unwrap();
    assert_eq!(two.membership.join(&app, "c", "v", session(b, 1)).await.unwrap(), 2);
    two.attributes.update_channel(&app, "c", "v", 1, &AttrOp::Set(kv(&[("k", "v")]))).await.unwrap().unwrap();
    assert_eq!(one.attributes.channel(&app, "c").await.unwrap().len(), 1);
    // A node of each engine hears a topic published through the other.
    let (sa, sb) = (Collector::node(&one, a).await, Collector::node(&two, b).await);
    let t = Topic::channel(&app, "c");
    one.broker.subscribe(a, &t).await.unwrap();
    two.broker.subscribe(b, &t).await.unwrap();
    let ack = Event::Node(NodeEvent::Ack { ack_id: 1, ok: true });
    one.broker.publish(&t, ack.clone()).await.unwrap();
    assert_eq!(sa.wait_on(&t, 1).await, std::slice::from_ref(&ack));
    assert_eq!(sb.wait_on(&t, 1).await, [ack]);
    // A different prefix is a different cluster.
    let other = ready_engine(&options(&url, Settings::default())).await.unwrap();
    assert_eq!(other.presence.lookup(&app, "u").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reapers_each_get_a_disjoint_share() {
    let url = block_in_place(|| redis_server::shared().url());
    let opts = options(&url, Settings::default());
    let mut engines = Vec::new();
    for _ in 0..4 {
        engines.push(ready_engine(&opts).await.unwrap());
    }
    let (app, dead) = (app(), node());
    engines[0].presence.heartbeat(dead, Duration::from_millis(1)).await.unwrap();
    for i in 0..200u64 {
        let uid = format!("u{i}");
        engines[0].presence.claim(&app, &uid, session(dead, i)).await.unwrap();
        engines[1].membership.join(&app, &format!("c{}", i % 7), &uid, session(dead, i)).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let reaps = futures_util::future::join_all(engines.iter().map(|e| e.presence.reap())).await;
    let mut users = Vec::new();
    let mut saw_dead = 0;
    for (nodes, reaped) in reaps.into_iter().map(Result::unwrap) {
        saw_dead += nodes.iter().filter(|n| **n == dead).count();
        users.extend(reaped.into_iter().filter(|r: &Reaped| r.app == app));
    }
    assert_eq!(saw_dead, 1, "one reaper gets the node");
    assert_eq!(users.len(), 200, "each user once");
    assert_eq!(users.iter().map(|r| &r.uid).collect::<HashSet<_>>().len(), 200);
    let dead_nodes = [dead];
    let departed =
        futures_util::future::join_all(engines.iter().map(|e| e.membership.reap(&dead_nodes))).await;
    let departed: Vec<_> = departed.into_iter().flat_map(Result::unwrap).collect();
    assert_eq!(departed.len(), 200, "each membership once, even with several reapers");
    for c in 0..7 {
        assert_eq!(engines[2].membership.count(&app, &format!("c{c}")).await.unwrap(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewrites_do_not_extend_an_empty_channels_countdown_and_joins_stop_it() {
    let url = block_in_place(|| redis_server::shared().url());
    let ttl = Duration::from_millis(1000);
    let e = ready_engine(&options(&url, Settings { channel_attrs_ttl: ttl, ..Settings::default() }))
        .await
        .unwrap();
    let (app, s) = (app(), session(node(), 1));
    let write = |channel: &'static str, k: &'static str| {
        let (e, app) = (e.clone(), app.clone());
        async move {
            let op = AttrOp::Upsert(kv(&[(k, "v")]));
            e.attributes.update_channel(&app, channel, "w", 1, &op).await.unwrap().unwrap();
        }
    };
    let start = Instant::now();
    write("rewritten", "a").await;
    write("joined", "a").await;
    tokio::time::sleep(ttl / 2).await;
    write("rewritten", "b").await;
    e.membership.join(&app, "joined", "u", s).await.unwrap();
    tokio::time::sleep_until(start + ttl + Duration::from_millis(200)).await;
    assert!(e.attributes.channel(&app, "rewritten").await.unwrap().is_empty(), "the rewrite extended it");
    assert_eq!(e.attributes.channel(&app, "joined").await.unwrap().len(), 1, "a member stops the countdown");
    e.membership.leave(&app, "joined", "u", s).await.unwrap();
    let left = Instant::now();
    tokio::time::sleep(ttl / 2).await;
    assert_eq!(e.attributes.channel(&app, "joined").await.unwrap().len(), 1, "counting from the leave");
    tokio::time::sleep_until(left + ttl + Duration::from_millis(200)).await;
    assert!(e.attributes.channel(&app, "joined").await.unwrap().is_empty(), "a TTL after the last leave");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attributes_and_offline_messages_survive_a_redis_restart() {
    logs();
    let mut server = block_in_place(RedisServer::start);
    let opts = options(&server.url(), Settings::default());
    let e = ready_engine(&opts).await.unwrap();
    let app = app();
    let set = AttrOp::Set(kv(&[("k", "v")]));
    e.attributes.update_channel(&app, "idle", "w", 5, &set).await.unwrap().unwrap();
    e.membership.join(&app, "joined", "u", session(node(), 1)).await.unwrap();
    e.attributes.update_channel(&app, "joined", "w", 6, &set).await.unwrap().unwrap();
    e.attributes.update_user(&app, "u", &set).await.unwrap().unwrap();
    e.offline.put(&app, "bob", "alice", &text("kept"), now_ms()).await.unwrap().unwrap();
    let removed = e.offline.put(&app, "bob", "alice", &text("removed"), now_ms()).await.unwrap().unwrap();
    e.offline.remove(&app, "bob", removed).await.unwrap();

    block_in_place(|| server.restart());
    recovered(&e).await;
    let fresh = ready_engine(&opts).await.unwrap();
    for (which, e) in [("the same engine", &e), ("an engine started after", &fresh)] {
        let idle = e.attributes.channel(&app, "idle").await.unwrap();
        assert_eq!(idle.len(), 1, "{which}");
        assert_eq!((idle[0].last_update_uid.as_str(), idle[0].last_update_ts), ("w", 5), "{which}");
        assert_eq!(e.attributes.channel(&app, "joined").await.unwrap().len(), 1, "{which}");
        assert_eq!(e.attributes.user(&app, "u").await.unwrap(), kv(&[("k", "v")]), "{which}");
        let bob = e.offline.list(&app, "bob").await.unwrap();
        assert_eq!(bob.iter().map(|m| m.payload.clone()).collect::<Vec<_>>(), [text("kept")], "{which}");
        assert_eq!(e.membership.count(&app, "joined").await.unwrap(), 1, "{which}");
    }
    // The empty channel's countdown survived too: its key still has a TTL.
    let client = ::redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:cattr:{}:{app}:idle", opts.prefix, app.len());
    let pttl: i64 = ::redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
    assert!(pttl > 0 && pttl <= 300_000, "PTTL {pttl}");
    // And new ids keep growing after the restart.
    let after = fresh.offline.put(&app, "bob", "alice", &text("new"), now_ms()).await.unwrap().unwrap();
    assert!(after > removed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_made_while_redis_is_down_serves_once_it_is_up() {
    logs();
    let mut server = RedisServer::stopped(redis_server::free_port());
    let e = redis::engine(&options(&server.url(), Settings::default())).await.expect("no error at startup");
    assert!(!e.health.ready(), "not ready without Redis");
    let started = Instant::now();
    let err = e.presence.claim("app", "u", session(1, 1)).await.unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_millis(100), "fails fast: {:?}", started.elapsed());
    assert!(err.contains("unreachable") && err.contains(&server.port().to_string()), "{err}");
    assert!(e.offline.list("app", "u").await.is_err());
    // A node can start meanwhile: its subscriptions take effect once Redis is up.
    let n = node();
    let sink = Collector::node(&e, n).await;

    block_in_place(|| server.restart());
    eventually(RECOVERY, "ready once Redis is up", || async { e.health.ready() }).await;
    e.presence.claim("app", "u", session(n, 1)).await.unwrap();
    assert_eq!(e.presence.lookup("app", "u").await.unwrap(), Some(session(n, 1)));
    let ack = Event::Node(NodeEvent::Ack { ack_id: 7, ok: true });
    e.broker.publish(&Topic::Node(n), ack.clone()).await.unwrap();
    assert_eq!(sink.wait_on(&Topic::Node(n), 1).await, [ack], "subscribed while Redis was down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_crash_and_restart_the_broker_delivers_again() {
    logs();
    let mut server = block_in_place(RedisServer::start);
    let opts = options(&server.url(), Settings::default());
    let (one, two) = (ready_engine(&opts).await.unwrap(), ready_engine(&opts).await.unwrap());
    let (a, b, c) = (node(), node(), node());
    let (sa, sb, sc) =
        (Collector::node(&one, a).await, Collector::node(&one, b).await, Collector::node(&two, c).await);
    let t = Topic::user(&app(), "u");
    for (e, n) in [(&one, a), (&one, b), (&two, c)] {
        e.broker.subscribe(n, &t).await.unwrap();
    }
    let ack = |id| Event::Node(NodeEvent::Ack { ack_id: id, ok: true });
    two.broker.publish(&t, ack(0)).await.unwrap();
    for s in [&sa, &sb, &sc] {
        assert_eq!(s.wait_on(&t, 1).await, [ack(0)]);
    }

    block_in_place(|| server.kill());
    eventually(Duration::from_secs(5), "not ready once Redis is gone", || async {
        !one.health.ready() && !two.health.ready()
    })
    .await;
    let started = Instant::now();
    assert!(one.broker.publish(&t, ack(99)).await.is_err());
    assert!(one.attributes.user("app", "u").await.is_err());
    assert!(started.elapsed() < Duration::from_millis(100), "fails fast: {:?}", started.elapsed());
    // Long enough for failed reconnection attempts (the manager's own, then
    // the supervisor's backoff).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!one.health.ready() && one.presence.reap().await.is_err(), "still down");
    // Subscribed during the outage: heard after it too.
    let late = Topic::channel(&app(), "late");
    one.broker.subscribe(a, &late).await.unwrap();

    block_in_place(|| server.restart());
    recovered(&one).await;
    recovered(&two).await;
    // Ready means re-subscribed: the first publish after it is heard.
    two.broker.publish(&t, ack(1)).await.unwrap();
    for s in [&sa, &sb, &sc] {
        assert_eq!(s.wait_on(&t, 2).await, [ack(0), ack(1)], "delivered again after the restart");
    }
    two.broker.publish(&late, ack(1000)).await.unwrap();
    assert_eq!(sa.wait_on(&late, 1).await, [ack(1000)]);
    assert!(sb.on(&late).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_longer_than_a_lease_nodes_get_a_lease_to_renew() {
    logs();
    let mut server = block_in_place(RedisServer::start);
    let opts = options(&server.url(), Settings::default());
    let (one, two) = (ready_engine(&opts).await.unwrap(), ready_engine(&opts).await.unwrap());
    let (app, lease) = (app(), Duration::from_millis(800));
    let (a, b) = (node(), node());
    one.presence.heartbeat(a, lease).await.unwrap();
    two.presence.heartbeat(b, lease).await.unwrap();
    one.presence.claim(&app, "ua", session(a, 1)).await.unwrap();
    two.presence.claim(&app, "ub", session(b, 1)).await.unwrap();

    // A clean stop (the AOF has everything), down for longer than the lease.
    block_in_place(|| server.stop());
    tokio::time::sleep(lease + Duration::from_millis(400)).await;
    block_in_place(|| server.restart());
    recovered(&two).await;
    // Both leases lapsed inside Redis while both nodes lived: nobody reaps yet.
    assert_eq!(two.presence.reap().await.unwrap(), (vec![], vec![]), "reaped within the grace");
    recovered(&one).await;
    let renew_until = Instant::now() + lease + Duration::from_millis(400);
    while Instant::now() < renew_until {
        one.presence.heartbeat(a, lease).await.unwrap();
        two.presence.heartbeat(b, lease).await.unwrap();
        for e in [&one, &two] {
            let (nodes, _) = e.presence.reap().await.unwrap();
            assert!(!nodes.contains(&a) && !nodes.contains(&b), "a renewing node was reaped: {nodes:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let states = two.presence.states(&app, &["ua".into(), "ub".into()]).await.unwrap();
    assert_eq!(states, [rtm_protocol::PeerState::ONLINE; 2]);
    // The grace is over: a node that stops renewing is reaped as usual.
    let mut reaped = Vec::new();
    let deadline = Instant::now() + conformance::WAIT + lease;
    loop {
        two.presence.heartbeat(b, lease).await.unwrap();
        let (nodes, users) = two.presence.reap().await.unwrap();
        reaped.extend(users.into_iter().filter(|r| r.app == app).map(|r| r.uid));
        if nodes.contains(&a) {
            break;
        }
        assert!(Instant::now() < deadline, "the silent node was not reaped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reaped, ["ua"]);
}
