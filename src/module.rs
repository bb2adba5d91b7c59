//! The `AgoraRTM` object: `createInstance`, the constants and enum objects of the
//! Agora API, `setParameter` / `getParameter`, and our one extension,
//! `setServerUrl`. Like Agora's, the object is not frozen: apps and their tests
//! spy on it (`jest.spyOn(AgoraRTM, 'createInstance')`).

use crate::client::RtmClient;
use crate::core::Core;
use crate::log::LogFilter;
use js_sys::{Object, Reflect};
use rtm_protocol::codes::CreateInstanceError;
use rtm_protocol::{ConnectionChangeReason, ConnectionState};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static MODULE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// The SDK version (this crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}

fn enum_object(names: &[&str]) -> JsValue {
    let obj = Object::new();
    for name in names {
        set(&obj, name, &JsValue::from_str(name));
    }
    Object::freeze(&obj).into()
}

fn throw(message: &str) -> JsValue {
    crate::errors::to_js(&CreateInstanceError::INVALID_ARGUMENT.err(message))
}

/// `AgoraRTM.createInstance(appId, config?, areaCodes?)`.
#[wasm_bindgen(js_name = createInstance, skip_typescript)]
pub fn create_instance(app_id: JsValue, config: JsValue) -> Result<JsValue, JsValue> {
    let app_id = app_id.as_string().ok_or_else(|| throw("appId must be a string"))?;
    if !rtm_protocol::limits::validate_app_id(&app_id) {
        return Err(throw("appId must be 1-64 printable characters without spaces"));
    }
    let server_url = if config.is_object() {
        let url = Reflect::get(&config, &"serverUrl".into()).unwrap_or_default();
        if url.is_undefined() || url.is_null() {
            None
        } else {
            Some(url.as_string().ok_or_else(|| throw("config.serverUrl must be a string"))?)
        }
    } else {
        None
    };
    let core = Core::new(app_id, server_url);
    core.apply_config(&config);
    Ok(core.clone().emitter.adopt(RtmClient::new(core).into()))
}

/// `AgoraRTM.setServerUrl(url)`: where clients without `config.serverUrl`
/// connect (default: the page's own origin, path `/rtm`).
#[wasm_bindgen(js_name = setServerUrl, skip_typescript)]
pub fn set_server_url(url: Option<String>) {
    crate::params::set_server_url(url);
}

/// The `AgoraRTM` object (built once).
#[wasm_bindgen(js_name = agoraRtm, skip_typescript)]
pub fn agora_rtm() -> JsValue {
    MODULE.with(|m| m.borrow_mut().get_or_insert_with(build_module).clone())
}

fn build_module() -> JsValue {
    let m = Object::new();
    // Module-lifetime functions: built once per page, never dropped.
    let create = Closure::<dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>>::new(create_instance);
    set(&m, "createInstance", &create.into_js_value());
    set(&m, "setServerUrl", &Closure::<dyn Fn(Option<String>)>::new(set_server_url).into_js_value());
    // Areas choose Agora data centres; a self-hosted server has one place.
    set(&m, "setArea", &Closure::<dyn Fn(JsValue)>::new(|_| {}).into_js_value());
    set(&m, "VERSION", &VERSION.into());
    set(&m, "BUILD", &concat!("rtm-wasm-", env!("CARGO_PKG_VERSION")).into());
    set(&m, "END_CALL_PREFIX", &"AgoraRTMLegacyEndcallCompatibleMessagePrefix".into());
    set(&m, "LOG_FILTER_OFF", &LogFilter::OFF.to_js());
    set(&m, "LOG_FILTER_ERROR", &LogFilter::ERROR.to_js());
    set(&m, "LOG_FILTER_WARNING", &LogFilter::WARNING.to_js());
    set(&m, "LOG_FILTER_INFO", &LogFilter::INFO.to_js());
    set(&m, "LOG_FILTER_DEBUG", &LogFilter::DEBUG.to_js());
    set(&m, "processId", &crate::ids::random_uuid().into());
    let set_parameter = Closure::<dyn Fn(JsValue, JsValue)>::new(crate::params::set);
    set(&m, "setParameter", &set_parameter.into_js_value());
    let get_parameter = Closure::<dyn Fn(JsValue) -> JsValue>::new(|key: JsValue| {
        key.as_string().map(|k| crate::params::get(&k)).unwrap_or_default()
    });
    set(&m, "getParameter", &get_parameter.into_js_value());
    let states: Vec<&str> = ConnectionState::ALL.iter().map(|s| s.as_str()).collect();
    set(&m, "ConnectionState", &enum_object(&states));
    let reasons: Vec<&str> = ConnectionChangeReason::ALL.iter().map(|s| s.as_str()).collect();
    set(&m, "ConnectionChangeReason", &enum_object(&reasons));
    let local_states = [
        "IDLE",
        "SENT_TO_REMOTE",
        "RECEIVED_BY_REMOTE",
        "ACCEPTED_BY_REMOTE",
        "REFUSED_BY_REMOTE",
        "CANCELED",
        "FAILURE",
    ];
    set(&m, "LocalInvitationState", &enum_object(&local_states));
    let remote_states =
        ["INVITATION_RECEIVED", "ACCEPT_SENT_TO_LOCAL", "REFUSED", "ACCEPTED", "CANCELED", "FAILURE"];
    set(&m, "RemoteInvitationState", &enum_object(&remote_states));
    let local_failures = ["UNKNOWN", "PEER_NO_RESPONSE", "INVITATION_EXPIRE", "PEER_OFFLINE", "NOT_LOGGEDIN"];
    set(&m, "LocalInvitationFailureReason", &enum_object(&local_failures));
    let remote_failures = ["UNKNOWN", "PEER_OFFLINE", "ACCEPT_FAILURE", "INVITATION_EXPIRE"];
    set(&m, "RemoteInvitationFailureReason", &enum_object(&remote_failures));
    set(&m, "MessageType", &enum_object(&["TEXT", "RAW"]));
    set(&m, "PeerOnlineState", &enum_object(&["ONLINE", "UNREACHABLE", "OFFLINE"]));
    set(&m, "PeerSubscriptionOption", &enum_object(&["ONLINE_STATUS"]));
    let areas = ["GLOBAL", "INDIA", "JAPAN", "ASIA", "EUROPE", "CHINA", "NORTH_AMERICA"];
    set(&m, "AreaCode", &enum_object(&areas));
    m.into()
}
