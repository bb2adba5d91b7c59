//! Slots a misbehaving client cannot keep from others, on a real server over
//! real sockets: sockets that never log in are closed at the login deadline,
//! one address gets only its share of the connections, a client that stops
//! reading is dropped when a write stalls, and only allowed browser origins
//! may connect.

mod common;
use common::*;
use rtm_protocol::{Payload, Reply, Request};
use rtm_server::config::Config;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Connects, or says the HTTP status the upgrade was refused with.
async fn try_connect(url: &str, origin: Option<&str>) -> Result<(), u16> {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", rtm_protocol::SUBPROTOCOL.parse().unwrap());
    if let Some(origin) = origin {
        req.headers_mut().insert("Origin", origin.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect: {e}"),
    }
}

#[tokio::test]
async fn sockets_that_never_log_in_cannot_keep_a_real_user_out() {
    let mut config = Config::for_tests();
    config.limits.max_connections = 20;
    let url = start_server_with(config).await;
    // Every slot taken by sockets that never log in (pings do not count as life).
    let mut squatters = Vec::new();
    for _ in 0..20 {
        squatters.push(TestClient::connect(&url).await);
    }
    let pinged = squatters[0].request(Request::Ping).await;
    assert_eq!(pinged.map_err(|e| e.code), Err(102), "no ping before login");
    assert_eq!(try_connect(&url, None).await, Err(503), "full");
    let start = Instant::now();
    let user = loop {
        if try_connect(&url, None).await.is_ok() {
            break TestClient::login(&url, "app", "alice").await;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "a real user was kept out for 15 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    drop(user);
    let close = within(5, "a squatter's close", squatters[1].expect_close()).await;
    assert_eq!(u16::from(close.code), 4003, "closed at the login deadline: {close:?}");
}

#[tokio::test]
async fn one_address_gets_only_its_share_of_the_connections() {
    let mut config = Config::for_tests();
    config.limits.max_connections_per_ip = 3;
    let url = start_server_with(config).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TestClient::connect(&url).await);
    }
    assert_eq!(try_connect(&url, None).await, Err(429), "a fourth from 127.0.0.1");
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(try_connect(&url, None).await, Ok(()), "a closed connection gives its share back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_loses_its_slot() {
    let mut config = Config::for_tests();
    config.limits.max_connections = 2;
    config.limits.write_timeout_secs = 2;
    let url = start_server_with(config).await;
    // Alice stops reading; bob fills her socket, then her queue.
    let mut alice = TestClient::connect_narrow(&url).await;
    let r = alice.request(Request::Login { app_id: "app".into(), uid: "alice".into(), token: None }).await;
    assert!(matches!(r, Ok(Reply::LoggedIn { .. })));
    let mut bob = TestClient::login(&url, "app", "bob").await;
    let big = Payload::Text("x".repeat(30_000));
    for _ in 0..170 {
        bob.send_frame(Request::SendPeer { peer: "alice".into(), payload: big.clone(), offline: false })
            .await;
    }
    // Her connection must go, and its slot come back, though she never reads
    // again (bob keeps the other slot).
    let start = Instant::now();
    while try_connect(&url, None).await.is_err() {
        assert!(start.elapsed() < Duration::from_secs(15), "the stalled connection still holds its slot");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop((alice, bob));
}

#[tokio::test]
async fn only_allowed_browser_origins_may_connect() {
    let mut config = Config::for_tests();
    config.allowed_origins = vec!["https://app.example.com".into()];
    let url = start_server_with(config).await;
    assert_eq!(try_connect(&url, Some("https://app.example.com")).await, Ok(()));
    assert_eq!(try_connect(&url, Some("https://evil.example.net")).await, Err(403));
    assert_eq!(try_connect(&url, None).await, Ok(()), "app servers and bots send no Origin");
}
