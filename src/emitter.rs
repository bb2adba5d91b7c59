//! Node-style EventEmitter behind every class: `on`, `once`, `off`,
//! `removeAllListeners`, `listeners`, `rawListeners`, `listenerCount`.
//!
//! Emitting copies the matching listeners and releases the borrow before it
//! calls any, so a listener may add or remove listeners or call back into the
//! SDK; a listener that throws is reported on the console and the others still
//! run.

use js_sys::{Array, Function};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function chainable(obj) {
  // wasm-bindgen methods cannot return `this`; wrap the prototype's emitter
  // methods once so that `client.on(..) === client`, as in Node.
  const proto = Object.getPrototypeOf(obj);
  if (!Object.prototype.hasOwnProperty.call(proto, '__rtmChainable')) {
    for (const name of ['on', 'once', 'off', 'removeAllListeners', 'addListener', 'removeListener']) {
      const inner = proto[name];
      if (typeof inner === 'function') {
        Object.defineProperty(proto, name, {
          value: function (...args) { inner.apply(this, args); return this; },
          writable: true, configurable: true,
        });
      }
    }
    Object.defineProperty(proto, '__rtmChainable', { value: true });
  }
  return obj;
}
export function onceWrapper(listener) {
  const wrapped = function (...args) { return listener.apply(this, args); };
  wrapped.listener = listener;
  return wrapped;
}
"#)]
extern "C" {
    /// Makes the emitter methods of `obj`'s class return `this`.
    pub fn chainable(obj: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = onceWrapper)]
    fn once_wrapper(listener: &Function) -> Function;
}

struct Entry {
    event: String,
    listener: Function,
    once: bool,
}

/// The listeners of one object.
#[derive(Default)]
pub struct Emitter {
    entries: RefCell<Vec<Entry>>,
}

/// Checks that a listener is a function, as Node does.
pub fn as_listener(value: JsValue) -> Result<Function, JsValue> {
    value.dyn_into::<Function>().map_err(|v| {
        let msg = format!("The \"listener\" argument must be of type function. Received {v:?}");
        js_sys::TypeError::new(&msg).into()
    })
}

impl Emitter {
    /// Adds a listener (`on`, or `once` when `once`).
    pub fn add(&self, event: String, listener: Function, once: bool) {
        self.entries.borrow_mut().push(Entry { event, listener, once });
    }

    /// Removes the most recently added registration of `listener` for `event`.
    pub fn remove(&self, event: &str, listener: &JsValue) {
        let mut entries = self.entries.borrow_mut();
        if let Some(pos) =
            entries.iter().rposition(|e| e.event == event && JsValue::from(&e.listener) == *listener)
        {
            entries.remove(pos);
        }
    }

    /// Removes every listener of `event`, or of every event.
    pub fn remove_all(&self, event: Option<&str>) {
        match event {
            Some(ev) => self.entries.borrow_mut().retain(|e| e.event != ev),
            None => self.entries.borrow_mut().clear(),
        }
    }

    /// The listeners of `event`, in order.
    pub fn listeners(&self, event: &str) -> Array {
        self.entries
            .borrow()
            .iter()
            .filter(|e| e.event == event)
            .map(|e| JsValue::from(&e.listener))
            .collect()
    }

    /// Like [`Emitter::listeners`], with `once` listeners as wrappers that carry
    /// the original in `.listener`.
    pub fn raw_listeners(&self, event: &str) -> Array {
        let entries = self.entries.borrow();
        entries
            .iter()
            .filter(|e| e.event == event)
            .map(|e| if e.once { once_wrapper(&e.listener).into() } else { JsValue::from(&e.listener) })
            .collect()
    }

    /// How many listeners `event` has.
    pub fn count(&self, event: &str) -> u32 {
        self.entries.borrow().iter().filter(|e| e.event == event).count() as u32
    }

    /// Calls every listener of `event` with `args`.
    pub fn emit(&self, event: &str, args: &[JsValue]) {
        let targets: Vec<Function> = {
            let mut entries = self.entries.borrow_mut();
            let targets = entries.iter().filter(|e| e.event == event).map(|e| e.listener.clone()).collect();
            entries.retain(|e| !(e.once && e.event == event));
            targets
        };
        let args: Array = args.iter().collect();
        for listener in targets {
            if let Err(err) = listener.apply(&JsValue::UNDEFINED, &args) {
                web_sys::console::error_3(
                    &JsValue::from_str("rtm-wasm: a listener of"),
                    &JsValue::from_str(event),
                    &err,
                );
            }
        }
    }
}

/// Adds the EventEmitter methods to a wasm-bindgen class whose value has an
/// `emitter()` accessor returning `&Emitter`.
macro_rules! emitter_methods {
    ($class:ty) => {
        #[wasm_bindgen]
        impl $class {
            /// Adds a listener; returns this object.
            pub fn on(&self, event: String, listener: JsValue) -> Result<(), JsValue> {
                self.emitter().add(event, crate::emitter::as_listener(listener)?, false);
                Ok(())
            }
            /// Alias of `on`.
            #[wasm_bindgen(js_name = addListener)]
            pub fn add_listener(&self, event: String, listener: JsValue) -> Result<(), JsValue> {
                self.on(event, listener)
            }
            /// Adds a listener that runs at most once; returns this object.
            pub fn once(&self, event: String, listener: JsValue) -> Result<(), JsValue> {
                self.emitter().add(event, crate::emitter::as_listener(listener)?, true);
                Ok(())
            }
            /// Removes a listener; returns this object.
            pub fn off(&self, event: String, listener: JsValue) {
                self.emitter().remove(&event, &listener);
            }
            /// Alias of `off`.
            #[wasm_bindgen(js_name = removeListener)]
            pub fn remove_listener(&self, event: String, listener: JsValue) {
                self.off(event, listener)
            }
            /// Removes the listeners of one event, or all; returns this object.
            #[wasm_bindgen(js_name = removeAllListeners)]
            pub fn remove_all_listeners(&self, event: Option<String>) {
                self.emitter().remove_all(event.as_deref());
            }
            /// The listeners of an event.
            pub fn listeners(&self, event: String) -> js_sys::Array {
                self.emitter().listeners(&event)
            }
            /// The listeners of an event, `once` ones wrapped.
            #[wasm_bindgen(js_name = rawListeners)]
            pub fn raw_listeners(&self, event: String) -> js_sys::Array {
                self.emitter().raw_listeners(&event)
            }
            /// How many listeners an event has.
            #[wasm_bindgen(js_name = listenerCount)]
            pub fn listener_count(&self, event: String) -> u32 {
                self.emitter().count(&event)
            }
        }
    };
}
pub(crate) use emitter_methods;
