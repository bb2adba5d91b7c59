//! Two rtm-server nodes, each on its own Redis engine — two connections, two
//! brokers, nothing shared in memory, as two processes would be — on one real
//! redis-server (tests/redis_server/): users on real WebSockets see one
//! system. Peer messages and their acknowledgements, presence, channel
//! members and messages all cross the nodes through Redis.

mod common;
mod redis_server;

use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};

async fn cluster() -> (String, String) {
    let urls = redis_server::rtm_cluster(2).await;
    (urls[0].clone(), urls[1].clone())
}

fn text(s: &str) -> Payload {
    Payload::Text(s.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_messages_and_presence_cross_nodes_through_redis() {
    let (a, b) = cluster().await;
    let mut alice = TestClient::login(&a, "app", "alice").await;
    let mut bob = TestClient::login(&b, "app", "bob").await;
    let r = alice.request(Request::QueryOnline { peers: vec!["bob".into(), "carol".into()] }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![true, false] }), "bob is online on the other node");

    let id =
        alice.send_frame(Request::SendPeer { peer: "bob".into(), payload: text("hi"), offline: false }).await;
    let (delivery, from) = bob
        .wait_for(10, "alice's message", |p| match p {
            Push::PeerMessage { delivery, from, payload, .. } if payload == text("hi") => {
                Some((delivery, from))
            }
            _ => None,
        })
        .await;
    assert_eq!(from, "alice");
    bob.send_frame(Request::PeerAck { delivery }).await;
    let reply = within(10, "alice's reply", alice.reply_to(id)).await;
    assert_eq!(reply, Ok(Reply::PeerSent { has_peer_received: true }), "the ack came back through Redis");

    // Stored for an offline user on one node, delivered at login on the other.
    let r =
        bob.request(Request::SendPeer { peer: "carol".into(), payload: text("later"), offline: true }).await;
    assert_eq!(r, Ok(Reply::PeerSent { has_peer_received: false }));
    let mut carol = TestClient::login(&a, "app", "carol").await;
    let offline = carol
        .wait_for(10, "the stored message", |p| match p {
            Push::PeerMessage { from, payload, offline, .. } if payload == text("later") => {
                Some((from, offline))
            }
            _ => None,
        })
        .await;
    assert_eq!(offline, ("bob".to_owned(), true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_members_and_messages_cross_nodes_through_redis() {
    let (a, b) = cluster().await;
    let mut one = TestClient::login(&a, "app", "one").await;
    assert_eq!(one.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    let mut two = TestClient::login(&b, "app", "two").await;
    assert_eq!(two.request(Request::Join { channel: "room".into() }).await, Ok(Reply::Done));
    one.wait_for(10, "two joined", |p| match p {
        Push::MemberJoined { channel, uid } if channel == "room" && uid == "two" => Some(()),
        _ => None,
    })
    .await;
    let r = two.request(Request::GetMemberCount { channels: vec!["room".into()] }).await;
    assert_eq!(r, Ok(Reply::MemberCounts { counts: vec![2] }));

    let r = two.request(Request::SendChannel { channel: "room".into(), payload: text("hello room") }).await;
    assert_eq!(r, Ok(Reply::Done));
    let from = one
        .wait_for(10, "the channel message", |p| match p {
            Push::ChannelMessage { channel, from, payload, .. }
                if channel == "room" && payload == text("hello room") =>
            {
                Some(from)
            }
            _ => None,
        })
        .await;
    assert_eq!(from, "two");

    assert_eq!(two.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    one.wait_for(10, "two left", |p| match p {
        Push::MemberLeft { channel, uid } if channel == "room" && uid == "two" => Some(()),
        _ => None,
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_messages_sent_without_waiting_arrive_in_the_order_sent() {
    let (a, b) = cluster().await;
    let mut alice = TestClient::login(&a, "app", "alice").await;
    let mut bob = TestClient::login(&b, "app", "bob").await;
    let sent: Vec<String> = (0..30).map(|i| format!("m{i}")).collect();
    for t in &sent {
        alice.send_frame(Request::SendPeer { peer: "bob".into(), payload: text(t), offline: false }).await;
    }
    let mut got = Vec::new();
    while got.len() < sent.len() {
        let (delivery, t) = bob
            .wait_for(10, "alice's messages", |p| match p {
                Push::PeerMessage { delivery, payload: Payload::Text(t), .. } => Some((delivery, t)),
                _ => None,
            })
            .await;
        bob.send_frame(Request::PeerAck { delivery }).await;
        got.push(t);
    }
    assert_eq!(got, sent, "one sender's messages keep their order");
}
