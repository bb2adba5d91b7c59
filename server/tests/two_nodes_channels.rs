//! Channels across two nodes of one cluster (two `Server`s sharing one
//! embedded engine, no Redis), as members on real WebSockets see them.
//!
//! Proves that channel membership and counts are engine state while fan-out
//! goes through the channel's topic: a message reaches members on both nodes
//! and never its sender, `getMembers` and `getChannelMemberCount` answer for
//! the whole cluster, MemberJoined / MemberLeft cross nodes (leave, logout),
//! MemberCount pushes carry the cluster-wide count, and channel attributes
//! written with `notify` on one node reach members on the other as the full
//! set.

mod common;
use common::*;
use rtm_protocol::{AttrOp, ChannelAttr, Payload, Push, Reply, Request};

fn join(channel: &str) -> Request {
    Request::Join { channel: channel.into() }
}

fn say(channel: &str, text: &str) -> Request {
    Request::SendChannel { channel: channel.into(), payload: Payload::Text(text.into()) }
}

async fn joined(url: &str, uid: &str, channel: &str) -> TestClient {
    let mut c = TestClient::login(url, "app", uid).await;
    assert_eq!(c.request(join(channel)).await, Ok(Reply::Done));
    c
}

/// Waits until a MemberCount of `channel` says `count`; earlier pushes,
/// including counts that `next_event` passed over, are skipped.
async fn count_reaches(c: &mut TestClient, channel: &str, count: u32) {
    let what = format!("MemberCount {count} of {channel}");
    c.wait_for(10, &what, |p| match p {
        Push::MemberCount { channel: ch, count: n } if ch == channel && n == count => Some(()),
        _ => None,
    })
    .await
}

/// The next channel message: (from, text).
async fn next_said(c: &mut TestClient) -> (String, String) {
    match c.next_event().await {
        Push::ChannelMessage { channel, from, payload: Payload::Text(t), ts } => {
            assert_eq!(channel, "room");
            assert!(ts > 0);
            (from, t)
        }
        other => panic!("expected a channel message, got {other:?}"),
    }
}

#[tokio::test]
async fn messages_reach_members_on_both_nodes_and_never_the_sender() {
    let urls = start_cluster(2).await;
    let mut a1 = joined(&urls[0], "a1", "room").await;
    let mut b1 = joined(&urls[1], "b1", "room").await;
    let mut a2 = joined(&urls[0], "a2", "room").await;
    // Join events, across nodes: a1 sees b1 and a2, b1 sees a2.
    for uid in ["b1", "a2"] {
        assert_eq!(a1.next_event().await, Push::MemberJoined { channel: "room".into(), uid: uid.into() });
    }
    assert_eq!(b1.next_event().await, Push::MemberJoined { channel: "room".into(), uid: "a2".into() });

    // From node A: the other member on A and the one on B get it once.
    assert_eq!(a1.request(say("room", "from a1")).await, Ok(Reply::Done));
    for member in [&mut b1, &mut a2] {
        assert_eq!(next_said(member).await, ("a1".into(), "from a1".into()));
    }
    // From node B: both members on A get it.
    assert_eq!(b1.request(say("room", "from b1")).await, Ok(Reply::Done));
    for member in [&mut a1, &mut a2] {
        assert_eq!(next_said(member).await, ("b1".into(), "from b1".into()));
    }
    // Neither sender heard itself: the next message each gets is the other's.
    assert_eq!(a2.request(say("room", "from a2")).await, Ok(Reply::Done));
    assert_eq!(next_said(&mut a1).await, ("a2".into(), "from a2".into()), "a1 did not get its own");
    assert_eq!(next_said(&mut b1).await, ("a2".into(), "from a2".into()), "b1 did not get its own");
    a2.expect_none(300, "a2 hears its own message", |p| matches!(p, Push::ChannelMessage { .. })).await;
}

#[tokio::test]
async fn member_lists_and_counts_span_both_nodes() {
    let urls = start_cluster(2).await;
    let mut a = joined(&urls[0], "a", "room").await;
    let mut b = joined(&urls[1], "b", "room").await;
    let _c = joined(&urls[1], "c", "room").await;
    let _d = joined(&urls[0], "d", "other").await;
    for (who, client) in [("a", &mut a), ("b", &mut b)] {
        let Ok(Reply::Members { mut members }) =
            client.request(Request::GetMembers { channel: "room".into() }).await
        else {
            panic!("getMembers from {who}")
        };
        members.sort();
        assert_eq!(members, ["a", "b", "c"], "asked on {who}'s node");
    }
    let channels = vec!["room".into(), "other".into(), "empty".into()];
    for client in [&mut a, &mut b] {
        let r = client.request(Request::GetMemberCount { channels: channels.clone() }).await;
        assert_eq!(r, Ok(Reply::MemberCounts { counts: vec![3, 1, 0] }));
    }
}

#[tokio::test]
async fn joins_leaves_and_counts_cross_nodes() {
    let urls = start_cluster(2).await;
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    a.request(join("room")).await.unwrap();
    assert_eq!(a.next_push().await, Push::MemberCount { channel: "room".into(), count: 1 }, "after joining");

    // b joins on node B: its first count already includes a on node A.
    let mut b = TestClient::login(&urls[1], "app", "b").await;
    b.request(join("room")).await.unwrap();
    assert_eq!(b.next_push().await, Push::MemberCount { channel: "room".into(), count: 2 }, "after joining");
    assert_eq!(a.next_event().await, Push::MemberJoined { channel: "room".into(), uid: "b".into() });
    count_reaches(&mut a, "room", 2).await;

    // c joins on node A: b on node B is told, and counts 3.
    let mut c = joined(&urls[0], "c", "room").await;
    assert_eq!(b.next_event().await, Push::MemberJoined { channel: "room".into(), uid: "c".into() });
    count_reaches(&mut b, "room", 3).await;

    // c leaves (node A): b sees it on node B, and the count drop.
    assert_eq!(c.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(b.next_event().await, Push::MemberLeft { channel: "room".into(), uid: "c".into() });
    assert_eq!(a.next_event().await, Push::MemberJoined { channel: "room".into(), uid: "c".into() });
    assert_eq!(a.next_event().await, Push::MemberLeft { channel: "room".into(), uid: "c".into() });
    count_reaches(&mut b, "room", 2).await;

    // b logs out (node B): a sees it leave on node A.
    b.request(Request::Logout).await.unwrap();
    assert_eq!(a.next_event().await, Push::MemberLeft { channel: "room".into(), uid: "b".into() });
    count_reaches(&mut a, "room", 1).await;
    let r = a.request(Request::GetMemberCount { channels: vec!["room".into()] }).await;
    assert_eq!(r, Ok(Reply::MemberCounts { counts: vec![1] }));
}

#[tokio::test]
async fn channel_attributes_written_on_one_node_notify_members_on_the_other() {
    let urls = start_cluster(2).await;
    let mut b = joined(&urls[1], "b", "room").await;
    // The writer, on node A, need not be a member.
    let mut a = TestClient::login(&urls[0], "app", "a").await;
    let set = AttrOp::Set(vec![("k1".into(), "v1".into()), ("k2".into(), "v2".into())]);
    let r = a.request(Request::ChannelAttrs { channel: "room".into(), op: set, notify: true }).await;
    assert_eq!(r, Ok(Reply::Done));
    let attrs = |p: Push| match p {
        Push::ChannelAttrs { channel, attrs } if channel == "room" => Some(attrs),
        _ => None,
    };
    let summary = |attrs: &[ChannelAttr]| -> Vec<(String, String, String)> {
        let mut v: Vec<_> =
            attrs.iter().map(|a| (a.key.clone(), a.value.clone(), a.last_update_uid.clone())).collect();
        v.sort();
        v
    };
    let got = b.wait_for(10, "the ChannelAttrs push", attrs).await;
    assert_eq!(
        summary(&got),
        [("k1".into(), "v1".into(), "a".into()), ("k2".into(), "v2".into(), "a".into())],
        "the full set"
    );
    assert!(got.iter().all(|a| a.last_update_ts > 0));

    // A later write pushes the full set again, not just the change.
    let upsert = AttrOp::Upsert(vec![("k3".into(), "v3".into())]);
    let r = a.request(Request::ChannelAttrs { channel: "room".into(), op: upsert, notify: true }).await;
    assert_eq!(r, Ok(Reply::Done));
    let got = b.wait_for(10, "the second ChannelAttrs push", attrs).await;
    let keys: Vec<String> = summary(&got).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys, ["k1", "k2", "k3"]);

    // Without notify: stored (readable from node B), not pushed.
    let quiet = AttrOp::Delete(vec!["k1".into()]);
    let r = a.request(Request::ChannelAttrs { channel: "room".into(), op: quiet, notify: false }).await;
    assert_eq!(r, Ok(Reply::Done));
    let Ok(Reply::ChannelAttrs { attrs: read }) =
        b.request(Request::GetChannelAttrs { channel: "room".into(), keys: None }).await
    else {
        panic!("getChannelAttributes on node B")
    };
    let keys: Vec<String> = summary(&read).into_iter().map(|(k, _, _)| k).collect();
    assert_eq!(keys, ["k2", "k3"]);
    b.expect_none(300, "a push without notify", |p| matches!(p, Push::ChannelAttrs { .. })).await;
}
