//! A burst that every sender is allowed to send reaches every member that
//! reads: 7 senders × 160 channel messages (within the send budget of 180 per
//! 3 s) to one channel, and no reader is cut off as a slow consumer. The
//! outbound queue is sized in bytes and a consumer is slow by time, so a
//! burst of small messages that briefly outruns the writers is not mistaken
//! for a client that stopped reading (it used to be, at 1,024 queued frames).

mod common;
use common::*;
use rtm_protocol::{decode, Payload, Push, Reply, Request, ServerFrame};
use rtm_server::config::Config;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// Members of the channel, the senders among them (`RTM_BURST_MEMBERS`,
/// default 200). Every member is two sockets in this process; 200 keeps a
/// debug run within seconds. The full-size run (docs/security.md):
/// `RTM_BURST_MEMBERS=1000 cargo test --release -p rtm-server --test burst -- --nocapture`
fn members() -> usize {
    std::env::var("RTM_BURST_MEMBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}
const SENDERS: usize = 7;
/// Per sender: within the budget of 180 messages per 3 s.
const SENT: usize = 160;

/// A message of typical size: about 100 bytes of text (`memory_budgets.rs`
/// measures it against the default queue budget).
fn message(sender: usize, n: usize) -> Request {
    let text = format!("{sender}:{n}:{}", "lorem ipsum dolor sit amet ".repeat(4));
    Request::SendChannel { channel: "room".into(), payload: Payload::Text(text) }
}

/// Reads until `messages` channel messages and `replies` replies (each
/// `Done`: every send was within the budget) came; what went wrong if not.
async fn receive(client: &mut TestClient, mut messages: usize, mut replies: usize) -> Result<(), String> {
    while messages > 0 || replies > 0 {
        let Ok(msg) = tokio::time::timeout(Duration::from_secs(5), client.next_message()).await else {
            return Err(format!("nothing for 5 s, {messages} messages and {replies} replies owed"));
        };
        match msg {
            Message::Binary(b) => match decode(&b) {
                Ok(ServerFrame::Push { push: Push::ChannelMessage { .. }, .. }) => messages -= 1,
                Ok(ServerFrame::Reply { result, .. }) => {
                    assert_eq!(result, Ok(Reply::Done), "within the send budget");
                    replies -= 1;
                }
                _ => {}
            },
            Message::Close(frame) => return Err(format!("closed: {frame:?}")),
            _ => {}
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_within_the_send_budget_reaches_every_reader() {
    let members_n = members();
    let mut config = Config::for_tests();
    // The queue scaled down with the channel (from 1,000 members): the same
    // shape, with as little room to spare as a full-size run has.
    config.limits.queue_bytes = config.limits.queue_bytes * members_n.min(1_000) / 1_000;
    let url = start_server_with(config).await;
    let mut members = Vec::with_capacity(members_n);
    for i in 0..members_n {
        let mut c = TestClient::login(&url, "app", &format!("m{i}")).await;
        c.request(Request::Join { channel: "room".into() }).await.unwrap();
        members.push(c);
    }
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(members_n);
    for (i, mut c) in members.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            // A channel message is not echoed to its sender. Senders send
            // their whole burst at once (pipelined), as an app would.
            let sender = i < SENDERS;
            let expected = SENDERS * SENT - if sender { SENT } else { 0 };
            if sender {
                for n in 0..SENT {
                    c.send_frame(message(i, n)).await;
                }
            }
            receive(&mut c, expected, if sender { SENT } else { 0 }).await
        }));
    }
    let mut failed = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(why) = within(60, "every member's messages", task).await.unwrap() {
            failed.push(format!("m{i}: {why}"));
        }
    }
    eprintln!("burst: {members_n} members × {} messages in {:?}", SENDERS * SENT, started.elapsed());
    assert!(failed.is_empty(), "{} of {members_n} members missed messages: {failed:#?}", failed.len());
}
