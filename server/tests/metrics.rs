//! What an operator's Prometheus sees at `/metrics`, over real HTTP, after
//! real clients logged in, sent messages and left; and `/readyz` when the
//! embedded store cannot be written.
//!
//! Counters and histograms are per process (docs/operations.md): the tests
//! of this file take turns ([`SERIAL`]) and compare scrapes before and after,
//! so each sees exactly what it did. Gauges are per server.

mod common;
mod redis_server;
mod rest_http;
use common::*;
use prometheus_parse::{Sample, Scrape, Value};
use rtm_protocol::{Payload, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

/// The tests of this file change process-wide counters: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `/metrics`, parsed.
struct Metrics(Vec<Sample>);

async fn scrape(url: &str) -> Metrics {
    let (status, head, body) = http_get(url, "/metrics").await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4"), "{head}");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    Metrics(Scrape::parse(lines).expect("Prometheus text format").samples)
}

impl Metrics {
    fn find(&self, name: &str, label: Option<(&str, &str)>) -> Option<&Sample> {
        self.0.iter().find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
    }

    /// A counter or gauge's value; 0 when the series does not exist yet.
    fn value(&self, name: &str, label: Option<(&str, &str)>) -> f64 {
        match self.find(name, label).map(|s| &s.value) {
            Some(Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v)) => *v,
            Some(other) => panic!("{name} is not a single value: {other:?}"),
            None => 0.0,
        }
    }

    /// How many requests of `op` the duration histogram counted (its +Inf
    /// bucket), and how many buckets it has.
    fn requests(&self, op: &str) -> (f64, usize) {
        match self.find("rtm_request_duration_seconds", Some(("op", op))).map(|s| &s.value) {
            Some(Value::Histogram(buckets)) => {
                let inf = buckets.iter().find(|b| b.less_than.is_infinite()).expect("a +Inf bucket");
                (inf.count, buckets.len())
            }
            Some(other) => panic!("the duration of {op} is not a histogram: {other:?}"),
            None => (0.0, 0),
        }
    }
}

/// How much each counter moved between two scrapes.
fn delta(before: &Metrics, after: &Metrics, name: &str, label: Option<(&str, &str)>) -> f64 {
    after.value(name, label) - before.value(name, label)
}

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

const LOCKED_APP: &str = "locked-app";

#[tokio::test]
async fn counters_histograms_and_gauges_follow_what_clients_do() {
    let _turn = SERIAL.lock().await;
    let mut config = Config::for_tests();
    // An app with a certificate: a login without a token is refused.
    config.apps.insert(LOCKED_APP.into(), Some("0123456789abcdef0123456789abcdef".into()));
    let url = start_server_with(config).await;
    let before = scrape(&url).await;
    assert_eq!(before.value("rtm_connections", None), 0.0, "a new server has no connection");
    assert_eq!(before.value("rtm_sessions", None), 0.0);
    assert_eq!(before.value("rtm_offline_messages_stored", None), 0.0);
    assert!(before.find("rtm_offline_messages_stored", None).is_some(), "the embedded store is counted");

    let mut alice = TestClient::login(&url, "app", "alice").await;
    let mut bob = TestClient::login(&url, "app", "bob").await;
    let mut refused = TestClient::connect(&url).await;
    let r =
        refused.request(Request::Login { app_id: LOCKED_APP.into(), uid: "eve".into(), token: None }).await;
    assert!(r.is_err(), "a login without a token to an app with a certificate is refused: {r:?}");

    // A peer message, acknowledged by its receiver.
    let id =
        alice.send_frame(Request::SendPeer { peer: "bob".into(), payload: text("hi"), offline: false }).await;
    match bob.next_push().await {
        Push::PeerMessage { delivery, .. } => bob.send_frame(Request::PeerAck { delivery }).await,
        other => panic!("expected a peer message, got {other:?}"),
    };
    assert_eq!(alice.reply_to(id).await, Ok(Reply::PeerSent { has_peer_received: true }));

    // A channel: alice joins, then bob (alice hears it), then alice sends.
    assert_eq!(alice.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(bob.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    let joined = alice.next_event().await;
    assert!(matches!(joined, Push::MemberJoined { ref uid, .. } if uid == "bob"), "{joined:?}");
    let r = alice.request(Request::SendChannel { channel: "room".into(), payload: text("all") }).await;
    assert_eq!(r, Ok(Reply::Done));
    let got = bob.next_event().await;
    assert!(matches!(got, Push::ChannelMessage { ref from, .. } if from == "alice"), "{got:?}");

    // A message stored for a user who is offline.
    let r = alice
        .request(Request::SendPeer { peer: "carol".into(), payload: text("later"), offline: true })
        .await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }));

    let during = scrape(&url).await;
    let moved = |name: &str, label: Option<(&str, &str)>| delta(&before, &during, name, label);
    assert_eq!(moved("rtm_logins_total", Some(("result", "ok"))), 2.0);
    assert_eq!(moved("rtm_logins_total", Some(("result", "refused"))), 1.0);
    assert_eq!(moved("rtm_logins_total", Some(("result", "error"))), 0.0);
    assert_eq!(moved("rtm_messages_in_total", Some(("kind", "peer"))), 2.0, "to bob and to carol");
    assert_eq!(moved("rtm_messages_in_total", Some(("kind", "channel"))), 1.0);
    assert_eq!(moved("rtm_messages_out_total", Some(("kind", "peer"))), 1.0, "carol is not here yet");
    assert_eq!(moved("rtm_messages_out_total", Some(("kind", "channel"))), 1.0, "bob; never the sender");
    assert_eq!(
        moved("rtm_fanout_deliveries_total", None),
        2.0,
        "bob's MemberJoined to alice, the message to bob"
    );
    assert_eq!(moved("rtm_queue_drops_total", None), 0.0);
    assert_eq!(moved("rtm_slow_consumer_closes_total", None), 0.0);
    assert_eq!(moved("rtm_engine_errors_total", None), 0.0);
    assert_eq!(moved("rtm_redis_reconnects_total", None), 0.0);
    // Gauges of this server: three sockets, two sessions, one stored message.
    assert_eq!(during.value("rtm_connections", None), 3.0);
    assert_eq!(during.value("rtm_sessions", None), 2.0);
    assert_eq!(during.value("rtm_offline_messages_stored", None), 1.0);
    // Latency: one histogram per operation used, with every bucket.
    for (op, count) in [("login", 3.0), ("send_peer", 2.0), ("join", 2.0), ("send_channel", 1.0)] {
        let (after, buckets) = during.requests(op);
        assert_eq!(after - before.requests(op).0, count, "requests of {op}");
        assert_eq!(buckets, 15, "14 bounds and +Inf for {op}");
    }

    // carol logs in: her stored message is delivered, then deleted on her ack.
    let mut carol = TestClient::login(&url, "app", "carol").await;
    match carol.next_push().await {
        Push::PeerMessage { delivery, offline: true, .. } => {
            carol.send_frame(Request::PeerAck { delivery }).await
        }
        other => panic!("expected the stored message, got {other:?}"),
    };
    // Everybody leaves: logged out, or the socket just closed.
    for client in [&mut alice, &mut bob, &mut carol] {
        assert_eq!(client.request(Request::Logout).await, Ok(Reply::Done));
    }
    drop(refused);
    let after = within(10, "the gauges back to zero", async {
        loop {
            let now = scrape(&url).await;
            if now.value("rtm_connections", None) == 0.0
                && now.value("rtm_sessions", None) == 0.0
                && now.value("rtm_offline_messages_stored", None) == 0.0
            {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert_eq!(delta(&during, &after, "rtm_messages_out_total", Some(("kind", "peer"))), 1.0, "carol's");
    assert_eq!(delta(&during, &after, "rtm_logins_total", Some(("result", "ok"))), 1.0);
}

/// What an app server does through the REST API is counted as its own kind
/// of message, and each call is timed under its own operation.
#[tokio::test]
async fn rest_calls_are_counted_and_timed() {
    use rest_http::*;
    let _turn = SERIAL.lock().await;
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let before = scrape(&url).await;
    let peer = post(&peer_url(&base, APP, "server"), r#"{"destination":"bob","payload":"hi"}"#).await;
    assert_success(&peer, "message_sent");
    bob.wait_for(5, "the REST message", |p| matches!(p, Push::PeerMessage { .. }).then_some(())).await;
    let channel = post(&channel_url(&base, APP, "server"), r#"{"channel_name":"room","payload":"hi"}"#).await;
    assert_success(&channel, "message_sent");
    let refused =
        call("POST", &peer_url(&base, APP, "server"), &[], r#"{"destination":"bob","payload":"x"}"#).await;
    assert_eq!(refused.status, 401);
    let after = scrape(&url).await;
    assert_eq!(delta(&before, &after, "rtm_messages_in_total", Some(("kind", "rest_peer"))), 1.0);
    assert_eq!(delta(&before, &after, "rtm_messages_in_total", Some(("kind", "rest_channel"))), 1.0);
    assert_eq!(delta(&before, &after, "rtm_messages_in_total", Some(("kind", "peer"))), 0.0);
    assert_eq!(delta(&before, &after, "rtm_messages_out_total", Some(("kind", "peer"))), 1.0, "bob's");
    // Every answer is timed, the refused one too.
    for (op, count) in [("rest_peer_messages", 2.0), ("rest_channel_messages", 1.0)] {
        let (n, buckets) = after.requests(op);
        assert_eq!(n - before.requests(op).0, count, "requests of {op}");
        assert_eq!(buckets, 15, "14 bounds and +Inf for {op}");
    }
}

#[tokio::test]
async fn metrics_need_no_credentials_and_other_paths_are_unchanged() {
    let _turn = SERIAL.lock().await;
    let url = start_server().await;
    let (status, _, body) = http_get(&url, "/metrics").await;
    assert_eq!(status, 200);
    for name in [
        "rtm_connections",
        "rtm_sessions",
        "rtm_logins_total",
        "rtm_messages_in_total",
        "rtm_messages_out_total",
        "rtm_fanout_deliveries_total",
        "rtm_queue_drops_total",
        "rtm_slow_consumer_closes_total",
        "rtm_request_duration_seconds",
        "rtm_offline_messages_stored",
        "rtm_engine_errors_total",
        "rtm_redis_reconnects_total",
    ] {
        assert!(body.contains(&format!("# TYPE {name} ")), "{name} is described:\n{body}");
    }
    assert_eq!(http_get(&url, "/healthz").await.2, "ok");
}

/// The store answers `/readyz` only when it can be written: another process
/// holding the SQLite file's write lock (a stuck backup, a tool left open)
/// makes the node not ready until the lock is released.
#[tokio::test]
async fn readyz_checks_that_the_store_can_be_written() {
    let _turn = SERIAL.lock().await;
    let dir = std::env::temp_dir().join(format!("rtm-readyz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::for_tests();
    config.data_dir = Some(dir.clone());
    let url = start_server_with(config).await;
    assert_eq!(http_get(&url, "/readyz").await.0, 200);
    let before = scrape(&url).await;

    let other = rusqlite::Connection::open(dir.join(rtm_server::store::FILE_NAME)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (status, _, body) = http_get(&url, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("store"), "the answer names the store: {body}");
    assert_eq!(http_get(&url, "/healthz").await.0, 200, "still alive");
    let errors = delta(&before, &scrape(&url).await, "rtm_engine_errors_total", None);
    assert!(errors >= 1.0, "the failed write is an engine error ({errors})");

    other.execute_batch("ROLLBACK").unwrap();
    within(15, "ready again", async {
        while http_get(&url, "/readyz").await.0 != 200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    drop(other);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that stops reading while a channel floods it is cut off as a
/// slow consumer: one close, and the frames its queue refused are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_counted_once_with_its_drops() {
    let _turn = SERIAL.lock().await;
    let mut config = Config::for_tests();
    config.limits.queue_bytes = 4 * 30_000;
    let url = start_server_with(config).await;
    let before = scrape(&url).await;
    let mut alice = TestClient::connect_narrow(&url).await;
    let r = alice.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "{r:?}");
    alice.request(Request::Join { channel: "room".into() }).await.unwrap();
    let mut bob = TestClient::login(&url, "app", "bob").await;
    bob.request(Request::Join { channel: "room".into() }).await.unwrap();
    // Alice reads nothing from here on.
    let big = Payload::Text("x".repeat(30_000));
    for _ in 0..170 {
        let r = bob.request(Request::SendChannel { channel: "room".into(), payload: big.clone() }).await;
        assert_eq!(r, Ok(Reply::Done));
    }
    let after = within(15, "the slow consumer's close", async {
        loop {
            let now = scrape(&url).await;
            if delta(&before, &now, "rtm_slow_consumer_closes_total", None) >= 1.0 {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(
        delta(&before, &after, "rtm_slow_consumer_closes_total", None),
        1.0,
        "one connection, closed once"
    );
    assert!(delta(&before, &after, "rtm_queue_drops_total", None) >= 1.0, "the refused frame is a drop");
    let code = within(15, "alice's close frame", alice.expect_close()).await.code;
    assert_eq!(u16::from(code), 4008);
}

/// Cluster mode: a Redis restart is counted as one reconnect once the node is
/// ready again, and the offline gauge is left out (Redis does not count it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_is_counted_as_a_reconnect() {
    let _turn = SERIAL.lock().await;
    let mut redis = tokio::task::block_in_place(redis_server::RedisServer::start);
    let mut config = Config::for_tests();
    config.redis_url = Some(redis.url());
    let url = start_server_with(config).await;
    let ready = |url: String| async move {
        within(30, "the node ready", async {
            while http_get(&url, "/readyz").await.0 != 200 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await
    };
    ready(url.clone()).await;
    let before = scrape(&url).await;
    assert!(before.find("rtm_offline_messages_stored", None).is_none(), "not counted on Redis");

    tokio::task::block_in_place(|| redis.restart());
    let after = within(30, "the reconnect counted", async {
        loop {
            let now = scrape(&url).await;
            if delta(&before, &now, "rtm_redis_reconnects_total", None) >= 1.0 {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert_eq!(delta(&before, &after, "rtm_redis_reconnects_total", None), 1.0, "one outage, one reconnect");
    ready(url.clone()).await;
    // And it serves: a login goes through the engine.
    TestClient::login(&url, "app", "after-restart").await;
}
