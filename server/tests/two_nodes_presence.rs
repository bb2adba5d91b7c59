//! Online status and user attributes across two nodes of one cluster (two
//! `Server`s sharing one embedded engine, no Redis), as users on real
//! WebSockets see them.
//!
//! Proves that presence is engine state and its changes travel on the user's
//! presence topic: a query on node A answers for users on node B, and a
//! subscriber on A follows a user on B through ONLINE, UNREACHABLE (B's
//! connection cut without a close), ONLINE again on resume, and OFFLINE on
//! logout, and again on the grace period's end. User attributes set on one
//! node are read on the other, and go when their user goes offline.

mod common;
use common::*;
use rtm_protocol::{AttrOp, PeerState, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

fn peers(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The next status change a subscriber is told.
async fn next_state(c: &mut TestClient) -> (String, PeerState) {
    c.wait_for(10, "a PeerState push", |p| match p {
        Push::PeerState { uid, state } => Some((uid, state)),
        _ => None,
    })
    .await
}

fn resume(uid: &str, secret: &str, last_seq: u64) -> Request {
    Request::Resume { app_id: "app".into(), uid: uid.into(), token: None, resume: secret.into(), last_seq }
}

#[tokio::test]
async fn queries_on_one_node_answer_for_users_on_the_other() {
    let urls = start_cluster(2).await;
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    let _b = TestClient::login(&urls[1], "app", "b").await;
    let _elsewhere = TestClient::login(&urls[1], "other-app", "c").await;
    let r = a.request(Request::QueryOnline { peers: peers(&["b", "c", "a"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![true, false, true] }), "c is online in another app only");
    let mut b2 = TestClient::login(&urls[1], "app", "b2").await;
    let r = b2.request(Request::QueryOnline { peers: peers(&["a", "b", "nobody"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![true, true, false] }), "asked on node B");
}

#[tokio::test]
async fn a_subscriber_follows_a_user_on_the_other_node() {
    let urls = start_cluster(2).await;
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    let r = a.request(Request::Subscribe { peers: peers(&["b"]) }).await;
    assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::OFFLINE] }));

    // b logs in on node B.
    let (b, secret) = TestClient::login_with(&urls[1], "app", "b", None).await;
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::ONLINE));

    // b's network fails: the session waits on node B for its client.
    b.cut();
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::UNREACHABLE));
    let r = a.request(Request::QueryOnline { peers: peers(&["b"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![false] }), "UNREACHABLE is not ONLINE");

    // b's client comes back to node B and resumes.
    let mut b = TestClient::connect(&urls[1]).await;
    assert!(matches!(b.request(resume("b", &secret, 0)).await, Ok(Reply::Resumed { .. })));
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::ONLINE));

    // b logs out.
    assert_eq!(b.request(Request::Logout).await, Ok(Reply::Done));
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::OFFLINE));

    // Unsubscribed: nothing more is told.
    a.request(Request::Unsubscribe { peers: peers(&["b"]) }).await.unwrap();
    let _b = TestClient::login(&urls[1], "app", "b").await;
    a.request(Request::Ping).await.unwrap();
    a.expect_none(300, "a change after unsubscribing", |p| matches!(p, Push::PeerState { .. })).await;
}

#[tokio::test]
async fn the_grace_period_on_the_other_node_ends_in_offline() {
    let mut config = Config::for_tests();
    config.grace = Duration::from_millis(500);
    let urls = start_cluster_with(vec![config.clone(), config]).await;
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    let b = TestClient::login(&urls[1], "app", "b").await;
    let r = a.request(Request::Subscribe { peers: peers(&["b"]) }).await;
    assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::ONLINE] }));
    b.cut();
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::UNREACHABLE), "inside the grace period");
    assert_eq!(next_state(&mut a).await, ("b".into(), PeerState::OFFLINE), "when it ends");
}

#[tokio::test]
async fn subscribers_on_both_nodes_hear_the_same_change() {
    let urls = start_cluster(2).await;
    let mut on_a = TestClient::login(&urls[0], "app", "watcher-a").await;
    let mut on_b = TestClient::login(&urls[1], "app", "watcher-b").await;
    for w in [&mut on_a, &mut on_b] {
        let r = w.request(Request::Subscribe { peers: peers(&["x"]) }).await;
        assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::OFFLINE] }));
    }
    let mut x = TestClient::login(&urls[0], "app", "x").await;
    for w in [&mut on_a, &mut on_b] {
        assert_eq!(next_state(w).await, ("x".into(), PeerState::ONLINE));
    }
    x.request(Request::Logout).await.unwrap();
    for w in [&mut on_a, &mut on_b] {
        assert_eq!(next_state(w).await, ("x".into(), PeerState::OFFLINE));
    }
}

#[tokio::test]
async fn user_attributes_set_on_one_node_are_read_on_the_other() {
    let urls = start_cluster(2).await;
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    let mut b = TestClient::login(&urls[1], "app", "b").await;
    let set = AttrOp::Set(vec![("mood".into(), "happy".into()), ("city".into(), "Paris".into())]);
    assert_eq!(b.request(Request::UserAttrs { op: set }).await, Ok(Reply::Done));
    let read = |keys: Option<Vec<String>>| Request::GetUserAttrs { uid: "b".into(), keys };
    let Ok(Reply::UserAttrs { attrs: mut all }) = a.request(read(None)).await else { panic!("read on A") };
    all.sort();
    assert_eq!(all, [("city".to_string(), "Paris".to_string()), ("mood".to_string(), "happy".to_string())]);
    let r = a.request(read(Some(vec!["mood".into()]))).await;
    assert_eq!(r, Ok(Reply::UserAttrs { attrs: vec![("mood".into(), "happy".into())] }), "by key");

    // A change on B is what A reads next.
    let upsert = AttrOp::Upsert(vec![("mood".into(), "busy".into())]);
    assert_eq!(b.request(Request::UserAttrs { op: upsert }).await, Ok(Reply::Done));
    let r = a.request(read(Some(vec!["mood".into()]))).await;
    assert_eq!(r, Ok(Reply::UserAttrs { attrs: vec![("mood".into(), "busy".into())] }));

    // b goes offline on node B: its attributes go, for node A too.
    b.request(Request::Logout).await.unwrap();
    // b is offline on node B: node A answers USER_NOT_FOUND, as Agora does.
    let r = a.request(read(None)).await;
    assert_eq!(r.map_err(|e| e.code), Err(6), "USER_NOT_FOUND once b went offline");
}
