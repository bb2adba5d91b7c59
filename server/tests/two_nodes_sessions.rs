//! Sessions across two nodes of one cluster (two `Server`s sharing one
//! embedded engine, no Redis): a remote login from the other node, and a node
//! that stops.
//!
//! Proves that a login on node B takes the user from node A through the
//! engine (presence claim, then a Kick on A's node topic): A's client gets
//! Kicked(REMOTE_LOGIN) and close 4001, A's session leaves its channels,
//! watchers see no OFFLINE blip, and messages reach the user on B. And that
//! presence is a lease: when node A stops, its services are dropped and its
//! lease lapses, and node B's reaper tells the cluster what a clean logout
//! would have — OFFLINE to subscribers, MemberLeft and the lower count to
//! channel members — within a few seconds, even though A's sessions were
//! left in a long grace period that would otherwise have kept them.

mod common;
use common::*;
use rtm_protocol::{ConnectionChangeReason, Payload, PeerState, Push, Reply, Request};
use rtm_server::config::Config;
use std::time::Duration;

fn join(channel: &str) -> Request {
    Request::Join { channel: channel.into() }
}

fn peers(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn left(uid: &str) -> Push {
    Push::MemberLeft { channel: "room".into(), uid: uid.into() }
}

async fn members(c: &mut TestClient) -> Vec<String> {
    match c.request(Request::GetMembers { channel: "room".into() }).await {
        Ok(Reply::Members { mut members }) => {
            members.sort();
            members
        }
        other => panic!("getMembers: {other:?}"),
    }
}

/// Waits until a MemberCount of "room" says `count`.
async fn count_reaches(c: &mut TestClient, count: u32) {
    c.wait_for(10, &format!("MemberCount {count}"), |p| match p {
        Push::MemberCount { count: n, .. } if n == count => Some(()),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_login_on_node_b_kicks_the_session_on_node_a() {
    let urls = start_cluster(2).await;
    let mut alice_a = TestClient::login(&urls[0], "app", "alice").await;
    alice_a.request(join("room")).await.unwrap();
    let mut bob = TestClient::login(&urls[1], "app", "bob").await;
    bob.request(join("room")).await.unwrap();
    let r = bob.request(Request::Subscribe { peers: peers(&["alice"]) }).await;
    assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::ONLINE] }));
    assert_eq!(members(&mut bob).await, ["alice", "bob"]);

    // alice logs in again, on node B.
    let mut alice_b = TestClient::login(&urls[1], "app", "alice").await;
    let kicked = alice_a
        .wait_for(10, "the Kicked push", |p| match p {
            Push::Kicked { reason } => Some(reason),
            _ => None,
        })
        .await;
    assert_eq!(kicked, ConnectionChangeReason::REMOTE_LOGIN);
    let close = within(10, "the close frame", alice_a.expect_close()).await;
    assert_eq!(u16::from(close.code), 4001);

    // The session on node A left its channels.
    assert_eq!(bob.next_event().await, left("alice"));
    count_reaches(&mut bob, 1).await;
    assert_eq!(members(&mut bob).await, ["bob"]);
    // Still online all along: a remote login is not a change of state.
    bob.expect_none(300, "a state change for a remote login", |p| matches!(p, Push::PeerState { .. })).await;
    let r = bob.request(Request::QueryOnline { peers: peers(&["alice"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![true] }));

    // Messages reach alice on node B now.
    let id = bob
        .send_frame(Request::SendPeer {
            peer: "alice".into(),
            payload: Payload::Text("hi".into()),
            offline: false,
        })
        .await;
    let delivery = alice_b
        .wait_for(10, "the peer message", |p| match p {
            Push::PeerMessage { delivery, from, .. } if from == "bob" => Some(delivery),
            _ => None,
        })
        .await;
    alice_b.send_frame(Request::PeerAck { delivery }).await;
    assert_eq!(
        within(10, "bob's reply", bob.reply_to(id)).await,
        Ok(Reply::PeerSent { has_peer_received: true })
    );
    // And alice on B can join again: bob sees her come back.
    assert_eq!(alice_b.request(join("room")).await, Ok(Reply::Done));
    let joined = Push::MemberJoined { channel: "room".into(), uid: "alice".into() };
    bob.wait_for(10, "alice's MemberJoined", |p| (p == joined).then_some(())).await;
}

#[tokio::test]
async fn a_login_on_node_a_kicks_the_session_on_node_b() {
    let urls = start_cluster(2).await;
    let mut alice_b = TestClient::login(&urls[1], "app", "alice").await;
    let mut alice_a = TestClient::login(&urls[0], "app", "alice").await;
    assert_eq!(
        alice_b.wait_for(10, "the Kicked push", |p| matches!(p, Push::Kicked { .. }).then_some(p)).await,
        Push::Kicked { reason: ConnectionChangeReason::REMOTE_LOGIN }
    );
    assert_eq!(u16::from(within(10, "the close frame", alice_b.expect_close()).await.code), 4001);
    // The new session is the user: a request on it works.
    assert_eq!(alice_a.request(join("room")).await, Ok(Reply::Done));
}

/// Both nodes with a short lease and a long grace period: when node A stops,
/// only the lapse of its lease can end its users in time.
fn lease_config() -> Config {
    let mut config = Config::for_tests();
    config.lease = Duration::from_millis(1_500);
    config.grace = Duration::from_secs(120);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_node_a_stops_its_lease_lapses_and_node_b_reaps_its_users() {
    let mut nodes = start_stoppable_cluster(vec![lease_config(), lease_config()]).await;
    let (url_a, url_b) = (nodes[0].url.clone(), nodes[1].url.clone());
    let mut alice = TestClient::login(&url_a, "app", "alice").await;
    alice.request(join("room")).await.unwrap();
    let mut carol = TestClient::login(&url_a, "app", "carol").await;
    carol.request(join("room")).await.unwrap();
    let mut bob = TestClient::login(&url_b, "app", "bob").await;
    bob.request(join("room")).await.unwrap();
    count_reaches(&mut bob, 3).await;
    let r = bob.request(Request::Subscribe { peers: peers(&["alice", "carol"]) }).await;
    assert_eq!(r, Ok(Reply::PeerStates { states: vec![PeerState::ONLINE, PeerState::ONLINE] }));
    // A lease renewed in time keeps A's users: nothing happens for two leases.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    bob.expect_none(100, "a change while node A lives", |p| {
        matches!(p, Push::PeerState { .. } | Push::MemberLeft { .. })
    })
    .await;

    // Node A stops: its clients are told to go away.
    let node_a = nodes.remove(0);
    let stopping = tokio::spawn(node_a.stop());
    for c in [&mut alice, &mut carol] {
        assert_eq!(u16::from(within(10, "the close frame", c.expect_close()).await.code), 1001);
    }
    drop((alice, carol)); // hang up, as the SDK does after a close
    within(10, "node A to stop", stopping).await.unwrap();

    // Within a few seconds bob (on node B) sees each of A's users go OFFLINE
    // (UNREACHABLE may come first: the dropped links) and leave the channel.
    // The reaper's events and the count ticker interleave freely: take the
    // pushes as they come, until the last count says 1.
    let (mut offline, mut gone, mut count) = (Vec::new(), Vec::new(), None);
    within(8, "OFFLINE, MemberLeft and the count for alice and carol", async {
        while offline.len() < 2 || gone.len() < 2 || count != Some(1) {
            match bob.next_push().await {
                Push::PeerState { uid, state: PeerState::OFFLINE } => offline.push(uid),
                Push::PeerState { state: PeerState::UNREACHABLE, .. } => {}
                Push::MemberLeft { channel, uid } if channel == "room" => gone.push(uid),
                Push::MemberCount { count: n, .. } => count = Some(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await;
    offline.sort();
    gone.sort();
    assert_eq!((offline, gone), (peers(&["alice", "carol"]), peers(&["alice", "carol"])));
    assert_eq!(members(&mut bob).await, ["bob"]);
    let r = bob.request(Request::QueryOnline { peers: peers(&["alice", "carol"]) }).await;
    assert_eq!(r, Ok(Reply::Online { online: vec![false, false] }));

    // alice's client comes back on node B: a fresh login, ONLINE again.
    let mut alice = TestClient::login(&url_b, "app", "alice").await;
    assert_eq!(alice.request(join("room")).await, Ok(Reply::Done));
    let online = Push::PeerState { uid: "alice".into(), state: PeerState::ONLINE };
    bob.wait_for(10, "alice ONLINE again", |p| (p == online).then_some(())).await;
    count_reaches(&mut bob, 2).await;
}
