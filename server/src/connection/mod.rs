//! One WebSocket connection: a reader loop that hands each frame to the
//! dispatcher (`dispatch.rs`), and a writer task (`writer.rs`) fed by the
//! session's bounded outbox. A connection that resumes a session held by
//! another node is relayed there (`relay.rs`).
//!
//! Every way a connection ends goes through the outbox's kill switch: the
//! writer flushes what is queued and sends a close frame with the reason;
//! the reader then leaves a session that did not end on purpose waiting for
//! its client to resume, and waits (briefly) for the client's close frame.

mod dispatch;
pub mod relay;
pub mod writer;

use crate::services::Services;
use crate::sessions::{close, CloseReason, Outbox, Queued};
use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use rtm_protocol::limits::{IDLE_TIMEOUT_SECS, MAX_FRAME_BYTES};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a closing connection waits for the client's close frame.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Serves one upgraded socket until it closes.
pub async fn serve(socket: WebSocket, services: Arc<Services>, mut shutdown: watch::Receiver<bool>) {
    let (sink, mut stream) = socket.split();
    let (outbox, out_rx, mut kill_rx, stall) = new_outbox(&services);
    let limits = &services.config().limits;
    let writer = tokio::spawn(writer::write_loop(
        writer::Socket(sink),
        out_rx,
        kill_rx.clone(),
        outbox.clone(),
        stall,
    ));
    // Only a login (or resume) keeps a connection past this: sockets that
    // never log in must not hold the slots real users need.
    let login_deadline = tokio::time::sleep(Duration::from_secs(limits.login_deadline_secs));
    tokio::pin!(login_deadline);
    let mut conn = dispatch::Conn::new(services.clone(), outbox.clone());
    // Set while this connection resumes a session another node holds.
    let mut relay: Option<relay::Entry> = None;
    let mut check_relay = tokio::time::interval(Duration::from_secs(1));
    let idle = Duration::from_secs(IDLE_TIMEOUT_SECS);
    loop {
        tokio::select! {
            msg = tokio::time::timeout(idle, stream.next()) => match msg.unwrap_or_else(|_| {
                conn.close(close::IDLE, "nothing heard for 60 s; the SDK pings every 20 s");
                None
            }) {
                None | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Binary(bytes))) => {
                    if let Some(entry) = relay.take() {
                        relay = Box::pin(entry.check(&outbox)).await;
                    }
                    if relay.is_none() && !conn.is_logged_in() {
                        relay = relay::Entry::open(&services.node, &outbox, &bytes);
                    }
                    match relay.as_mut() {
                        Some(entry) => {
                            if !Box::pin(entry.forward(Some(&bytes))).await {
                                conn.close(close::GOING_AWAY, "lost the server that holds this session; reconnect");
                            }
                        }
                        // Boxed: a request's handling is a large future, and
                        // inline it would be part of every idle connection's
                        // memory (this loop's state), not only while it runs.
                        None => Box::pin(conn.on_frame(&bytes)).await,
                    }
                }
                Some(Ok(Message::Text(_))) => conn.close(
                    close::UNSUPPORTED,
                    "text frames are not spoken here: send binary frames (docs/protocol.md)",
                ),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Err(e)) => {
                    let text = e.to_string();
                    tracing::debug!(error = %text, "websocket read error");
                    if text.contains("too long") || text.contains("too big") {
                        conn.close(close::TOO_BIG, &format!("frame larger than {MAX_FRAME_BYTES} bytes"));
                    }
                    break;
                }
            },
            _ = check_relay.tick(), if relay.is_some() => {
                if let Some(entry) = relay.take() {
                    relay = Box::pin(entry.check(&outbox)).await;
                }
            }
            _ = &mut login_deadline, if !conn.is_logged_in() && relay.is_none() => {
                let secs = services.config().limits.login_deadline_secs;
                conn.close(close::LOGIN_DEADLINE, &format!("no login within {secs} s of connecting"));
            }
            _ = kill_rx.changed() => break,
            _ = shutdown.changed() => conn.close(close::GOING_AWAY, "server shutting down; reconnect later"),
        }
    }
    if let Some(entry) = relay.take() {
        Box::pin(entry.end()).await;
    }
    Box::pin(finish(&mut conn, &services, writer)).await;
    // The closing handshake: read (and drop) what the client still sends until
    // it answers our close frame. Dropping a socket with frames unread resets
    // it, and a reset can destroy the close frame and a Kicked push in flight.
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// A connection's outbox, with the byte budget and the patience of the
/// config, and how long one write may take (the same patience).
fn new_outbox(services: &Services) -> (Outbox, Queued, watch::Receiver<Option<CloseReason>>, Duration) {
    let limits = &services.config().limits;
    let (outbox, queued, kill) = Outbox::new(limits);
    (outbox, queued, kill, Duration::from_secs(limits.write_timeout_secs))
}

/// However a connection's loop ended: tells the writer (a reason set earlier
/// wins), leaves a session that did not end on purpose waiting for its client
/// to resume, and waits for the writer to flush.
async fn finish(conn: &mut dispatch::Conn, services: &Services, writer: JoinHandle<()>) {
    conn.close(close::NORMAL, "closed");
    if let Some((session, generation)) = conn.take_session() {
        services.lifecycle.suspend(&session, generation);
    }
    let _ = writer.await;
}
