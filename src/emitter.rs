//! The EventEmitter behind every class. Its methods (`on`, `once`, `off`,
//! `emit`, `prependListener`, `eventNames`, ...) are JS, in `src/js/emitter.js`:
//! they only keep JS functions, and listeners run with `this` set to the object.
//! This side emits the SDK's events into it.
//!
//! The SDK's emit copies the listeners before calling any, so a listener may add
//! or remove listeners or call back into the SDK; one that throws is reported on
//! the console and the others still run.

use js_sys::Array;
use rtm_protocol::Payload;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/js/emitter.js")]
extern "C" {
    fn adopt(obj: &JsValue) -> JsValue;
    fn deref(weak: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = emitText)]
    fn emit_text(target: &JsValue, which: u8, text: &str, from: &str, ts: f64, offline: bool);
    #[wasm_bindgen(js_name = emitRaw)]
    fn emit_raw(
        target: &JsValue,
        which: u8,
        raw: &[u8],
        description: &str,
        from: &str,
        ts: f64,
        offline: bool,
    );
    #[wasm_bindgen(js_name = emitFromSdk)]
    fn emit_from_sdk(target: &JsValue, event: &str, args: Array);
}

/// The two message events.
#[derive(Clone, Copy)]
pub enum Message {
    /// `MessageFromPeer`, on the client.
    Peer = 0,
    /// `ChannelMessage`, on a channel.
    Channel = 1,
}

/// Where one object's events go: the JS object the app got, by a weak
/// reference (set by [`Emitter::adopt`]) while nothing can happen to it, so
/// that an object the app dropped can be collected; held ([`Emitter::pin`])
/// while events can come, since apps listen on objects they do not keep.
#[derive(Default)]
pub struct Emitter {
    target: RefCell<JsValue>,
    pinned: RefCell<Option<JsValue>>,
}

impl Emitter {
    /// Gives `obj` (the JS object of this emitter's class instance) its
    /// EventEmitter methods and makes it where events go; returns it.
    pub fn adopt(&self, obj: JsValue) -> JsValue {
        *self.target.borrow_mut() = adopt(&obj);
        obj
    }

    /// Holds the object until [`Emitter::unpin`]: events can come for it (a
    /// session, a joined channel, a ringing invitation).
    pub fn pin(&self) {
        let mut pinned = self.pinned.borrow_mut();
        if pinned.is_none() {
            let target = self.target.borrow();
            *pinned = (!target.is_undefined()).then(|| deref(&target));
        }
    }

    /// Lets the object go again: nothing more will happen to it.
    pub fn unpin(&self) {
        self.pinned.borrow_mut().take();
    }

    fn target(&self) -> JsValue {
        match self.pinned.borrow().as_ref() {
            Some(held) => held.clone(),
            None => self.target.borrow().clone(),
        }
    }

    /// Calls every listener of `event` with `args`.
    pub fn emit(&self, event: &str, args: &[JsValue]) {
        emit_from_sdk(&self.target(), event, args.iter().collect());
    }

    /// Emits a received message, `(message, senderId, messageProps)`: as
    /// `MessageFromPeer` if `event` is [`Message::Peer`], else `ChannelMessage`.
    pub fn emit_message(&self, event: Message, payload: &Payload, from: &str, ts: u64, offline: bool) {
        let (target, which, ts) = (self.target(), event as u8, ts as f64);
        match payload {
            Payload::Text(text) => emit_text(&target, which, text, from, ts, offline),
            Payload::Raw { data, description } => {
                emit_raw(&target, which, data, description, from, ts, offline)
            }
        }
    }
}
