//! The SDK over `wss://` in headless Chromium, against rtm-server's own TLS
//! (`--tls-cert`, `--tls-key`; no proxy terminating it): the harness runs a
//! second server on TLS with a certificate made for the run, and
//! scripts/test-browser.sh starts Chromium trusting that certificate (by its
//! key's pin, `--ignore-certificate-errors-spki-list`).
//!
//! What it proves: an app that passes `serverUrl: 'wss://…'` logs in, and
//! peer and channel messages travel both ways with their acknowledgements,
//! exactly as over ws://. The other suites cover the behaviour itself.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::option_env_unwrap)]

mod support;
use js_sys::Uint8Array;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The harness's TLS server (set at build time by scripts/test-browser.sh).
fn tls_url() -> &'static str {
    option_env!("RTM_TEST_TLS_URL").expect(
        "RTM_TEST_TLS_URL: run through `npm test`, whose harness starts rtm-server on TLS \
         (see .test-out/control.log if it could not)",
    )
}

/// A client of `app` on the TLS server, logged in as `uid`.
async fn logged_in_over_tls(app: &str, uid: &str) -> Client {
    let c = client_at(app, tls_url());
    login(&c, uid).await;
    c
}

#[wasm_bindgen_test]
async fn login_and_peer_messages_over_wss() {
    assert!(tls_url().starts_with("wss://"), "the TLS server's URL: {}", tls_url());
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = client_at(&app, tls_url());
    let states = Recorder::on(&a, "ConnectionStateChanged");
    login(&a, &a_uid).await;
    assert_eq!(states.pairs(), ["CONNECTING/LOGIN", "CONNECTED/LOGIN_SUCCESS"]);
    let b = logged_in_over_tls(&app, &b_uid).await;
    let (a_inbox, b_inbox) = (Recorder::on(&a, "MessageFromPeer"), Recorder::on(&b, "MessageFromPeer"));

    let none = JsValue::UNDEFINED;
    let sent = settle(a.send_message_to_peer(&text("over TLS"), &b_uid.clone().into(), &none)).await.unwrap();
    assert!(has_peer_received(&sent), "A is told B received it");
    let calls = b_inbox.wait_for(1).await;
    assert_eq!(get(&calls[0].get(0), "text").as_string().as_deref(), Some("over TLS"));
    assert_eq!(calls[0].get(1).as_string(), Some(a_uid.clone()));

    // Bytes come back intact the other way: RAW frames over TLS too.
    let bytes: Vec<u8> = (0..=255).collect();
    let raw = obj(&[("rawMessage", Uint8Array::from(&bytes[..]).into())]);
    let sent = settle(b.send_message_to_peer(&raw, &a_uid.into(), &none)).await.unwrap();
    assert!(has_peer_received(&sent), "B is told A received it");
    let calls = a_inbox.wait_for(1).await;
    let got = get(&calls[0].get(0), "rawMessage").dyn_into::<Uint8Array>().expect("a Uint8Array").to_vec();
    assert_eq!(got, bytes);

    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
    assert_eq!(states.pairs().last().map(String::as_str), Some("DISCONNECTED/LOGOUT"));
}

#[wasm_bindgen_test]
async fn channel_messages_over_wss() {
    let app = unique("app");
    let room = unique("room");
    let a = logged_in_over_tls(&app, &unique("A")).await;
    let b = logged_in_over_tls(&app, &unique("B")).await;
    let (a_room, b_room) =
        (a.create_channel(&room.clone().into()).unwrap(), b.create_channel(&room.into()).unwrap());
    let heard = Recorder::on_channel(&b_room, "ChannelMessage");
    settle(a_room.join()).await.unwrap();
    settle(b_room.join()).await.unwrap();

    settle(a_room.send_message(&text("hello, secure room"))).await.expect("sendMessage resolves");
    let calls = heard.wait_for(1).await;
    assert_eq!(get(&calls[0].get(0), "text").as_string().as_deref(), Some("hello, secure room"));

    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}
