//! User and channel attributes as the browser suites drive them: typed
//! bindings to the client's attribute methods and the conversions between
//! Rust lists and the SDK's attribute objects. Shared by browser_attributes.rs
//! (one server) and browser_cluster_state.rs (writer and reader on different
//! nodes), which must read results the same way to assert the same facts.

use super::{get, obj, Client};
use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, js_name = setLocalUserAttributes)]
    pub fn set_local_user_attributes(this: &Client, attrs: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = addOrUpdateLocalUserAttributes)]
    pub fn add_or_update_local_user_attributes(this: &Client, attrs: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = deleteLocalUserAttributesByKeys)]
    pub fn delete_local_user_attributes_by_keys(this: &Client, keys: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = clearLocalUserAttributes)]
    pub fn clear_local_user_attributes(this: &Client) -> Promise;
    #[wasm_bindgen(method, js_name = getUserAttributes)]
    pub fn get_user_attributes(this: &Client, uid: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = getUserAttributesByKeys)]
    pub fn get_user_attributes_by_keys(this: &Client, uid: &JsValue, keys: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = setChannelAttributes)]
    pub fn set_channel_attributes(this: &Client, ch: &JsValue, attrs: &JsValue, opts: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = addOrUpdateChannelAttributes)]
    pub fn add_or_update_channel_attributes(
        this: &Client,
        ch: &JsValue,
        attrs: &JsValue,
        opts: &JsValue,
    ) -> Promise;
    #[wasm_bindgen(method, js_name = deleteChannelAttributesByKeys)]
    pub fn delete_channel_attributes_by_keys(
        this: &Client,
        ch: &JsValue,
        keys: &JsValue,
        opts: &JsValue,
    ) -> Promise;
    #[wasm_bindgen(method, js_name = clearChannelAttributes)]
    pub fn clear_channel_attributes(this: &Client, ch: &JsValue, opts: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = getChannelAttributes)]
    pub fn get_channel_attributes(this: &Client, ch: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = getChannelAttributesByKeys)]
    pub fn get_channel_attributes_by_keys(this: &Client, ch: &JsValue, keys: &JsValue) -> Promise;
}

/// `{key: value, ...}` from pairs: what the write calls take.
pub fn map(pairs: &[(&str, &str)]) -> JsValue {
    obj(&pairs.iter().map(|(k, v)| (*k, JsValue::from_str(v))).collect::<Vec<_>>())
}

/// Each entry of `value` as "key=" + `show(entry value)`, sorted.
fn entries(value: &JsValue, show: impl Fn(JsValue) -> String) -> Vec<String> {
    let mut v: Vec<String> = Object::entries(value.unchecked_ref::<Object>())
        .iter()
        .map(|e| {
            let e: Array = e.unchecked_into();
            format!("{}={}", e.get(0).as_string().unwrap(), show(e.get(1)))
        })
        .collect();
    v.sort();
    v
}

/// User attributes, `{key: value}`, as sorted "k=v" strings ("k=?" for a non-string value).
pub fn flat(value: &JsValue) -> Vec<String> {
    entries(value, |v| v.as_string().unwrap_or_else(|| "?".into()))
}

/// Channel attributes, `{key: {value, lastUpdateUserId, ...}}`, as sorted "k=v" strings.
pub fn values(value: &JsValue) -> Vec<String> {
    entries(value, |v| get(&v, "value").as_string().unwrap())
}
