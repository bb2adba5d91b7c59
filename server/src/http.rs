//! The HTTP face: the WebSocket endpoint `/rtm`, `/healthz` (the process
//! runs), `/readyz` (it can serve: engine and store), `/metrics`
//! (`metrics.rs`), the admin API and page (`admin/`, with `/openapi.json`,
//! which must describe every route added here), the Agora REST API
//! (`rest/`), and the static folder at `/`.

use crate::admission::{origin_allowed, Admission, Refusal};
use crate::services::Services;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ConnectInfo;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rtm_protocol::{limits::MAX_FRAME_BYTES, SUBPROTOCOL, SUPPORTED_SUBPROTOCOLS, WS_PATH};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tower_http::services::ServeDir;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// This node's features.
    pub services: Arc<Services>,
    /// Who may connect.
    pub admission: Arc<Admission>,
    /// Flips to true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

/// The gauges of `/metrics`, read from this server at each scrape.
impl crate::metrics::Gauges for AppState {
    fn connections(&self) -> u64 {
        self.admission.connections() as u64
    }

    fn sessions(&self) -> u64 {
        self.services.node.sessions.len() as u64
    }

    async fn offline_stored(&self) -> Option<u64> {
        self.services.node.engine.offline.stored().await.ok().flatten()
    }
}

/// The client's address, on a plain or a TLS listener: the accept loop
/// (serve.rs) puts it in every request as `ConnectInfo<PeerAddr>`.
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

/// The router for `state`.
pub fn router(state: AppState) -> Router {
    let www = ServeDir::new(&state.services.config().www).append_index_html_on_directories(true);
    Router::new()
        .route(WS_PATH, get(upgrade))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(crate::rest::router(state.services.clone()))
        .merge(crate::admin::router(state.services.clone()))
        .merge(crate::metrics::router())
        .fallback_service(www)
        .with_state(state)
}

/// How long `/readyz` waits for the store's write.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Ready to serve: the engine answers (a load balancer stops sending clients
/// to a node whose Redis connection is down) and its store can be written (a
/// full disk, a read-only file system or a file locked by another process
/// would fail every offline message and attribute write).
async fn readyz(State(state): State<AppState>) -> Response {
    let engine = &state.services.node.engine;
    let not_ready =
        |why: String| (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}")).into_response();
    if !engine.health.ready() {
        return not_ready("the engine is unreachable".into());
    }
    match tokio::time::timeout(STORE_PROBE_TIMEOUT, engine.offline.writable()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => not_ready(format!("the store cannot be written: {e:#}")),
        Err(_) => not_ready(format!("the store did not answer within {} s", STORE_PROBE_TIMEOUT.as_secs())),
    }
}

/// Frames up to this size are read and then refused with a clear close reason;
/// anything larger is cut off by the WebSocket layer before it is buffered.
const HARD_FRAME_CAP: usize = 1 << 20;

/// What each connection reads into, per read; a larger frame grows the
/// buffer to fit it. Requests are small (a channel message is ~150 bytes)
/// and rate-limited, so 1 KiB takes most in one read, while an idle
/// connection costs 1 KiB instead of tungstenite's default 128 KiB (which
/// made ~139 KB per idle connection; 4 KiB made ~18 KB, 1 KiB ~15 KB).
const READ_BUFFER: usize = 1024;

async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(PeerAddr(peer)): ConnectInfo<PeerAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers.get("origin").and_then(|v| v.to_str().ok());
    if !origin_allowed(&state.services.config().allowed_origins, origin) {
        let msg = format!("origin {} may not connect (allowed_origins)", origin.unwrap_or_default());
        return (StatusCode::FORBIDDEN, msg).into_response();
    }
    let ws = ws.protocols(SUPPORTED_SUBPROTOCOLS.iter().copied());
    if ws.selected_protocol().is_none() {
        let msg = format!(
            "unsupported protocol version: offer Sec-WebSocket-Protocol {SUBPROTOCOL} (this server speaks {})",
            SUPPORTED_SUBPROTOCOLS.join(", ")
        );
        return (StatusCode::BAD_REQUEST, msg).into_response();
    }
    let permit = match state.admission.admit(peer.ip()) {
        Ok(permit) => permit,
        Err(Refusal::Full) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "too many connections; retry later").into_response()
        }
        Err(Refusal::TooManyFromAddress) => {
            let msg = "too many connections from your address (max_connections_per_ip); retry later";
            return (StatusCode::TOO_MANY_REQUESTS, msg).into_response();
        }
    };
    // Keep our own check (MAX_FRAME_BYTES) below the transport's hard cap so
    // oversized frames get a reasoned close instead of a torn connection.
    const { assert!(MAX_FRAME_BYTES < HARD_FRAME_CAP) };
    let ws = ws.read_buffer_size(READ_BUFFER);
    ws.max_message_size(HARD_FRAME_CAP).max_frame_size(HARD_FRAME_CAP).on_upgrade(move |socket| async move {
        crate::connection::serve(socket, state.services, state.shutdown).await;
        drop(permit);
    })
}
