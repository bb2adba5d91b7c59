//! A client whose link drops comes back through the load balancer to another
//! node: within the grace period it resumes its session there and gets every
//! push it missed, once, in order, then carries on (its channels, its peer
//! messages) as if nothing happened — on two nodes sharing the embedded
//! engine and on two nodes on a real redis-server. The session stays on the
//! node that holds it; the entry node relays the connection there.
//!
//! And when the node holding the session is gone: a relayed connection is
//! closed so the client reconnects, and a resume that no node answers is
//! refused within a few seconds, so the client logs in anew on the same link.

mod common;
mod redis_server;

use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

fn say(channel: &str, t: &str) -> Request {
    Request::SendChannel { channel: channel.into(), payload: text(t) }
}

fn resume(uid: &str, secret: &str, last_seq: u64) -> Request {
    Request::Resume { app_id: "app".into(), uid: uid.into(), token: None, resume: secret.into(), last_seq }
}

/// Alice logs in on `home` and is in "room" with bob (on `other`); her link
/// drops, bob sends while she is away, and she resumes through `other`.
async fn resume_on_the_other_node(home: &str, other: &str) {
    let (mut alice, secret) = TestClient::login_with(home, "app", "alice", None).await;
    alice.request(Request::Join { channel: "room".into() }).await.unwrap();
    let mut bob = TestClient::login(other, "app", "bob").await;
    bob.request(Request::Join { channel: "room".into() }).await.unwrap();
    let last_seq = loop {
        let (seq, push) = within(10, "bob joining", alice.next_seq_push()).await;
        if matches!(push, Push::MemberJoined { .. }) {
            break seq;
        }
    };
    alice.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent =
        bob.send_frame(Request::SendPeer { peer: "alice".into(), payload: text("p1"), offline: false }).await;
    for t in ["c1", "c2"] {
        assert_eq!(bob.request(say("room", t)).await, Ok(Reply::Done));
    }

    let mut alice = TestClient::connect(other).await;
    let r = within(10, "the resume", alice.request(resume("alice", &secret, last_seq))).await;
    assert!(matches!(r, Ok(Reply::Resumed { .. })), "resumed on the other node: {r:?}");
    let mut got = Vec::new();
    let mut seqs = Vec::new();
    while got.len() < 3 {
        let (seq, push) = within(10, "the missed pushes", alice.next_seq_push()).await;
        match push {
            Push::MemberCount { .. } => {}
            Push::PeerMessage { payload: Payload::Text(t), delivery, .. } => {
                alice.send_frame(Request::PeerAck { delivery }).await;
                got.push(t);
            }
            Push::ChannelMessage { payload: Payload::Text(t), .. } => got.push(t),
            other => panic!("unexpected {other:?}"),
        }
        seqs.push(seq);
    }
    assert_eq!(got, ["p1", "c1", "c2"], "every missed push, once, in order");
    assert_eq!(seqs.first(), Some(&(last_seq + 1)), "numbering continues where the client left off");
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "no push skipped: {seqs:?}");
    let r = within(10, "bob's p1 acknowledged", bob.reply_to(sent)).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: true }), "alice's ack travelled back");

    // Carrying on: still a member, both ways, nobody saw her leave.
    assert_eq!(bob.request(say("room", "c3")).await, Ok(Reply::Done));
    let c3 = alice
        .wait_for(10, "c3", |p| {
            matches!(p, Push::ChannelMessage { payload, .. } if payload == text("c3")).then_some(())
        })
        .await;
    assert_eq!(c3, ());
    assert_eq!(alice.request(say("room", "a1")).await, Ok(Reply::Done));
    let r = alice.request(Request::GetMemberCount { channels: vec!["room".into()] }).await;
    assert_eq!(r, Ok(Reply::MemberCounts { counts: vec![2] }), "still two members");
    let mut saw = Vec::new();
    while let Ok(p) = tokio::time::timeout(Duration::from_millis(500), bob.next_push()).await {
        saw.push(p);
    }
    assert!(saw.iter().any(|p| matches!(p, Push::ChannelMessage { payload, .. } if *payload == text("a1"))));
    assert!(!saw.iter().any(|p| matches!(p, Push::MemberLeft { .. })), "bob never saw alice leave: {saw:?}");

    // A logout through the relay ends the session where it lives.
    assert_eq!(alice.request(Request::Logout).await, Ok(Reply::Done));
    bob.wait_for(10, "alice leaving", |p| matches!(p, Push::MemberLeft { .. }).then_some(())).await;
}

#[tokio::test]
async fn a_session_resumes_on_the_other_node_of_an_embedded_cluster() {
    let urls = start_cluster(2).await;
    resume_on_the_other_node(&urls[0], &urls[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_resumes_on_the_other_node_through_redis() {
    let urls = redis_server::rtm_cluster(2).await;
    resume_on_the_other_node(&urls[0], &urls[1]).await;
}

#[tokio::test]
async fn a_resume_no_node_answers_is_refused_and_the_client_logs_in_on_the_same_link() {
    let urls = start_cluster(1).await;
    // A secret naming a node that does not exist (or was killed).
    let secret = format!("{:016x}{:032x}", 0x5eed_u64, 1_u128);
    let mut c = TestClient::connect(&urls[0]).await;
    let r = within(15, "the refusal", c.request(resume("carol", &secret, 0))).await;
    let e = r.expect_err("nobody holds that session");
    assert_eq!(e.code, rtm_protocol::codes::LoginError::REJECTED.code(), "{e:?}");
    let r = c.request(Request::Login { app_id: "app".into(), uid: "carol".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "a fresh login on the same link: {r:?}");
}

#[tokio::test]
async fn a_relayed_connection_closes_when_the_node_holding_its_session_stops() {
    let configs = vec![Config::for_tests(), Config::for_tests()];
    let mut nodes = start_stoppable_cluster(configs).await;
    let (home, other) = (nodes.remove(0), nodes.remove(0));
    let (alice, secret) = TestClient::login_with(&home.url, "app", "alice", None).await;
    alice.cut();
    let mut alice = TestClient::connect(&other.url).await;
    let r = alice.request(resume("alice", &secret, 0)).await;
    assert!(matches!(r, Ok(Reply::Resumed { .. })), "{r:?}");
    home.stop().await;
    let frame = within(15, "the relayed connection closing", alice.expect_close()).await;
    assert_eq!(u16::from(frame.code), 1001, "going away: the client reconnects ({frame:?})");
    // Its resume is now refused (nobody holds the session), and a login works.
    let mut alice = TestClient::connect(&other.url).await;
    let r = within(15, "the refusal", alice.request(resume("alice", &secret, 0))).await;
    assert!(r.is_err(), "{r:?}");
    let r = alice.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "{r:?}");
}
