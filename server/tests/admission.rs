//! Slots a misbehaving client cannot keep from others, on a real server over
//! real sockets: sockets that never log in are closed at the login deadline,
//! one address gets only its share of the connections, a client that stops
//! reading is dropped when a write stalls, only allowed browser origins
//! may connect, and HTTP connections that dawdle over their request headers
//! are closed.

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

/// Reads until the server closes `stream`; false if it is still open after `secs`.
async fn closed_within(stream: &mut tokio::net::TcpStream, secs: u64) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(secs), read_all).await.is_ok()
}

#[tokio::test]
async fn connections_that_dawdle_over_their_headers_are_closed() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let mut config = Config::for_tests();
    config.limits.header_read_timeout_secs = 1;
    let url = start_server_with(config).await;
    let addr = url.trim_start_matches("ws://").split('/').next().unwrap().to_string();

    // Silent, and a byte at a time (slowloris): both closed at the deadline.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    let drip = async {
        for b in b"GET /rtm HTTP/1.1\r\nHost: x\r\nX-Slow: " {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut slow, 5).await
    };
    let (silent_closed, slow_closed) = tokio::join!(closed_within(&mut silent, 5), drip);
    assert!(silent_closed, "a connection that sends nothing is closed");
    assert!(slow_closed, "a connection that drips its headers is closed");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed at the 1 s deadline: {:?}",
        started.elapsed()
    );

    // An idle keep-alive connection after a request is held no longer.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut idle, 5).await, "an idle keep-alive connection is closed");

    // Prompt clients are served as ever.
    assert_eq!(try_connect(&url, None).await, Ok(()));
    drop(TestClient::login(&url, "app", "alice").await);
}
