//! Connection states, remote login and bad input, in headless Chromium against
//! a real rtm-server.
#![cfg(target_arch = "wasm32")]

mod support;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn login_opts(uid: &str) -> JsValue {
    obj(&[("uid", uid.into())])
}

#[wasm_bindgen_test]
async fn login_then_logout_walks_the_connection_states() {
    let c = client(&unique("app"));
    let states = Recorder::on(&c, "ConnectionStateChanged");
    settle(c.login(&login_opts(&unique("u")))).await.unwrap();
    assert_eq!(states.pairs(), ["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS"]);
    settle(c.logout()).await.unwrap();
    assert_eq!(states.pairs(), ["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS", "DISCONNECTED/LOGOUT"]);
    // A logged-out client can log in again.
    settle(c.login(&login_opts(&unique("u")))).await.unwrap();
    settle(c.logout()).await.unwrap();
    assert_eq!(states.len(), 6);
}

#[wasm_bindgen_test]
async fn the_same_uid_elsewhere_aborts_the_first_session() {
    let app = unique("app");
    let uid = unique("twice");
    let first = logged_in(&app, &uid).await;
    let states = Recorder::on(&first, "ConnectionStateChanged");
    let second = logged_in(&app, &uid).await;
    let calls = states.wait_for(1).await;
    assert_eq!(states.pairs(), ["ABORTED/REMOTE_LOGIN"], "{calls:?}");
    // The second session is the user now: messages reach it.
    let inbox = Recorder::on(&second, "MessageFromPeer");
    let sender = logged_in(&app, &unique("sender")).await;
    let sent = settle(sender.send_message_to_peer(
        &obj(&[("text", "hi".into())]),
        &uid.clone().into(),
        &JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(get(&sent, "hasPeerReceived").as_bool(), Some(true));
    inbox.wait_for(1).await;
    // An aborted client must log out before logging in again, as in Agora's SDK.
    assert_eq!(rejection_code(first.login(&login_opts(&uid))).await, 8);
    settle(first.logout()).await.unwrap();
    assert_eq!(states.pairs(), ["ABORTED/REMOTE_LOGIN", "DISCONNECTED/LOGOUT"]);
}

#[wasm_bindgen_test]
async fn invalid_uids_are_rejected_and_change_nothing() {
    let c = client(&unique("app"));
    let states = Recorder::on(&c, "ConnectionStateChanged");
    for uid in ["", "null", &"u".repeat(65), "no/slash", "tab\t"] {
        assert_eq!(rejection_code(c.login(&login_opts(uid))).await, 3, "uid {uid:?}");
    }
    assert_eq!(rejection_code(c.login(&JsValue::UNDEFINED)).await, 3, "no options");
    assert_eq!(rejection_code(c.login(&obj(&[("uid", 42.into())]))).await, 3, "a number");
    assert_eq!(states.len(), 0, "no state change for a refused login");
    // 64 bytes of every allowed character class is fine.
    let ok = format!("{}{}", "a b!#$%&()+-:;<=.>?@[]^_{}|~,", "z".repeat(35));
    assert_eq!(ok.len(), 64);
    settle(c.login(&login_opts(&ok))).await.expect("a 64-byte uid of allowed characters");
    assert_eq!(rejection_code(c.login(&login_opts("again"))).await, 8, "already logged in");
    settle(c.logout()).await.unwrap();
    assert_eq!(rejection_code(c.logout()).await, 102, "logout when not logged in");
}

#[wasm_bindgen_test]
async fn bad_sends_are_rejected_with_codes() {
    let app = unique("app");
    let peer = unique("peer");
    let c = client(&app);
    let text = |s: &str| obj(&[("text", s.into())]);
    let none = JsValue::UNDEFINED;
    assert_eq!(
        rejection_code(c.send_message_to_peer(&text("x"), &peer.clone().into(), &none)).await,
        102,
        "before login"
    );
    settle(c.login(&login_opts(&unique("u")))).await.unwrap();
    let big = "x".repeat(32 * 1024 + 1);
    assert_eq!(
        rejection_code(c.send_message_to_peer(&text(&big), &peer.clone().into(), &none)).await,
        7,
        "over 32 KB"
    );
    let raw = obj(&[
        ("rawMessage", js_sys::Uint8Array::new_with_length(32 * 1024).into()),
        ("description", "d".into()),
    ]);
    assert_eq!(
        rejection_code(c.send_message_to_peer(&raw, &peer.clone().into(), &none)).await,
        7,
        "raw + description over 32 KB"
    );
    assert_eq!(
        rejection_code(c.send_message_to_peer(&obj(&[]), &peer.clone().into(), &none)).await,
        7,
        "no text"
    );
    assert_eq!(
        rejection_code(c.send_message_to_peer(&text("x"), &"null".into(), &none)).await,
        6,
        "peer 'null'"
    );
    assert_eq!(rejection_code(c.send_message_to_peer(&text("x"), &"".into(), &none)).await, 6, "empty peer");
    let exact = "x".repeat(32 * 1024);
    settle(c.send_message_to_peer(&text(&exact), &peer.clone().into(), &none)).await.expect("exactly 32 KB");
    settle(c.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_181st_send_within_3_seconds_is_too_often() {
    let c = logged_in(&unique("app"), &unique("u")).await;
    let peer: JsValue = unique("offline").into();
    let msg = obj(&[("text", "x".into())]);
    let sends: Vec<_> = (0..180).map(|_| c.send_message_to_peer(&msg, &peer, &JsValue::UNDEFINED)).collect();
    assert_eq!(rejection_code(c.send_message_to_peer(&msg, &peer, &JsValue::UNDEFINED)).await, 5);
    for (i, p) in sends.into_iter().enumerate() {
        settle(p).await.unwrap_or_else(|e| panic!("send {i} within the budget failed: {e:?}"));
    }
    settle(c.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn login_gives_up_after_12_seconds_with_login_timeout() {
    // Nothing listens on port 9: every attempt fails, the SDK retries until its budget is spent.
    let config = obj(&[("serverUrl", "ws://127.0.0.1:9/rtm".into())]);
    let c = agora().create_instance(&unique("app").into(), &config).unwrap();
    let states = Recorder::on(&c, "ConnectionStateChanged");
    let started = js_sys::Date::now();
    assert_eq!(rejection_code(c.login(&login_opts(&unique("u")))).await, 9);
    let took = js_sys::Date::now() - started;
    assert!((11_500.0..14_000.0).contains(&took), "gave up after {took} ms");
    assert_eq!(states.pairs(), ["CONNECTING/LOGIN", "DISCONNECTED/LOGIN_TIMEOUT"]);
    // The client is usable again: a login to a real server works.
    let ok = client(&unique("app"));
    settle(ok.login(&login_opts(&unique("u")))).await.unwrap();
}
