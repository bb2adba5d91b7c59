//! Module-wide settings: `AgoraRTM.setParameter(key, value)` /
//! `getParameter(key)`, the parameters of agora-rtm-sdk, and our
//! `AgoraRTM.setServerUrl(url)`.
//!
//! Of the parameters only the keys Agora knows are kept, as Agora
//! does; of them this SDK acts on `LOG_HANDLER` (a function given every log
//! line that passes the client's `logFilter`). The others tune Agora's own
//! edge servers and are accepted so that apps which set them keep working.

use js_sys::{Object, Reflect};
use std::cell::{OnceCell, RefCell};
use wasm_bindgen::JsValue;

thread_local! {
    static PARAMS: OnceCell<Object> = const { OnceCell::new() };
    static SERVER_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// `setServerUrl(url)`: where clients without `config.serverUrl` connect.
pub fn set_server_url(url: Option<String>) {
    SERVER_URL.with(|u| *u.borrow_mut() = url);
}

/// The server URL for clients without `config.serverUrl`: the module-level
/// setting, else `ws(s)://<page host>/rtm`.
pub fn default_server_url() -> String {
    if let Some(url) = SERVER_URL.with(|u| u.borrow().clone()) {
        return url;
    }
    let location = Reflect::get(&js_sys::global(), &"location".into()).unwrap_or_default();
    let field =
        |k: &str| Reflect::get(&location, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let scheme = if field("protocol") == "https:" { "wss" } else { "ws" };
    format!("{scheme}://{}{}", field("host"), rtm_protocol::WS_PATH)
}

fn with<R>(f: impl FnOnce(&Object) -> R) -> R {
    PARAMS.with(|cell| {
        f(cell.get_or_init(|| {
            let params = Object::new();
            let defaults: [(&str, JsValue); 6] = [
                ("RECONNECTING_AP_INTERVAL", 2500.into()),
                ("RECONNECTING_AP_NUM", 2.into()),
                ("DISABLE_MESSAGE_COMPRESSION", false.into()),
                ("LOG_UPLOAD_INTERVAL", 3000.into()),
                ("LOG_HANDLER", JsValue::UNDEFINED),
                ("ENABLE_EDGE_AUTO_FALLBACK", true.into()),
            ];
            for (k, v) in defaults {
                let _ = Reflect::set(&params, &k.into(), &v);
            }
            params
        }))
    })
}

/// `setParameter(key, value)`: a key Agora does not know is ignored, as there.
pub fn set(key: JsValue, value: JsValue) {
    with(|params| {
        if Object::has_own(params, &key) {
            let _ = Reflect::set(params, &key, &value);
        }
    });
}

/// `getParameter(key)`.
pub fn get(key: &str) -> JsValue {
    with(|params| Reflect::get(params, &key.into()).unwrap_or_default())
}
