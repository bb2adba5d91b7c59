//! Sessions outliving their connection: resume within the grace period with
//! nothing missed, MemberLeft only when the grace period ends.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

/// The next push that is not a member count.
async fn next_event(c: &mut TestClient) -> Push {
    loop {
        match c.next_push().await {
            Push::MemberCount { .. } => continue,
            p => return p,
        }
    }
}

#[tokio::test]
async fn a_resumed_session_gets_what_it_missed_in_order_once() {
    let url = start_server().await;
    let (mut a, resume) = TestClient::login_with(&url, "app", "alice", None).await;
    a.request(Request::Join { channel: "room".into() }).await.unwrap();
    let mut b = TestClient::login(&url, "app", "bob").await;
    b.request(Request::Join { channel: "room".into() }).await.unwrap();
    // Alice sees bob join; remember how far she got.
    let last_seq = loop {
        let (seq, push) = a.next_seq_push().await;
        if matches!(push, Push::MemberJoined { .. }) {
            break seq;
        }
    };
    a.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // While she is away: a peer message (not awaited: its ack cannot come yet) and channel messages.
    b.send_frame(Request::SendPeer { peer: "alice".into(), payload: text("p1"), offline: false }).await;
    for t in ["c1", "c2"] {
        assert_eq!(
            b.request(Request::SendChannel { channel: "room".into(), payload: text(t) }).await,
            Ok(Reply::Done)
        );
    }
    let mut a = TestClient::connect(&url).await;
    let req = Request::Resume { app_id: "app".into(), uid: "alice".into(), token: None, resume, last_seq };
    assert!(matches!(a.request(req).await, Ok(Reply::Resumed { .. })));
    let mut got = Vec::new();
    while got.len() < 3 {
        match next_event(&mut a).await {
            Push::PeerMessage { payload: Payload::Text(t), delivery, .. } => {
                a.send_frame(Request::PeerAck { delivery }).await;
                got.push(t)
            }
            Push::ChannelMessage { payload: Payload::Text(t), .. } => got.push(t),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, ["p1", "c1", "c2"]);
    // Still in the channel, with no MemberLeft seen by bob.
    assert_eq!(
        b.request(Request::SendChannel { channel: "room".into(), payload: text("c3") }).await,
        Ok(Reply::Done)
    );
    match next_event(&mut a).await {
        Push::ChannelMessage { payload, .. } => assert_eq!(payload, text("c3")),
        other => panic!("unexpected {other:?}"),
    }
    while let Ok(p) = tokio::time::timeout(Duration::from_millis(200), b.next_push()).await {
        assert!(!matches!(p, Push::MemberLeft { .. }), "bob must not see alice leave");
    }
}

#[tokio::test]
async fn the_grace_period_ends_the_session() {
    let mut config = Config::for_tests();
    config.grace = Duration::from_millis(600);
    let url = start_server_with(config).await;
    let (mut a, resume) = TestClient::login_with(&url, "app", "alice", None).await;
    a.request(Request::Join { channel: "room".into() }).await.unwrap();
    let mut b = TestClient::login(&url, "app", "bob").await;
    b.request(Request::Join { channel: "room".into() }).await.unwrap();
    a.cut();
    let quiet = tokio::time::timeout(Duration::from_millis(300), next_event(&mut b)).await;
    assert!(quiet.is_err(), "no MemberLeft inside the grace period: {quiet:?}");
    assert_eq!(next_event(&mut b).await, Push::MemberLeft { channel: "room".into(), uid: "alice".into() });
    let mut a = TestClient::connect(&url).await;
    let req = Request::Resume { app_id: "app".into(), uid: "alice".into(), token: None, resume, last_seq: 0 };
    assert_eq!(a.request(req).await.unwrap_err().code, 2, "too late to resume: log in again");
    let r = a.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })), "a fresh login on the same connection works");
}

#[tokio::test]
async fn resume_needs_the_right_secret_and_user() {
    let url = start_server().await;
    let (a, resume) = TestClient::login_with(&url, "app", "alice", None).await;
    a.cut();
    let mut c = TestClient::connect(&url).await;
    let wrong_user =
        Request::Resume { app_id: "app".into(), uid: "mallory".into(), token: None, resume, last_seq: 0 };
    assert_eq!(c.request(wrong_user).await.unwrap_err().code, 2);
    let wrong_secret = Request::Resume {
        app_id: "app".into(),
        uid: "alice".into(),
        token: None,
        resume: "x".into(),
        last_seq: 0,
    };
    assert_eq!(c.request(wrong_secret).await.unwrap_err().code, 2);
}

#[tokio::test]
async fn a_resume_from_an_impossible_position_is_refused_and_harms_nobody() {
    let url = start_server().await;
    let (a, resume) = TestClient::login_with(&url, "app", "alice", None).await;
    let mut b = TestClient::login(&url, "app", "bob").await;
    a.cut();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for last_seq in [u64::MAX, u64::MAX - 1, 1 << 63] {
        let mut a = TestClient::connect(&url).await;
        let req = Request::Resume {
            app_id: "app".into(),
            uid: "alice".into(),
            token: None,
            resume: resume.clone(),
            last_seq,
        };
        let r = within(5, "the refusal", a.request(req)).await;
        assert_eq!(r.map_err(|e| e.code), Err(2), "last_seq {last_seq}: log in again");
    }
    // The session is intact: a message to alice waits in it, and a real resume gets it.
    b.send_frame(Request::SendPeer { peer: "alice".into(), payload: text("still here"), offline: false })
        .await;
    let mut a = TestClient::connect(&url).await;
    let req = Request::Resume { app_id: "app".into(), uid: "alice".into(), token: None, resume, last_seq: 0 };
    assert!(matches!(within(5, "the resume", a.request(req)).await, Ok(Reply::Resumed { .. })));
    let got = a
        .wait_for(5, "bob's message", |p| match p {
            Push::PeerMessage { payload, .. } => Some(payload),
            _ => None,
        })
        .await;
    assert_eq!(got, text("still here"));
}
