//! The Agora-compatible RTM REST API (RTM 1.x "Messaging REST API"): an app
//! server that calls `https://api.agora.io/dev/v2/project/<appid>/rtm/...`
//! works against this server by changing only the host. docs/rest-api.md
//! describes it, with what is left out.
//!
//! - `POST .../rtm/users/{user_id}/peer_messages[?wait_for_ack=true]`
//! - `POST .../rtm/users/{user_id}/channel_messages`
//! - `GET .../rtm/vendor/user_events`, `GET .../rtm/vendor/channel_events`
//!   ([`events`]: logins/logouts and joins/leaves, each returned once)
//!
//! Each request is authenticated ([`auth`]), counted against its app's rate
//! ([`rate`]), read and checked ([`messages`]), then sent through the same
//! features as an SDK's send (`features::peer`, `features::channels`), so
//! the recipients cannot tell the two apart and a cluster delivers it from
//! any node. Errors are JSON with Agora's fields (`result: "failed"`, a
//! `code` naming the error, a `message` a person can act on) and the HTTP
//! status codes Agora's REST APIs use.

pub mod auth;
pub mod credentials;
pub mod events;
pub mod messages;
pub mod rate;

use crate::services::Services;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rate::RateLimiter;
use serde_json::json;
use std::sync::Arc;

/// The prefix of every route: Agora's base URL path.
pub const BASE: &str = "/dev/v2/project/{appid}/rtm";

/// What the REST handlers share.
pub struct Rest {
    /// The node's features.
    pub services: Arc<Services>,
    /// Peer and channel messages per app per second (Agora: 500).
    pub messages_rate: RateLimiter,
    /// User and channel event queries per app per second (Agora: 10).
    pub events_rate: RateLimiter,
}

/// The REST routes, for `http::router` to merge.
pub fn router<S: Clone + Send + Sync + 'static>(services: Arc<Services>) -> Router<S> {
    let per_sec = services.config().limits.rest_messages_per_sec;
    let rest = Arc::new(Rest {
        services,
        messages_rate: RateLimiter::per_second(per_sec),
        events_rate: RateLimiter::per_second(events::EVENTS_PER_SEC),
    });
    Router::new()
        .route(&format!("{BASE}/users/{{user_id}}/peer_messages"), post(messages::peer))
        .route(&format!("{BASE}/users/{{user_id}}/channel_messages"), post(messages::channel))
        .route(&format!("{BASE}/vendor/user_events"), get(events::user_events))
        .route(&format!("{BASE}/vendor/channel_events"), get(events::channel_events))
        .route_layer(axum::middleware::from_fn(timed))
        // A 32 KB payload written with \u escapes is up to 6 times longer.
        .layer(DefaultBodyLimit::max(256 * 1024))
        .with_state(rest)
}

/// Times every answer, whatever its status, in `rtm_request_duration_seconds`
/// under `rest_` and the route's last segment (`rest_peer_messages`,
/// `rest_channel_messages`, `rest_user_events`, `rest_channel_events`).
async fn timed(path: MatchedPath, req: Request, next: Next) -> Response {
    let op = match path.as_str().rsplit('/').next() {
        Some("peer_messages") => "rest_peer_messages",
        Some("channel_messages") => "rest_channel_messages",
        Some("user_events") => "rest_user_events",
        Some("channel_events") => "rest_channel_events",
        _ => "rest_other",
    };
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    crate::metrics::observe_request(op, started.elapsed());
    response
}

/// A fresh request id: echoed in the body (`request_id`) and in the
/// `X-Request-ID` header, as Agora does, and logged with any failure.
pub fn request_id() -> String {
    rand::random::<u64>().to_string()
}

/// A failed request: its HTTP status, a code naming the error, and a
/// message saying what to fix.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable snake_case name (the `code` field).
    pub code: &'static str,
    /// For a person.
    pub message: String,
}

impl ApiError {
    /// 400: the request's parameters or body are wrong.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code, message: message.into() }
    }

    /// 401: the credentials are missing or wrong.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message: message.into() }
    }

    /// The response for request `request_id`.
    pub fn respond(self, request_id: &str) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(request_id, code = self.code, message = %self.message, "REST request failed");
        }
        let body = json!({
            "result": "failed",
            "request_id": request_id,
            "code": self.code,
            "message": self.message,
        });
        with_request_id((self.status, Json(body)).into_response(), request_id)
    }
}

/// A successful send: `{"result":"success","request_id":..,"code":..}`.
pub fn success(request_id: &str, code: &'static str) -> Response {
    let body = json!({ "result": "success", "request_id": request_id, "code": code });
    with_request_id((StatusCode::OK, Json(body)).into_response(), request_id)
}

/// `response` with the `X-Request-ID` header.
pub fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
