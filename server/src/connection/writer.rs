//! The writer half of a connection: sends what the outbox queues until the
//! connection is told to end, then flushes what is still queued (a reply, a
//! Kicked push) and sends the close frame with the reason.
//!
//! Where the frames go is a [`FrameSink`]: the client's WebSocket, or, for a
//! link relayed from another node, that node (`relay.rs`).

use crate::sessions::{close, CloseReason, Outbound, Outbox, Queued};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use rtm_protocol::push_frame;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Frames written between two flushes, at most: the writer takes what is
/// queued and flushes it in one write, since a write (a syscall) per frame
/// is most of the cost of a fan-out. The caps keep one round short, so a
/// close or a timeout is never far behind.
const BATCH_FRAMES: usize = 64;
/// Bytes written between two flushes, at most (see [`BATCH_FRAMES`]).
const BATCH_BYTES: usize = 64 * 1024;

/// Where a connection's frames go.
pub(crate) trait FrameSink: Send {
    /// Hands one frame over, possibly only buffering it until [`FrameSink::flush`];
    /// false when the other side is gone.
    fn feed(&mut self, frame: Bytes) -> impl Future<Output = bool> + Send;
    /// Writes out what `feed` buffered; false when the other side is gone.
    /// By default there is nothing to write: each `feed` already sent.
    fn flush(&mut self) -> impl Future<Output = bool> + Send {
        async { true }
    }
    /// Ends the connection with `reason`.
    fn close(self, reason: CloseReason) -> impl Future<Output = ()> + Send;
}

/// The client's own socket.
pub(crate) struct Socket(pub SplitSink<WebSocket, Message>);

impl FrameSink for Socket {
    async fn feed(&mut self, frame: Bytes) -> bool {
        self.0.feed(Message::Binary(frame)).await.is_ok()
    }

    async fn flush(&mut self) -> bool {
        self.0.flush().await.is_ok()
    }

    async fn close(mut self, reason: CloseReason) {
        let frame = CloseFrame { code: reason.code, reason: truncate(&reason.reason, 123).into() };
        let _ = self.0.send(Message::Close(Some(frame))).await;
        let _ = self.0.close().await;
    }
}

/// Why writing stopped.
enum Stop {
    /// The other side is gone.
    Gone,
    /// A write took longer than the stall limit: the client stopped reading.
    Stalled,
}

/// Runs until the connection ends. A client that takes no write for `stall`
/// (it stopped reading and its socket buffers are full) is given up on: the
/// connection is closed through `outbox` and this returns, dropping the
/// socket, so the connection frees its slot instead of holding it forever.
pub(crate) async fn write_loop(
    mut sink: impl FrameSink,
    mut out: Queued,
    mut kill: watch::Receiver<Option<CloseReason>>,
    outbox: Outbox,
    stall: Duration,
) {
    let mut batch = Batch { sink: &mut sink, stall, frames: 0, bytes: 0, bounded: false };
    let ended = loop {
        tokio::select! {
            biased;
            item = out.recv() => match item {
                Some(item) => {
                    // One deadline per round, not per frame: reading the
                    // clock and arming a timer for every frame of a fan-out
                    // was a measurable part of its cost.
                    match tokio::time::timeout(stall, batch.round(item, &mut out)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(stop)) => break Err(stop),
                        Err(_) => break Err(Stop::Stalled),
                    }
                }
                None => break Ok(()),
            },
            _ = kill.changed() => break Ok(()),
        }
    };
    // Ending: what is still queued (a reply, a Kicked push) goes out first,
    // each write bounded on its own (the queue may hold a slow client's
    // megabyte, which goes out as long as it keeps reading).
    batch.bounded = true;
    let drained = match ended {
        Ok(()) => batch.drain(&mut out).await,
        Err(stop) => Err(stop),
    };
    match drained {
        Ok(()) => {}
        Err(Stop::Gone) => return,
        Err(Stop::Stalled) => {
            return outbox.close(close::SLOW_CONSUMER, "the client took no data for too long");
        }
    }
    let reason = kill.borrow().clone().unwrap_or(CloseReason { code: close::NORMAL, reason: String::new() });
    let _ = tokio::time::timeout(stall, sink.close(reason)).await;
}

/// Frames fed to a sink since its last flush. A round runs under one
/// deadline (`write_loop`); while draining, each sink call is bounded by
/// `stall` on its own.
struct Batch<'a, S> {
    sink: &'a mut S,
    stall: Duration,
    frames: usize,
    bytes: usize,
    bounded: bool,
}

impl<S: FrameSink> Batch<'_, S> {
    /// Writes `first` and whatever else is queued, up to the batch caps, then flushes.
    async fn round(&mut self, first: Outbound, out: &mut Queued) -> Result<(), Stop> {
        self.item(first).await?;
        while self.frames > 0 && !self.is_full() {
            match out.try_recv() {
                Ok(item) => self.item(item).await?,
                Err(_) => break,
            }
        }
        self.flush().await?;
        out.settle();
        Ok(())
    }

    /// Writes everything queued, flushing as the caps say.
    async fn drain(&mut self, out: &mut Queued) -> Result<(), Stop> {
        while let Ok(item) = out.try_recv() {
            self.item(item).await?;
            out.settle();
        }
        self.flush().await
    }

    /// Feeds one queued item (a replay is many frames), flushing whenever a cap is reached.
    async fn item(&mut self, item: Outbound) -> Result<(), Stop> {
        match item {
            Outbound::Frame(bytes) => self.feed(bytes).await,
            Outbound::Push { seq, body } => self.feed(push_frame(seq, &body).into()).await,
            Outbound::Replay(pushes) => {
                for (seq, body) in pushes {
                    self.feed(push_frame(seq, &body).into()).await?;
                }
                Ok(())
            }
        }
    }

    async fn feed(&mut self, frame: Bytes) -> Result<(), Stop> {
        self.frames += 1;
        self.bytes += frame.len();
        self.call(|sink| sink.feed(frame)).await?;
        if self.is_full() {
            self.flush().await?;
        }
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.frames >= BATCH_FRAMES || self.bytes >= BATCH_BYTES
    }

    async fn flush(&mut self) -> Result<(), Stop> {
        if self.frames == 0 {
            return Ok(());
        }
        self.frames = 0;
        self.bytes = 0;
        self.call(|sink| sink.flush()).await
    }

    /// One sink call, bounded by `stall` while draining.
    async fn call<'s, F: Future<Output = bool>>(
        &'s mut self,
        call: impl FnOnce(&'s mut S) -> F,
    ) -> Result<(), Stop> {
        let (bounded, stall) = (self.bounded, self.stall);
        let done = call(self.sink);
        let ok = if bounded {
            match tokio::time::timeout(stall, done).await {
                Ok(ok) => ok,
                Err(_) => return Err(Stop::Stalled),
            }
        } else {
            done.await
        };
        if ok {
            Ok(())
        } else {
            Err(Stop::Gone)
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
