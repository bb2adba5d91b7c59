//! A client that reads too slowly is cut off (4008), and what it got before
//! the cut has no hole in it: once a push could not be queued, nothing later
//! is sent on that connection, so the seq it resumes from is exact and the
//! replay fills in the rest.

mod common;
use common::*;
use rtm_protocol::{decode, Payload, Push, Reply, Request, ServerFrame};
use rtm_server::config::Config;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const SENT: usize = 170;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_cut_off_without_a_gap_and_resumes_with_everything() {
    let mut config = Config::for_tests();
    // Room for 8 of the 30 KB messages (16 for a moment).
    config.limits.queue_bytes = 8 * 30_000;
    // A ring that holds all 170 (5.1 MB), so what she missed can be replayed.
    config.limits.replay_bytes = 8 << 20;
    let url = start_server_with(config).await;

    let mut alice = TestClient::connect_narrow(&url).await;
    let r = alice.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    let Ok(Reply::LoggedIn { resume, .. }) = r else { panic!("login: {r:?}") };
    alice.request(Request::Join { channel: "room".into() }).await.unwrap();
    let big = Payload::Text("x".repeat(30_000));
    // One sender (a channel message is not echoed to it), within its budget.
    let mut bob = TestClient::login(&url, "app", "bob").await;
    bob.request(Request::Join { channel: "room".into() }).await.unwrap();
    let sender = tokio::spawn(async move {
        for _ in 0..SENT {
            let r = bob.request(Request::SendChannel { channel: "room".into(), payload: big.clone() }).await;
            assert_eq!(r, Ok(Reply::Done));
        }
    });
    // Alice reads, but slowly, while the others send.
    let (mut seqs, mut messages) = (Vec::new(), 0);
    let close = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        match alice.next_message().await {
            Message::Binary(b) => {
                if let Ok(ServerFrame::Push { seq, push }) = decode::<ServerFrame>(&b) {
                    seqs.push(seq);
                    messages += usize::from(matches!(push, Push::ChannelMessage { .. }));
                }
            }
            Message::Close(frame) => break frame,
            _ => {}
        }
    };
    sender.await.unwrap();
    let code = close.map(|f| u16::from(f.code));
    assert_eq!(code, Some(4008), "a slow consumer is cut off");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "a hole in what was sent: {seqs:?}");
    let last_seq = *seqs.last().unwrap();

    // It resumes from there and gets the rest, in order.
    let mut alice = TestClient::connect(&url).await;
    let req = Request::Resume { app_id: "app".into(), uid: "alice".into(), token: None, resume, last_seq };
    assert!(matches!(alice.request(req).await, Ok(Reply::Resumed { .. })));
    let mut next = last_seq + 1;
    while messages < SENT {
        let (seq, push) = alice.next_seq_push().await;
        assert_eq!(seq, next, "replayed in order");
        next += 1;
        if matches!(push, Push::ChannelMessage { .. }) {
            messages += 1;
        }
    }
}
