//! Two rtm-server nodes on one Redis: user and channel attributes (with
//! AttributesUpdated) and call invitations between client A on node 1 and
//! client B on node 2, in headless Chromium. See browser_cluster.rs.
#![cfg(target_arch = "wasm32")]

mod cluster;
mod support;
use cluster::*;
use support::attributes::*;
use support::invitations::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn user_attributes_written_on_one_node_are_read_on_the_other() {
    ready().await;
    let app = unique("app");
    let a_uid = unique("A");
    let a = logged_in_on(&app, &a_uid, 1).await;
    let b = logged_in_on(&app, &unique("B"), 2).await;
    let me: JsValue = a_uid.clone().into();
    settle(a.set_local_user_attributes(&map(&[("status", "busy"), ("avatar", "cat.png")]))).await.unwrap();
    assert_eq!(flat(&settle(b.get_user_attributes(&me)).await.unwrap()), ["avatar=cat.png", "status=busy"]);
    settle(a.add_or_update_local_user_attributes(&map(&[("status", "free")]))).await.unwrap();
    settle(a.delete_local_user_attributes_by_keys(&ids(&["avatar"]))).await.unwrap();
    let some = settle(b.get_user_attributes_by_keys(&me, &ids(&["status", "avatar"]))).await.unwrap();
    assert_eq!(flat(&some), ["status=free"], "node 2 reads node 1's latest write");
    settle(a.logout()).await.unwrap();
    // Logged out on node 1: node 2 answers USER_NOT_FOUND, as Agora does.
    assert_eq!(rejection_code(b.get_user_attributes(&me)).await, 6, "USER_NOT_FOUND after logout");
    // Written on node 2 this time, read on node 1.
    let a2 = logged_in_on(&app, &a_uid, 2).await;
    settle(a2.set_local_user_attributes(&map(&[("where", "node2")]))).await.unwrap();
    let reader = logged_in_on(&app, &unique("R"), 1).await;
    assert_eq!(flat(&settle(reader.get_user_attributes(&me)).await.unwrap()), ["where=node2"]);
    settle(a2.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn channel_attributes_and_attributes_updated_across_nodes() {
    ready().await;
    let (app, room) = (unique("app"), unique("room"));
    let a_uid = unique("A");
    let a = logged_in_on(&app, &a_uid, 1).await;
    let b = logged_in_on(&app, &unique("B"), 2).await;
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    let updates = Recorder::on_channel(&b_room, "AttributesUpdated");
    settle(b_room.join()).await.unwrap();
    let ch: JsValue = room.clone().into();
    let quiet = obj(&[("enableNotificationToChannelMembers", false.into())]);
    let loud = obj(&[("enableNotificationToChannelMembers", true.into())]);

    settle(a.set_channel_attributes(&ch, &map(&[("topic", "rust")]), &quiet)).await.unwrap();
    let attrs = settle(b.get_channel_attributes(&ch)).await.unwrap();
    assert_eq!(values(&attrs), ["topic=rust"], "node 2 reads node 1's write");
    assert_eq!(get(&get(&attrs, "topic"), "lastUpdateUserId").as_string(), Some(a_uid.clone()));
    settle(a.add_or_update_channel_attributes(&ch, &map(&[("turn", "a")]), &loud)).await.unwrap();
    let calls = updates.wait_for(1).await;
    assert_eq!(
        values(&calls[0].get(0)),
        ["topic=rust", "turn=a"],
        "a member on node 2 is told, the full set"
    );
    settle(b.add_or_update_channel_attributes(&ch, &map(&[("turn", "b")]), &quiet)).await.unwrap();
    assert_eq!(values(&settle(a.get_channel_attributes(&ch)).await.unwrap()), ["topic=rust", "turn=b"]);
    settle(a.delete_channel_attributes_by_keys(&ch, &ids(&["turn"]), &JsValue::UNDEFINED)).await.unwrap();
    settle(a.clear_channel_attributes(&ch, &loud)).await.unwrap();
    let calls = updates.wait_for(2).await;
    assert!(values(&calls[1].get(0)).is_empty(), "cleared: an empty set");
    pause(300).await;
    assert_eq!(updates.len(), 2, "no update for the writes without the flag");
    assert!(values(&settle(b.get_channel_attributes(&ch)).await.unwrap()).is_empty());
}

#[wasm_bindgen_test]
async fn invitations_accepted_and_refused_across_nodes() {
    ready().await;
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = logged_in_on(&app, &a_uid, 1).await;
    let b = logged_in_on(&app, &b_uid, 2).await;
    let ringing = Recorder::on(&b, "RemoteInvitationReceived");
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    call.set_content(&"video call?".into()).unwrap();
    let room = unique("room");
    call.set_channel_id(&room);
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&ringing, 1).await.remove(0);
    assert_eq!(
        (remote.caller_id(), remote.content(), remote.channel_id(), remote.state()),
        (a_uid.clone(), "video call?".to_string(), room, "INVITATION_RECEIVED".to_string()),
        "node 2 rings with node 1's invitation"
    );
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    assert_eq!(local.wait(1).await, ["LocalInvitationReceivedByPeer"]);
    remote.set_response(&"on my way".into()).unwrap();
    remote.accept().unwrap();
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationAccepted"]);
    assert_eq!(local.wait(2).await[1], "LocalInvitationAccepted(on my way)");
    assert_eq!((call.state(), call.response()), ("ACCEPTED_BY_REMOTE".to_string(), "on my way".to_string()));
    assert_eq!(remote.state(), "ACCEPTED");

    // Node 2 calls node 1; refused.
    let a_ringing = Recorder::on(&a, "RemoteInvitationReceived");
    let back = b.create_local_invitation(&a_uid.clone().into()).unwrap();
    let local = Events::watch(&back, &LOCAL_EVENTS);
    back.send().unwrap();
    let remote = received(&a_ringing, 1).await.remove(0);
    assert_eq!(remote.caller_id(), b_uid);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    assert_eq!(
        local.wait(1).await,
        ["LocalInvitationReceivedByPeer"],
        "the caller is told the callee has it"
    );
    remote.set_response(&"busy".into()).unwrap();
    remote.refuse().unwrap();
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationRefused"]);
    assert_eq!(local.wait(2).await[1], "LocalInvitationRefused(busy)");
    assert_eq!((back.state(), remote.state()), ("REFUSED_BY_REMOTE".to_string(), "REFUSED".to_string()));
    settle(a.logout()).await.unwrap();
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn invitations_canceled_offline_and_unanswered_across_nodes() {
    ready().await;
    let app = unique("app");
    let b_uid = unique("B");
    let a = logged_in_on(&app, &unique("A"), 1).await;
    let b = logged_in_on(&app, &b_uid, 2).await;
    let ringing = Recorder::on(&b, "RemoteInvitationReceived");

    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    call.set_content(&"ring ring".into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&ringing, 1).await.remove(0);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    assert_eq!(
        local.wait(1).await,
        ["LocalInvitationReceivedByPeer"],
        "the caller is told the callee has it"
    );
    call.cancel().unwrap();
    assert_eq!(local.wait(2).await, ["LocalInvitationReceivedByPeer", "LocalInvitationCanceled"]);
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationCanceled(ring ring)"], "node 2 is told");
    assert_eq!((call.state(), remote.state()), ("CANCELED".to_string(), "CANCELED".to_string()));

    // Nobody answers within the 3 s the harness allows.
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&ringing, 2).await.remove(1);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    assert_eq!(
        local.wait(2).await,
        ["LocalInvitationReceivedByPeer", "LocalInvitationFailure(INVITATION_EXPIRE)"]
    );
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationFailure(INVITATION_EXPIRE)"]);

    // The callee (node 2) leaves while it rings: the caller (node 1) is told at once.
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    assert_eq!(
        local.wait(1).await,
        ["LocalInvitationReceivedByPeer"],
        "the caller is told the callee has it"
    );
    settle(b.logout()).await.unwrap();
    assert_eq!(local.wait(2).await[1], "LocalInvitationFailure(PEER_OFFLINE)", "the callee left");

    // Offline callee: nobody on either node.
    let nobody = a.create_local_invitation(&b_uid.into()).unwrap();
    let events = Events::watch(&nobody, &LOCAL_EVENTS);
    nobody.send().unwrap();
    assert_eq!(events.wait(1).await, ["LocalInvitationFailure(PEER_OFFLINE)"]);
    assert_eq!(nobody.state(), "FAILURE");
    settle(a.logout()).await.unwrap();
}
