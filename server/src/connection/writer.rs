//! The writer half of a connection: sends what the outbox queues until the
//! connection is told to end, then flushes what is still queued (a reply, a
//! Kicked push) and sends the close frame with the reason.

use crate::sessions::{close, CloseReason, Outbound};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use rtm_protocol::push_frame;
use tokio::sync::{mpsc, watch};

/// Runs until the connection ends.
pub async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut out: mpsc::Receiver<Outbound>,
    mut kill: watch::Receiver<Option<CloseReason>>,
) {
    loop {
        tokio::select! {
            biased;
            frame = out.recv() => match frame {
                Some(item) => {
                    if sink.send(Message::Binary(wire(item))).await.is_err() {
                        return;
                    }
                }
                None => break,
            },
            _ = kill.changed() => break,
        }
    }
    while let Ok(item) = out.try_recv() {
        if sink.send(Message::Binary(wire(item))).await.is_err() {
            return;
        }
    }
    let reason = kill.borrow().clone().unwrap_or(CloseReason { code: close::NORMAL, reason: String::new() });
    let frame = CloseFrame { code: reason.code, reason: truncate(&reason.reason, 123).into() };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// The bytes of one queued item.
fn wire(item: Outbound) -> Bytes {
    match item {
        Outbound::Frame(bytes) => bytes,
        Outbound::Push { seq, body } => push_frame(seq, &body).into(),
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
