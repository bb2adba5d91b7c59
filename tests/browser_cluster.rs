//! Two rtm-server nodes on one Redis, as a user sees them: client A on node 1,
//! client B on node 2 (the SDK's `serverUrl` picks the node), in headless
//! Chromium. Peer messages and offline messages, channels, presence, remote
//! login and tokens across nodes. Attributes and invitations are in
//! browser_cluster_state.rs, node kills and Redis restarts in
//! browser_cluster_faults.rs. Needs tests/harness/cluster.mjs (scripts/test-cluster.sh).
#![cfg(target_arch = "wasm32")]

mod cluster;
mod support;
use cluster::*;
use js_sys::{Array, Uint8Array};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn peer_messages_cross_nodes_both_ways_and_are_acknowledged() {
    ready().await;
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = logged_in_on(&app, &a_uid, 1).await;
    let b = logged_in_on(&app, &b_uid, 2).await;
    let (a_inbox, b_inbox) = (Recorder::on(&a, "MessageFromPeer"), Recorder::on(&b, "MessageFromPeer"));
    let none = JsValue::UNDEFINED;

    let sent = settle(a.send_message_to_peer(&text("1→2 ☃"), &b_uid.clone().into(), &none)).await.unwrap();
    assert!(has_peer_received(&sent), "A (node 1) is told B (node 2) received it");
    let calls = b_inbox.wait_for(1).await;
    assert_eq!(texts(&calls), ["1→2 ☃"]);
    assert_eq!(calls[0].get(1).as_string(), Some(a_uid.clone()), "from A");
    let props = calls[0].get(2);
    assert_eq!(get(&props, "isOfflineMessage").as_bool(), Some(false));
    let ts = get(&props, "serverReceivedTs").as_f64().expect("serverReceivedTs");
    assert!((ts - js_sys::Date::now()).abs() < 60_000.0, "a ms clock: {ts}");

    let bytes: Vec<u8> = (0..=255).collect();
    let raw = obj(&[("rawMessage", Uint8Array::from(&bytes[..]).into()), ("description", "bytes".into())]);
    let sent = settle(b.send_message_to_peer(&raw, &a_uid.clone().into(), &none)).await.unwrap();
    assert!(has_peer_received(&sent), "B (node 2) is told A (node 1) received it");
    let calls = a_inbox.wait_for(1).await;
    let msg = calls[0].get(0);
    assert_eq!(get(&msg, "messageType").as_string().as_deref(), Some("RAW"));
    assert_eq!(get(&msg, "rawMessage").dyn_into::<Uint8Array>().unwrap().to_vec(), bytes, "bytes intact");
    assert_eq!(calls[0].get(1).as_string(), Some(b_uid.clone()));

    // In order across nodes.
    for i in 0..5 {
        settle(a.send_message_to_peer(&text(&format!("m{i}")), &b_uid.clone().into(), &none)).await.unwrap();
    }
    let calls = b_inbox.wait_for(6).await;
    assert_eq!(texts(&calls[1..]), ["m0", "m1", "m2", "m3", "m4"]);

    // Nobody logged in anywhere: not received. Another app's user is not reachable.
    let sent = settle(a.send_message_to_peer(&text("?"), &unique("nobody").into(), &none)).await.unwrap();
    assert!(!has_peer_received(&sent));
    let other = logged_in_on(&unique("other-app"), &unique("O"), 2).await;
    let sent = settle(other.send_message_to_peer(&text("x"), &a_uid.clone().into(), &none)).await.unwrap();
    assert!(!has_peer_received(&sent), "an app id is a namespace, on every node");
    pause(200).await;
    assert_eq!(a_inbox.len(), 1);
    settle(a.logout()).await.unwrap();
    // A logged out of node 1: B on node 2 can no longer reach it.
    let sent = settle(b.send_message_to_peer(&text("gone?"), &a_uid.into(), &none)).await.unwrap();
    assert!(!has_peer_received(&sent), "a logout on node 1 is seen on node 2");
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn offline_messages_are_delivered_at_the_next_login_on_the_other_node() {
    ready().await;
    let app = unique("app");
    let (a_uid, x_uid) = (unique("A"), unique("X"));
    let a = logged_in_on(&app, &a_uid, 1).await;
    let offline = obj(&[("enableOfflineMessaging", true.into())]);
    for t in ["one", "two", "three"] {
        let r = settle(a.send_message_to_peer(&text(t), &x_uid.clone().into(), &offline)).await.unwrap();
        assert!(!has_peer_received(&r), "stored, not received");
    }
    settle(a.send_message_to_peer(&text("not kept"), &x_uid.clone().into(), &JsValue::UNDEFINED))
        .await
        .unwrap();

    // X logs in on node 2.
    let x = on_node(&app, 2);
    let inbox = Recorder::on(&x, "MessageFromPeer");
    login(&x, &x_uid).await;
    let calls = inbox.wait_for(3).await;
    assert_eq!(texts(&calls), ["one", "two", "three"], "in order, without the one not stored");
    for call in &calls {
        assert_eq!(call.get(1).as_string(), Some(a_uid.clone()));
        assert_eq!(get(&call.get(2), "isOfflineMessage").as_bool(), Some(true));
    }
    settle(x.logout()).await.unwrap();
    // Once delivered, never again: not on node 2, not on node 1.
    for n in [2, 1] {
        let again = on_node(&app, n);
        let inbox = Recorder::on(&again, "MessageFromPeer");
        login(&again, &x_uid).await;
        pause(500).await;
        assert_eq!(inbox.len(), 0, "delivered once (login on node {n})");
        settle(again.logout()).await.unwrap();
    }
    // X online on node 1 now: an offline-enabled message is simply received.
    let x1 = logged_in_on(&app, &x_uid, 1).await;
    let inbox = Recorder::on(&x1, "MessageFromPeer");
    let b = logged_in_on(&app, &unique("B"), 2).await;
    let r = settle(b.send_message_to_peer(&text("live"), &x_uid.clone().into(), &offline)).await.unwrap();
    assert!(has_peer_received(&r));
    let calls = inbox.wait_for(1).await;
    assert_eq!(get(&calls[0].get(2), "isOfflineMessage").as_bool(), Some(false));
    settle(x1.logout()).await.unwrap();
}

struct Member {
    uid: String,
    client: Client,
    channel: Channel,
}

async fn member(app: &str, prefix: &str, room: &str, node: u8) -> Member {
    let uid = unique(prefix);
    let client = logged_in_on(app, &uid, node).await;
    let channel = client.create_channel(&room.into()).unwrap();
    Member { uid, client, channel }
}

#[wasm_bindgen_test]
async fn channel_messages_reach_members_on_both_nodes_never_the_sender() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let a = member(&app, "A", &room, 1).await;
    let b = member(&app, "B", &room, 2).await;
    let c = member(&app, "C", &room, 2).await;
    let inboxes: Vec<Recorder> =
        [&a, &b, &c].iter().map(|m| Recorder::on_channel(&m.channel, "ChannelMessage")).collect();
    for m in [&a, &b, &c] {
        settle(m.channel.join()).await.unwrap();
    }
    settle(a.channel.send_message(&text("from node 1"))).await.unwrap();
    for inbox in &inboxes[1..] {
        let calls = inbox.wait_for(1).await;
        assert_eq!(texts(&calls), ["from node 1"]);
        assert_eq!(calls[0].get(1).as_string(), Some(a.uid.clone()));
        assert!(get(&calls[0].get(2), "serverReceivedTs").as_f64().unwrap() > 0.0);
    }
    for t in ["b1", "b2", "b3"] {
        settle(b.channel.send_message(&text(t))).await.unwrap();
    }
    assert_eq!(texts(&inboxes[0].wait_for(3).await), ["b1", "b2", "b3"], "node 2 → node 1, in order");
    assert_eq!(texts(&inboxes[2].wait_for(4).await)[1..], ["b1", "b2", "b3"], "node 2 → node 2");
    pause(300).await;
    assert_eq!(inboxes[0].len(), 3, "A never gets its own message");
    assert_eq!(inboxes[1].len(), 1, "B never gets its own messages");
    settle(c.client.logout()).await.unwrap();
    settle(a.client.logout()).await.unwrap();
    settle(b.client.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn members_counts_and_member_events_span_the_nodes() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let a = member(&app, "A", &room, 1).await;
    let joined = Recorder::on_channel(&a.channel, "MemberJoined");
    let left = Recorder::on_channel(&a.channel, "MemberLeft");
    let counts = Recorder::on_channel(&a.channel, "MemberCountUpdated");
    settle(a.channel.join()).await.unwrap();
    eventually("count 1", || last_count(&counts) == Some(1.0)).await;

    let b = member(&app, "B", &room, 2).await;
    let b_counts = Recorder::on_channel(&b.channel, "MemberCountUpdated");
    let b_joined = Recorder::on_channel(&b.channel, "MemberJoined");
    settle(b.channel.join()).await.unwrap();
    let c = member(&app, "C", &room, 1).await;
    settle(c.channel.join()).await.unwrap();
    joined.wait_for(2).await;
    assert_eq!(joined.firsts(), [b.uid.clone(), c.uid.clone()], "A (node 1) sees B (node 2) and C join");
    assert_eq!(b_joined.wait_for(1).await[0].get(0).as_string(), Some(c.uid.clone()), "B sees C");
    eventually("count 3 on node 1", || last_count(&counts) == Some(3.0)).await;
    eventually("count 3 on node 2", || last_count(&b_counts) == Some(3.0)).await;
    let all = sorted_of(&[&a.uid, &b.uid, &c.uid]);
    assert_eq!(sorted(&settle(a.channel.get_members()).await.unwrap()), all, "getMembers on node 1");
    assert_eq!(sorted(&settle(b.channel.get_members()).await.unwrap()), all, "getMembers on node 2");
    let empty = unique("empty");
    let ids = Array::of2(&room.clone().into(), &empty.clone().into());
    for client in [&a.client, &b.client] {
        let got = settle(client.get_channel_member_count(&ids)).await.unwrap();
        assert_eq!(get(&got, &room).as_f64(), Some(3.0), "getChannelMemberCount on both nodes");
        assert_eq!(get(&got, &empty).as_f64(), Some(0.0));
    }

    settle(b.channel.leave()).await.unwrap();
    left.wait_for(1).await;
    settle(c.client.logout()).await.unwrap();
    left.wait_for(2).await;
    assert_eq!(left.firsts(), [b.uid.clone(), c.uid.clone()], "a leave on node 2, a logout on node 1");
    eventually("count back to 1", || last_count(&counts) == Some(1.0)).await;
    assert_eq!(sorted(&settle(a.channel.get_members()).await.unwrap()), std::slice::from_ref(&a.uid));
    pause(1_100).await; // getChannelMemberCount: once per second
    let got = settle(b.client.get_channel_member_count(&Array::of1(&room.clone().into()))).await.unwrap();
    assert_eq!(get(&got, &room).as_f64(), Some(1.0), "node 2 counts node 1's member");
    settle(a.client.logout()).await.unwrap();
    settle(b.client.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn presence_queries_and_subscriptions_see_the_other_node() {
    ready().await;
    let app = unique("app");
    let (b_uid, c_uid) = (unique("B"), unique("C"));
    let a = logged_in_on(&app, &unique("A"), 1).await;
    let b = logged_in_on(&app, &b_uid, 2).await;
    let result = settle(a.query_peers_online_status(&ids(&[&b_uid, &c_uid]))).await.unwrap();
    assert_eq!(get(&result, &b_uid).as_bool(), Some(true), "B on node 2 is online for node 1");
    assert_eq!(get(&result, &c_uid).as_bool(), Some(false));

    let events = Recorder::on(&a, "PeersOnlineStatusChanged");
    settle(a.subscribe_peers_online_status(&ids(&[&b_uid, &c_uid]))).await.unwrap();
    events.wait_for(1).await;
    assert_eq!(presence(&events), sorted_of(&[&format!("{b_uid}=ONLINE"), &format!("{c_uid}=OFFLINE")]));
    // C comes and goes on node 2, then on node 1 (the subscriber's own node).
    let mut expected = presence(&events);
    for n in [2, 1] {
        let seen = events.len();
        let c = logged_in_on(&app, &c_uid, n).await;
        events.wait_for(seen + 1).await;
        expected.push(format!("{c_uid}=ONLINE"));
        let seen = events.len();
        settle(c.logout()).await.unwrap();
        events.wait_for(seen + 1).await;
        expected.push(format!("{c_uid}=OFFLINE"));
        assert_eq!(presence(&events), expected, "C on node {n}");
    }
    settle(b.logout()).await.unwrap();
    within(10, "B OFFLINE", || last_state(&events, &b_uid).as_deref() == Some("OFFLINE")).await;
    let result = settle(a.query_peers_online_status(&ids(&[&b_uid]))).await.unwrap();
    assert_eq!(get(&result, &b_uid).as_bool(), Some(false));
    // Unsubscribed: no more events about C.
    settle(a.unsubscribe_peers_online_status(&ids(&[&c_uid]))).await.unwrap();
    let listed = settle(a.query_peers_by_subscription_option(&"ONLINE_STATUS".into())).await.unwrap();
    assert_eq!(sorted(&listed), std::slice::from_ref(&b_uid));
    let seen = events.len();
    let _c = logged_in_on(&app, &c_uid, 2).await;
    pause(500).await;
    assert_eq!(events.len(), seen, "no events for an unsubscribed peer");
    settle(a.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_login_on_the_other_node_aborts_the_first_session() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let uid = unique("twice");
    let first = logged_in_on(&app, &uid, 1).await;
    let states = Recorder::on(&first, "ConnectionStateChanged");
    let first_room = first.create_channel(&room.clone().into()).unwrap();
    settle(first_room.join()).await.unwrap();
    let watcher = logged_in_on(&app, &unique("W"), 1).await;
    let w_room = watcher.create_channel(&room.clone().into()).unwrap();
    let w_left = Recorder::on_channel(&w_room, "MemberLeft");
    settle(w_room.join()).await.unwrap();
    let w_presence = Recorder::on(&watcher, "PeersOnlineStatusChanged");
    settle(watcher.subscribe_peers_online_status(&ids(&[&uid]))).await.unwrap();
    w_presence.wait_for(1).await;

    let second = logged_in_on(&app, &uid, 2).await;
    states.wait_for(1).await;
    assert_eq!(states.pairs(), ["ABORTED/REMOTE_LOGIN"], "node 1's session is ended by node 2's login");
    // The user now lives on node 2: messages from node 1 reach it there.
    let inbox = Recorder::on(&second, "MessageFromPeer");
    let sent = settle(watcher.send_message_to_peer(&text("hi"), &uid.clone().into(), &JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&sent, "hasPeerReceived").as_bool(), Some(true));
    inbox.wait_for(1).await;
    assert_eq!(w_left.wait_for(1).await[0].get(0).as_string(), Some(uid.clone()), "the old session left");
    pause(500).await;
    assert!(
        !presence(&w_presence).contains(&format!("{uid}=OFFLINE")),
        "the user never went offline: {:?}",
        presence(&w_presence)
    );
    assert_eq!(rejection_code(first.login(&obj(&[("uid", uid.clone().into())]))).await, 8);
    settle(first.logout()).await.unwrap();
    assert_eq!(states.pairs(), ["ABORTED/REMOTE_LOGIN", "DISCONNECTED/LOGOUT"]);
    // And back: a login on node 1 takes it from node 2.
    let second_states = Recorder::on(&second, "ConnectionStateChanged");
    let _third = logged_in_on(&app, &uid, 1).await;
    second_states.wait_for(1).await;
    assert_eq!(second_states.pairs(), ["ABORTED/REMOTE_LOGIN"]);
}

#[wasm_bindgen_test]
async fn tokens_log_in_and_renew_on_either_node() {
    ready().await;
    let config = cluster_config().await;
    let app = get(&config, "appId").as_string().expect("the harness configures an app with a certificate");
    let token = |kind: &str, uid: &str, expire: i64| {
        let path = format!("/token?kind={kind}&uid={uid}&expire={expire}");
        async move { cluster("GET", &path).await }
    };
    let (a_uid, b_uid) = (unique("tA"), unique("tB"));
    let a = on_node(&app, 1);
    let t = token("007", &a_uid, 600).await;
    settle(a.login(&obj(&[("uid", a_uid.clone().into()), ("token", t.into())])))
        .await
        .expect("007 on node 1");
    let b = on_node(&app, 2);
    let t = token("006", &b_uid, 600).await;
    settle(b.login(&obj(&[("uid", b_uid.clone().into()), ("token", t.into())])))
        .await
        .expect("006 on node 2");
    let no_token = on_node(&app, 2);
    assert_eq!(rejection_code(no_token.login(&obj(&[("uid", unique("n").into())]))).await, 5, "no token");
    settle(b.renew_token(&token("007", &b_uid, 3_600).await.into())).await.expect("renewToken on node 2");
    assert_eq!(rejection_code(b.renew_token(&token("007", &a_uid, 600).await.into())).await, 6, "A's token");
    let inbox = Recorder::on(&b, "MessageFromPeer");
    let sent =
        settle(a.send_message_to_peer(&text("signed"), &b_uid.into(), &JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(get(&sent, "hasPeerReceived").as_bool(), Some(true));
    inbox.wait_for(1).await;
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}
