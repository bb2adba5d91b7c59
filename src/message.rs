//! `RtmMessage` objects: reading what the app passes in (TEXT or RAW, with the
//! type given or inferred) and building what listeners receive.

use js_sys::{Object, Reflect, Uint8Array};
use rtm_protocol::limits::MAX_MESSAGE_BYTES;
use rtm_protocol::Payload;
use wasm_bindgen::{JsCast, JsValue};

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Reads an app's message; the error says what is wrong with it.
pub fn read(message: &JsValue) -> Result<Payload, String> {
    if !message.is_object() {
        return Err("the message must be an object such as {text: 'hi'} or {rawMessage: bytes}".into());
    }
    let kind = get(message, "messageType").as_string();
    let text = get(message, "text");
    let raw = get(message, "rawMessage");
    let is_raw = match kind.as_deref() {
        Some("RAW") => true,
        Some("TEXT") => false,
        Some(other) => return Err(format!("messageType \"{other}\" is neither 'TEXT' nor 'RAW'")),
        None => !raw.is_undefined() && text.is_undefined(),
    };
    let payload = if is_raw {
        let data = raw
            .dyn_into::<Uint8Array>()
            .map_err(|_| "a RAW message needs rawMessage: a Uint8Array".to_string())?
            .to_vec();
        let description = get(message, "description");
        let description = if description.is_undefined() || description.is_null() {
            String::new()
        } else {
            description.as_string().ok_or("description must be a string")?
        };
        Payload::Raw { data: data.into(), description }
    } else {
        Payload::Text(text.as_string().ok_or("a TEXT message needs text: a string")?)
    };
    if payload.size() > MAX_MESSAGE_BYTES {
        return Err(format!(
            "the message is {} bytes; at most {MAX_MESSAGE_BYTES} bytes of text (or raw bytes plus description) are allowed",
            payload.size()
        ));
    }
    Ok(payload)
}

/// The object a listener receives.
pub fn to_js(payload: &Payload) -> JsValue {
    let obj = Object::new();
    match payload {
        Payload::Text(text) => {
            set(&obj, "text", &JsValue::from_str(text));
            set(&obj, "messageType", &JsValue::from_str("TEXT"));
        }
        Payload::Raw { data, description } => {
            set(&obj, "rawMessage", &Uint8Array::from(&data[..]).into());
            set(&obj, "description", &JsValue::from_str(description));
            set(&obj, "messageType", &JsValue::from_str("RAW"));
        }
    }
    obj.into()
}

/// `messageProps` of a received message.
pub fn props(server_ts: u64, offline: bool) -> JsValue {
    let obj = Object::new();
    set(&obj, "serverReceivedTs", &JsValue::from_f64(server_ts as f64));
    set(&obj, "isOfflineMessage", &JsValue::from_bool(offline));
    obj.into()
}
