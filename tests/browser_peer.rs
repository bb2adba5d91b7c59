//! Peer messages between real clients in headless Chromium, through a real
//! rtm-server.
#![cfg(target_arch = "wasm32")]

mod support;
use js_sys::Uint8Array;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn text_and_raw_reach_the_peer_and_are_acknowledged() {
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = logged_in(&app, &a_uid).await;
    let b = logged_in(&app, &b_uid).await;
    let inbox = Recorder::on(&b, "MessageFromPeer");

    let sent = settle(a.send_message_to_peer(
        &obj(&[("text", "hello ☃".into())]),
        &b_uid.clone().into(),
        &JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert!(has_peer_received(&sent), "A is told B received it");
    let calls = inbox.wait_for(1).await;
    let (msg, from, props) = (calls[0].get(0), calls[0].get(1), calls[0].get(2));
    assert_eq!(get(&msg, "text").as_string().as_deref(), Some("hello ☃"));
    assert_eq!(get(&msg, "messageType").as_string().as_deref(), Some("TEXT"));
    assert_eq!(from.as_string(), Some(a_uid.clone()));
    let ts = get(&props, "serverReceivedTs").as_f64().expect("serverReceivedTs is a number");
    assert!((ts - js_sys::Date::now()).abs() < 60_000.0, "serverReceivedTs is the server's ms clock: {ts}");
    assert_eq!(get(&props, "isOfflineMessage").as_bool(), Some(false));

    let bytes: Vec<u8> = (0..=255).collect();
    let raw =
        obj(&[("rawMessage", Uint8Array::from(&bytes[..]).into()), ("description", "all bytes".into())]);
    let sent =
        settle(a.send_message_to_peer(&raw, &b_uid.clone().into(), &JsValue::UNDEFINED)).await.unwrap();
    assert!(has_peer_received(&sent));
    let calls = inbox.wait_for(2).await;
    let msg = calls[1].get(0);
    assert_eq!(get(&msg, "messageType").as_string().as_deref(), Some("RAW"));
    let got = get(&msg, "rawMessage").dyn_into::<Uint8Array>().expect("rawMessage is a Uint8Array").to_vec();
    assert_eq!(got, bytes, "bytes intact");
    assert_eq!(get(&msg, "description").as_string().as_deref(), Some("all bytes"));
    assert_eq!(calls[1].get(1).as_string(), Some(a_uid));
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn created_messages_travel_too() {
    let app = unique("app");
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let b = logged_in(&app, &b_uid).await;
    let inbox = Recorder::on(&b, "MessageFromPeer");
    // As in agora-rtm-sdk, createMessage() gives back the very object it was given.
    let partial = obj(&[("text", "made".into())]);
    let msg = a.create_message(&partial);
    assert_eq!(msg, partial);
    let raw = a.create_message(&obj(&[("rawMessage", Uint8Array::from(&[1u8, 2, 3][..]).into())]));
    settle(a.send_message_to_peer(&msg, &b_uid.clone().into(), &JsValue::UNDEFINED)).await.unwrap();
    settle(a.send_message_to_peer(&raw, &b_uid.into(), &JsValue::UNDEFINED)).await.unwrap();
    let calls = inbox.wait_for(2).await;
    assert_eq!(get(&calls[0].get(0), "text").as_string().as_deref(), Some("made"));
    assert_eq!(get(&calls[1].get(0), "messageType").as_string().as_deref(), Some("RAW"));
}

#[wasm_bindgen_test]
async fn a_peer_that_is_not_logged_in_has_not_received() {
    let app = unique("app");
    let a = logged_in(&app, &unique("A")).await;
    let sent = settle(a.send_message_to_peer(
        &obj(&[("text", "anyone?".into())]),
        &unique("nobody").into(),
        &JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert!(!has_peer_received(&sent));
}

#[wasm_bindgen_test]
async fn users_of_another_app_are_not_reachable() {
    let uid = unique("B");
    let _b = logged_in(&unique("app-one"), &uid).await;
    let a = logged_in(&unique("app-two"), &unique("A")).await;
    let sent =
        settle(a.send_message_to_peer(&obj(&[("text", "x".into())]), &uid.into(), &JsValue::UNDEFINED))
            .await
            .unwrap();
    assert!(!has_peer_received(&sent), "an app id is a namespace");
}
