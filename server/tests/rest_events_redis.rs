//! The REST event queries in cluster mode: two nodes, each on its own Redis
//! engine, on one real redis-server. Logins, joins, leaves and logouts on
//! either node are read through the other, in order, and a query on one node
//! takes them for the whole cluster: the other node does not return them
//! again. The nodes run in development mode, so any token authenticates.

mod common;
mod redis_server;
mod rest_http;

use common::*;
use rest_http::*;
use rtm_protocol::{Reply, Request};

const TOKEN: [(&str, &str); 2] = [("x-agora-token", "any"), ("x-agora-uid", "server")];

async fn summaries(base: &str, which: &str) -> Vec<String> {
    get_events(base, "app", which, &TOKEN).await.iter().map(event_summary).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_on_either_node_are_read_once_through_the_other() {
    let urls = redis_server::rtm_cluster(2).await;
    let (base_1, base_2) = (http_base(&urls[0]), http_base(&urls[1]));
    let mut alice = TestClient::login(&urls[1], "app", "alice").await;
    assert_eq!(alice.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    let mut bob = TestClient::login(&urls[0], "app", "bob").await;
    assert_eq!(bob.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(alice.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(alice.request(Request::Logout).await, Ok(Reply::Done));

    assert_eq!(summaries(&base_1, "user_events").await, ["Login:alice", "Login:bob", "Logout:alice"]);
    assert_eq!(
        summaries(&base_1, "channel_events").await,
        ["Join:room:alice", "Join:room:bob", "Leave:room:alice"]
    );
    assert!(summaries(&base_2, "user_events").await.is_empty(), "taken for the whole cluster");
    assert!(summaries(&base_2, "channel_events").await.is_empty());

    // And the other way round: bob's leave on node 1, read on node 2.
    assert_eq!(bob.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(summaries(&base_2, "channel_events").await, ["Leave:room:bob"]);
    assert!(summaries(&base_1, "channel_events").await.is_empty());
}
