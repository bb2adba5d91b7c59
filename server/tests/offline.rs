//! Offline messages: stored for an offline peer, delivered at its next login
//! with `offline: true`, in order, once — across a server restart too.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use rtm_server::config::Config;

fn send(peer: &str, text: &str, offline: bool) -> Request {
    Request::SendPeer { peer: peer.into(), payload: Payload::Text(text.into()), offline }
}

async fn stored_texts(c: &mut TestClient, n: usize, ack: bool) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < n {
        if let Push::PeerMessage { payload: Payload::Text(t), offline, delivery, from, .. } =
            c.next_push().await
        {
            assert!(offline, "marked as offline");
            assert_eq!(from, "alice");
            if ack {
                c.send_frame(Request::PeerAck { delivery }).await;
            }
            got.push(t);
        }
    }
    got
}

#[tokio::test]
async fn stored_at_send_delivered_at_login_once() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    for t in ["one", "two", "three"] {
        assert_eq!(a.request(send("bob", t, true)).await, Ok(Reply::PeerSent { has_peer_received: false }));
    }
    assert_eq!(
        a.request(send("bob", "not kept", false)).await,
        Ok(Reply::PeerSent { has_peer_received: false })
    );
    // Bob logs in but drops the link before acknowledging: nothing is lost.
    let mut b = TestClient::login(&url, "app", "bob").await;
    assert_eq!(stored_texts(&mut b, 3, false).await, ["one", "two", "three"]);
    b.request(Request::Logout).await.unwrap();
    let mut b = TestClient::login(&url, "app", "bob").await;
    assert_eq!(stored_texts(&mut b, 3, true).await, ["one", "two", "three"]);
    b.request(Request::Ping).await.unwrap();
    b.request(Request::Logout).await.unwrap();
    // Acknowledged: never again.
    let mut b = TestClient::login(&url, "app", "bob").await;
    b.request(Request::Ping).await.unwrap();
    assert!(b.pushes.is_empty(), "delivered once: {:?}", b.pushes);
}

#[tokio::test]
async fn stored_messages_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("rtm-offline-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = Config::for_tests();
    config.data_dir = Some(dir.clone());
    let (url, stop, stopped) = start_stoppable(config.clone()).await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    a.request(send("bob", "kept", true)).await.unwrap();
    drop(stop);
    stopped.await.unwrap().unwrap();
    let url = start_server_with(config).await;
    let mut b = TestClient::login(&url, "app", "bob").await;
    assert_eq!(stored_texts(&mut b, 1, true).await, ["kept"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Code of PEER_MESSAGE_ERR_FAILURE: a full offline store (see peer.rs).
const FAILURE: u16 = 1;

/// One user writing to made-up uids fills its own quota, not the disk: past
/// it, offline sends fail (messages without offline storage still go), other
/// senders are not affected, and a delivered message makes room again.
#[tokio::test]
async fn one_sender_cannot_fill_the_store() {
    let mut config = Config::for_tests();
    let big = "x".repeat(30_000);
    let charge = rtm_server::engine::offline_charge(&rtm_protocol::Payload::Text(big.clone()));
    config.limits.offline_max_bytes_per_sender = 3 * charge;
    let url = start_server_with(config).await;
    let mut a = TestClient::login(&url, "app", "alice").await;
    let mut codes = Vec::new();
    for i in 0..4 {
        let r = a.request(send(&format!("made-up-{i}"), &big, true)).await;
        codes.push(r.map(|_| 0).unwrap_or_else(|e| e.code));
    }
    assert_eq!(codes, [0, 0, 0, FAILURE], "the fourth is past alice's quota");
    let r = a.request(send("made-up-4", &big, false)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }), "a send without storage is not refused");
    let mut c = TestClient::login(&url, "app", "carol").await;
    assert!(c.request(send("made-up-4", &big, true)).await.is_ok(), "the quota is alice's");
    // made-up-0 logs in and acknowledges: alice has room for one more.
    let mut r0 = TestClient::login(&url, "app", "made-up-0").await;
    let delivery = r0
        .wait_for(10, "the stored message", |p| match p {
            Push::PeerMessage { delivery, .. } => Some(delivery),
            _ => None,
        })
        .await;
    r0.send_frame(Request::PeerAck { delivery }).await;
    r0.request(Request::Ping).await.unwrap();
    assert!(a.request(send("made-up-5", &big, true)).await.is_ok(), "room again after a delivery");
    assert_eq!(a.request(send("made-up-6", &big, true)).await.unwrap_err().code, FAILURE);
}
