//! The writer half of a connection: sends what the outbox queues until the
//! connection is told to end, then flushes what is still queued (a reply, a
//! Kicked push) and sends the close frame with the reason.
//!
//! Where the frames go is a [`FrameSink`]: the client's WebSocket, or, for a
//! link relayed from another node, that node (`relay.rs`).

use crate::sessions::{close, CloseReason, Outbound, Outbox};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use rtm_protocol::push_frame;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Where a connection's frames go.
pub(crate) trait FrameSink: Send {
    /// Sends one frame; false when the other side is gone.
    fn send(&mut self, frame: Bytes) -> impl std::future::Future<Output = bool> + Send;
    /// Ends the connection with `reason`.
    fn close(self, reason: CloseReason) -> impl std::future::Future<Output = ()> + Send;
}

/// The client's own socket.
pub(crate) struct Socket(pub SplitSink<WebSocket, Message>);

impl FrameSink for Socket {
    async fn send(&mut self, frame: Bytes) -> bool {
        self.0.send(Message::Binary(frame)).await.is_ok()
    }

    async fn close(mut self, reason: CloseReason) {
        let frame = CloseFrame { code: reason.code, reason: truncate(&reason.reason, 123).into() };
        let _ = self.0.send(Message::Close(Some(frame))).await;
        let _ = self.0.close().await;
    }
}

/// Runs until the connection ends. A client that takes no write for `stall`
/// (it stopped reading and its socket buffers are full) is given up on: the
/// connection is closed through `outbox` and this returns, dropping the
/// socket, so the connection frees its slot instead of holding it forever.
pub(crate) async fn write_loop(
    mut sink: impl FrameSink,
    mut out: mpsc::Receiver<Outbound>,
    mut kill: watch::Receiver<Option<CloseReason>>,
    outbox: Outbox,
    stall: Duration,
) {
    let stalled = |outbox: &Outbox| {
        outbox.close(close::SLOW_CONSUMER, "the client took no data for too long");
    };
    loop {
        tokio::select! {
            biased;
            frame = out.recv() => match frame {
                Some(item) => match tokio::time::timeout(stall, send(&mut sink, item)).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(_) => return stalled(&outbox),
                },
                None => break,
            },
            _ = kill.changed() => break,
        }
    }
    let flush = async {
        while let Ok(item) = out.try_recv() {
            if !send(&mut sink, item).await {
                return false;
            }
        }
        true
    };
    match tokio::time::timeout(stall, flush).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(_) => return stalled(&outbox),
    }
    let reason = kill.borrow().clone().unwrap_or(CloseReason { code: close::NORMAL, reason: String::new() });
    let _ = tokio::time::timeout(stall, sink.close(reason)).await;
}

/// Sends one queued item (a replay is many frames); false when the other side is gone.
async fn send(sink: &mut impl FrameSink, item: Outbound) -> bool {
    match item {
        Outbound::Frame(bytes) => sink.send(bytes).await,
        Outbound::Push { seq, body } => sink.send(push_frame(seq, &body).into()).await,
        Outbound::Replay(pushes) => {
            for (seq, body) in pushes {
                if !sink.send(push_frame(seq, &body).into()).await {
                    return false;
                }
            }
            true
        }
    }
}

/// A close reason may be at most 123 bytes; cut on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    #[test]
    fn close_reasons_are_cut_on_character_boundaries() {
        assert_eq!(super::truncate("abc", 123), "abc");
        assert_eq!(super::truncate("ééé", 3), "é");
    }
}
