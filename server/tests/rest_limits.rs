//! The REST API refusing what it must over real HTTP, with Agora's failure
//! JSON: bad bodies and ids (400), a body that is not JSON (415), payloads
//! over 32 KB (400) and the per-app rate (429). Nothing refused is sent.

mod common;
mod rest_http;
use common::*;
use rest_http::*;
use rtm_protocol::limits::MAX_MESSAGE_BYTES;
use rtm_protocol::Push;

#[tokio::test]
async fn bad_bodies_get_400_with_the_field_named() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let peer = peer_url(&base, APP, "server");
    let channel = channel_url(&base, APP, "server");
    let cases = [
        (&peer, "not json", "invalid_body"),
        (&peer, "[1,2]", "invalid_body"),
        (&peer, r#"{"payload":"hi"}"#, "invalid_destination"),
        (&peer, r#"{"destination":7,"payload":"hi"}"#, "invalid_destination"),
        (&peer, r#"{"destination":"","payload":"hi"}"#, "invalid_destination"),
        (&peer, r#"{"destination":"a/b\u0001","payload":"hi"}"#, "invalid_destination"),
        (&peer, r#"{"destination":"bob"}"#, "invalid_payload"),
        (&peer, r#"{"destination":"bob","payload":""}"#, "invalid_payload"),
        (&peer, r#"{"destination":"bob","payload":{"text":"hi"}}"#, "invalid_payload"),
        (&peer, r#"{"destination":"bob","payload":"hi","enable_offline_messaging":"yes"}"#, "invalid_body"),
        (&channel, r#"{"payload":"hi"}"#, "invalid_channel_name"),
        (&channel, r#"{"channel_name":"room","payload":""}"#, "invalid_payload"),
    ];
    for (target, body, code) in cases {
        let answer = post(target, body).await;
        assert_failed(&answer, 400, code);
        assert!(answer.json["message"].as_str().unwrap().len() > 10, "{body}: {answer:?}");
    }
    let long_id = "u".repeat(65);
    let answer = post(&peer_url(&base, APP, &long_id), r#"{"destination":"bob","payload":"hi"}"#).await;
    assert_failed(&answer, 400, "invalid_user_id");
    let answer = post(&peer_url(&base, APP, "%20server"), r#"{"destination":"bob","payload":"hi"}"#).await;
    assert_failed(&answer, 400, "invalid_user_id");
    let answer = post(&format!("{peer}?wait_for_ack=maybe"), r#"{"destination":"bob","payload":"hi"}"#).await;
    assert_failed(&answer, 400, "invalid_query");
    bob.expect_none(300, "a refused message", |p| matches!(p, Push::PeerMessage { .. })).await;
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_415() {
    let url = start_server_with(rest_config()).await;
    let target = peer_url(&http_base(&url), APP, "server");
    let auth = basic(KEY, SECRET);
    for headers in [
        vec![("authorization", auth.as_str())],
        vec![("authorization", auth.as_str()), ("content-type", "text/plain")],
    ] {
        let answer = call("POST", &target, &headers, r#"{"destination":"bob","payload":"hi"}"#).await;
        assert_failed(&answer, 415, "unsupported_media_type");
    }
}

#[tokio::test]
async fn payloads_up_to_32_kb_pass_and_larger_are_refused() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let body = |n: usize| format!(r#"{{"destination":"bob","payload":"{}"}}"#, "x".repeat(n));
    assert_success(&post(&peer_url(&base, APP, "server"), &body(MAX_MESSAGE_BYTES)).await, "message_sent");
    let got = bob
        .wait_for(5, "the 32 KB message", |p| match p {
            Push::PeerMessage { payload, .. } => Some(payload.size()),
            _ => None,
        })
        .await;
    assert_eq!(got, MAX_MESSAGE_BYTES);
    assert_failed(
        &post(&peer_url(&base, APP, "server"), &body(MAX_MESSAGE_BYTES + 1)).await,
        400,
        "invalid_payload",
    );
    let channel = format!(r#"{{"channel_name":"room","payload":"{}"}}"#, "x".repeat(MAX_MESSAGE_BYTES + 1));
    assert_failed(&post(&channel_url(&base, APP, "server"), &channel).await, 400, "invalid_payload");
    // A body far past any payload is cut off before it is buffered.
    let huge = body(1 << 20);
    assert_failed(&post(&peer_url(&base, APP, "server"), &huge).await, 413, "request_too_large");
    bob.expect_none(300, "a refused message", |p| matches!(p, Push::PeerMessage { .. })).await;
}

#[tokio::test]
async fn more_than_the_apps_rate_in_one_second_gets_429() {
    let mut config = rest_config();
    config.limits.rest_messages_per_sec = 5;
    let url = start_server_with(config).await;
    let base = http_base(&url);
    let peer = peer_url(&base, APP, "server");
    let channel = channel_url(&base, APP, "server");
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    // Peer and channel messages count together.
    for i in 0..7 {
        let answer = if i % 2 == 0 {
            post(&peer, r#"{"destination":"bob","payload":"hi"}"#).await
        } else {
            post(&channel, r#"{"channel_name":"room","payload":"hi"}"#).await
        };
        if answer.status == 429 {
            assert_failed(&answer, 429, "too_many_requests");
        }
        statuses.push(answer.status);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "the burst fits in one second");
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Refused calls do not count; a second later the app may send again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_success(&post(&peer, r#"{"destination":"bob","payload":"hi"}"#).await, "message_sent");
    // A refused credential does not spend the app's budget.
    let mut config = rest_config();
    config.limits.rest_messages_per_sec = 1;
    let url = start_server_with(config).await;
    let peer = peer_url(&http_base(&url), APP, "server");
    for _ in 0..3 {
        let wrong = basic(KEY, "wrong");
        let answer =
            call("POST", &peer, &[("authorization", &wrong), ("content-type", "application/json")], "{}")
                .await;
        assert_failed(&answer, 401, "unauthorized");
    }
    assert_success(&post(&peer, r#"{"destination":"bob","payload":"hi"}"#).await, "message_sent");
}
