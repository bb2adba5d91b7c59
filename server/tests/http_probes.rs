//! The probes an operator's load balancer and orchestrator use, over real
//! HTTP: `/healthz` (the process runs) and `/readyz` (the node can serve).

mod common;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GET `path` on the server of `ws_url`; returns (status, body).
async fn get(ws_url: &str, path: &str) -> (u16, String) {
    let addr = ws_url.trim_start_matches("ws://").trim_end_matches("/rtm");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    within(10, "the HTTP answer", tcp.read_to_string(&mut raw)).await.unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[tokio::test]
async fn an_embedded_node_is_alive_and_ready() {
    let url = start_server().await;
    assert_eq!(get(&url, "/healthz").await, (200, "ok".to_owned()));
    assert_eq!(get(&url, "/readyz").await, (200, "ready".to_owned()));
}

/// A cluster node whose Redis does not answer still starts (and says why in
/// its log), but is not ready: a load balancer sends it no clients.
#[tokio::test]
async fn a_cluster_node_without_its_redis_is_alive_but_not_ready() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free); // nothing listens there now
    let mut config = rtm_server::config::Config::for_tests();
    config.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    let url = start_server_with(config).await;
    assert_eq!(get(&url, "/healthz").await, (200, "ok".to_owned()));
    let (status, body) = get(&url, "/readyz").await;
    assert_eq!(status, 503, "{body}");
}
