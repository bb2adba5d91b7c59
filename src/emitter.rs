//! The EventEmitter behind every class. Its methods (`on`, `once`, `off`,
//! `emit`, `prependListener`, `eventNames`, ...) are JS, in `src/js/emitter.js`:
//! they only keep JS functions, and listeners run with `this` set to the object.
//! This side emits the SDK's events into it.
//!
//! The SDK's emit copies the listeners before calling any, so a listener may add
//! or remove listeners or call back into the SDK; one that throws is reported on
//! the console and the others still run.

use js_sys::Array;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/js/emitter.js")]
extern "C" {
    fn adopt(obj: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = emitFromSdk)]
    fn emit_from_sdk(target: &JsValue, event: &str, args: Array);
}

/// Where one object's events go: a weak reference to the JS object the app
/// holds (set by [`Emitter::adopt`]), so the Rust state never keeps it alive.
#[derive(Default)]
pub struct Emitter {
    target: RefCell<JsValue>,
}

impl Emitter {
    /// Gives `obj` (the JS object of this emitter's class instance) its
    /// EventEmitter methods and makes it where events go; returns it.
    pub fn adopt(&self, obj: JsValue) -> JsValue {
        *self.target.borrow_mut() = adopt(&obj);
        obj
    }

    /// Calls every listener of `event` with `args`.
    pub fn emit(&self, event: &str, args: &[JsValue]) {
        let target = self.target.borrow().clone();
        emit_from_sdk(&target, event, args.iter().collect());
    }
}
