//! A connection you can trust: the harness cuts the link or restarts
//! rtm-server mid-session; clients reconnect on their own, get back into their
//! channels, and lose nothing. Offline messages survive a `kill -9`.
#![cfg(target_arch = "wasm32")]

mod support;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_cut_link_resumes_with_every_missed_message_once_in_order() {
    let (app, room) = (unique("app"), unique("room"));
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = proxied_client(&app);
    let states = Recorder::on(&a, "ConnectionStateChanged");
    let peer_inbox = Recorder::on(&a, "MessageFromPeer");
    login(&a, &a_uid).await;
    let a_room = a.create_channel(&room.clone().into()).unwrap();
    let room_inbox = Recorder::on_channel(&a_room, "ChannelMessage");
    settle(a_room.join()).await.unwrap();
    let b = logged_in(&app, &b_uid).await;
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    let b_left = Recorder::on_channel(&b_room, "MemberLeft");
    settle(b_room.join()).await.unwrap();

    // The network fails for 1.5 s; the server stays up.
    control("POST", "/sever?down_ms=1500").await;
    eventually("A notices", || states.pairs().contains(&"RECONNECTING/INTERRUPTED".to_string())).await;
    let none = JsValue::UNDEFINED;
    let peer_sent = b.send_message_to_peer(&text("p1"), &a_uid.clone().into(), &none);
    for t in ["c1", "c2", "c3"] {
        settle(b_room.send_message(&text(t))).await.unwrap();
    }
    eventually("A is back", || states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS"))
        .await;
    assert_eq!(
        states.pairs(),
        [
            "CONNECTING/LOGIN",
            "CONNECTED/LOGIN_SUCCESS",
            "RECONNECTING/INTERRUPTED",
            "CONNECTED/LOGIN_SUCCESS"
        ]
    );
    assert_eq!(texts(&room_inbox.wait_for(3).await), ["c1", "c2", "c3"], "in order");
    assert_eq!(texts(&peer_inbox.wait_for(1).await), ["p1"]);
    let _ = settle(peer_sent).await.expect("the peer send settles either way");
    // Still joined: new messages arrive, and nothing arrived twice.
    settle(b_room.send_message(&text("c4"))).await.unwrap();
    eventually("c4", || room_inbox.len() == 4).await;
    pause(300).await;
    assert_eq!(texts(&room_inbox.calls()), ["c1", "c2", "c3", "c4"], "exactly once");
    assert_eq!(peer_inbox.len(), 1);
    assert_eq!(b_left.len(), 0, "B never saw A leave: A was inside the grace period");
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_push_lost_on_a_live_link_is_recovered_by_a_resume_in_order() {
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = proxied_client(&app);
    let states = Recorder::on(&a, "ConnectionStateChanged");
    let inbox = Recorder::on(&a, "MessageFromPeer");
    login(&a, &a_uid).await;
    let b = logged_in(&app, &b_uid).await;
    // The proxy loses the next push to A; the link itself stays up.
    control("POST", "/drop-push?count=1").await;
    let none = JsValue::UNDEFINED;
    let sends: Vec<_> = ["m1", "m2", "m3"]
        .iter()
        .map(|t| b.send_message_to_peer(&text(t), &a_uid.clone().into(), &none))
        .collect();
    // A sees m2 after a hole where m1 was: it must not take m2 (its position would
    // then pass m1 by) but resume from m1's predecessor, and get all three in order.
    assert_eq!(texts(&inbox.wait_for(3).await), ["m1", "m2", "m3"], "the lost push came back, in order");
    assert!(states.pairs().contains(&"RECONNECTING/INTERRUPTED".to_string()), "{:?}", states.pairs());
    eventually("A is back", || states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS"))
        .await;
    for sent in sends {
        assert!(has_peer_received(&settle(sent).await.unwrap()), "each acknowledged once A had it");
    }
    pause(300).await;
    assert_eq!(inbox.len(), 3, "exactly once");
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_server_restart_reconnects_and_rejoins() {
    let (app, room) = (unique("app"), unique("room"));
    let a = client(&app);
    let states = Recorder::on(&a, "ConnectionStateChanged");
    login(&a, &unique("A")).await;
    let a_room = a.create_channel(&room.clone().into()).unwrap();
    let inbox = Recorder::on_channel(&a_room, "ChannelMessage");
    settle(a_room.join()).await.unwrap();
    let b = logged_in(&app, &unique("B")).await;
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    settle(b_room.join()).await.unwrap();

    control("POST", "/restart").await;
    within(RECONNECT_SECS, "A back after the restart", || {
        let p = states.pairs();
        p.len() >= 4 && p.last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS")
    })
    .await;
    assert_eq!(states.pairs()[2], "RECONNECTING/INTERRUPTED");
    // B reconnects too (sends while it is RECONNECTING reject at once); once
    // it can send, A (re-joined by the SDK) receives.
    let started = js_sys::Date::now();
    let mut sent = false;
    while !sent && js_sys::Date::now() - started < f64::from(RECONNECT_SECS) * 1000.0 {
        sent = settle(b_room.send_message(&text("after restart"))).await.is_ok();
        if !sent {
            pause(100).await;
        }
    }
    assert!(sent, "B could send within {RECONNECT_SECS} s of the restart");
    assert_eq!(texts(&inbox.wait_for(1).await), ["after restart"]);
    let members = settle(a_room.get_members()).await.unwrap();
    assert_eq!(js_sys::Array::from(&members).length(), 2, "both re-joined");
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn offline_messages_arrive_at_the_next_login_even_after_kill_9() {
    let app = unique("app");
    let (alive, crashed) = (unique("offline"), unique("crash"));
    let a_uid = unique("A");
    let a = logged_in(&app, &a_uid).await;
    let offline = obj(&[("enableOfflineMessaging", true.into())]);
    for (peer, t) in [(&alive, "one"), (&alive, "two"), (&crashed, "survives")] {
        let r = settle(a.send_message_to_peer(&text(t), &peer.clone().into(), &offline)).await.unwrap();
        assert_eq!(get(&r, "hasPeerReceived").as_bool(), Some(false), "stored, not received");
    }
    let not_stored = JsValue::UNDEFINED;
    settle(a.send_message_to_peer(&text("not kept"), &alive.clone().into(), &not_stored)).await.unwrap();

    let b = client(&app);
    let inbox = Recorder::on(&b, "MessageFromPeer");
    login(&b, &alive).await;
    let calls = inbox.wait_for(2).await;
    assert_eq!(texts(&calls), ["one", "two"], "in order, without the one not stored");
    for call in &calls {
        assert_eq!(call.get(1).as_string(), Some(a_uid.clone()));
        assert_eq!(get(&call.get(2), "isOfflineMessage").as_bool(), Some(true));
    }
    settle(b.logout()).await.unwrap();
    login(&b, &alive).await;
    pause(500).await;
    assert_eq!(inbox.len(), 2, "delivered once");
    settle(b.logout()).await.unwrap();

    control("POST", "/restart?signal=KILL").await;
    let c = client(&app);
    let inbox = Recorder::on(&c, "MessageFromPeer");
    login(&c, &crashed).await;
    assert_eq!(texts(&inbox.wait_for(1).await), ["survives"], "stored messages survive kill -9");
    settle(c.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_silently_dead_link_is_noticed_by_the_keepalive() {
    let app = unique("app");
    let a = proxied_client(&app);
    let states = Recorder::on(&a, "ConnectionStateChanged");
    login(&a, &unique("A")).await;
    // The network stops carrying bytes but no socket closes: only pings can tell.
    control("POST", "/freeze").await;
    for _ in 0..400 {
        if states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS") && states.len() >= 4 {
            break;
        }
        pause(100).await;
    }
    assert_eq!(
        states.pairs(),
        [
            "CONNECTING/LOGIN",
            "CONNECTED/LOGIN_SUCCESS",
            "RECONNECTING/INTERRUPTED",
            "CONNECTED/LOGIN_SUCCESS"
        ],
        "noticed within a ping interval plus its timeout (30 s), then back on a new connection"
    );
    settle(a.logout()).await.unwrap();
}
