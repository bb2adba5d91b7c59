//! Call invitations between real clients in headless Chromium against a real
//! rtm-server (whose harness config lets an invitation ring 3 s).
#![cfg(target_arch = "wasm32")]

mod support;
use support::invitations::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn code(err: JsValue) -> u32 {
    get(&err, "code").as_f64().expect("a coded error") as u32
}

#[wasm_bindgen_test]
async fn accepted_with_every_event_and_state_on_both_sides() {
    let app = unique("app");
    let (a_uid, b_uid) = (unique("A"), unique("B"));
    let a = logged_in(&app, &a_uid).await;
    let b = logged_in(&app, &b_uid).await;
    let rings = Recorder::on(&b, "RemoteInvitationReceived");
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    assert_eq!((call.callee_id(), call.state()), (b_uid.clone(), "IDLE".to_string()));
    call.set_content(&"video call?".into()).unwrap();
    let room = unique("room");
    call.set_channel_id(&room);
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    assert_eq!(call.state(), "SENT_TO_REMOTE");
    let remote = received(&rings, 1).await.remove(0);
    assert_eq!(
        (remote.caller_id(), remote.content(), remote.channel_id(), remote.state()),
        (a_uid.clone(), "video call?".to_string(), room.clone(), "INVITATION_RECEIVED".to_string())
    );
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    // Each invitation has an id, as in Agora: a UUID.
    for id in [call.call_id(), remote.call_id()] {
        assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "a UUID: {id}");
    }
    assert_ne!(call.call_id(), remote.call_id());
    // The caller's fields are not the callee's to change: code 1, and nothing changes.
    assert_eq!(code(remote.set_content(&"changed".into()).unwrap_err()), 1, "a RemoteInvitation's content");
    assert_eq!(code(remote.try_set_channel_id("elsewhere").unwrap_err()), 1, "its channelId");
    assert_eq!((remote.content(), remote.channel_id()), ("video call?".to_string(), room.clone()));
    assert_eq!(local.wait(1).await, ["LocalInvitationReceivedByPeer"]);
    assert_eq!(call.state(), "RECEIVED_BY_REMOTE");
    remote.set_response(&"on my way".into()).unwrap();
    remote.accept().unwrap();
    assert_eq!(remote.state(), "ACCEPT_SENT_TO_LOCAL");
    assert_eq!(code(remote.accept().unwrap_err()), 4, "accept while the acceptance is on its way");
    assert_eq!(code(remote.refuse().unwrap_err()), 4, "refuse while the acceptance is on its way");
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationAccepted"]);
    assert_eq!(remote.state(), "ACCEPTED");
    assert_eq!(local.wait(2).await, ["LocalInvitationReceivedByPeer", "LocalInvitationAccepted(on my way)"]);
    assert_eq!((call.state(), call.response()), ("ACCEPTED_BY_REMOTE".to_string(), "on my way".to_string()));
    let counts = settle(a.get_channel_member_count(&js_sys::Array::of1(&room.into()))).await.unwrap();
    assert_eq!(
        js_sys::Object::values(counts.unchecked_ref::<js_sys::Object>()).get(0).as_f64(),
        Some(0.0),
        "accepting joins nothing"
    );
    // Misuse after the end throws and changes nothing.
    assert_eq!(code(remote.accept().unwrap_err()), 3, "accept after accepted");
    assert_eq!(code(remote.refuse().unwrap_err()), 3, "refuse after accepted");
    assert_eq!(code(call.send().unwrap_err()), 3, "send after the end");
    assert_eq!(code(call.cancel().unwrap_err()), 3, "cancel after the end");
    assert_eq!((call.state(), remote.state()), ("ACCEPTED_BY_REMOTE".to_string(), "ACCEPTED".to_string()));
}

#[wasm_bindgen_test]
async fn refused_and_canceled() {
    let app = unique("app");
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let b = logged_in(&app, &b_uid).await;
    let rings = Recorder::on(&b, "RemoteInvitationReceived");

    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&rings, 1).await.remove(0);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    local.wait(1).await;
    remote.set_response(&"busy".into()).unwrap();
    remote.refuse().unwrap();
    assert_eq!(remote.state(), "REFUSED");
    assert_eq!(remote_events.list(), ["RemoteInvitationRefused"], "emitted by refuse() itself");
    assert_eq!(local.wait(2).await[1], "LocalInvitationRefused(busy)");
    assert_eq!(call.state(), "REFUSED_BY_REMOTE");
    assert_eq!(code(remote.accept().unwrap_err()), 3, "accept after refuse");

    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    call.set_content(&"ring ring".into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    assert_eq!(code(call.cancel().unwrap_err()), 2, "cancel before send");
    assert_eq!(call.state(), "IDLE", "unchanged");
    call.send().unwrap();
    assert_eq!(code(call.send().unwrap_err()), 5, "send twice");
    let remote = received(&rings, 2).await.remove(1);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    local.wait(1).await;
    call.cancel().unwrap();
    // As in Agora, cancel() ends the invitation on the spot, with its event.
    assert_eq!(call.state(), "CANCELED");
    assert_eq!(local.list(), ["LocalInvitationReceivedByPeer", "LocalInvitationCanceled"], "at once");
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationCanceled(ring ring)"]);
    assert_eq!(remote.state(), "CANCELED");
}

#[wasm_bindgen_test]
async fn offline_callee_no_answer_and_a_caller_who_leaves() {
    let app = unique("app");
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let nobody = a.create_local_invitation(&unique("nobody").into()).unwrap();
    let events = Events::watch(&nobody, &LOCAL_EVENTS);
    nobody.send().unwrap();
    assert_eq!(events.wait(1).await, ["LocalInvitationFailure(PEER_OFFLINE)"]);
    assert_eq!(nobody.state(), "FAILURE");

    let b = logged_in(&app, &b_uid).await;
    let rings = Recorder::on(&b, "RemoteInvitationReceived");
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&rings, 1).await.remove(0);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    // Nobody answers within the 3 s the harness allows.
    assert_eq!(
        local.wait(2).await,
        ["LocalInvitationReceivedByPeer", "LocalInvitationFailure(INVITATION_EXPIRE)"]
    );
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationFailure(INVITATION_EXPIRE)"]);
    assert_eq!((call.state(), remote.state()), ("FAILURE".to_string(), "FAILURE".to_string()));

    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&rings, 2).await.remove(1);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    local.wait(1).await;
    settle(a.logout()).await.unwrap();
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationFailure(PEER_OFFLINE)"], "the caller left");
    assert_eq!(local.list().last().map(String::as_str), Some("LocalInvitationFailure(NOT_LOGGEDIN)"));
    assert_eq!(call.state(), "FAILURE", "a logout ends the caller's ringing invitation too");

    // The callee goes away while it rings: the caller is told at once.
    let a = logged_in(&app, &unique("A2")).await;
    let call = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    local.wait(1).await;
    settle(b.logout()).await.unwrap();
    assert_eq!(local.wait(2).await[1], "LocalInvitationFailure(PEER_OFFLINE)", "the callee left");

    let logged_out = client(&app);
    let early = logged_out.create_local_invitation(&"someone".into()).unwrap();
    let events = Events::watch(&early, &LOCAL_EVENTS);
    early.send().unwrap();
    assert_eq!(events.wait(1).await, ["LocalInvitationFailure(NOT_LOGGEDIN)"]);
}

#[wasm_bindgen_test]
async fn accepting_a_canceled_invitation_fails() {
    let app = unique("app");
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let b = proxied_client(&app);
    settle(b.login(&obj(&[("uid", b_uid.clone().into())]))).await.unwrap();
    let rings = Recorder::on(&b, "RemoteInvitationReceived");
    let call = a.create_local_invitation(&b_uid.into()).unwrap();
    let local = Events::watch(&call, &LOCAL_EVENTS);
    call.send().unwrap();
    let remote = received(&rings, 1).await.remove(0);
    let remote_events = Events::watch(&remote, &REMOTE_EVENTS);
    local.wait(1).await;
    // B's link drops; meanwhile A cancels. B, not yet told, accepts.
    control("POST", "/sever?down_ms=1500").await;
    pause(100).await;
    call.cancel().unwrap();
    local.wait(2).await;
    remote.accept().unwrap();
    assert_eq!(remote_events.wait(1).await, ["RemoteInvitationFailure(ACCEPT_FAILURE)"]);
    assert_eq!(remote.state(), "FAILURE");
    pause(3_000).await; // B is back: the replayed cancel changes nothing
    assert_eq!(remote_events.list(), ["RemoteInvitationFailure(ACCEPT_FAILURE)"]);
    settle(b.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn misuse_throws_with_codes_and_changes_nothing() {
    let app = unique("app");
    let a = logged_in(&app, &unique("A")).await;
    let call = a.create_local_invitation(&"bob".into()).unwrap();
    let big = "x".repeat(8 * 1024 + 1);
    assert_eq!(code(call.set_content(&big.clone().into()).unwrap_err()), 1, "content over 8 KB");
    assert_eq!(call.content(), "", "unchanged");
    assert_eq!(code(call.set_response(&"x".into()).unwrap_err()), 1, "a LocalInvitation's response");
    assert_eq!(code(call.cancel().unwrap_err()), 2);
    assert_eq!(call.state(), "IDLE");
    assert!(a.create_local_invitation(&"bad/id".into()).is_err(), "an invalid callee id");
    call.set_channel_id("bad/room");
    assert_eq!(code(call.send().unwrap_err()), 1, "send() with an invalid channelId");
    assert_eq!(call.state(), "IDLE", "unchanged");
}

#[wasm_bindgen_test]
async fn concurrent_invitations_never_mix_up() {
    let app = unique("app");
    let (b_uid, c_uid) = (unique("B"), unique("C"));
    let a = logged_in(&app, &unique("A")).await;
    let b = logged_in(&app, &b_uid).await;
    let c = logged_in(&app, &c_uid).await;
    let b_rings = Recorder::on(&b, "RemoteInvitationReceived");
    let c_rings = Recorder::on(&c, "RemoteInvitationReceived");
    let to_b1 = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let to_b2 = a.create_local_invitation(&b_uid.clone().into()).unwrap();
    let to_c = a.create_local_invitation(&c_uid.into()).unwrap();
    for (inv, content) in [(&to_b1, "b1"), (&to_b2, "b2"), (&to_c, "c")] {
        inv.set_content(&content.into()).unwrap();
        inv.send().unwrap();
    }
    let events: Vec<Events> =
        [&to_b1, &to_b2, &to_c].iter().map(|i| Events::watch(i, &LOCAL_EVENTS)).collect();
    let at_b = received(&b_rings, 2).await;
    let at_c = received(&c_rings, 1).await.remove(0);
    let b1 = at_b.iter().find(|i| i.content() == "b1").unwrap();
    let b2 = at_b.iter().find(|i| i.content() == "b2").unwrap();
    b1.set_response(&"yes to b1".into()).unwrap();
    b1.accept().unwrap();
    b2.set_response(&"no to b2".into()).unwrap();
    b2.refuse().unwrap();
    at_c.set_response(&"c says yes".into()).unwrap();
    at_c.accept().unwrap();
    assert_eq!(events[0].wait(2).await[1], "LocalInvitationAccepted(yes to b1)");
    assert_eq!(events[1].wait(2).await[1], "LocalInvitationRefused(no to b2)");
    assert_eq!(events[2].wait(2).await[1], "LocalInvitationAccepted(c says yes)");
    assert_eq!(
        [to_b1.state(), to_b2.state(), to_c.state()],
        ["ACCEPTED_BY_REMOTE", "REFUSED_BY_REMOTE", "ACCEPTED_BY_REMOTE"]
    );
}
