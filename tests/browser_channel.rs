//! Channels with three real clients in headless Chromium against a real
//! rtm-server: messages, member events, counts, lists and limits.
#![cfg(target_arch = "wasm32")]

mod support;
use js_sys::{Array, Uint8Array};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

struct Member {
    uid: String,
    client: Client,
    channel: Channel,
}

async fn member(app: &str, prefix: &str, channel_id: &str) -> Member {
    let uid = unique(prefix);
    let client = logged_in(app, &uid).await;
    let channel = client.create_channel(&channel_id.into()).unwrap();
    Member { uid, client, channel }
}

#[wasm_bindgen_test]
async fn messages_reach_the_other_members_never_the_sender() {
    let (app, room) = (unique("app"), unique("room"));
    let a = member(&app, "A", &room).await;
    let b = member(&app, "B", &room).await;
    let c = member(&app, "C", &room).await;
    let inboxes: Vec<Recorder> =
        [&a, &b, &c].iter().map(|m| Recorder::on_channel(&m.channel, "ChannelMessage")).collect();
    for m in [&a, &b, &c] {
        settle(m.channel.join()).await.unwrap();
    }
    assert_eq!(a.channel.channel_id(), room);

    settle(a.channel.send_message(&text("hello room"))).await.expect("sendMessage resolves");
    let bytes: Vec<u8> = (0..=255).rev().collect();
    let raw = obj(&[("rawMessage", Uint8Array::from(&bytes[..]).into()), ("description", "rev".into())]);
    settle(a.channel.send_message(&raw)).await.unwrap();
    for inbox in &inboxes[1..] {
        let calls = inbox.wait_for(2).await;
        let (msg, from, props) = (calls[0].get(0), calls[0].get(1), calls[0].get(2));
        assert_eq!(get(&msg, "text").as_string().as_deref(), Some("hello room"));
        assert_eq!(from.as_string(), Some(a.uid.clone()));
        assert!(get(&props, "serverReceivedTs").as_f64().unwrap() > 0.0);
        let raw_msg = calls[1].get(0);
        assert_eq!(get(&raw_msg, "messageType").as_string().as_deref(), Some("RAW"));
        assert_eq!(get(&raw_msg, "rawMessage").dyn_into::<Uint8Array>().unwrap().to_vec(), bytes);
        assert_eq!(get(&raw_msg, "description").as_string().as_deref(), Some("rev"));
    }
    // B answers; when A has B's message, A would have had its own by now.
    settle(b.channel.send_message(&text("from B"))).await.unwrap();
    let calls = inboxes[0].wait_for(1).await;
    assert_eq!(calls.len(), 1, "the sender never gets its own messages");
    assert_eq!(calls[0].get(1).as_string(), Some(b.uid.clone()));
    assert_eq!(inboxes[2].wait_for(3).await.len(), 3);
}

#[wasm_bindgen_test]
async fn members_come_and_go() {
    let (app, room) = (unique("app"), unique("room"));
    let a = member(&app, "A", &room).await;
    let joined = Recorder::on_channel(&a.channel, "MemberJoined");
    let left = Recorder::on_channel(&a.channel, "MemberLeft");
    let counts = Recorder::on_channel(&a.channel, "MemberCountUpdated");
    settle(a.channel.join()).await.unwrap();
    let first = counts.wait_for(1).await;
    assert_eq!(first[0].get(0).as_f64(), Some(1.0), "MemberCountUpdated after join: just me");

    let b = member(&app, "B", &room).await;
    settle(b.channel.join()).await.unwrap();
    let c = member(&app, "C", &room).await;
    settle(c.channel.join()).await.unwrap();
    joined.wait_for(2).await;
    assert_eq!(joined.firsts(), [b.uid.clone(), c.uid.clone()]);
    eventually("count 3", || counts.calls().last().and_then(|a| a.get(0).as_f64()) == Some(3.0)).await;
    assert_eq!(sorted(&settle(b.channel.get_members()).await.unwrap()), {
        let mut v = vec![a.uid.clone(), b.uid.clone(), c.uid.clone()];
        v.sort();
        v
    });

    settle(b.channel.leave()).await.unwrap();
    left.wait_for(1).await;
    settle(c.client.logout()).await.unwrap();
    left.wait_for(2).await;
    // A remote login of a member leaves the channel too.
    let d = member(&app, "D", &room).await;
    settle(d.channel.join()).await.unwrap();
    joined.wait_for(3).await;
    let _d_again = logged_in(&app, &d.uid).await;
    left.wait_for(3).await;
    assert_eq!(left.firsts(), [b.uid.clone(), c.uid.clone(), d.uid.clone()]);
    eventually("count back to 1", || counts.calls().last().and_then(|a| a.get(0).as_f64()) == Some(1.0))
        .await;
    assert_eq!(sorted(&settle(a.channel.get_members()).await.unwrap()), std::slice::from_ref(&a.uid));
}

#[wasm_bindgen_test]
async fn members_and_counts_need_the_right_state() {
    let (app, room) = (unique("app"), unique("room"));
    let a = member(&app, "A", &room).await;
    assert_eq!(rejection_code(a.channel.get_members()).await, 5, "getMembers before join");
    assert_eq!(rejection_code(a.channel.send_message(&text("x"))).await, 5, "send before join");
    assert_eq!(rejection_code(a.channel.leave()).await, 3, "leave before join");
    settle(a.channel.join()).await.unwrap();
    assert_eq!(rejection_code(a.channel.join()).await, 6, "join twice");
    let twin = a.client.create_channel(&room.clone().into()).unwrap();
    assert_eq!(rejection_code(twin.join()).await, 202, "a second object for the same channel");
    let empty = unique("empty");
    let ids = Array::of3(&room.clone().into(), &empty.clone().into(), &room.clone().into());
    let counts = settle(a.client.get_channel_member_count(&ids)).await.unwrap();
    assert_eq!(get(&counts, &room).as_f64(), Some(1.0));
    assert_eq!(get(&counts, &empty).as_f64(), Some(0.0), "an empty channel counts 0");
    assert_eq!(rejection_code(a.client.get_channel_member_count(&ids)).await, 3, "once per second");
    pause(1_100).await;
    let many: Array = (0..33).map(|i| JsValue::from(format!("c{i}"))).collect();
    assert_eq!(rejection_code(a.client.get_channel_member_count(&many)).await, 5, "33 ids");
    assert_eq!(rejection_code(a.client.get_channel_member_count(&Array::new())).await, 2, "no ids");
    let bad = Array::of1(&"bad/id".into());
    assert_eq!(rejection_code(a.client.get_channel_member_count(&bad)).await, 2, "invalid id");
    settle(a.client.logout()).await.unwrap();
    assert_eq!(rejection_code(a.channel.send_message(&text("x"))).await, 102, "after logout");
    assert_eq!(rejection_code(a.channel.join()).await, 102, "join when logged out");
}

#[wasm_bindgen_test]
async fn the_21st_channel_and_invalid_ids_are_refused() {
    let app = unique("app");
    let c = logged_in(&app, &unique("U")).await;
    for id in ["", "null", "bad/id", &"x".repeat(65)] {
        let err =
            c.create_channel(&id.into()).err().unwrap_or_else(|| panic!("createChannel({id:?}) throws"));
        assert_eq!(get(&err, "code").as_f64(), Some(1.0), "{id:?}");
    }
    assert!(c.create_channel(&JsValue::from(7)).is_err(), "a number is not a channel id");
    let mut channels = Vec::new();
    for i in 0..20 {
        let ch = c.create_channel(&format!("ch{i}").into()).unwrap();
        settle(ch.join()).await.unwrap_or_else(|e| panic!("join {i}: {e:?}"));
        channels.push(ch);
    }
    let one_more = c.create_channel(&"ch20".into()).unwrap();
    assert_eq!(rejection_code(one_more.join()).await, 5, "the 21st join");
    settle(channels[0].leave()).await.unwrap();
    settle(one_more.join()).await.expect("after leaving one, there is room");
    let big = "x".repeat(32 * 1024 + 1);
    assert_eq!(rejection_code(one_more.send_message(&text(&big))).await, 4, "over 32 KB");
    settle(c.logout()).await.unwrap();
}
