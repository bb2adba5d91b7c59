//! The REST API's messages over real HTTP, received by protocol clients as
//! an SDK receives them: peer messages with `wait_for_ack` (delivered once
//! the recipient acknowledges, offline otherwise), offline storage, channel
//! messages, across two nodes of one cluster.

mod common;
mod rest_http;
use common::*;
use rest_http::*;
use rtm_protocol::{Payload, Push, Reply, Request};

/// The next peer message: (sender, text, offline flag, delivery id).
async fn next_peer_message(c: &mut TestClient) -> (String, String, bool, u64) {
    c.wait_for(5, "a peer message", |p| match p {
        Push::PeerMessage { from, payload: Payload::Text(text), offline, delivery, .. } => {
            Some((from, text, offline, delivery))
        }
        _ => None,
    })
    .await
}

#[tokio::test]
async fn wait_for_ack_answers_delivered_once_the_recipient_acknowledges() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let target = format!("{}?wait_for_ack=true", peer_url(&base, APP, "server"));
    let sending =
        tokio::spawn(async move { post(&target, r#"{"destination":"bob","payload":"hello"}"#).await });
    let (from, text, offline, delivery) = next_peer_message(&mut bob).await;
    assert_eq!((from.as_str(), text.as_str(), offline), ("server", "hello", false));
    // Not answered before the acknowledgement...
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!sending.is_finished(), "the call waits for the recipient's acknowledgement");
    // ...and delivered once it comes.
    bob.send_frame(Request::PeerAck { delivery }).await;
    let answer = within(5, "the REST answer", sending).await.unwrap();
    assert_success(&answer, "message_delivered");
}

#[tokio::test]
async fn wait_for_ack_answers_offline_for_an_offline_or_silent_recipient() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let target = format!("{}?wait_for_ack=true", peer_url(&base, APP, "server"));
    let answer = post(&target, r#"{"destination":"nobody","payload":"hello"}"#).await;
    assert_success(&answer, "message_offline");
    // Online but never acknowledging (an SDK that died): offline after 5 s,
    // as the SDK's hasPeerReceived is false then.
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let started = std::time::Instant::now();
    let sending = tokio::spawn(async move { post(&target, r#"{"destination":"bob","payload":"x"}"#).await });
    next_peer_message(&mut bob).await;
    let answer = within(10, "the REST answer", sending).await.unwrap();
    assert_success(&answer, "message_offline");
    assert!(started.elapsed() >= std::time::Duration::from_millis(4900), "{:?}", started.elapsed());
}

#[tokio::test]
async fn without_wait_for_ack_the_answer_is_sent_at_once() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    for query in ["", "?wait_for_ack=false"] {
        let target = format!("{}{query}", peer_url(&base, APP, "server"));
        let answer =
            within(2, "an immediate answer", post(&target, r#"{"destination":"bob","payload":"a"}"#)).await;
        assert_success(&answer, "message_sent");
        next_peer_message(&mut bob).await;
    }
    let answer = post(&peer_url(&base, APP, "server"), r#"{"destination":"nobody","payload":"a"}"#).await;
    assert_success(&answer, "message_sent");
}

#[tokio::test]
async fn enable_offline_messaging_stores_for_the_next_login() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let target = format!("{}?wait_for_ack=true", peer_url(&base, APP, "server"));
    let stored = r#"{"destination":"carol","enable_offline_messaging":true,"enable_historical_messaging":false,"payload":"kept"}"#;
    assert_success(&post(&target, stored).await, "message_offline");
    let dropped = r#"{"destination":"carol","enable_offline_messaging":false,"payload":"not kept"}"#;
    assert_success(&post(&target, dropped).await, "message_offline");
    let mut carol = TestClient::login(&url, APP, "carol").await;
    let (from, text, offline, delivery) = next_peer_message(&mut carol).await;
    assert_eq!((from.as_str(), text.as_str(), offline), ("server", "kept", true));
    carol.send_frame(Request::PeerAck { delivery }).await;
    carol
        .expect_none(300, "the message sent without offline messaging", |p| {
            matches!(p, Push::PeerMessage { .. })
        })
        .await;
}

#[tokio::test]
async fn channel_messages_reach_every_member_as_from_the_user() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut members = Vec::new();
    for uid in ["m1", "m2", "server"] {
        let mut c = TestClient::login(&url, APP, uid).await;
        assert_eq!(c.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
        members.push(c);
    }
    let mut outsider = TestClient::login(&url, APP, "outsider").await;
    let answer = post(
        &channel_url(&base, APP, "server"),
        r#"{"channel_name":"room","enable_historical_messaging":false,"payload":"to all"}"#,
    )
    .await;
    assert_success(&answer, "message_sent");
    // A session of the sender's user is a member like any other: it did not send this.
    for m in &mut members {
        let got = m
            .wait_for(5, "the channel message", |p| match p {
                Push::ChannelMessage { channel, from, payload: Payload::Text(t), .. } => {
                    Some((channel, from, t))
                }
                _ => None,
            })
            .await;
        assert_eq!(got, ("room".to_owned(), "server".to_owned(), "to all".to_owned()));
    }
    outsider
        .expect_none(300, "a message of a channel it is not in", |p| matches!(p, Push::ChannelMessage { .. }))
        .await;
    // An empty channel: sent, to nobody.
    let answer = post(&channel_url(&base, APP, "server"), r#"{"channel_name":"empty","payload":"x"}"#).await;
    assert_success(&answer, "message_sent");
}

#[tokio::test]
async fn across_nodes_a_rest_call_on_one_reaches_a_client_on_the_other() {
    let urls = start_cluster_with(vec![rest_config(), rest_config()]).await;
    let mut bob = TestClient::login(&urls[1], APP, "bob").await;
    assert_eq!(bob.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    let target = format!("{}?wait_for_ack=true", peer_url(&http_base(&urls[0]), APP, "server"));
    let sending =
        tokio::spawn(async move { post(&target, r#"{"destination":"bob","payload":"far"}"#).await });
    let (from, text, _, delivery) = next_peer_message(&mut bob).await;
    assert_eq!((from.as_str(), text.as_str()), ("server", "far"));
    bob.send_frame(Request::PeerAck { delivery }).await;
    assert_success(&within(5, "the REST answer", sending).await.unwrap(), "message_delivered");
    let answer = post(
        &channel_url(&http_base(&urls[0]), APP, "server"),
        r#"{"channel_name":"room","payload":"far too"}"#,
    )
    .await;
    assert_success(&answer, "message_sent");
    let got = bob
        .wait_for(5, "the channel message", |p| match p {
            Push::ChannelMessage { payload: Payload::Text(t), .. } => Some(t),
            _ => None,
        })
        .await;
    assert_eq!(got, "far too");
}
