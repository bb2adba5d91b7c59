//! Peer and channel messages, members, presence and attributes between native
//! clients on a real rtm-server, as web SDK users see them.

mod common;
use common::*;
use rtm_client::{
    ChannelAttributeOptions, ChannelEvent, Event, Message, PeerSendResult, PeerState, SendMessageOptions,
};
use std::collections::HashMap;

#[tokio::test]
async fn peer_messages_arrive_both_ways_with_has_peer_received() {
    let url = server().await;
    let (a_uid, b_uid) = (unique("a"), unique("b"));
    let (a, mut a_events) = logged_in(&url, "app", &a_uid).await;
    let (b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    let sent = a.send_message_to_peer(&b_uid, "hello b", SendMessageOptions::default()).await.unwrap();
    assert_eq!(sent, PeerSendResult { has_peer_received: true });
    let (from, message, offline) = wait_for(&mut b_events, 5, "a's message", |e| match e {
        Event::MessageFromPeer { from, message, is_offline_message, .. } => {
            Some((from, message, is_offline_message))
        }
        _ => None,
    })
    .await;
    assert_eq!((from.as_str(), message, offline), (a_uid.as_str(), Message::from("hello b"), false));
    // RAW bytes travel as bytes.
    let raw = Message::from(vec![0u8, 1, 2, 255]);
    b.send_message_to_peer(&a_uid, raw.clone(), SendMessageOptions::default()).await.unwrap();
    let got = wait_for(&mut a_events, 5, "b's raw message", |e| match e {
        Event::MessageFromPeer { message, .. } => Some(message),
        _ => None,
    })
    .await;
    assert_eq!(got, raw);
    // Nobody there: not received; stored when asked, and delivered at login.
    let c_uid = unique("c");
    let r = a.send_message_to_peer(&c_uid, "not kept", SendMessageOptions::default()).await.unwrap();
    assert!(!r.has_peer_received);
    let offline = SendMessageOptions { enable_offline_messaging: true };
    a.send_message_to_peer(&c_uid, "kept", offline).await.unwrap();
    let (_c, mut c_events) = logged_in(&url, "app", &c_uid).await;
    let (message, offline) = wait_for(&mut c_events, 5, "the stored message", |e| match e {
        Event::MessageFromPeer { message, is_offline_message, .. } => Some((message, is_offline_message)),
        _ => None,
    })
    .await;
    assert_eq!((message, offline), (Message::from("kept"), true));
}

#[tokio::test]
async fn channels_carry_messages_and_member_events() {
    let url = server().await;
    let room = unique("room");
    let (a_uid, b_uid) = (unique("a"), unique("b"));
    let (a, _a_events) = logged_in(&url, "app", &a_uid).await;
    let (b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    let a_room = a.channel(&room).unwrap();
    let mut a_room_events = a_room.events();
    a_room.join().await.unwrap();
    assert!(a_room.is_joined());

    // B's channel events come on B's client stream (its channel has none of its own).
    let b_room = b.channel(&room).unwrap();
    b_room.join().await.unwrap();
    let joined = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match a_room_events.recv().await.unwrap() {
                ChannelEvent::MemberJoined { uid, .. } => return uid,
                _ => continue,
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(joined, b_uid);
    let mut members = a_room.get_members().await.unwrap();
    members.sort();
    let mut expected = vec![a_uid.clone(), b_uid.clone()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(a.get_channel_member_count(&[&room]).await.unwrap(), HashMap::from([(room.clone(), 2)]));

    a_room.send_message("hello room").await.unwrap();
    let (from, message) = wait_for(&mut b_events, 5, "the channel message", |e| match e {
        Event::Channel(ChannelEvent::Message { from, message, .. }) => Some((from, message)),
        _ => None,
    })
    .await;
    assert_eq!((from, message), (a_uid.clone(), Message::from("hello room")));

    b_room.leave().await.unwrap();
    let left = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let ChannelEvent::MemberLeft { uid, .. } = a_room_events.recv().await.unwrap() {
                return uid;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(left, b_uid);

    // Misuse, with the web SDK's codes.
    assert_eq!(b_room.send_message("x").await.unwrap_err().code, 5, "CHANNEL_MESSAGE_ERR_NOT_IN_CHANNEL");
    assert_eq!(b_room.leave().await.unwrap_err().code, 3, "LEAVE_CHANNEL_ERR_NOT_IN_CHANNEL");
    assert_eq!(b_room.get_members().await.unwrap_err().code, 5, "GET_MEMBERS_ERR_NOT_IN_CHANNEL");
    assert_eq!(a_room.join().await.unwrap_err().code, 6, "JOIN_CHANNEL_ERR_ALREADY_JOINED");
    let big = "x".repeat(32 * 1024 + 1);
    assert_eq!(a_room.send_message(big).await.unwrap_err().code, 4, "CHANNEL_MESSAGE_ERR_INVALID_MESSAGE");
}

#[tokio::test]
async fn presence_queries_and_subscriptions() {
    let url = server().await;
    let (a_uid, b_uid) = (unique("a"), unique("b"));
    let (a, mut a_events) = logged_in(&url, "app", &a_uid).await;
    let online = a.query_peers_online_status(&[&b_uid, &a_uid]).await.unwrap();
    assert_eq!(online, HashMap::from([(b_uid.clone(), false), (a_uid.clone(), true)]));
    a.subscribe_peers_online_status(&[&b_uid]).await.unwrap();
    let first = wait_for(&mut a_events, 5, "the current state", |e| match e {
        Event::PeersOnlineStatusChanged(states) => Some(states),
        _ => None,
    })
    .await;
    assert_eq!(first, HashMap::from([(b_uid.clone(), PeerState::OFFLINE)]));
    assert_eq!(a.subscribed_peers(), vec![b_uid.clone()]);
    let (b, _) = logged_in(&url, "app", &b_uid).await;
    let change = wait_for(&mut a_events, 5, "B online", |e| match e {
        Event::PeersOnlineStatusChanged(states) => Some(states),
        _ => None,
    })
    .await;
    assert_eq!(change, HashMap::from([(b_uid.clone(), PeerState::ONLINE)]));
    b.logout().await.unwrap();
    let change = wait_for(&mut a_events, 5, "B offline", |e| match e {
        Event::PeersOnlineStatusChanged(states) => Some(states),
        _ => None,
    })
    .await;
    assert_eq!(change, HashMap::from([(b_uid.clone(), PeerState::OFFLINE)]));
    a.unsubscribe_peers_online_status(&[&b_uid]).await.unwrap();
    assert!(a.subscribed_peers().is_empty());
}

#[tokio::test]
async fn user_and_channel_attributes() {
    let url = server().await;
    let (a_uid, b_uid, room) = (unique("a"), unique("b"), unique("room"));
    let (a, _) = logged_in(&url, "app", &a_uid).await;
    let (b, mut b_events) = logged_in(&url, "app", &b_uid).await;
    let attrs = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    a.set_local_user_attributes(&attrs(&[("mood", "happy"), ("city", "Oslo")])).await.unwrap();
    a.add_or_update_local_user_attributes(&attrs(&[("mood", "busy")])).await.unwrap();
    a.delete_local_user_attributes_by_keys(&["city"]).await.unwrap();
    assert_eq!(b.get_user_attributes(&a_uid).await.unwrap(), attrs(&[("mood", "busy")]));
    assert_eq!(b.get_user_attributes_by_keys(&a_uid, &["city"]).await.unwrap(), HashMap::new());
    a.clear_local_user_attributes().await.unwrap();
    assert!(b.get_user_attributes(&a_uid).await.unwrap().is_empty());

    b.channel(&room).unwrap().join().await.unwrap();
    let notify = ChannelAttributeOptions { enable_notification_to_channel_members: true };
    a.set_channel_attributes(&room, &attrs(&[("topic", "rust")]), notify).await.unwrap();
    let pushed = wait_for(&mut b_events, 5, "AttributesUpdated", |e| match e {
        Event::Channel(ChannelEvent::AttributesUpdated { attributes, .. }) => Some(attributes),
        _ => None,
    })
    .await;
    assert_eq!(pushed["topic"].value, "rust");
    assert_eq!(pushed["topic"].last_update_uid, a_uid);
    let read = b.get_channel_attributes(&room).await.unwrap();
    assert_eq!(read["topic"].value, "rust");
    a.add_or_update_channel_attributes(&room, &attrs(&[("lang", "en")]), Default::default()).await.unwrap();
    let read = b.get_channel_attributes(&room).await.unwrap();
    assert_eq!((read["topic"].value.as_str(), read["lang"].value.as_str()), ("rust", "en"));
    a.delete_channel_attributes_by_keys(&room, &["topic"], Default::default()).await.unwrap();
    assert!(b.get_channel_attributes_by_keys(&room, &["topic"]).await.unwrap().is_empty());
    a.clear_channel_attributes(&room, Default::default()).await.unwrap();
    assert!(b.get_channel_attributes(&room).await.unwrap().is_empty());

    // Checked here first, with the web SDK's codes.
    let e = a.set_local_user_attributes(&attrs(&[("bad key", "v")])).await.unwrap_err();
    assert_eq!(e.code, 3, "ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT: {e}");
    let e = a.set_local_user_attributes(&attrs(&[("k", &"v".repeat(8 * 1024 + 1))])).await.unwrap_err();
    assert_eq!(e.code, 4, "ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW: {e}");
}
