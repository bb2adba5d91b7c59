//! Online status over real sockets: queries, subscriptions, ONLINE /
//! UNREACHABLE / OFFLINE changes, limits.

mod common;
use common::*;
use rtm_protocol::{PeerState, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

fn peers(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

async fn next_state(c: &mut TestClient) -> (String, PeerState) {
    loop {
        if let Push::PeerState { uid, state } = c.next_push().await {
            return (uid, state);
        }
    }
}

#[tokio::test]
async fn query_answers_for_online_and_offline_peers() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "a").await;
    let _b = TestClient::login(&url, "app", "b").await;
    let _elsewhere = TestClient::login(&url, "other-app", "c").await;
    let r = a.request(Request::QueryOnline { peers: peers(&["b", "c", "a"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![true, false, true] }), "c is online in another app only");
    let code = |r: Result<Reply, rtm_protocol::ErrorReply>| r.unwrap_err().code;
    assert_eq!(code(a.request(Request::QueryOnline { peers: vec![] }).await), 2);
    assert_eq!(code(a.request(Request::QueryOnline { peers: peers(&["ok", "bad/id"]) }).await), 2);
    let many = (0..257).map(|i| format!("u{i}")).collect();
    assert_eq!(code(a.request(Request::QueryOnline { peers: many }).await), 2);
}

#[tokio::test]
async fn subscribers_follow_logins_drops_and_logouts() {
    let mut config = Config::for_tests();
    config.grace = Duration::from_millis(500);
    let url = start_server_with(config).await;
    let mut a = TestClient::login(&url, "app", "a").await;
    let _b = TestClient::login(&url, "app", "b").await;
    let r = a.request(Request::Subscribe { peers: peers(&["b", "c"]) }).await;
    assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::ONLINE, PeerState::OFFLINE] }));
    let mut c = TestClient::login(&url, "app", "c").await;
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::ONLINE));
    c.request(Request::Logout).await.unwrap();
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::OFFLINE));
    let c = TestClient::login(&url, "app", "c").await;
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::ONLINE));
    c.cut();
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::UNREACHABLE), "inside the grace period");
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::OFFLINE), "when it ends");
    // A remote login is not a change: still ONLINE.
    let _c1 = TestClient::login(&url, "app", "c").await;
    assert_eq!(next_state(&mut a).await, ("c".into(), PeerState::ONLINE));
    let _c2 = TestClient::login(&url, "app", "c").await;
    a.request(Request::Unsubscribe { peers: peers(&["c"]) }).await.unwrap();
    let _c3 = TestClient::login(&url, "app", "c").await;
    a.request(Request::Ping).await.unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(300), next_state(&mut a)).await;
    assert!(quiet.is_err(), "no change reported for a remote login or after unsubscribing: {quiet:?}");
}

#[tokio::test]
async fn subscription_limits_and_rates() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "a").await;
    let batch = |from: usize| (from..from + 256).map(|i| format!("u{i}")).collect::<Vec<_>>();
    assert!(a.request(Request::Subscribe { peers: batch(0) }).await.is_ok());
    assert!(a.request(Request::Subscribe { peers: batch(256) }).await.is_ok(), "512 in all is fine");
    let r = a.request(Request::Subscribe { peers: peers(&["one-more"]) }).await;
    assert_eq!(r.unwrap_err().code, 6, "the 513th");
    assert!(
        a.request(Request::Subscribe { peers: peers(&["u1"]) }).await.is_ok(),
        "already subscribed: no growth"
    );
    for _ in 0..7 {
        a.request(Request::Unsubscribe { peers: peers(&["u0"]) }).await.unwrap();
    }
    for _ in 0..3 {
        a.request(Request::Unsubscribe { peers: peers(&["u0"]) }).await.unwrap();
    }
    let r = a.request(Request::Unsubscribe { peers: peers(&["u0"]) }).await;
    assert_eq!(r.unwrap_err().code, 5, "the 11th unsubscribe in 5 s");
}
