//! A dropped link, a restarted server: the client comes back by itself, as
//! the web SDK does, and nothing sent meanwhile is missed or doubled.

mod common;
use common::*;
use rtm_client::{ChannelEvent, ConnectionChangeReason as Reason, ConnectionState as State, Event, Message};
use rtm_server::config::Config;
use std::time::Duration;

/// Every text message (peer or channel) among `events`, in order.
fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::MessageFromPeer { message: Message::Text(t), .. } => Some(t.clone()),
            Event::Channel(ChannelEvent::Message { message: Message::Text(t), .. }) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severed_link_resumes_with_nothing_missed_or_doubled() {
    let url = server().await;
    let proxy = Proxy::start(&url).await;
    let (a_uid, b_uid, room) = (unique("a"), unique("b"), unique("room"));
    let (a, mut a_events) = logged_in(&proxy.url, "app", &a_uid).await;
    let (b, _) = logged_in(&url, "app", &b_uid).await;
    a.channel(&room).unwrap().join().await.unwrap();
    let b_room = b.channel(&room).unwrap();
    b_room.join().await.unwrap();
    drain(&mut a_events, 200).await;

    // B keeps sending, to A and to the channel, while A's link is cut.
    let sender = tokio::spawn(async move {
        let mut sent = Vec::new();
        for i in 0..60 {
            let peer = format!("peer {i}");
            b.send_message_to_peer(&a_uid, peer.as_str(), Default::default()).await.unwrap();
            sent.push(peer);
            let channel = format!("channel {i}");
            b_room.send_message(channel.as_str()).await.unwrap();
            sent.push(channel);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        sent
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.sever();
    let sent = sender.await.unwrap();
    let mut seen = Vec::new();
    let back = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let e = a_events.recv().await.unwrap();
            let done = matches!(e, Event::Channel(ChannelEvent::Message { message: Message::Text(ref t), .. }) if t == "channel 59");
            seen.push(e);
            if done {
                return;
            }
        }
    })
    .await;
    assert!(back.is_ok(), "A did not get everything within 20 s: {:?}", texts(&seen));
    let states: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionStateChanged { state, reason } => Some((*state, *reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        [(State::RECONNECTING, Reason::INTERRUPTED), (State::CONNECTED, Reason::LOGIN_SUCCESS)],
        "back by itself"
    );
    assert_eq!(texts(&seen), sent, "every message once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_server_restart_the_client_logs_in_again_and_rejoins() {
    let server = Stoppable::start(Config::for_tests()).await;
    let url = server.url.clone();
    let (a_uid, b_uid, room) = (unique("a"), unique("b"), unique("room"));
    let (a, mut a_events) = logged_in(&url, "app", &a_uid).await;
    let (b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    a.channel(&room).unwrap().join().await.unwrap();
    let b_room = b.channel(&room).unwrap();
    b_room.join().await.unwrap();

    let _server = server.restart().await;
    for events in [&mut a_events, &mut b_events] {
        wait_state(events, 5, State::RECONNECTING, Reason::INTERRUPTED).await;
        // The backoff window reaches 2.5 s between attempts; the restart takes longer.
        wait_state(events, 25, State::CONNECTED, Reason::LOGIN_SUCCESS).await;
    }
    // Both re-joined by their clients: B's message reaches A.
    let mut members = b_room.get_members().await.unwrap();
    members.sort();
    let mut expected = vec![a_uid.clone(), b_uid.clone()];
    expected.sort();
    assert_eq!(members, expected);
    b_room.send_message("after the restart").await.unwrap();
    let got = wait_for(&mut a_events, 5, "the channel message", |e| match e {
        Event::Channel(ChannelEvent::Message { message, .. }) => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(got, Message::from("after the restart"));
}
