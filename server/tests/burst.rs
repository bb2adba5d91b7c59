//! A burst that every sender is allowed to send reaches every member that
//! reads: 7 senders × 160 channel messages (within the send budget of 180 per
//! 3 s) to one channel, and no reader is cut off as a slow consumer. The
//! outbound queue is sized in bytes and a consumer is slow by time, so a
//! burst of small messages that briefly outruns the writers is not mistaken
//! for a client that stopped reading (it used to be, at 1,024 queued frames).

mod common;
use common::*;
use rtm_protocol::{decode, Payload, Push, Reply, Request, ServerFrame};
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Members of the channel, the senders among them. Every member is two
/// sockets in this process; 200 keeps a debug run within seconds.
const MEMBERS: usize = 200;
const SENDERS: usize = 7;
/// Per sender: within the budget of 180 messages per 3 s.
const SENT: usize = 160;

/// A message of typical size: about 100 bytes of text (`memory_budgets.rs`
/// measures it against the default queue budget).
fn message(sender: usize, n: usize) -> Request {
    let text = format!("{sender}:{n}:{}", "lorem ipsum dolor sit amet ".repeat(4));
    Request::SendChannel { channel: "room".into(), payload: Payload::Text(text) }
}

/// Reads until `expected` channel messages came; the close code if the
/// server closed the connection first.
async fn receive(client: &mut TestClient, mut got: usize, expected: usize) -> Result<(), Option<u16>> {
    while got < expected {
        match client.next_message().await {
            Message::Binary(b) => {
                if let Ok(ServerFrame::Push { push: Push::ChannelMessage { .. }, .. }) = decode(&b) {
                    got += 1;
                }
            }
            Message::Close(frame) => return Err(frame.map(|f| u16::from(f.code))),
            _ => {}
        }
    }
    Ok(())
}

fn channel_messages(pushes: &[Push]) -> usize {
    pushes.iter().filter(|p| matches!(p, Push::ChannelMessage { .. })).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_within_the_send_budget_reaches_every_reader() {
    let url = start_server().await;
    let mut members = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        let mut c = TestClient::login(&url, "app", &format!("m{i}")).await;
        c.request(Request::Join { channel: "room".into() }).await.unwrap();
        members.push(c);
    }
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(MEMBERS);
    for (i, mut c) in members.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            // A channel message is not echoed to its sender.
            let expected = SENDERS * SENT - if i < SENDERS { SENT } else { 0 };
            if i < SENDERS {
                for n in 0..SENT {
                    assert_eq!(c.request(message(i, n)).await, Ok(Reply::Done), "within the send budget");
                }
            }
            let got = channel_messages(&c.pushes);
            receive(&mut c, got, expected).await
        }));
    }
    let mut closed = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        if let Err(code) = within(60, "every member's messages", task).await.unwrap() {
            closed.push((i, code));
        }
    }
    eprintln!("burst: {MEMBERS} members × {} messages in {:?}", SENDERS * SENT, started.elapsed());
    assert!(closed.is_empty(), "{} readers were cut off (member, close code): {closed:?}", closed.len());
}
