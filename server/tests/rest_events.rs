//! The REST event queries over real HTTP: users log in and out and join and
//! leave channels with a protocol client (as an SDK does); `user_events` and
//! `channel_events` return those events in Agora's shape, in order, each
//! once. A resume is no new login; a session that is not back within the
//! grace period logs out and leaves its channels; a node that dies is reaped
//! and its users' Leave and Logout show on the other node.

mod common;
mod rest_http;
use common::*;
use rest_http::*;
use rtm_protocol::{Reply, Request};
use rtm_server::clock::now_ms;
use rtm_server::config::Config;
use serde_json::Value;
use std::time::Duration;

/// The app's certificate where tokens are checked.
const CERT: &str = "0123456789abcdef0123456789abcdef";

fn as_app() -> [(&'static str, String); 1] {
    [("authorization", basic(KEY, SECRET))]
}

async fn user_events(base: &str) -> Vec<Value> {
    let auth = basic(KEY, SECRET);
    get_events(base, APP, "user_events", &[("authorization", &auth)]).await
}

async fn channel_events(base: &str) -> Vec<Value> {
    let auth = basic(KEY, SECRET);
    get_events(base, APP, "channel_events", &[("authorization", &auth)]).await
}

fn summaries(events: &[Value]) -> Vec<String> {
    events.iter().map(event_summary).collect()
}

fn join(channel: &str) -> Request {
    Request::Join { channel: channel.into() }
}

/// Times are ms since the epoch within the test, and never go back.
fn assert_times(events: &[Value], since: u64) {
    let times: Vec<u64> = events.iter().map(|e| e["ms"].as_u64().expect("ms")).collect();
    assert!(times.iter().all(|t| (since..=now_ms()).contains(t)), "{times:?} since {since}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order: {times:?}");
}

#[tokio::test]
async fn logins_logouts_joins_and_leaves_are_returned_in_order_once() {
    let mut config = rest_config();
    config.grace = Duration::from_millis(800);
    let url = start_server_with(config).await;
    let base = http_base(&url);
    let since = now_ms();
    assert!(user_events(&base).await.is_empty(), "nothing happened yet");

    let (mut alice, _) = TestClient::login_with(&url, APP, "alice", None).await;
    let (mut bob, bob_resume) = TestClient::login_with(&url, APP, "bob", None).await;
    assert_eq!(alice.request(join("room")).await, Ok(Reply::Done));
    assert_eq!(bob.request(join("room")).await, Ok(Reply::Done));
    assert_eq!(bob.request(join("hall")).await, Ok(Reply::Done));
    assert_eq!(alice.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(alice.request(Request::Logout).await, Ok(Reply::Done));

    // bob's link drops and he resumes in time: no Logout, no second Login.
    bob.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut bob = TestClient::connect(&url).await;
    let resume = Request::Resume {
        app_id: APP.into(),
        uid: "bob".into(),
        token: None,
        resume: bob_resume,
        last_seq: 0,
    };
    assert!(matches!(bob.request(resume).await, Ok(Reply::Resumed { .. })));

    let users = user_events(&base).await;
    assert_eq!(summaries(&users), ["Login:alice", "Login:bob", "Logout:alice"]);
    assert_times(&users, since);
    let channels = channel_events(&base).await;
    assert_eq!(
        summaries(&channels),
        ["Join:room:alice", "Join:room:bob", "Join:hall:bob", "Leave:room:alice"]
    );
    assert_times(&channels, since);
    assert_eq!(users[0].as_object().unwrap().len(), 3, "user_id, type, ms: {:?}", users[0]);
    assert_eq!(channels[0].as_object().unwrap().len(), 4, "group_id, user_id, type, ms: {:?}", channels[0]);
    assert!(user_events(&base).await.is_empty(), "a second query does not return them again");
    assert!(channel_events(&base).await.is_empty());

    // bob drops again and stays away past the grace period: he leaves his
    // channels, then logs out.
    bob.cut();
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    // (A session leaves its channels in no particular order.)
    let mut leaves = summaries(&channel_events(&base).await);
    leaves.sort();
    assert_eq!(leaves, ["Leave:hall:bob", "Leave:room:bob"]);
    assert_eq!(summaries(&user_events(&base).await), ["Logout:bob"]);
}

#[tokio::test]
async fn a_newer_login_of_the_same_user_is_no_logout() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut first = TestClient::login(&url, APP, "carol").await;
    assert_eq!(first.request(join("room")).await, Ok(Reply::Done));
    let _second = TestClient::login(&url, APP, "carol").await;
    within(5, "the old session's close", first.expect_close()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // carol stayed online: two Logins, no Logout; the replaced session's
    // channel membership ended with it.
    assert_eq!(summaries(&user_events(&base).await), ["Login:carol", "Login:carol"]);
    assert_eq!(summaries(&channel_events(&base).await), ["Join:room:carol", "Leave:room:carol"]);
}

#[tokio::test]
async fn credentials_are_checked_and_the_rate_is_ten_per_second() {
    let mut config = rest_config();
    config.development = false;
    config.apps.insert(APP.into(), Some(CERT.into()));
    let url = start_server_with(config).await;
    let base = http_base(&url);
    for which in ["user_events", "channel_events"] {
        let target = events_url(&base, APP, which);
        assert_failed(&call("GET", &target, &[], "").await, 401, "unauthorized");
        let wrong = basic(KEY, "wrong");
        assert_failed(&call("GET", &target, &[("authorization", &wrong)], "").await, 401, "unauthorized");
        let forged = [("x-agora-token", "007forged"), ("x-agora-uid", "server")];
        assert_failed(&call("GET", &target, &forged, "").await, 401, "unauthorized");
        let other_app = events_url(&base, "otherapp", which);
        let auth = basic(KEY, SECRET);
        assert_failed(&call("GET", &other_app, &[("authorization", &auth)], "").await, 401, "unauthorized");
    }
    // A valid token of any user of the app reads the app's events.
    let token = rtm_server::token::build_007(APP, CERT, "server", 600, (now_ms() / 1000) as u32, 1);
    let with_token = [("x-agora-token", token.as_str()), ("x-agora-uid", "server")];
    get_events(&base, APP, "user_events", &with_token).await;
    get_events(&base, APP, "channel_events", &with_token).await;
    // Refused calls did not count, these two did; ten in a second pass, the eleventh does not.
    let [(name, auth)] = as_app();
    for i in 0..8 {
        let which = if i % 2 == 0 { "user_events" } else { "channel_events" };
        get_events(&base, APP, which, &[(name, &auth)]).await;
    }
    let refused = call("GET", &events_url(&base, APP, "user_events"), &[(name, &auth)], "").await;
    assert_failed(&refused, 429, "too_many_requests");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    get_events(&base, APP, "user_events", &[(name, &auth)]).await;
}

/// Two nodes with a short lease, so that a stopped node is reaped quickly.
fn cluster_config() -> Config {
    let mut config = rest_config();
    config.lease = Duration::from_millis(1_500);
    config.grace = Duration::from_secs(120);
    config
}

/// Queries `which` on `base` (within the rate) until the events seen add up
/// to `want` entries; returns their summaries.
async fn collect(base: &str, which: &str, want: usize) -> Vec<String> {
    let auth = basic(KEY, SECRET);
    let mut seen = Vec::new();
    within(15, "the expected events", async {
        while seen.len() < want {
            seen.extend(summaries(&get_events(base, APP, which, &[("authorization", &auth)]).await));
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
    .await;
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_every_node_are_read_from_any_and_a_dead_nodes_users_leave_and_log_out() {
    let mut nodes = start_stoppable_cluster(vec![cluster_config(), cluster_config()]).await;
    let base_1 = http_base(&nodes[0].url);
    let mut dave = TestClient::login(&nodes[1].url, APP, "dave").await;
    assert_eq!(dave.request(join("room")).await, Ok(Reply::Done));
    let mut erin = TestClient::login(&nodes[0].url, APP, "erin").await;
    assert_eq!(erin.request(join("room")).await, Ok(Reply::Done));
    assert_eq!(summaries(&user_events(&base_1).await), ["Login:dave", "Login:erin"]);
    assert_eq!(summaries(&channel_events(&base_1).await), ["Join:room:dave", "Join:room:erin"]);

    // Node 2 stops; its lease lapses and node 1 reaps dave.
    let node_2 = nodes.remove(1);
    let stopping = tokio::spawn(node_2.stop());
    within(10, "the close frame", dave.expect_close()).await;
    drop(dave);
    within(10, "node 2 to stop", stopping).await.unwrap();
    assert_eq!(collect(&base_1, "channel_events", 1).await, ["Leave:room:dave"]);
    assert_eq!(collect(&base_1, "user_events", 1).await, ["Logout:dave"]);
    // Nothing about erin, who is still there.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(user_events(&base_1).await.is_empty());
}
