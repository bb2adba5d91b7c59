//! The probes an operator's load balancer and orchestrator use, over real
//! HTTP: `/healthz` (the process runs) and `/readyz` (the node can serve).

mod common;
use common::*;

/// GET `path` on the server of `ws_url`; returns (status, body).
async fn get(ws_url: &str, path: &str) -> (u16, String) {
    let (status, _, body) = http_get(ws_url, path).await;
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
