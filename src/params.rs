//! `AgoraRTM.setParameter(key, value)` / `getParameter(key)`: the module-wide
//! parameters of agora-rtm-sdk. Only the keys Agora knows are kept, as Agora
//! does; of them this SDK acts on `LOG_HANDLER` (a function given every log
//! line that passes the client's `logFilter`). The others tune Agora's own
//! edge servers and are accepted so that apps which set them keep working.

use js_sys::{Object, Reflect};
use std::cell::OnceCell;
use wasm_bindgen::JsValue;

thread_local! {
    static PARAMS: OnceCell<Object> = const { OnceCell::new() };
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
