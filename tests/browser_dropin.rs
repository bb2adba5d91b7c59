//! What unchanged agora-rtm-sdk 1.x apps rely on beyond the methods' results:
//! `client.connectionState`, listeners called with `this` and Node's whole
//! EventEmitter surface, sends that wait out a reconnection, Agora's codes and
//! error names in the corners, and the module object's runtime members.
#![cfg(target_arch = "wasm32")]

mod support;
use js_sys::{Array, Function, Object, Reflect};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function recordThis(log) {
  return function (...args) { log.push([this, ...args]); };
}
export function recordState(log) {
  return function (state) { log.push([this, this.connectionState, state]); };
}"#)]
extern "C" {
    /// A listener that logs `[this, ...args]` of every call into `log`.
    #[wasm_bindgen(js_name = recordThis)]
    fn record_this(log: &Array) -> Function;
    /// A ConnectionStateChanged listener that logs `[this, this.connectionState, newState]`.
    #[wasm_bindgen(js_name = recordState)]
    fn record_state(log: &Array) -> Function;
}

/// `obj.name(...args)`, as an app's JS calls it.
fn call(obj: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(obj, name).dyn_into().unwrap_or_else(|_| panic!("{name} is not a function"));
    f.apply(obj, &args.iter().collect::<Array>())
}

fn state(c: &Client) -> String {
    get(c, "connectionState").as_string().expect("connectionState is a string")
}

/// The `code` and `name` of an Error.
fn code_name(err: &JsValue) -> (u32, String) {
    (get(err, "code").as_f64().unwrap_or(-1.0) as u32, get(err, "name").as_string().unwrap_or_default())
}

#[wasm_bindgen_test]
async fn connection_state_reads_as_the_events_report_it() {
    let c = client(&unique("app"));
    assert_eq!(state(&c), "DISCONNECTED");
    // A listener sees `this` as the client, whose connectionState is already the new one.
    let log = Array::new();
    c.on("ConnectionStateChanged", &record_state(&log)).unwrap();
    login(&c, &unique("A")).await;
    assert_eq!(state(&c), "CONNECTED");
    let seen: Vec<(bool, String, String)> = log
        .iter()
        .map(|entry| {
            let entry = Array::from(&entry);
            let this_is_c = entry.get(0) == JsValue::from(c.clone());
            (this_is_c, entry.get(1).as_string().unwrap(), entry.get(2).as_string().unwrap())
        })
        .collect();
    assert_eq!(
        seen,
        [(true, "CONNECTING".into(), "CONNECTING".into()), (true, "CONNECTED".into(), "CONNECTED".into())]
    );
    // logoutSync(): the session ends before it returns.
    call(&c, "logoutSync", &[]).unwrap();
    assert_eq!(state(&c), "DISCONNECTED");
    let err = call(&c, "logoutSync", &[]).unwrap_err();
    assert_eq!(code_name(&err).0, 102, "logoutSync() when logged out");
}

#[wasm_bindgen_test]
fn the_emitter_surface_is_nodes() {
    let c: JsValue = client("app").into();
    let log = Array::new();
    let (f, g) = (record_this(&log), record_this(&log));
    assert_eq!(call(&c, "on", &["x".into(), f.clone().into()]).unwrap(), c, "chainable");
    assert_eq!(call(&c, "prependListener", &["x".into(), g.clone().into()]).unwrap(), c);
    let listed = Array::from(&call(&c, "listeners", &["x".into()]).unwrap());
    assert_eq!(listed.to_vec(), [JsValue::from(g.clone()), JsValue::from(f.clone())], "g first");
    assert_eq!(call(&c, "emit", &["x".into(), 7.into()]).unwrap(), true, "emit: someone listened");
    assert_eq!(call(&c, "emit", &["nobody".into()]).unwrap(), false);
    assert_eq!(log.length(), 2);
    for entry in log.iter() {
        let entry = Array::from(&entry);
        assert_eq!((entry.get(0), entry.get(1)), (c.clone(), 7.into()), "this is the client");
    }
    call(&c, "prependOnceListener", &["y".into(), f.clone().into()]).unwrap();
    call(&c, "emit", &["y".into()]).unwrap();
    call(&c, "emit", &["y".into()]).unwrap();
    assert_eq!(log.length(), 3, "a once listener runs once");
    let names: Vec<_> = Array::from(&call(&c, "eventNames", &[]).unwrap()).iter().collect();
    assert_eq!(names, [JsValue::from("x")]);
    assert_eq!(call(&c, "getMaxListeners", &[]).unwrap(), 10, "Node's default");
    assert_eq!(call(&c, "setMaxListeners", &[20.into()]).unwrap(), c);
    assert_eq!(call(&c, "getMaxListeners", &[]).unwrap(), 20);
    // An app's own emit() is Node's: a throwing listener throws out of it.
    let thrower = Function::new_no_args("throw new Error('boom')");
    call(&c, "on", &["z".into(), thrower.into()]).unwrap();
    assert!(call(&c, "emit", &["z".into()]).is_err());
}

#[wasm_bindgen_test]
async fn channel_and_invitation_listeners_get_their_object_as_this() {
    let (app, room) = (unique("app"), unique("room"));
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let b = logged_in(&app, &b_uid).await;
    let a_room: JsValue = a.create_channel(&room.clone().into()).unwrap().into();
    let joins = Array::new();
    call(&a_room, "on", &["MemberJoined".into(), record_this(&joins).into()]).unwrap();
    settle(call(&a_room, "join", &[]).unwrap().unchecked_into()).await.unwrap();
    settle(b.create_channel(&room.into()).unwrap().join()).await.unwrap();
    eventually("MemberJoined", || joins.length() == 1).await;
    assert_eq!(Array::from(&joins.get(0)).get(0), a_room, "this is the channel");

    let invitation: JsValue = call(&a, "createLocalInvitation", &[b_uid.into()]).unwrap();
    let news = Array::new();
    call(&invitation, "on", &["LocalInvitationReceivedByPeer".into(), record_this(&news).into()]).unwrap();
    call(&invitation, "send", &[]).unwrap();
    eventually("LocalInvitationReceivedByPeer", || news.length() == 1).await;
    assert_eq!(Array::from(&news.get(0)).get(0), invitation, "this is the invitation");
    call(&invitation, "cancel", &[]).unwrap();
}

/// A full garbage collection (webdriver.json starts Chromium with --expose-gc).
async fn collect_garbage() {
    pause(20).await; // a new job: objects a WeakRef kept for the last one may go now
    let gc: Function = get(&js_sys::global(), "gc").dyn_into().expect("Chromium started with --expose-gc");
    gc.call0(&JsValue::UNDEFINED).unwrap();
    pause(20).await;
}

#[wasm_bindgen_test]
async fn objects_the_app_does_not_keep_still_get_their_events() {
    let (app, room) = (unique("app"), unique("room"));
    let b_uid = unique("B");
    let a = logged_in(&app, &unique("A")).await;
    let (room_inbox, ring_log) = (Array::new(), Array::new());
    {
        // `client.createChannel(id).on(...)`, `createInstance(...)` kept nowhere: the app's
        // only hold on these objects is the listeners it gave them.
        let b: JsValue = client(&app).into();
        call(&b, "on", &["RemoteInvitationReceived".into(), record_this(&ring_log).into()]).unwrap();
        settle(call(&b, "login", &[obj(&[("uid", b_uid.clone().into())])]).unwrap().unchecked_into())
            .await
            .unwrap();
        let channel = call(&b, "createChannel", &[room.clone().into()]).unwrap();
        call(&channel, "on", &["ChannelMessage".into(), record_this(&room_inbox).into()]).unwrap();
        settle(call(&channel, "join", &[]).unwrap().unchecked_into()).await.unwrap();
    }
    collect_garbage().await;
    let a_room = a.create_channel(&room.into()).unwrap();
    settle(a_room.join()).await.unwrap();
    settle(a_room.send_message(&text("still listening?"))).await.unwrap();
    eventually("the channel's listener is called", || room_inbox.length() == 1).await;
    let call_b = call(&a, "createLocalInvitation", &[b_uid.into()]).unwrap();
    call(&call_b, "send", &[]).unwrap();
    eventually("the client's listener is called", || ring_log.length() == 1).await;
    call(&call_b, "cancel", &[]).unwrap();
}

#[wasm_bindgen_test]
async fn wasm_bindgen_internals_cannot_break_an_object() {
    let c = client(&unique("app"));
    let channel: JsValue = c.create_channel(&"room".into()).unwrap().into();
    let invitation = call(&c, "createLocalInvitation", &["bob".into()]).unwrap();
    for (what, object) in
        [("client", JsValue::from(c.clone())), ("channel", channel), ("invitation", invitation)]
    {
        assert!(get(&object, "free").is_undefined(), "{what}.free() would release it under the SDK");
        assert!(get(&object, "__destroy_into_raw").is_undefined(), "{what}");
        assert_eq!(
            Object::keys(object.unchecked_ref::<Object>()).length(),
            0,
            "{what}: no enumerable internals"
        );
        let _ = Reflect::set(&object, &"__wbg_ptr".into(), &0.into());
        assert_ne!(get(&object, "__wbg_ptr"), 0, "{what}: its pointer cannot be overwritten");
    }
    login(&c, &unique("A")).await;
    assert_eq!(state(&c), "CONNECTED", "the client still works");
    settle(c.logout()).await.unwrap();
}

#[wasm_bindgen_test]
fn the_module_has_agoras_runtime_members() {
    let m: JsValue = agora().into();
    assert!(!Object::is_frozen(m.unchecked_ref::<Object>()), "apps spy on it (jest.spyOn)");
    let debug = get(&m, "LOG_FILTER_DEBUG");
    for k in ["error", "warn", "info", "track", "debug"] {
        assert_eq!(get(&debug, k), true, "LOG_FILTER_DEBUG.{k}");
    }
    let id = get(&m, "processId").as_string().unwrap();
    assert_eq!(id.split('-').map(str::len).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "a UUID: {id}");
    // Agora's parameters: known keys are kept, others ignored.
    assert_eq!(call(&m, "getParameter", &["RECONNECTING_AP_NUM".into()]).unwrap(), 2);
    call(&m, "setParameter", &["RECONNECTING_AP_NUM".into(), 3.into()]).unwrap();
    assert_eq!(call(&m, "getParameter", &["RECONNECTING_AP_NUM".into()]).unwrap(), 3);
    call(&m, "setParameter", &["RECONNECTING_AP_NUM".into(), 2.into()]).unwrap();
    call(&m, "setParameter", &["NOT_AGORAS".into(), 1.into()]).unwrap();
    assert!(call(&m, "getParameter", &["NOT_AGORAS".into()]).unwrap().is_undefined());
    // A spy replaces createInstance and is called.
    let original = get(&m, "createInstance");
    let spy = Function::new_with_args("appId", "return 'spied ' + appId");
    assert!(Reflect::set(&m, &"createInstance".into(), &spy).unwrap());
    assert_eq!(call(&m, "createInstance", &["x".into()]).unwrap(), "spied x");
    Reflect::set(&m, &"createInstance".into(), &original).unwrap();
}

#[wasm_bindgen_test]
async fn sends_during_a_reconnection_wait_for_it() {
    let (app, room) = (unique("app"), unique("room"));
    let b_uid = unique("B");
    let b = logged_in(&app, &b_uid).await;
    let inbox = Recorder::on(&b, "MessageFromPeer");
    let b_room = b.create_channel(&room.clone().into()).unwrap();
    let room_inbox = Recorder::on_channel(&b_room, "ChannelMessage");
    settle(b_room.join()).await.unwrap();
    let m: JsValue = agora().into();
    let lines = Array::new();
    call(&m, "setParameter", &["LOG_HANDLER".into(), record_this(&lines).into()]).unwrap();

    let a = proxied_client(&app);
    login(&a, &unique("A")).await;
    let a_room = a.create_channel(&room.into()).unwrap();
    settle(a_room.join()).await.unwrap();
    control("POST", "/sever?down_ms=1500").await;
    eventually("A is RECONNECTING", || state(&a) == "RECONNECTING").await;
    let to_peer =
        a.send_message_to_peer(&text("sent while reconnecting"), &b_uid.clone().into(), &JsValue::UNDEFINED);
    let to_room = a_room.send_message(&text("to the room, while reconnecting"));
    assert!(has_peer_received(&settle(to_peer).await.expect("the peer message waits, then goes")));
    settle(to_room).await.expect("the channel message waits, then goes");
    assert_eq!(state(&a), "CONNECTED");
    assert_eq!(texts(&inbox.wait_for(1).await), ["sent while reconnecting"]);
    assert_eq!(texts(&room_inbox.wait_for(1).await), ["to the room, while reconnecting"]);

    // The default log filter is Agora's (INFO): LOG_HANDLER got the line about the drop.
    call(&m, "setParameter", &["LOG_HANDLER".into(), JsValue::UNDEFINED]).unwrap();
    let records: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let record = Array::from(&l).get(1);
            (get(&record, "level").as_string().unwrap(), get(&record, "message").as_string().unwrap())
        })
        .collect();
    assert!(
        records.iter().any(|(level, message)| level == "log" && message.contains("reconnecting")),
        "{records:?}"
    );

    // Longer than 10 s RECONNECTING: the send fails with its timeout code.
    control("POST", "/sever?down_ms=12000").await;
    eventually("A is RECONNECTING again", || state(&a) == "RECONNECTING").await;
    let started = js_sys::Date::now();
    let err = settle(a.send_message_to_peer(&text("too late"), &b_uid.into(), &JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(code_name(&err), (2, "RtmTimeoutError".to_string()), "{err:?}");
    assert!(js_sys::Date::now() - started >= 9_000.0, "it waited for the reconnection first");
    settle(a.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn codes_and_error_names_in_the_corners() {
    let (app, room) = (unique("app"), unique("room"));
    let a = logged_in(&app, &unique("A")).await;
    let err = settle(a.query_peers_by_subscription_option(&"NOT_AN_OPTION".into())).await.unwrap_err();
    assert_eq!(code_name(&err), (2, "RtmInvalidArgumentError".to_string()));

    // A second join() while the first is on its way: 6 (ALREADY_JOINED).
    let channel = a.create_channel(&room.into()).unwrap();
    let (first, second) = (channel.join(), channel.join());
    assert_eq!(rejection_code(second).await, 6);
    settle(first).await.unwrap();

    // renewToken() while login() is on its way: 102.
    let c = client(&app);
    let (logging_in, renewing) = (c.login(&obj(&[("uid", unique("C").into())])), c.renew_token(&"t".into()));
    assert_eq!(rejection_code(renewing).await, 102);
    settle(logging_in).await.unwrap();

    // The message rate limit: RtmLimitExceededError.
    let sends: Vec<_> = (0..181)
        .map(|i| c.send_message_to_peer(&text(&i.to_string()), &"nobody".into(), &JsValue::UNDEFINED))
        .collect();
    let mut sends = sends.into_iter();
    let over = sends.next_back().unwrap();
    let err = settle(over).await.unwrap_err();
    assert_eq!(code_name(&err), (5, "RtmLimitExceededError".to_string()));
    for send in sends {
        settle(send).await.unwrap();
    }

    // A connection lost under a request: the family's FAILURE, named RtmUnavailableError.
    let counting = c.get_channel_member_count(&ids(&["somewhere"]));
    // One turn of the microtask queue: the request is sent, its reply (a task) not yet read.
    JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await.unwrap();
    call(&c, "logoutSync", &[]).unwrap();
    let err = settle(counting).await.unwrap_err();
    assert_eq!(code_name(&err), (1, "RtmUnavailableError".to_string()));

    // A 513th subscribed peer, over several calls: 6 (OVERFLOW).
    let peers =
        |from: usize, n: usize| -> Vec<String> { (from..from + n).map(|i| format!("p{i}")).collect() };
    for batch in [peers(0, 256), peers(256, 256)] {
        let list: Vec<&str> = batch.iter().map(String::as_str).collect();
        settle(a.subscribe_peers_online_status(&ids(&list))).await.unwrap();
    }
    assert_eq!(rejection_code(a.subscribe_peers_online_status(&ids(&["one-more"]))).await, 6);
    settle(a.logout()).await.unwrap();
}
