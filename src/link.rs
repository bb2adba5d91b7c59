//! The browser layer: one `web_sys::WebSocket` and the closures it calls.
//!
//! The closures are fields, dropped (and the handlers detached) with the link
//! on logout or reconnect; nothing is `.forget()`-ed. Each handler only hands
//! the event to a microtask, so the SDK state it touches, and any app listener
//! it ends up calling, never runs inside the socket's own callback.

use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// What a link reports.
pub enum LinkEvent {
    /// The socket is open.
    Open,
    /// A binary frame arrived.
    Frame(Vec<u8>),
    /// The socket closed (or never opened).
    Closed {
        /// The close code (1006 when the connection just broke).
        code: u16,
        /// The server's reason, if it gave one.
        reason: String,
    },
}

/// Receives a link's events: the link id, then the event.
pub type LinkHandler = Rc<dyn Fn(u64, LinkEvent)>;

/// One WebSocket connection.
pub struct Link {
    /// Distinguishes this link's late events from a newer link's.
    pub id: u64,
    /// The login generation this link belongs to (see `Core::generation`).
    pub generation: u64,
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

fn deliver(handler: &LinkHandler, id: u64, event: LinkEvent) {
    let handler = handler.clone();
    wasm_bindgen_futures::spawn_local(async move { handler(id, event) });
}

impl Link {
    /// Starts connecting to `url` with `protocol`; events go to `handler`.
    pub fn open(
        url: &str,
        protocol: &str,
        id: u64,
        generation: u64,
        handler: LinkHandler,
    ) -> Result<Link, String> {
        let ws = WebSocket::new_with_str(url, protocol).map_err(|e| {
            let detail = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_default();
            format!("cannot open a WebSocket to \"{url}\": {detail}")
        })?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let h = handler.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_| deliver(&h, id, LinkEvent::Open));
        let h = handler.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
                deliver(&h, id, LinkEvent::Frame(js_sys::Uint8Array::new(&buf).to_vec()));
            }
        });
        let h = handler;
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            deliver(&h, id, LinkEvent::Closed { code: e.code(), reason: e.reason() })
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Link { id, generation, ws, _on_open: on_open, _on_message: on_message, _on_close: on_close })
    }

    /// Sends one binary frame; false when the socket is not open.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_u8_array(bytes).is_ok()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
