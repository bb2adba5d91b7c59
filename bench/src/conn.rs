//! One benchmark user, on either server: rtm-server through rtm-client, or
//! the raw floor (raw-broadcast) through a minimal tokio-tungstenite client
//! speaking its text protocol. The scenarios see one type and the same calls.

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use rtm_client::{ChannelEvent, Client, Event, Events, Message as RtmMessage, SendMessageOptions};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// Which server a scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// rtm-server (release binary), through rtm-client.
    Rtm,
    /// raw-broadcast, the floor.
    Raw,
}

impl Server {
    /// The name in the results.
    pub fn name(self) -> &'static str {
        match self {
            Server::Rtm => "rtm",
            Server::Raw => "raw",
        }
    }
}

/// A message a user received.
#[derive(Debug)]
pub struct Inbound {
    /// Its text.
    pub text: String,
}

/// A logged-in user.
pub enum Conn {
    /// On rtm-server.
    Rtm { client: Client, events: Events },
    /// On the raw server.
    Raw(RawConn),
}

/// The app id every rtm-server user of the benchmarks has.
const APP: &str = "bench";

impl Conn {
    /// Connects to `url` and logs in as `uid`.
    pub async fn login(server: Server, url: &str, uid: &str) -> Result<Conn> {
        match server {
            Server::Rtm => {
                let client = Client::connect(url, APP)?;
                let events = client.events();
                client.login(uid, None).await.with_context(|| format!("login {uid}"))?;
                Ok(Conn::Rtm { client, events })
            }
            Server::Raw => Ok(Conn::Raw(RawConn::login(url, uid).await?)),
        }
    }

    /// Joins `room`.
    pub async fn join(&self, room: &str) -> Result<()> {
        match self {
            Conn::Rtm { client, .. } => Ok(client.channel(room)?.join().await?),
            Conn::Raw(raw) => raw.call(format!("J {room}")).await,
        }
    }

    /// Sends `text` to the other members of `room`.
    pub async fn send_channel(&self, room: &str, text: &str) -> Result<()> {
        match self {
            Conn::Rtm { client, .. } => Ok(client.channel(room)?.send_message(text).await?),
            Conn::Raw(raw) => raw.send(format!("C {room} {text}")),
        }
    }

    /// Sends `text` to `to`; whether `to`'s client acknowledged it.
    pub async fn send_peer(&self, to: &str, text: &str) -> Result<bool> {
        match self {
            Conn::Rtm { client, .. } => {
                let sent = client.send_message_to_peer(to, text, SendMessageOptions::default()).await?;
                Ok(sent.has_peer_received)
            }
            Conn::Raw(raw) => raw.send_peer(to, text).await,
        }
    }

    /// The next message this user received (peer or channel).
    pub async fn recv(&mut self) -> Option<Inbound> {
        match self {
            Conn::Rtm { events, .. } => loop {
                match events.recv().await? {
                    Event::MessageFromPeer { message: RtmMessage::Text(text), .. }
                    | Event::Channel(ChannelEvent::Message { message: RtmMessage::Text(text), .. }) => {
                        return Some(Inbound { text })
                    }
                    _ => {}
                }
            },
            Conn::Raw(raw) => raw.inbound.recv().await,
        }
    }

    /// Logs out (rtm) or closes (raw).
    pub async fn logout(self) -> Result<()> {
        match self {
            Conn::Rtm { client, .. } => Ok(client.logout().await?),
            Conn::Raw(raw) => {
                let _ = raw.out.send(Message::Close(None));
                Ok(())
            }
        }
    }
}

/// Logs `n` users in (100 at a time) and has each join `room`.
pub async fn members(
    server: Server,
    url: &str,
    prefix: &str,
    n: usize,
    room: Option<&str>,
) -> Result<Vec<Conn>> {
    let mut conns = Vec::with_capacity(n);
    for batch in (0..n).collect::<Vec<_>>().chunks(100) {
        let logins = batch.iter().map(|i| {
            let (url, uid, room) = (url.to_owned(), format!("{prefix}{i}"), room.map(str::to_owned));
            tokio::spawn(async move {
                let conn = Conn::login(server, &url, &uid).await?;
                if let Some(room) = room {
                    conn.join(&room).await?;
                }
                anyhow::Ok(conn)
            })
        });
        for conn in futures_util::future::join_all(logins).await {
            conns.push(conn??);
        }
    }
    Ok(conns)
}

/// A user of the raw server.
pub struct RawConn {
    out: mpsc::UnboundedSender<Message>,
    inbound: mpsc::UnboundedReceiver<Inbound>,
    /// Peer messages waiting for their ack, and `K` replies (id 0) in order.
    waiting: Arc<Mutex<Waiting>>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Waiting {
    acks: HashMap<u64, oneshot::Sender<bool>>,
    done: std::collections::VecDeque<oneshot::Sender<()>>,
}

impl RawConn {
    async fn login(url: &str, uid: &str) -> Result<RawConn> {
        // As rtm-client: no Nagle delay, a 16 KiB read buffer.
        let config =
            tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(16 * 1024);
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(config), true);
        let (ws, _) = connect.await.with_context(|| format!("connect {url}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (in_tx, inbound) = mpsc::unbounded_channel();
        let waiting: Arc<Mutex<Waiting>> = Arc::default();
        tokio::spawn(async move {
            while let Some(first) = out_rx.recv().await {
                let close = matches!(first, Message::Close(_));
                if sink.feed(first).await.is_err() || close {
                    let _ = sink.close().await;
                    return;
                }
                while let Ok(more) = out_rx.try_recv() {
                    if sink.feed(more).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        });
        let (w, acks_out) = (waiting.clone(), out.clone());
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                let mut parts = text.splitn(3, ' ');
                let (verb, a, b) =
                    (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                match verb {
                    "K" => {
                        if let Some(done) = w.lock().unwrap().done.pop_front() {
                            let _ = done.send(());
                        }
                    }
                    "C" => {
                        let _ = in_tx.send(Inbound { text: b.to_owned() });
                    }
                    "P" => {
                        let (id, body) = b.split_once(' ').unwrap_or((b, ""));
                        let _ = acks_out.send(Message::Text(format!("A {a} {id}").into()));
                        let _ = in_tx.send(Inbound { text: body.to_owned() });
                    }
                    "A" => {
                        let ack = a.parse().ok().and_then(|id| w.lock().unwrap().acks.remove(&id));
                        if let Some(ack) = ack {
                            let _ = ack.send(b == "1");
                        }
                    }
                    _ => {}
                }
            }
        });
        let conn = RawConn { out, inbound, waiting, next_id: AtomicU64::new(1) };
        conn.call(format!("L {uid}")).await?;
        Ok(conn)
    }

    fn send(&self, frame: String) -> Result<()> {
        self.out.send(Message::Text(frame.into())).map_err(|_| anyhow::anyhow!("raw connection closed"))
    }

    /// Sends a login or join and waits for its `K`.
    async fn call(&self, frame: String) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().done.push_back(tx);
        self.send(frame)?;
        match rx.await {
            Ok(()) => Ok(()),
            Err(_) => bail!("raw connection closed before the reply"),
        }
    }

    async fn send_peer(&self, to: &str, text: &str) -> Result<bool> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().unwrap().acks.insert(id, tx);
        self.send(format!("P {to} {id} {text}"))?;
        Ok(rx.await.unwrap_or(false))
    }
}
