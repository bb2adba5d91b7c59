//! `RtmMessage` objects: reading what the app passes in (TEXT or RAW, with the
//! type given or inferred). What listeners receive is built in JS, in one call
//! per message (`Emitter::emit_message`).

use js_sys::{Reflect, Uint8Array};
use rtm_protocol::limits::MAX_MESSAGE_BYTES;
use rtm_protocol::Payload;
use wasm_bindgen::{JsCast, JsValue};

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
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
