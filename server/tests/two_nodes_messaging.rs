//! Peer messages across two nodes of one cluster (two `Server`s sharing one
//! embedded engine, no Redis), as users on real WebSockets see them.
//!
//! Proves that a peer message crosses nodes on the user's topic both ways,
//! that `hasPeerReceived` is the recipient's acknowledgement travelling back
//! to the sender's node (true when acknowledged, false for an offline user),
//! and that offline messages are engine state: stored while the recipient is
//! offline (or whose session ends before acknowledging) and delivered with
//! `offline: true` at the next login on the *other* node, once.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

fn send(peer: &str, t: &str, offline: bool) -> Request {
    Request::SendPeer { peer: peer.into(), payload: text(t), offline }
}

/// The next peer message: (delivery, from, text, offline).
async fn next_message(c: &mut TestClient) -> (u64, String, String, bool) {
    c.wait_for(10, "a peer message", |p| match p {
        Push::PeerMessage { delivery, from, payload: Payload::Text(t), offline, .. } => {
            Some((delivery, from, t, offline))
        }
        _ => None,
    })
    .await
}

#[tokio::test]
async fn peer_messages_cross_nodes_both_ways_and_are_acknowledged() {
    let urls = start_cluster(2).await;
    let mut alice = TestClient::login(&urls[0], "app", "alice").await;
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;

    // A → B: bob's SDK acknowledges, alice's promise resolves true.
    let id = alice.send_frame(send("bob", "hello from A", false)).await;
    let (delivery, from, got, offline) = next_message(&mut bob).await;
    assert_eq!((from.as_str(), got.as_str(), offline), ("alice", "hello from A", false));
    bob.send_frame(Request::PeerAck { delivery }).await;
    let reply = within(10, "alice's reply", alice.reply_to(id)).await;
    assert_eq!(reply, Ok(Reply::PeerSent { has_peer_received: true }));

    // B → A, raw bytes this time.
    let raw = Payload::Raw { data: (0..=255u8).collect::<Vec<_>>().into(), description: "bytes".into() };
    let id = bob
        .send_frame(Request::SendPeer { peer: "alice".into(), payload: raw.clone(), offline: false })
        .await;
    let (delivery, from, payload) = alice
        .wait_for(10, "bob's raw message", |p| match p {
            Push::PeerMessage { delivery, from, payload, .. } => Some((delivery, from, payload)),
            _ => None,
        })
        .await;
    assert_eq!((from.as_str(), &payload), ("bob", &raw));
    alice.send_frame(Request::PeerAck { delivery }).await;
    let reply = within(10, "bob's reply", bob.reply_to(id)).await;
    assert_eq!(reply, Ok(Reply::PeerSent { has_peer_received: true }));
}

#[tokio::test]
async fn an_offline_or_logged_out_peer_has_not_received() {
    let urls = start_cluster(2).await;
    let mut alice = TestClient::login(&urls[0], "app", "alice").await;
    let r = alice.request(send("nobody", "hi", false)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }), "never logged in anywhere");

    // Bob was online on the other node and logged out: offline cluster-wide.
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;
    assert_eq!(bob.request(Request::Logout).await, Ok(Reply::Done));
    assert_eq!(u16::from(bob.expect_close().await.code), 1000);
    let r = alice.request(send("bob", "hi", false)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }), "logged out on node B");

    // The same user in another app on node B is someone else.
    let _bob_elsewhere = TestClient::login(&urls[1], "other-app", "bob").await;
    let r = alice.request(send("bob", "hi", false)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }), "apps are namespaces across nodes");
}

#[tokio::test]
async fn offline_messages_stored_on_one_node_are_delivered_on_the_other_once() {
    let urls = start_cluster(2).await;
    let mut alice = TestClient::login(&urls[0], "app", "alice").await;
    for t in ["one", "two", "three"] {
        assert_eq!(
            alice.request(send("bob", t, true)).await,
            Ok(Reply::PeerSent { has_peer_received: false })
        );
    }
    let r = alice.request(send("bob", "not kept", false)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }));

    // Bob logs in on node B: the stored messages follow, marked offline, in order.
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;
    let mut got = Vec::new();
    while got.len() < 3 {
        let (delivery, from, t, offline) = next_message(&mut bob).await;
        assert!(offline, "{t:?} is marked offline");
        assert_eq!(from, "alice");
        bob.send_frame(Request::PeerAck { delivery }).await;
        got.push(t);
    }
    assert_eq!(got, ["one", "two", "three"]);
    bob.request(Request::Ping).await.unwrap();
    bob.request(Request::Logout).await.unwrap();

    // Acknowledged: not delivered again, on either node.
    for url in [&urls[0], &urls[1]] {
        let mut bob = TestClient::login(url, "app", "bob").await;
        bob.request(Request::Ping).await.unwrap();
        bob.expect_none(300, "delivered once", |p| matches!(p, Push::PeerMessage { .. })).await;
        bob.request(Request::Logout).await.unwrap();
    }
}

#[tokio::test]
async fn an_offline_message_not_acknowledged_before_logout_is_kept_for_the_next_login() {
    let urls = start_cluster(2).await;
    let mut alice = TestClient::login(&urls[0], "app", "alice").await;
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;
    // Bob's node pushes it, bob never acknowledges and logs out.
    let id = alice.send_frame(send("bob", "keep me", true)).await;
    let (_, from, t, offline) = next_message(&mut bob).await;
    assert_eq!((from.as_str(), t.as_str(), offline), ("alice", "keep me", false), "live, not stored yet");
    bob.request(Request::Logout).await.unwrap();
    let reply = within(15, "alice's reply", alice.reply_to(id)).await;
    assert_eq!(reply, Ok(Reply::PeerSent { has_peer_received: false }), "never acknowledged");
    // At bob's next login, on alice's node this time, it is there.
    let mut bob = TestClient::login(&urls[0], "app", "bob").await;
    let (delivery, from, t, offline) = next_message(&mut bob).await;
    assert_eq!((from.as_str(), t.as_str(), offline), ("alice", "keep me", true));
    bob.send_frame(Request::PeerAck { delivery }).await;
}

/// An offline message is stored before it is published: when the node that
/// pushed it stops before the recipient's SDK acknowledged it, nothing is
/// lost — the user gets it at its next login on the surviving node.
#[tokio::test]
async fn an_unacknowledged_offline_message_survives_the_recipients_node_stopping() {
    let mut config = rtm_server::config::Config::for_tests();
    config.lease = std::time::Duration::from_millis(1_500);
    let mut nodes = start_stoppable_cluster(vec![config.clone(), config]).await;
    let b = nodes.pop().unwrap();
    let a = nodes.pop().unwrap();
    let mut bob = TestClient::login(&a.url, "app", "bob").await;
    let mut alice = TestClient::login(&b.url, "app", "alice").await;
    let id = alice.send_frame(send("bob", "keep me", true)).await;
    let (_delivery, _, got, _) = next_message(&mut bob).await;
    assert_eq!(got, "keep me", "pushed live to bob on node A, which never acknowledges it");
    a.stop().await;
    drop(bob);
    let reply = within(10, "alice's reply", alice.reply_to(id)).await;
    assert_eq!(reply, Ok(Reply::PeerSent { has_peer_received: false }), "no acknowledgement came");
    // Node A's lease lapses and node B reaps bob (perhaps already); then bob logs in on B.
    let offline = rtm_protocol::PeerState::OFFLINE;
    let states = alice.request(Request::Subscribe { peers: vec!["bob".into()] }).await;
    if states != Ok(Reply::PeerStates { states: vec![offline] }) {
        let reaped = |p: Push| matches!(p, Push::PeerState { state, .. } if state == offline).then_some(());
        alice.wait_for(10, "bob reaped", reaped).await;
    }
    let mut bob = TestClient::login(&b.url, "app", "bob").await;
    let (_, from, got, offline) = next_message(&mut bob).await;
    assert_eq!((from.as_str(), got.as_str(), offline), ("alice", "keep me", true));
}
