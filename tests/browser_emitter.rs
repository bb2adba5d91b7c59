//! The EventEmitter surface, on a real client.
#![cfg(target_arch = "wasm32")]

mod support;
use js_sys::Function;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn on_once_off_return_the_client() {
    let c = client("app");
    let f = Recorder::new().function();
    assert_eq!(c.on("ConnectionStateChanged", &f).unwrap(), JsValue::from(c.clone()));
    assert_eq!(c.once("ConnectionStateChanged", &f), JsValue::from(c.clone()));
    assert_eq!(c.off("ConnectionStateChanged", &f), JsValue::from(c.clone()));
    assert_eq!(c.remove_all_listeners(&JsValue::UNDEFINED), JsValue::from(c.clone()));
    assert_eq!(c.listener_count("ConnectionStateChanged"), 0);
}

#[wasm_bindgen_test]
fn a_listener_must_be_a_function() {
    let c = client("app");
    let err = c.on("MessageFromPeer", &"not a function".into()).unwrap_err();
    assert!(err.is_instance_of::<js_sys::TypeError>());
}

#[wasm_bindgen_test]
fn listeners_and_raw_listeners() {
    let c = client("app");
    let (f, g) = (Recorder::new().function(), Recorder::new().function());
    c.on("MessageFromPeer", &f).unwrap();
    c.once("MessageFromPeer", &g);
    let listed = c.listeners("MessageFromPeer");
    assert_eq!(listed.length(), 2);
    assert_eq!(listed.get(0), f);
    assert_eq!(listed.get(1), g);
    let raw = c.raw_listeners("MessageFromPeer");
    assert_eq!(raw.get(0), f);
    assert_eq!(get(&raw.get(1), "listener"), g, "once wrappers carry the original");
    c.remove_all_listeners(&"MessageFromPeer".into());
    assert_eq!(c.listener_count("MessageFromPeer"), 0);
}

#[wasm_bindgen_test]
async fn once_fires_once_off_removes_and_a_throwing_listener_stops_nothing() {
    let c = client(&unique("app"));
    let every = Recorder::on(&c, "ConnectionStateChanged");
    let once = Recorder::new();
    c.once("ConnectionStateChanged", &once.function());
    let removed = Recorder::new();
    c.on("ConnectionStateChanged", &removed.function()).unwrap();
    c.off("ConnectionStateChanged", &removed.function());
    let thrower = Function::new_no_args("throw new Error('listener failure on purpose')");
    c.on("ConnectionStateChanged", &thrower).unwrap();
    let after_thrower = Recorder::on(&c, "ConnectionStateChanged");

    settle(c.login(&obj(&[("uid", unique("u").into())]))).await.unwrap();
    settle(c.logout()).await.unwrap();
    assert_eq!(every.len(), 3, "CONNECTING, CONNECTED, DISCONNECTED");
    assert_eq!(once.len(), 1, "once fires once");
    assert_eq!(removed.len(), 0, "off removes");
    assert_eq!(after_thrower.len(), 3, "a listener registered after a throwing one still runs");
    assert_eq!(c.listener_count("ConnectionStateChanged"), 3, "every, thrower, after_thrower");
}

#[wasm_bindgen_test]
fn the_module_object_has_the_agora_surface() {
    let m: JsValue = agora().into();
    assert!(get(&m, "VERSION").as_string().is_some());
    assert!(get(&m, "BUILD").as_string().is_some());
    assert_eq!(get(&get(&m, "ConnectionState"), "ABORTED").as_string().as_deref(), Some("ABORTED"));
    assert_eq!(
        get(&get(&m, "ConnectionChangeReason"), "REMOTE_LOGIN").as_string().as_deref(),
        Some("REMOTE_LOGIN")
    );
    assert_eq!(get(&get(&m, "MessageType"), "RAW").as_string().as_deref(), Some("RAW"));
    assert_eq!(get(&get(&m, "PeerOnlineState"), "UNREACHABLE").as_string().as_deref(), Some("UNREACHABLE"));
    assert_eq!(get(&get(&m, "LOG_FILTER_OFF"), "error").as_bool(), Some(false));
    assert_eq!(get(&get(&m, "LOG_FILTER_INFO"), "info").as_bool(), Some(true));
    for name in [
        "LocalInvitationState",
        "RemoteInvitationState",
        "LocalInvitationFailureReason",
        "RemoteInvitationFailureReason",
        "PeerSubscriptionOption",
        "AreaCode",
    ] {
        assert!(get(&m, name).is_object(), "{name}");
    }
    let create = get(&m, "createInstance").dyn_into::<Function>().unwrap();
    let err = create.call1(&m, &JsValue::from(5)).expect_err("a non-string app id throws");
    assert_eq!(get(&err, "code").as_f64(), Some(1.0));
    get(&m, "setArea").dyn_into::<Function>().unwrap().call1(&m, &obj(&[])).expect("setArea is accepted");
}
