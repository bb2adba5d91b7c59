//! Presence with real clients in headless Chromium against a real rtm-server
//! (behind the harness's proxy where a link must fail).
#![cfg(target_arch = "wasm32")]

mod support;
use js_sys::Array;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Every (peer, state) reported, in order, one event after another.
fn changes(r: &Recorder) -> Vec<String> {
    r.calls().iter().map(|call| statuses(&call.get(0)).join(",")).collect()
}

#[wasm_bindgen_test]
async fn query_answers_online_and_offline() {
    let app = unique("app");
    let (b_uid, gone) = (unique("b"), unique("gone"));
    let a = logged_in(&app, &unique("a")).await;
    let _b = logged_in(&app, &b_uid).await;
    let result = settle(a.query_peers_online_status(&ids(&[&b_uid, &gone]))).await.unwrap();
    assert_eq!(get(&result, &b_uid).as_bool(), Some(true));
    assert_eq!(get(&result, &gone).as_bool(), Some(false));
    let many: Array = (0..257).map(|i| JsValue::from(format!("u{i}"))).collect();
    assert_eq!(rejection_code(a.query_peers_online_status(&many)).await, 2, "257 ids");
    assert_eq!(
        rejection_code(a.query_peers_online_status(&ids(&["ok", "bad/id"]))).await,
        2,
        "an invalid id"
    );
    assert_eq!(rejection_code(a.query_peers_online_status(&ids(&[]))).await, 2, "no ids");
    assert_eq!(rejection_code(a.query_peers_online_status(&"b".into())).await, 2, "not an array");
    let logged_out = client(&app);
    assert_eq!(rejection_code(logged_out.query_peers_online_status(&ids(&[&b_uid]))).await, 102);
}

#[wasm_bindgen_test]
async fn subscriptions_report_current_states_then_changes() {
    let app = unique("app");
    let (b_uid, c_uid) = (unique("b"), unique("c"));
    let a = logged_in(&app, &unique("a")).await;
    let _b = logged_in(&app, &b_uid).await;
    let events = Recorder::on(&a, "PeersOnlineStatusChanged");
    settle(a.subscribe_peers_online_status(&ids(&[&b_uid, &c_uid]))).await.unwrap();
    let mut expected = vec![{
        let mut v = [format!("{b_uid}=ONLINE"), format!("{c_uid}=OFFLINE")];
        v.sort();
        v.join(",")
    }];
    events.wait_for(1).await;
    assert_eq!(changes(&events), expected, "the current states first");

    let c = client(&app);
    login(&c, &c_uid).await;
    events.wait_for(2).await;
    expected.push(format!("{c_uid}=ONLINE"));
    settle(c.logout()).await.unwrap();
    events.wait_for(3).await;
    expected.push(format!("{c_uid}=OFFLINE"));
    assert_eq!(changes(&events), expected);

    settle(a.unsubscribe_peers_online_status(&ids(&[&c_uid]))).await.unwrap();
    let listed = settle(a.query_peers_by_subscription_option(&"ONLINE_STATUS".into())).await.unwrap();
    assert_eq!(
        Array::from(&listed).iter().map(|v| v.as_string().unwrap()).collect::<Vec<_>>(),
        [b_uid.clone()]
    );
    login(&c, &c_uid).await;
    pause(500).await;
    assert_eq!(events.len(), 3, "no events for an unsubscribed peer");
    let many: Array = (0..257).map(|i| JsValue::from(format!("u{i}"))).collect();
    assert_eq!(rejection_code(a.subscribe_peers_online_status(&many)).await, 2, "257 ids in one call");
    settle(a.logout()).await.unwrap();
    login(&a, &unique("a-again")).await;
    let listed = settle(a.query_peers_by_subscription_option(&"ONLINE_STATUS".into())).await.unwrap();
    assert_eq!(Array::from(&listed).length(), 0, "logout clears subscriptions");
}

#[wasm_bindgen_test]
async fn a_dropped_peer_is_unreachable_then_offline_when_its_grace_ends() {
    let app = unique("app");
    let b_uid = unique("b");
    let a = logged_in(&app, &unique("a")).await;
    let b = proxied_client(&app);
    login(&b, &b_uid).await;
    let events = Recorder::on(&a, "PeersOnlineStatusChanged");
    settle(a.subscribe_peers_online_status(&ids(&[&b_uid]))).await.unwrap();
    events.wait_for(1).await;
    // B's network is down longer than the harness's 5 s grace period.
    control("POST", "/sever?down_ms=8000").await;
    events.wait_for(2).await;
    assert_eq!(changes(&events)[1], format!("{b_uid}=UNREACHABLE"));
    let reached_offline_at = js_sys::Date::now();
    events.wait_for(3).await;
    assert_eq!(changes(&events)[2], format!("{b_uid}=OFFLINE"));
    assert!(js_sys::Date::now() - reached_offline_at > 3_000.0, "not before the grace period ends");
    // Its network returns: B logs in again by itself.
    for _ in 0..150 {
        if events.len() >= 4 {
            break;
        }
        pause(100).await;
    }
    assert_eq!(changes(&events).get(3), Some(&format!("{b_uid}=ONLINE")));
    settle(b.logout()).await.unwrap();
    settle(a.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn subscriptions_survive_the_subscribers_own_reconnects() {
    let app = unique("app");
    let (b_uid, c_uid) = (unique("b"), unique("c"));
    let a = proxied_client(&app);
    let states = Recorder::on(&a, "ConnectionStateChanged");
    login(&a, &unique("a")).await;
    let b = logged_in(&app, &b_uid).await;
    let events = Recorder::on(&a, "PeersOnlineStatusChanged");
    settle(a.subscribe_peers_online_status(&ids(&[&b_uid, &c_uid]))).await.unwrap();
    events.wait_for(1).await;

    // A's link is cut; meanwhile C comes online. Back, A is told.
    control("POST", "/sever?down_ms=1500").await;
    eventually("A notices", || states.pairs().contains(&"RECONNECTING/INTERRUPTED".to_string())).await;
    let c = logged_in(&app, &c_uid).await;
    events.wait_for(2).await;
    assert_eq!(changes(&events)[1], format!("{c_uid}=ONLINE"), "the change made while away");
    eventually("A back", || states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS"))
        .await;

    // The server restarts: everyone logs in again; the subscriptions still fire.
    let b_states = Recorder::on(&b, "ConnectionStateChanged");
    control("POST", "/restart?down_ms=500").await;
    within(RECONNECT_SECS, "A back after the restart", || {
        states.pairs().iter().filter(|p| *p == "CONNECTED/LOGIN_SUCCESS").count() >= 3
    })
    .await;
    within(RECONNECT_SECS, "B back after the restart", || {
        b_states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS")
    })
    .await;
    // Whichever of A and B came back first, A ends up knowing B is ONLINE ...
    let b_online = format!("{b_uid}=ONLINE");
    let last_about_b = |events: &Recorder| {
        changes(events)
            .into_iter()
            .rev()
            .flat_map(|e| e.split(',').map(String::from).collect::<Vec<_>>())
            .find(|e| e.starts_with(&format!("{b_uid}=")))
    };
    eventually("A knows B is online", || last_about_b(&events).as_deref() == Some(b_online.as_str())).await;
    // ... and is told when B logs out.
    settle(b.logout()).await.unwrap();
    let b_offline = format!("{b_uid}=OFFLINE");
    eventually("B's logout reported", || last_about_b(&events).as_deref() == Some(b_offline.as_str())).await;
    settle(c.logout()).await.unwrap();
    settle(a.logout()).await.unwrap();
}
