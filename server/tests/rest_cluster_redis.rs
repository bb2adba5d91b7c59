//! The REST API in cluster mode: two nodes, each on its own Redis engine, on
//! one real redis-server. A REST call to one node reaches an SDK user on the
//! other, and `wait_for_ack` hears that user's acknowledgement back through
//! Redis; channel messages fan out on the other node. The nodes run in
//! development mode, so token authentication takes any token.

mod common;
mod redis_server;
mod rest_http;

use common::*;
use rest_http::*;
use rtm_protocol::{Payload, Push, Reply, Request};

fn as_server() -> [(&'static str, &'static str); 3] {
    [("x-agora-token", "any"), ("x-agora-uid", "server"), ("content-type", "application/json")]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_call_on_one_node_reaches_and_hears_back_from_the_other() {
    let urls = redis_server::rtm_cluster(2).await;
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;
    assert_eq!(bob.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    let base = http_base(&urls[0]);

    let target = format!("{}?wait_for_ack=true", peer_url(&base, "app", "server"));
    let sending = tokio::spawn(async move {
        call("POST", &target, &as_server(), r#"{"destination":"bob","payload":"through redis"}"#).await
    });
    let (delivery, from) = bob
        .wait_for(10, "the REST message", |p| match p {
            Push::PeerMessage { delivery, from, payload: Payload::Text(t), .. } if t == "through redis" => {
                Some((delivery, from))
            }
            _ => None,
        })
        .await;
    assert_eq!(from, "server");
    bob.send_frame(Request::PeerAck { delivery }).await;
    assert_success(&within(10, "the REST answer", sending).await.unwrap(), "message_delivered");

    let target = format!("{}?wait_for_ack=true", peer_url(&base, "app", "server"));
    let offline = call("POST", &target, &as_server(), r#"{"destination":"nobody","payload":"x"}"#).await;
    assert_success(&offline, "message_offline");

    let channel = call(
        "POST",
        &channel_url(&base, "app", "server"),
        &as_server(),
        r#"{"channel_name":"room","payload":"to the room"}"#,
    )
    .await;
    assert_success(&channel, "message_sent");
    let got = bob
        .wait_for(10, "the REST channel message", |p| match p {
            Push::ChannelMessage { from, payload: Payload::Text(t), .. } => Some((from, t)),
            _ => None,
        })
        .await;
    assert_eq!(got, ("server".to_owned(), "to the room".to_owned()));
}
