//! The REST API's authentication over real HTTP: HTTP Basic with the app's
//! customer key and secret, or an RTM token with its uid; anything else is
//! 401 with Agora's failure JSON, and nothing is sent.

mod common;
mod rest_http;
use common::*;
use rest_http::*;
use rtm_protocol::Push;
use rtm_server::token::build_007;

const BODY: &str = r#"{"destination":"bob","payload":"hi"}"#;

#[tokio::test]
async fn basic_auth_with_the_apps_key_and_secret_sends() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    assert_success(&post(&peer_url(&base, APP, "server"), BODY).await, "message_sent");
    let got = bob.wait_for(5, "the REST message", |p| match p {
        Push::PeerMessage { from, .. } => Some(from),
        _ => None,
    });
    assert_eq!(got.await, "server");
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_and_send_nothing() {
    let url = start_server_with(rest_config()).await;
    let base = http_base(&url);
    let mut bob = TestClient::login(&url, APP, "bob").await;
    let json = ("content-type", "application/json");
    let target = peer_url(&base, APP, "server");
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no credentials", vec![]),
        ("wrong secret", vec![("authorization", basic(KEY, "nope"))]),
        ("wrong key", vec![("authorization", basic("nope", SECRET))]),
        ("not Basic", vec![("authorization", format!("Bearer {SECRET}"))]),
        ("not base64", vec![("authorization", "Basic %%%".into())]),
        ("a token without its uid", vec![("x-agora-token", "007abc".into())]),
    ];
    for (what, headers) in cases {
        let mut all: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        all.push(json);
        let answer = call("POST", &target, &all, BODY).await;
        assert_failed(&answer, 401, "unauthorized");
        eprintln!("{what}: {}", answer.json["message"]);
    }
    // Another app's URL with this app's pair: that app has no REST credentials.
    let answer = post(&peer_url(&base, "otherapp", "server"), BODY).await;
    assert_failed(&answer, 401, "unauthorized");
    bob.expect_none(300, "a message from a refused request", |p| matches!(p, Push::PeerMessage { .. })).await;
}

#[tokio::test]
async fn token_auth_sends_only_as_the_tokens_user() {
    let mut config = rest_config();
    config.apps.insert("certapp".into(), Some("certificate-1".into()));
    let url = start_server_with(config).await;
    let base = http_base(&url);
    let now = (rtm_server::clock::now_ms() / 1000) as u32;
    let token = build_007("certapp", "certificate-1", "server", 600, now, 7);
    let json = ("content-type", "application/json");
    let mut bob = TestClient::login_with(
        &url,
        "certapp",
        "bob",
        Some(build_007("certapp", "certificate-1", "bob", 600, now, 8)),
    )
    .await
    .0;

    let ok = call(
        "POST",
        &peer_url(&base, "certapp", "server"),
        &[("x-agora-token", &token), ("x-agora-uid", "server"), json],
        BODY,
    )
    .await;
    assert_success(&ok, "message_sent");
    let from = bob.wait_for(5, "the token-authenticated message", |p| match p {
        Push::PeerMessage { from, .. } => Some(from),
        _ => None,
    });
    assert_eq!(from.await, "server");

    // The token's user may not send as another user.
    let other = call(
        "POST",
        &peer_url(&base, "certapp", "mallory"),
        &[("x-agora-token", &token), ("x-agora-uid", "server"), json],
        BODY,
    )
    .await;
    assert_failed(&other, 401, "unauthorized");
    // Claiming the path's user with another user's token.
    let claimed = call(
        "POST",
        &peer_url(&base, "certapp", "mallory"),
        &[("x-agora-token", &token), ("x-agora-uid", "mallory"), json],
        BODY,
    )
    .await;
    assert_failed(&claimed, 401, "unauthorized");
    // A token signed with another certificate.
    let forged = build_007("certapp", "not-the-certificate", "server", 600, now, 9);
    let bad = call(
        "POST",
        &peer_url(&base, "certapp", "server"),
        &[("x-agora-token", &forged), ("x-agora-uid", "server"), json],
        BODY,
    )
    .await;
    assert_failed(&bad, 401, "unauthorized");
    // An expired one.
    let expired = build_007("certapp", "certificate-1", "server", 60, now - 3600, 10);
    let late = call(
        "POST",
        &peer_url(&base, "certapp", "server"),
        &[("x-agora-token", &expired), ("x-agora-uid", "server"), json],
        BODY,
    )
    .await;
    assert_failed(&late, 401, "unauthorized");
    bob.expect_none(300, "a message from a refused request", |p| matches!(p, Push::PeerMessage { .. })).await;
}

#[tokio::test]
async fn credentials_come_before_the_body_is_read() {
    let url = start_server_with(rest_config()).await;
    let answer = call(
        "POST",
        &peer_url(&http_base(&url), APP, "server"),
        &[("content-type", "application/json")],
        "not json at all",
    )
    .await;
    assert_failed(&answer, 401, "unauthorized");
}
