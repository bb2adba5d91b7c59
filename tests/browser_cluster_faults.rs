//! Faults of a two-node cluster on one Redis, as users see them in headless
//! Chromium: a node killed with -9 (clients behind the load balancer move to
//! the survivor; users stranded on the dead node go OFFLINE and leave their
//! channels), and Redis restarting (clients may reconnect but are never
//! aborted, and lose no stored offline message). Each test heals the cluster
//! first (`POST /heal`). See browser_cluster.rs.
#![cfg(target_arch = "wasm32")]

mod cluster;
mod support;
use cluster::*;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_node_killed_with_minus_9_moves_its_balanced_clients_and_ends_its_stranded_ones() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let (a_uid, b_uid, c_uid) = (unique("A"), unique("B"), unique("C"));
    // A and B through the balancer, A on node 1, B on node 2; C directly on node 1 (no balancer:
    // while node 1 is down it cannot come back, so the cluster must end its session).
    let (a, a_states) = balanced_login_on(&app, &a_uid, 1).await;
    let (b, b_states) = balanced_login_on(&app, &b_uid, 2).await;
    let c = on_node(&app, 1);
    let c_states = Recorder::on(&c, "ConnectionStateChanged");
    login(&c, &c_uid).await;
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    let (left, joined) =
        (Recorder::on_channel(&b_room, "MemberLeft"), Recorder::on_channel(&b_room, "MemberJoined"));
    let counts = Recorder::on_channel(&b_room, "MemberCountUpdated");
    let b_inbox = Recorder::on_channel(&b_room, "ChannelMessage");
    settle(b_room.join()).await.unwrap();
    let a_room = a.create_channel(&room.clone().into()).unwrap();
    let a_inbox = Recorder::on_channel(&a_room, "ChannelMessage");
    settle(a_room.join()).await.unwrap();
    let c_room = c.create_channel(&room.clone().into()).unwrap();
    settle(c_room.join()).await.unwrap();
    within(10, "B counts 3 members", || last_count(&counts) == Some(3.0)).await;
    let watch = Recorder::on(&b, "PeersOnlineStatusChanged");
    settle(b.subscribe_peers_online_status(&ids(&[&a_uid, &c_uid]))).await.unwrap();
    watch.wait_for(1).await;
    let (a_peer, b_peer) = (Recorder::on(&a, "MessageFromPeer"), Recorder::on(&b, "MessageFromPeer"));

    cluster("POST", "/kill-node?n=1").await;
    let killed = js_sys::Date::now();
    // A notices and reconnects through the balancer, which now reaches node 2 only.
    within(15, "A RECONNECTING then CONNECTED again", || {
        a_states.pairs().contains(&"RECONNECTING/INTERRUPTED".to_string()) && connected(&a_states)
    })
    .await;
    let a_back = seconds_since(killed);
    assert_eq!(balanced_on(1).await, 0.0, "nothing reaches the dead node");
    // B, on node 2, sees C go OFFLINE and leave, within 15 s of the kill.
    within(15, "B sees C OFFLINE", || last_state(&watch, &c_uid).as_deref() == Some("OFFLINE")).await;
    within(15, "B sees C leave the channel", || left.firsts().contains(&c_uid)).await;
    assert!(seconds_since(killed) < 15.0, "C reaped {:.1} s after the kill", seconds_since(killed));
    within(5, "the count drops to 2 (A back, C gone)", || last_count(&counts) == Some(2.0)).await;
    let c_gone = seconds_since(killed);
    assert!(!aborted(&a_states), "A is never ABORTED: {:?}", a_states.pairs());
    assert!(!aborted(&c_states), "C keeps trying: {:?}", c_states.pairs());

    // Node 1's users were reaped; A, back on node 2, was not reaped with them.
    pause(1_500).await;
    let online = settle(b.query_peers_online_status(&ids(&[&a_uid, &c_uid]))).await.unwrap();
    assert_eq!(
        (get(&online, &a_uid).as_bool(), get(&online, &c_uid).as_bool()),
        (Some(true), Some(false)),
        "A (moved to node 2) online, C (stranded) offline; B's presence events: {:?}",
        presence(&watch)
    );
    assert_ne!(last_state(&watch, &a_uid).as_deref(), Some("OFFLINE"), "events: {:?}", presence(&watch));
    let members = settle(b_room.get_members()).await.unwrap();
    assert_eq!(
        sorted(&members),
        sorted_of(&[&a_uid, &b_uid]),
        "A re-joined on node 2; left: {:?}",
        left.firsts()
    );

    // A sends and receives again: peer and channel, both ways.
    peer_send_until_received(&a, &b_uid, "a→b after the kill", 5).await;
    peer_send_until_received(&b, &a_uid, "b→a after the kill", 5).await;
    within(5, "peer messages both ways", || a_peer.len() >= 1 && b_peer.len() >= 1).await;
    settle(a_room.send_message(&text("a in the room"))).await.unwrap();
    settle(b_room.send_message(&text("b in the room"))).await.unwrap();
    within(5, "channel messages both ways", || {
        texts(&b_inbox.calls()).contains(&"a in the room".to_string())
            && texts(&a_inbox.calls()).contains(&"b in the room".to_string())
    })
    .await;

    // Node 1 comes back: C, which kept retrying it, logs in again by itself and re-joins.
    cluster("POST", "/restart-node?n=1").await;
    within(20, "C CONNECTED again", || connected(&c_states)).await;
    within(10, "B sees C ONLINE", || last_state(&watch, &c_uid).as_deref() == Some("ONLINE")).await;
    within(10, "B sees C re-join", || joined.firsts().contains(&c_uid)).await;
    within(10, "count 3", || last_count(&counts) == Some(3.0)).await;
    assert!(!aborted(&c_states) && !aborted(&b_states), "{:?} {:?}", c_states.pairs(), b_states.pairs());
    wasm_bindgen_test::console_log!("node kill: A back after {a_back:.1} s, C reaped after {c_gone:.1} s");
    for x in [&a, &b, &c] {
        settle(x.logout()).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn a_redis_restart_aborts_nobody_and_loses_no_stored_message() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let (a_uid, b_uid, x_uid) = (unique("A"), unique("B"), unique("X"));
    let a = on_node(&app, 1);
    let a_states = Recorder::on(&a, "ConnectionStateChanged");
    login(&a, &a_uid).await;
    let b = on_node(&app, 2);
    let b_states = Recorder::on(&b, "ConnectionStateChanged");
    login(&b, &b_uid).await;
    let a_room = a.create_channel(&room.clone().into()).unwrap();
    let a_inbox = Recorder::on_channel(&a_room, "ChannelMessage");
    settle(a_room.join()).await.unwrap();
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    settle(b_room.join()).await.unwrap();
    let watch = Recorder::on(&b, "PeersOnlineStatusChanged");
    settle(b.subscribe_peers_online_status(&ids(&[&a_uid]))).await.unwrap();
    watch.wait_for(1).await;
    // Stored before the restart, for a user who is not logged in anywhere.
    let offline = obj(&[("enableOfflineMessaging", true.into())]);
    let r = settle(a.send_message_to_peer(&text("before the restart"), &x_uid.clone().into(), &offline))
        .await
        .unwrap();
    assert_eq!(get(&r, "hasPeerReceived").as_bool(), Some(false));

    // Redis goes away for 2 s, then comes back on the same port with its AOF.
    cluster("POST", "/restart-redis?down_ms=2000").await;
    let back = js_sys::Date::now();
    let (peer_ms, attempts) = peer_send_until_received(&a, &b_uid, "a→b after the restart", 10).await;
    peer_send_until_received(&b, &a_uid, "b→a after the restart", 10).await;
    let mut channel_ok = false;
    while seconds_since(back) < 10.0 && !channel_ok {
        let _ = settle(b_room.send_message(&text("room after the restart"))).await;
        for _ in 0..10 {
            if texts(&a_inbox.calls()).contains(&"room after the restart".to_string()) {
                channel_ok = true;
                break;
            }
            pause(50).await;
        }
    }
    assert!(channel_ok, "a channel message node 2 → node 1 within 10 s of Redis being back");
    let all_ok = seconds_since(back);
    assert!(all_ok < 10.0, "peer and channel messages work again {all_ok:.1} s after Redis is back");
    within(10, "A and B connected", || {
        (a_states.len() <= 2 || connected(&a_states)) && (b_states.len() <= 2 || connected(&b_states))
    })
    .await;
    assert!(!aborted(&a_states) && !aborted(&b_states), "A {:?}, B {:?}", a_states.pairs(), b_states.pairs());

    // What Redis held survives it: the offline message, presence, membership.
    let x = on_node(&app, 2);
    let inbox = Recorder::on(&x, "MessageFromPeer");
    login(&x, &x_uid).await;
    let calls = inbox.wait_for(1).await;
    assert_eq!(texts(&calls), ["before the restart"]);
    assert_eq!(get(&calls[0].get(2), "isOfflineMessage").as_bool(), Some(true));
    let online = settle(b.query_peers_online_status(&ids(&[&a_uid]))).await.unwrap();
    assert_eq!(get(&online, &a_uid).as_bool(), Some(true), "B's presence events: {:?}", presence(&watch));
    assert_eq!(last_state(&watch, &a_uid).as_deref(), Some("ONLINE"), "events: {:?}", presence(&watch));
    let members = settle(b_room.get_members()).await.unwrap();
    assert_eq!(sorted(&members), sorted_of(&[&a_uid, &b_uid]));
    wasm_bindgen_test::console_log!(
        "redis restart: peer message received {peer_ms:.0} ms, everything {all_ok:.1} s after Redis was back; \
         A→B attempts {attempts:?}; A {:?}, B {:?}",
        a_states.pairs(),
        b_states.pairs()
    );
    for c in [&a, &b, &x] {
        settle(c.logout()).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn redis_killed_with_minus_9_keeps_acknowledged_offline_messages() {
    ready().await;
    let app = unique("app");
    let (a_uid, x_uid) = (unique("A"), unique("X"));
    let a = logged_in_on(&app, &a_uid, 1).await;
    let a_states = Recorder::on(&a, "ConnectionStateChanged");
    let offline = obj(&[("enableOfflineMessaging", true.into())]);
    for t in ["k1", "k2"] {
        settle(a.send_message_to_peer(&text(t), &x_uid.clone().into(), &offline)).await.unwrap();
    }
    cluster("POST", "/restart-redis?signal=KILL&down_ms=1000").await;
    let x = on_node(&app, 2);
    let inbox = Recorder::on(&x, "MessageFromPeer");
    let started = js_sys::Date::now();
    // Logging in may need a moment while node 2 reconnects to Redis.
    let mut logged = false;
    while !logged && seconds_since(started) < 10.0 {
        logged = settle(x.login(&obj(&[("uid", x_uid.clone().into())]))).await.is_ok();
        if !logged {
            pause(500).await;
        }
    }
    assert!(logged, "a login on node 2 works within 10 s of Redis being back");
    assert_eq!(
        texts(&inbox.wait_for(2).await),
        ["k1", "k2"],
        "acknowledged means kept, even through kill -9"
    );
    peer_send_until_received(&x, &a_uid, "hello A", 10).await;
    assert!(!aborted(&a_states), "{:?}", a_states.pairs());
    settle(x.logout()).await.unwrap();
    settle(a.logout()).await.unwrap();
}
