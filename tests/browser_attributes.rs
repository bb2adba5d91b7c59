//! User and channel attributes with real clients in headless Chromium against
//! a real rtm-server (whose harness config keeps an empty channel's
//! attributes for 3 s).
#![cfg(target_arch = "wasm32")]

mod support;
use support::attributes::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const NOTIFY: &str = "enableNotificationToChannelMembers";

#[wasm_bindgen_test]
async fn user_attributes_can_be_written_read_by_others_and_go_at_logout() {
    let app = unique("app");
    let a_uid = unique("a");
    let a = logged_in(&app, &a_uid).await;
    let b = logged_in(&app, &unique("b")).await;
    let me: JsValue = a_uid.clone().into();
    settle(a.set_local_user_attributes(&map(&[("status", "busy"), ("avatar", "cat.png")]))).await.unwrap();
    assert_eq!(flat(&settle(b.get_user_attributes(&me)).await.unwrap()), ["avatar=cat.png", "status=busy"]);
    settle(a.add_or_update_local_user_attributes(&map(&[("status", "free"), ("mood", "ok")]))).await.unwrap();
    assert_eq!(
        flat(&settle(b.get_user_attributes(&me)).await.unwrap()),
        ["avatar=cat.png", "mood=ok", "status=free"]
    );
    let some = settle(b.get_user_attributes_by_keys(&me, &ids(&["status", "nope"]))).await.unwrap();
    assert_eq!(flat(&some), ["status=free"]);
    settle(a.delete_local_user_attributes_by_keys(&ids(&["avatar"]))).await.unwrap();
    assert_eq!(flat(&settle(a.get_user_attributes(&me)).await.unwrap()), ["mood=ok", "status=free"]);
    settle(a.set_local_user_attributes(&map(&[("only", "this")]))).await.unwrap();
    assert_eq!(flat(&settle(a.get_user_attributes(&me)).await.unwrap()), ["only=this"], "set replaces");
    settle(a.clear_local_user_attributes()).await.unwrap();
    assert!(flat(&settle(a.get_user_attributes(&me)).await.unwrap()).is_empty());
    settle(a.set_local_user_attributes(&map(&[("status", "leaving")]))).await.unwrap();
    settle(a.logout()).await.unwrap();
    // Of a user who is not logged in there is nothing to read: USER_NOT_FOUND, as with Agora.
    assert_eq!(rejection_code(b.get_user_attributes(&me)).await, 6, "USER_NOT_FOUND after logout");
}

#[wasm_bindgen_test]
async fn channel_attributes_without_joining_record_who_and_when() {
    let (app, room) = (unique("app"), unique("room"));
    let a_uid = unique("a");
    let a = logged_in(&app, &a_uid).await;
    let b_uid = unique("b");
    let b = logged_in(&app, &b_uid).await;
    let ch: JsValue = room.clone().into();
    let none = JsValue::UNDEFINED;
    let before = js_sys::Date::now();
    settle(a.set_channel_attributes(&ch, &map(&[("topic", "rust"), ("turn", "a")]), &none)).await.unwrap();
    let attrs = settle(b.get_channel_attributes(&ch)).await.unwrap();
    assert_eq!(values(&attrs), ["topic=rust", "turn=a"]);
    let topic = get(&attrs, "topic");
    assert_eq!(get(&topic, "lastUpdateUserId").as_string(), Some(a_uid.clone()));
    let ts = get(&topic, "lastUpdateTs").as_f64().unwrap();
    assert!(
        ts >= before - 1_000.0 && ts <= js_sys::Date::now() + 1_000.0,
        "lastUpdateTs is the write time: {ts}"
    );
    settle(b.add_or_update_channel_attributes(&ch, &map(&[("turn", "b")]), &none)).await.unwrap();
    let attrs = settle(a.get_channel_attributes_by_keys(&ch, &ids(&["turn"]))).await.unwrap();
    assert_eq!(values(&attrs), ["turn=b"]);
    assert_eq!(get(&get(&attrs, "turn"), "lastUpdateUserId").as_string(), Some(b_uid));
    settle(a.delete_channel_attributes_by_keys(&ch, &ids(&["turn"]), &none)).await.unwrap();
    assert_eq!(values(&settle(b.get_channel_attributes(&ch)).await.unwrap()), ["topic=rust"]);
    settle(a.clear_channel_attributes(&ch, &none)).await.unwrap();
    assert!(values(&settle(b.get_channel_attributes(&ch)).await.unwrap()).is_empty());
}

#[wasm_bindgen_test]
async fn members_are_told_only_when_asked() {
    let (app, room) = (unique("app"), unique("room"));
    let writer = logged_in(&app, &unique("w")).await;
    let member = logged_in(&app, &unique("m")).await;
    let channel = member.create_channel(&room.clone().into()).unwrap();
    let updates = Recorder::on_channel(&channel, "AttributesUpdated");
    settle(channel.join()).await.unwrap();
    let ch: JsValue = room.clone().into();
    let quiet = obj(&[(NOTIFY, false.into())]);
    let loud = obj(&[(NOTIFY, true.into())]);
    settle(writer.set_channel_attributes(&ch, &map(&[("a", "1")]), &quiet)).await.unwrap();
    settle(writer.add_or_update_channel_attributes(&ch, &map(&[("b", "2")]), &loud)).await.unwrap();
    let calls = updates.wait_for(1).await;
    assert_eq!(values(&calls[0].get(0)), ["a=1", "b=2"], "the full set, not just the change");
    settle(writer.delete_channel_attributes_by_keys(&ch, &ids(&["a"]), &JsValue::UNDEFINED)).await.unwrap();
    settle(writer.clear_channel_attributes(&ch, &loud)).await.unwrap();
    let calls = updates.wait_for(2).await;
    assert!(values(&calls[1].get(0)).is_empty(), "cleared: an empty set");
    pause(300).await;
    assert_eq!(updates.len(), 2, "no update for the writes without the flag");
}

#[wasm_bindgen_test]
async fn over_limit_writes_reject_and_change_nothing() {
    let (app, room) = (unique("app"), unique("room"));
    let a_uid = unique("a");
    let a = logged_in(&app, &a_uid).await;
    let me: JsValue = a_uid.into();
    let ch: JsValue = room.into();
    let none = JsValue::UNDEFINED;
    settle(a.set_local_user_attributes(&map(&[("keep", "me")]))).await.unwrap();
    let long_key = "k".repeat(33);
    let big = "v".repeat(8 * 1024 + 1);
    let eight_k = "v".repeat(8 * 1024);
    let thirty_three: Vec<(String, String)> = (0..33).map(|i| (format!("k{i}"), "v".to_string())).collect();
    let many = obj(&thirty_three.iter().map(|(k, v)| (k.as_str(), JsValue::from_str(v))).collect::<Vec<_>>());
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&map(&[(&long_key, "v")]))).await,
        3,
        "33-byte key"
    );
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&map(&[("", "v")]))).await,
        3,
        "empty key"
    );
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&map(&[("a b", "v")]))).await,
        3,
        "invisible"
    );
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&map(&[("k", &big)]))).await,
        4,
        "value > 8 KB"
    );
    assert_eq!(rejection_code(a.set_local_user_attributes(&many)).await, 4, "33 attributes");
    let two_big = map(&[("x", &eight_k), ("y", &eight_k)]);
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&two_big)).await,
        4,
        "user total > 16 KB"
    );
    assert_eq!(
        rejection_code(a.add_or_update_local_user_attributes(&obj(&[("n", 3.into())]))).await,
        3,
        "a number"
    );
    assert_eq!(flat(&settle(a.get_user_attributes(&me)).await.unwrap()), ["keep=me"], "nothing changed");

    settle(a.set_channel_attributes(&ch, &map(&[("keep", "it")]), &none)).await.unwrap();
    let four: Vec<String> = (0..4).map(|i| format!("c{i}")).collect();
    let near_32k = obj(&four.iter().map(|k| (k.as_str(), JsValue::from_str(&eight_k))).collect::<Vec<_>>());
    assert_eq!(
        rejection_code(a.add_or_update_channel_attributes(&ch, &near_32k, &none)).await,
        4,
        "channel > 32 KB"
    );
    assert_eq!(
        rejection_code(a.add_or_update_channel_attributes(&ch, &map(&[(&long_key, "v")]), &none)).await,
        3
    );
    assert_eq!(values(&settle(a.get_channel_attributes(&ch)).await.unwrap()), ["keep=it"], "nothing changed");
    let logged_out = client(&app);
    assert_eq!(rejection_code(logged_out.get_channel_attributes(&ch)).await, 102);
}

#[wasm_bindgen_test]
async fn an_empty_channel_loses_its_attributes_an_occupied_one_does_not() {
    let app = unique("app");
    let (empty, busy) = (unique("empty"), unique("busy"));
    let a = logged_in(&app, &unique("a")).await;
    let channel = a.create_channel(&busy.clone().into()).unwrap();
    settle(channel.join()).await.unwrap();
    let none = JsValue::UNDEFINED;
    settle(a.set_channel_attributes(&empty.clone().into(), &map(&[("t", "1")]), &none)).await.unwrap();
    settle(a.set_channel_attributes(&busy.clone().into(), &map(&[("t", "2")]), &none)).await.unwrap();
    pause(4_000).await; // the harness keeps an empty channel's attributes 3 s
    assert!(values(&settle(a.get_channel_attributes(&empty.into())).await.unwrap()).is_empty(), "expired");
    assert_eq!(values(&settle(a.get_channel_attributes(&busy.into())).await.unwrap()), ["t=2"], "kept");
}
