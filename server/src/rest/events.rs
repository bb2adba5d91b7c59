//! The two event queries of Agora's RTM 1.x REST API:
//!
//! - `GET .../rtm/vendor/user_events`: `{"user_id","type":"Login"|"Logout","ms"}`
//! - `GET .../rtm/vendor/channel_events`:
//!   `{"group_id","user_id","type":"Join"|"Leave","ms"}`
//!
//! Each answers `{"result":"success","request_id":..,"events":[..]}` with the
//! oldest events not yet returned (at most 1,000), oldest first, and takes
//! them from the app's log (`engine::EventLog`), so no later query on any node
//! returns them again. Checks in the messaging API's order: path, credentials
//! (401), the app's rate (429: Agora's 10 queries per second, both endpoints
//! together).

use super::auth::authenticate_app;
use super::{request_id, with_request_id, ApiError, Rest};
use crate::engine::event_log::EVENT_TAKE_MAX;
use crate::engine::{EventKind, LoggedEvent};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// Event queries per app per second, both endpoints together (Agora's limit).
pub const EVENTS_PER_SEC: u32 = 10;

/// `GET .../rtm/vendor/user_events`.
pub async fn user_events(
    State(rest): State<Arc<Rest>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    query(&rest, path, &headers, EventKind::User).await
}

/// `GET .../rtm/vendor/channel_events`.
pub async fn channel_events(
    State(rest): State<Arc<Rest>>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    query(&rest, path, &headers, EventKind::Channel).await
}

async fn query(
    rest: &Rest,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    kind: EventKind,
) -> Response {
    let id = request_id();
    match take(rest, path, headers, kind).await {
        Ok(events) => {
            let events: Vec<Value> = events.iter().map(|e| to_json(kind, e)).collect();
            let body = json!({ "result": "success", "request_id": id, "events": events });
            with_request_id((StatusCode::OK, Json(body)).into_response(), &id)
        }
        Err(e) => e.respond(&id),
    }
}

async fn take(
    rest: &Rest,
    path: Result<Path<String>, PathRejection>,
    headers: &HeaderMap,
    kind: EventKind,
) -> Result<Vec<LoggedEvent>, ApiError> {
    let Path(app) =
        path.map_err(|e| ApiError::bad_request("invalid_path", format!("the request path: {e}")))?;
    authenticate_app(rest.services.config(), headers, &app)?;
    if !rest.events_rate.allow(&app, Instant::now()) {
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_requests",
            message: format!(
                "more than {EVENTS_PER_SEC} user and channel event queries of this app in one second; \
                 wait and retry"
            ),
        });
    }
    rest.services.node.engine.events.take(&app, kind, EVENT_TAKE_MAX).await.map_err(|e| ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "events_unavailable",
        message: format!("the event log could not be read: {e}; retry shortly"),
    })
}

/// An event in Agora's shape for `kind`'s endpoint.
fn to_json(kind: EventKind, event: &LoggedEvent) -> Value {
    match kind {
        EventKind::User => json!({ "user_id": event.uid, "type": event.what.as_str(), "ms": event.ms }),
        EventKind::Channel => json!({
            "group_id": event.channel,
            "user_id": event.uid,
            "type": event.what.as_str(),
            "ms": event.ms,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Happening;

    #[test]
    fn events_have_agoras_fields() {
        let login = LoggedEvent::user(Happening::Login, "bob", 7);
        assert_eq!(to_json(EventKind::User, &login), json!({"user_id":"bob","type":"Login","ms":7}));
        let leave = LoggedEvent::channel(Happening::Leave, "room", "bob", 8);
        assert_eq!(
            to_json(EventKind::Channel, &leave),
            json!({"group_id":"room","user_id":"bob","type":"Leave","ms":8})
        );
    }
}
