//! The browser layer: one `web_sys::WebSocket` and the closure its handlers call.
//!
//! The handlers are JS (`src/js/link.js`): each hands its event to a microtask,
//! so the SDK state it touches, and any app listener it ends up calling, never
//! runs inside the socket's own callback, and a frame crosses into wasm once, as
//! its bytes. The closure is a field, dropped (and the handlers detached) with
//! the link on logout or reconnect; nothing is `.forget()`-ed.

use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

/// What the socket's handlers call: 0 (open), 1 and a frame's bytes, or the
/// close code and reason (`src/js/link.js`).
type OnEvent = Closure<dyn FnMut(u16, Option<Vec<u8>>, Option<String>)>;

#[wasm_bindgen(module = "/src/js/link.js")]
extern "C" {
    /// Sets the socket's handlers; returns the function that detaches them.
    fn listen(ws: &WebSocket, on_event: &OnEvent) -> js_sys::Function;
}

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
    stop: js_sys::Function,
    _on_event: OnEvent,
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
        let on_event = OnEvent::new(move |what: u16, bytes: Option<Vec<u8>>, reason: Option<String>| {
            handler(
                id,
                match what {
                    0 => LinkEvent::Open,
                    1 => LinkEvent::Frame(bytes.unwrap_or_default()),
                    code => LinkEvent::Closed { code, reason: reason.unwrap_or_default() },
                },
            )
        });
        let stop = listen(&ws, &on_event);
        Ok(Link { id, generation, ws, stop, _on_event: on_event })
    }

    /// Sends one binary frame; false when the socket is not open.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.ws.ready_state() == WebSocket::OPEN && self.ws.send_with_u8_array(bytes).is_ok()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.stop.call0(&JsValue::UNDEFINED);
        let _ = self.ws.close();
    }
}
