//! One WebSocket connection to rtm-server: a task that reads frames and
//! writes requests, the requests waiting for their replies, and the pushes
//! handed to whoever owns the link.
//!
//! One task per link, none per message: the task decodes each frame once,
//! completes the waiting request of a reply, and passes a push to its
//! [`Handler`] synchronously. Requests queued while the socket is busy are
//! written together and flushed once.

use crate::error::RequestError;
use futures_util::{SinkExt, StreamExt};
use rtm_protocol::{decode, encode, ClientFrame, ErrorReply, Push, Reply, Request, ServerFrame};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Frames written in one go before a flush.
const WRITE_BATCH: usize = 64;

/// What a link reads into at a time (it grows for a larger frame).
const READ_BUFFER: usize = 16 * 1024;

/// What owns a link hears from it.
pub(crate) trait Handler: Send + Sync + 'static {
    /// A push arrived on `link`. `false`: stop reading and close the link.
    fn on_push(&self, link: &Link, seq: u64, push: Push) -> bool;
    /// `link` has closed (whoever closed it); every request on it has failed.
    fn on_end(&self, link: &Link);
}

enum Outgoing {
    Frame(Vec<u8>),
    Close,
}

type Waiting = oneshot::Sender<Result<Reply, ErrorReply>>;

struct Shared {
    /// Numbers the links of a client, so a late event of an old one is known.
    serial: u64,
    out: mpsc::UnboundedSender<Outgoing>,
    waiting: Mutex<HashMap<u32, Waiting>>,
    next_id: AtomicU32,
    closed: AtomicBool,
}

/// A handle on one connection; clones name the same connection.
#[derive(Clone)]
pub(crate) struct Link {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Link#{}", self.shared.serial)
    }
}

static SERIALS: AtomicU64 = AtomicU64::new(1);

impl Link {
    /// Opens a connection to `url` (offering this protocol's subprotocol)
    /// within `timeout`; its pushes go to `handler` while it lives.
    pub async fn open(url: &str, timeout: Duration, handler: Weak<dyn Handler>) -> Result<Link, String> {
        let mut req = url.into_client_request().map_err(|e| format!("{url} is not a WebSocket URL: {e}"))?;
        let protocol = rtm_protocol::SUBPROTOCOL.parse().expect("a valid header value");
        req.headers_mut().insert("Sec-WebSocket-Protocol", protocol);
        // `true`: no Nagle delay; requests are small and latency matters.
        // A 16 KiB read buffer rather than tungstenite's 128 KiB, which it
        // zero-fills before every read: thousands of clients in a load test
        // spent more time in that memset than on their messages.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let connect = tokio_tungstenite::connect_async_with_config(req, Some(config), true);
        let (ws, _) = match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(format!("could not connect to {url}: {e}")),
            Err(_) => return Err(format!("could not connect to {url} within {timeout:?}")),
        };
        let (out, out_rx) = mpsc::unbounded_channel();
        let link = Link {
            shared: Arc::new(Shared {
                serial: SERIALS.fetch_add(1, Ordering::Relaxed),
                out,
                waiting: Mutex::new(HashMap::new()),
                next_id: AtomicU32::new(1),
                closed: AtomicBool::new(false),
            }),
        };
        tokio::spawn(run(ws, out_rx, link.clone(), handler));
        Ok(link)
    }

    /// Whether two handles name the same connection.
    pub fn same(&self, other: &Link) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Sends `req` and waits up to `timeout` for its reply.
    pub async fn request(&self, req: Request, timeout: Duration) -> Result<Reply, RequestError> {
        let s = &self.shared;
        let id = loop {
            // 0 is "no reply wanted".
            let id = s.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                break id;
            }
        };
        let (tx, rx) = oneshot::channel();
        s.waiting.lock().expect("waiting lock").insert(id, tx);
        // The task marks the link closed before it fails what is waiting: a
        // request that sees it open here is failed by the task if need be.
        if s.closed.load(Ordering::SeqCst)
            || s.out.send(Outgoing::Frame(encode(&ClientFrame { id, req }))).is_err()
        {
            s.waiting.lock().expect("waiting lock").remove(&id);
            return Err(RequestError::LinkLost);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(reply))) => Ok(reply),
            Ok(Ok(Err(refusal))) => Err(RequestError::Refused(refusal)),
            Ok(Err(_)) => Err(RequestError::LinkLost),
            Err(_) => {
                s.waiting.lock().expect("waiting lock").remove(&id);
                Err(RequestError::Timeout)
            }
        }
    }

    /// Sends `req`, which gets no reply (acknowledgements).
    pub fn notify(&self, req: Request) {
        let _ = self.shared.out.send(Outgoing::Frame(encode(&ClientFrame { id: 0, req })));
    }

    /// Closes the connection (a close frame, then the socket).
    pub fn close(&self) {
        let _ = self.shared.out.send(Outgoing::Close);
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn run(
    mut ws: Socket,
    mut out: mpsc::UnboundedReceiver<Outgoing>,
    link: Link,
    handler: Weak<dyn Handler>,
) {
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Binary(bytes))) => {
                    if !on_frame(&link, &handler, &bytes) {
                        let _ = ws.close(None).await;
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            next = out.recv() => match next {
                Some(Outgoing::Frame(bytes)) => {
                    if !write_batch(&mut ws, &mut out, bytes).await {
                        break;
                    }
                }
                Some(Outgoing::Close) | None => {
                    let _ = ws.close(None).await;
                    break;
                }
            },
        }
    }
    let s = &link.shared;
    s.closed.store(true, Ordering::SeqCst);
    // Dropping the senders fails every waiting request with LinkLost.
    s.waiting.lock().expect("waiting lock").clear();
    if let Some(handler) = handler.upgrade() {
        handler.on_end(&link);
    }
}

/// Writes `first` and whatever else is queued (up to a batch), then flushes.
async fn write_batch(ws: &mut Socket, out: &mut mpsc::UnboundedReceiver<Outgoing>, first: Vec<u8>) -> bool {
    if ws.feed(Message::Binary(first.into())).await.is_err() {
        return false;
    }
    for _ in 1..WRITE_BATCH {
        match out.try_recv() {
            Ok(Outgoing::Frame(bytes)) => {
                if ws.feed(Message::Binary(bytes.into())).await.is_err() {
                    return false;
                }
            }
            Ok(Outgoing::Close) => {
                let _ = ws.close(None).await;
                return false;
            }
            Err(_) => break,
        }
    }
    ws.flush().await.is_ok()
}

/// One frame from the server; `false` when the handler gives up the link.
fn on_frame(link: &Link, handler: &Weak<dyn Handler>, bytes: &[u8]) -> bool {
    match decode::<ServerFrame>(bytes) {
        Ok(ServerFrame::Reply { id, result }) => {
            if let Some(waiting) = link.shared.waiting.lock().expect("waiting lock").remove(&id) {
                let _ = waiting.send(result);
            }
            true
        }
        Ok(ServerFrame::Push { seq, push }) => match handler.upgrade() {
            Some(handler) => handler.on_push(link, seq, push),
            None => false,
        },
        // A newer server's frame this client cannot read: skip it, as the
        // web SDK does, rather than lose the connection.
        Err(_) => true,
    }
}
