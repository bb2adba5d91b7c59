//! Channels over real sockets: fan-out, member events, counts and limits.

mod common;
use common::*;
use rtm_protocol::{Payload, Push, Reply, Request};
use std::time::Duration;

fn join(channel: &str) -> Request {
    Request::Join { channel: channel.into() }
}

fn say(channel: &str, text: &str) -> Request {
    Request::SendChannel { channel: channel.into(), payload: Payload::Text(text.into()) }
}

/// The next push that is not a member count (counts arrive on their own clock).
async fn next_event(c: &mut TestClient) -> Push {
    loop {
        match c.next_push().await {
            Push::MemberCount { .. } => continue,
            p => return p,
        }
    }
}

async fn joined(url: &str, uid: &str, channel: &str) -> TestClient {
    let mut c = TestClient::login(url, "app", uid).await;
    assert_eq!(c.request(join(channel)).await, Ok(Reply::Done));
    c
}

#[tokio::test]
async fn messages_reach_every_other_member_and_never_the_sender() {
    let url = start_server().await;
    let mut a = joined(&url, "a", "room").await;
    let mut b = joined(&url, "b", "room").await;
    let mut c = joined(&url, "c", "room").await;
    // Drain the join events: a saw b and c join, b saw c.
    for (who, n) in [(&mut a, 2), (&mut b, 1)] {
        for _ in 0..n {
            assert!(matches!(next_event(who).await, Push::MemberJoined { .. }));
        }
    }
    assert_eq!(a.request(say("room", "hi all")).await, Ok(Reply::Done));
    for member in [&mut b, &mut c] {
        match next_event(member).await {
            Push::ChannelMessage { channel, from, payload, ts } => {
                assert_eq!((channel.as_str(), from.as_str()), ("room", "a"));
                assert_eq!(payload, Payload::Text("hi all".into()));
                assert!(ts > 0);
            }
            other => panic!("expected the message, got {other:?}"),
        }
    }
    // The sender gets nothing: its next event is b's message, not its own.
    assert_eq!(b.request(say("room", "from b")).await, Ok(Reply::Done));
    match next_event(&mut a).await {
        Push::ChannelMessage { from, .. } => assert_eq!(from, "b"),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn members_see_joins_and_leaves_and_counts() {
    let url = start_server().await;
    let mut a = TestClient::login(&url, "app", "a").await;
    a.request(join("room")).await.unwrap();
    assert_eq!(
        a.next_push().await,
        Push::MemberCount { channel: "room".into(), count: 1 },
        "count after join"
    );
    let mut b = joined(&url, "b", "room").await;
    assert_eq!(next_event(&mut a).await, Push::MemberJoined { channel: "room".into(), uid: "b".into() });
    // a's count follows within the 1 s cadence.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let mut counts = Vec::new();
    while let Ok(p) = tokio::time::timeout(Duration::from_millis(300), a.next_push()).await {
        if let Push::MemberCount { count, .. } = p {
            counts.push(count);
        }
    }
    assert_eq!(counts.last(), Some(&2), "{counts:?}");
    assert_eq!(b.request(Request::Leave { channel: "room".into() }).await, Ok(Reply::Done));
    assert_eq!(next_event(&mut a).await, Push::MemberLeft { channel: "room".into(), uid: "b".into() });
    // Logout and a remote login also leave.
    let mut c = joined(&url, "c", "room").await;
    assert!(matches!(next_event(&mut a).await, Push::MemberJoined { .. }));
    c.request(Request::Logout).await.unwrap();
    assert_eq!(next_event(&mut a).await, Push::MemberLeft { channel: "room".into(), uid: "c".into() });
    let _d1 = joined(&url, "d", "room").await;
    assert!(matches!(next_event(&mut a).await, Push::MemberJoined { .. }));
    let _d2 = TestClient::login(&url, "app", "d").await;
    assert_eq!(next_event(&mut a).await, Push::MemberLeft { channel: "room".into(), uid: "d".into() });
}

#[tokio::test]
async fn lists_counts_and_limits() {
    let url = start_server().await;
    let mut a = joined(&url, "a", "room").await;
    let _b = joined(&url, "b", "room").await;
    let Ok(Reply::Members { mut members }) = a.request(Request::GetMembers { channel: "room".into() }).await
    else {
        panic!("members")
    };
    members.sort();
    assert_eq!(members, ["a", "b"]);
    let counts = a.request(Request::GetMemberCount { channels: vec!["room".into(), "empty".into()] }).await;
    assert_eq!(counts, Ok(Reply::MemberCounts { counts: vec![2, 0] }));
    let again = a.request(Request::GetMemberCount { channels: vec!["room".into()] }).await;
    assert_eq!(again.unwrap_err().code, 3, "one count query per second");
    let code = |r: Result<Reply, rtm_protocol::ErrorReply>| r.unwrap_err().code;
    assert_eq!(code(a.request(Request::GetMembers { channel: "elsewhere".into() }).await), 5);
    assert_eq!(code(a.request(say("elsewhere", "x")).await), 5, "send to a channel not joined");
    assert_eq!(code(a.request(Request::Leave { channel: "elsewhere".into() }).await), 3);
    assert_eq!(code(a.request(join("room")).await), 6, "already joined");
    assert_eq!(code(a.request(join("bad/id")).await), 3);
    let big =
        Request::SendChannel { channel: "room".into(), payload: Payload::Text("x".repeat(32 * 1024 + 1)) };
    assert_eq!(code(a.request(big).await), 4);
    for i in 1..20 {
        assert_eq!(a.request(join(&format!("c{i}"))).await, Ok(Reply::Done), "join {i}");
    }
    assert_eq!(code(a.request(join("c21")).await), 5, "the 21st channel");
    let mut x = TestClient::login(&url, "app", "x").await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let too_many = Request::GetMemberCount { channels: (0..33).map(|i| format!("c{i}")).collect() };
    assert_eq!(code(x.request(too_many).await), 5);
    assert_eq!(code(x.request(Request::GetMemberCount { channels: vec![] }).await), 2);
}

#[tokio::test]
async fn other_apps_do_not_share_channels() {
    let url = start_server().await;
    let mut a = joined(&url, "a", "room").await;
    let mut other = TestClient::login(&url, "other-app", "z").await;
    other.request(join("room")).await.unwrap();
    other.request(say("room", "hello?")).await.unwrap();
    let counts = a.request(Request::GetMemberCount { channels: vec!["room".into()] }).await;
    assert_eq!(counts, Ok(Reply::MemberCounts { counts: vec![1] }));
    assert!(
        tokio::time::timeout(Duration::from_millis(300), next_event(&mut a)).await.is_err(),
        "nothing from the other app"
    );
}

/// 1,000 members on loopback: every message reaches every member but the
/// sender exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_of_1000_delivers_every_message_exactly_once() {
    const MEMBERS: usize = 1_000;
    const MESSAGES: usize = 20;
    let url = start_server().await;
    let mut clients = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        clients.push(joined(&url, &format!("m{i}"), "big").await);
    }
    let mut sender = clients.remove(0);
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                let mut got = Vec::new();
                while got.len() < MESSAGES {
                    if let Push::ChannelMessage { payload: Payload::Text(t), from, .. } = c.next_push().await
                    {
                        assert_eq!(from, "m0");
                        got.push(t.parse::<usize>().unwrap());
                    }
                }
                // Nothing more may follow: no duplicates.
                let extra = tokio::time::timeout(Duration::from_millis(200), async {
                    loop {
                        if let Push::ChannelMessage { .. } = c.next_push().await {
                            return;
                        }
                    }
                })
                .await;
                (got, extra.is_err())
            })
        })
        .collect();
    for i in 0..MESSAGES {
        assert_eq!(sender.request(say("big", &i.to_string())).await, Ok(Reply::Done));
    }
    for reader in readers {
        let (got, no_extra) = reader.await.unwrap();
        assert_eq!(got, (0..MESSAGES).collect::<Vec<_>>());
        assert!(no_extra, "a duplicate arrived");
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), async {
            loop {
                if let Push::ChannelMessage { .. } = sender.next_push().await {
                    return;
                }
            }
        })
        .await
        .is_err(),
        "the sender never gets its own message"
    );
}
