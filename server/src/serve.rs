//! The accept loop: HTTP/1.1 over each accepted stream (plain TCP or TLS),
//! with a deadline on request headers, until the server shuts down.
//!
//! Why not `axum::serve`: it gives hyper no timer, so hyper's header-read
//! timeout never runs, and a client that opens a connection and sends its
//! request a byte a minute (or nothing at all) holds a socket and a task for
//! as long as it likes. Here every connection gets hyper's timer: request
//! headers, the first ones and those of each later keep-alive request, must
//! arrive within `header_read_timeout` or the connection is closed. Upgraded
//! WebSockets are then governed by the login deadline and the write timeout
//! (connection/), not by this.
//!
//! Only HTTP/1.1 is spoken: a WebSocket upgrade is an HTTP/1.1 request (the
//! TLS listener offers only `http/1.1` in ALPN for the same reason).

use crate::http::PeerAddr;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves `app` on `listener` until `shutdown` completes. Then it stops
/// accepting, lets each connection finish the request it is in (idle ones
/// close at once), and returns when they all have. Upgraded WebSockets are no
/// longer HTTP connections: they hear the shutdown through the app's state.
pub async fn serve<L>(
    mut listener: L,
    app: axum::Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    L: Listener<Addr = SocketAddr>,
{
    // `stop_tx` is dropped when the shutdown signal comes: every connection
    // task watches it. Each task holds a clone of `done_rx`; once all are
    // gone, every connection has finished.
    let (stop_tx, _) = watch::channel(());
    let (done_tx, done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            conn = listener.accept() => conn,
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let stopping = stop_tx.subscribe();
        let done = done_rx.clone();
        tokio::spawn(async move {
            serve_connection(io, peer, app, header_read_timeout, stopping).await;
            drop(done);
        });
    }
    // Stop accepting before waiting: the port is free for a restart at once.
    drop(listener);
    drop(stop_tx);
    drop(done_rx);
    done_tx.closed().await;
}

/// One connection: requests until the client closes, the header deadline
/// passes, a request upgrades it, or the server stops (`stopping` closes).
async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: axum::Router,
    header_read_timeout: Duration,
    mut stopping: watch::Receiver<()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // What axum's `ConnectInfo` extractor reads: the handlers see the same
    // `PeerAddr` on either listener.
    let app = app.map_request(move |req: axum::http::Request<Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(PeerAddr(peer)));
        req
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(io), TowerToHyperService::new(app))
        .with_upgrades();
    tokio::pin!(conn);
    let mut graceful = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                // Timeouts, resets and malformed requests end here all day.
                if let Err(e) = result {
                    tracing::debug!(%peer, "HTTP connection ended: {e}");
                }
                return;
            }
            // `changed` fails once the sender is gone: the server is stopping.
            Err(_) = stopping.changed(), if !graceful => {
                graceful = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
