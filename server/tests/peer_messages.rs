//! Login, peer messages and sessions over a real socket.

mod common;
use common::*;
use rtm_protocol::{ConnectionChangeReason, Payload, Push, Reply, Request};

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

async fn ack_next_message(c: &mut TestClient) -> (String, Payload) {
    match c.next_push().await {
        Push::PeerMessage { delivery, from, payload, .. } => {
            c.send_frame(Request::PeerAck { delivery }).await;
            (from, payload)
        }
        other => panic!("expected a peer message, got {other:?}"),
    }
}

#[tokio::test]
async fn peer_message_is_delivered_and_acknowledged() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    let mut b = TestClient::login(&url, "app", "bob").await;
    let raw = Payload::Raw { data: (0..=255u8).collect::<Vec<_>>().into(), description: "bytes".into() };
    let id =
        a.send_frame(Request::SendPeer { peer: "bob".into(), payload: raw.clone(), offline: false }).await;
    let (from, got) = ack_next_message(&mut b).await;
    assert_eq!((from.as_str(), &got), ("alice", &raw));
    assert_eq!(a.reply_to(id).await, Ok(Reply::PeerSent { has_peer_received: true }));
}

#[tokio::test]
async fn unacknowledged_or_offline_is_not_received() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    let r = a.request(Request::SendPeer { peer: "nobody".into(), payload: text("hi"), offline: false }).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }));
}

#[tokio::test]
async fn apps_are_namespaces() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app-one", "alice").await;
    let _bob_elsewhere = TestClient::login(&url, "app-two", "bob").await;
    let r = a.request(Request::SendPeer { peer: "bob".into(), payload: text("hi"), offline: false }).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }));
}

#[tokio::test]
async fn second_login_of_a_uid_kicks_the_first() {
    let url = start_server().await;
    let mut first = TestClient::login(&url, "app", "alice").await;
    let mut a2 = TestClient::login(&url, "app", "alice").await;
    assert_eq!(first.next_push().await, Push::Kicked { reason: ConnectionChangeReason::REMOTE_LOGIN });
    let close = first.expect_close().await;
    assert_eq!(u16::from(close.code), 4001);
    // The new session is the user now.
    let mut bob = TestClient::login(&url, "app", "bob").await;
    let id =
        bob.send_frame(Request::SendPeer { peer: "alice".into(), payload: text("hi"), offline: false }).await;
    ack_next_message(&mut a2).await;
    assert_eq!(bob.reply_to(id).await, Ok(Reply::PeerSent { has_peer_received: true }));
}

#[tokio::test]
async fn bad_input_gets_agora_codes() {
    let url = start_server().await;
    let mut c = TestClient::connect(&url).await;
    let send = |peer: &str, payload| Request::SendPeer { peer: peer.into(), payload, offline: false };
    assert_eq!(c.request(send("bob", text("x"))).await.unwrap_err().code, 102, "send before login");
    assert_eq!(c.request(Request::Logout).await.unwrap_err().code, 102, "logout before login");
    for uid in ["", "null", &"u".repeat(65), "bad/char"] {
        let r = c.request(Request::Login { app_id: "app".into(), uid: uid.into(), token: None }).await;
        assert_eq!(r.unwrap_err().code, 3, "uid {uid:?}");
    }
    let r = c.request(Request::Login { app_id: "has space".into(), uid: "u".into(), token: None }).await;
    assert_eq!(r.unwrap_err().code, 4, "invalid app id");
    let mut a = TestClient::login(&url, "app", "alice").await;
    let r = a.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert_eq!(r.unwrap_err().code, 8, "already logged in");
    assert_eq!(a.request(send("null", text("x"))).await.unwrap_err().code, 6);
    let big = text(&"x".repeat(32 * 1024 + 1));
    assert_eq!(a.request(send("bob", big)).await.unwrap_err().code, 7);
    let exact = text(&"x".repeat(32 * 1024));
    assert!(a.request(send("bob", exact)).await.is_ok(), "exactly 32 KB is allowed");
}

#[tokio::test]
async fn the_181st_send_in_3_seconds_is_too_often() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    // One message is already counted by nothing; send 180 to an offline peer.
    for i in 0..180 {
        let r = a.request(Request::SendPeer { peer: "bob".into(), payload: text("x"), offline: false }).await;
        assert!(r.is_ok(), "send {i}: {r:?}");
    }
    let r = a.request(Request::SendPeer { peer: "bob".into(), payload: text("x"), offline: false }).await;
    assert_eq!(r.unwrap_err().code, 5);
}

#[tokio::test]
async fn logout_replies_then_closes_normally() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    assert_eq!(a.request(Request::Logout).await, Ok(Reply::Done));
    assert_eq!(u16::from(a.expect_close().await.code), 1000);
    let mut b = TestClient::login(&url, "app", "bob").await;
    let r = b.request(Request::SendPeer { peer: "alice".into(), payload: text("x"), offline: false }).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }), "alice is offline after logout");
}
