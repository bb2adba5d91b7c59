//! What a session holds is bounded in bytes, not items: its outbound queue
//! (`limits.queue_bytes`), its replay ring (`limits.replay_bytes`), and the
//! peer messages it has not acknowledged (`limits.unacked_deliveries`).
//! A count of items let one session hold 1,024 × 32 KB twice over, and
//! unacknowledged deliveries without any bound.

mod common;
use common::*;
use rtm_protocol::{decode, Payload, Push, Reply, Request, ServerFrame};
use rtm_server::config::{Config, Limits};
use tokio_tungstenite::tungstenite::Message;

/// Messages per sender in the queue test, within the budget of 180 per 3 s.
const SENT: usize = 120;

/// A channel message of 30 KB: the budgets are reached in a few dozen.
fn big() -> Request {
    Request::SendChannel { channel: "room".into(), payload: Payload::Text("x".repeat(30_000)) }
}

async fn member(url: &str, uid: &str) -> TestClient {
    let mut c = TestClient::login(url, "app", uid).await;
    c.request(Request::Join { channel: "room".into() }).await.unwrap();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_past_its_byte_budget_is_cut_off_at_once() {
    // Defaults: a 1 MiB budget, so at most 2 MiB queued, whatever the count.
    let url = start_server().await;
    let mut alice = TestClient::connect_narrow(&url).await;
    let r = alice.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "{r:?}");
    alice.request(Request::Join { channel: "room".into() }).await.unwrap();
    // 10.8 MB in 360 frames, far fewer frames than a count limit allowed
    // (1,024), and more than the server's socket send buffer (up to 4 MB on
    // Linux) and the queue's ceiling (2 MiB) together hold.
    let mut senders = Vec::new();
    for uid in ["bob", "carol", "dave"] {
        let mut c = member(&url, uid).await;
        senders.push(tokio::spawn(async move {
            for _ in 0..SENT {
                assert_eq!(c.request(big()).await, Ok(Reply::Done));
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    // Alice has not read a byte; now she does. The queue was cut at its
    // ceiling, well before the write timeout (10 s) could have done it.
    let mut messages = 0;
    let close = loop {
        match alice.next_message().await {
            Message::Binary(b) => {
                let frame = decode::<ServerFrame>(&b);
                messages += usize::from(matches!(
                    frame,
                    Ok(ServerFrame::Push { push: Push::ChannelMessage { .. }, .. })
                ));
            }
            Message::Close(frame) => break frame.expect("a close reason"),
            _ => {}
        }
    };
    assert_eq!(u16::from(close.code), 4008);
    assert!(close.reason.contains("byte budget"), "{}", close.reason);
    assert!(messages < 3 * SENT, "all {messages} messages were queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replay_ring_keeps_its_byte_budget_and_a_resume_before_it_is_refused() {
    let url = start_server().await;
    let (mut alice, resume) = TestClient::login_with(&url, "app", "alice", None).await;
    alice.request(Request::Join { channel: "room".into() }).await.unwrap();
    let mut bob = member(&url, "bob").await;
    let (last_seq, _) = alice.next_seq_push().await; // bob's join
    alice.cut();
    // 40 × 30 KB while she is away: 1.2 MB, over the ring's 1 MiB.
    for _ in 0..40 {
        assert_eq!(bob.request(big()).await, Ok(Reply::Done));
    }
    let mut alice = TestClient::connect(&url).await;
    let req = Request::Resume { app_id: "app".into(), uid: "alice".into(), token: None, resume, last_seq };
    let r = alice.request(req).await;
    assert_eq!(r.map_err(|e| e.code), Err(2), "the first pushes she missed are gone: log in again");
}

#[test]
fn the_default_queue_holds_a_burst_of_typical_messages_several_times() {
    // The burst of burst.rs: 7 senders × 160 messages of ~100 bytes of text.
    let text = format!("6:159:{}", "lorem ipsum dolor sit amet ".repeat(4));
    let push = Push::ChannelMessage {
        channel: "room".into(),
        from: "m6".into(),
        payload: Payload::Text(text),
        ts: 1 << 40,
    };
    let size = rtm_protocol::encode(&push).len() + rtm_server::sessions::queue::PUSH_OVERHEAD;
    assert!((100..200).contains(&size), "{size} bytes");
    assert!(4 * 7 * 160 * size < Limits::default().queue_bytes, "{size} bytes a message");
}

#[tokio::test]
async fn a_session_holds_at_most_unacked_deliveries_and_forgets_the_oldest() {
    let mut config = Config::for_tests();
    config.limits.unacked_deliveries = 2;
    let url = start_server_with(config).await;
    let mut alice = TestClient::login(&url, "app", "alice").await;
    let mut bob = TestClient::login(&url, "app", "bob").await;
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        let req =
            Request::SendPeer { peer: "alice".into(), payload: Payload::Text(text.into()), offline: true };
        ids.push(bob.send_frame(req).await);
    }
    let mut deliveries = Vec::new();
    while deliveries.len() < 3 {
        if let Push::PeerMessage { delivery, .. } = alice.next_push().await {
            deliveries.push(delivery);
        }
    }
    // Alice acknowledges all three, late: the first was forgotten by then.
    for delivery in deliveries {
        alice.send_frame(Request::PeerAck { delivery }).await;
    }
    alice.request(Request::Ping).await.unwrap();
    let mut received = std::collections::HashMap::new();
    while received.len() < 3 {
        match within(10, "bob's replies", bob.next_frame()).await {
            ServerFrame::Reply { id, result: Ok(Reply::PeerSent { has_peer_received }) } => {
                received.insert(id, has_peer_received);
            }
            ServerFrame::Reply { id, result } => panic!("reply {id}: {result:?}"),
            ServerFrame::Push { .. } => {}
        }
    }
    let got: Vec<bool> = ids.iter().map(|id| received[id]).collect();
    assert_eq!(got, [false, true, true], "the oldest delivery was forgotten: its sender hears false");
    // Its stored copy was not deleted by the late acknowledgement: it comes
    // again at the next login, and only it.
    alice.request(Request::Logout).await.unwrap();
    let mut alice = TestClient::login(&url, "app", "alice").await;
    let push = alice.next_push().await;
    let Push::PeerMessage { payload: Payload::Text(text), offline: true, .. } = push else {
        panic!("{push:?}")
    };
    assert_eq!(text, "one");
    alice.request(Request::Ping).await.unwrap();
    assert!(alice.pushes.is_empty(), "acknowledged ones are gone: {:?}", alice.pushes);
}
