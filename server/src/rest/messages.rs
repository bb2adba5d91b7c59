//! The two send endpoints: reading and checking a request, then handing the
//! message to the same feature code an SDK's send goes through.
//!
//! Checks run in the order Agora's gateway and service apply them: path,
//! credentials (401), the app's rate (429), then the query, media type (415)
//! and body (400). A REST message is a TEXT message from `user_id`: the
//! recipient's SDK sees MessageFromPeer / ChannelMessage as from that user.

use super::auth::authenticate;
use super::{request_id, success, ApiError, Rest};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use rtm_protocol::limits::{self, MAX_MESSAGE_BYTES, PEER_ACK_TIMEOUT_MS};
use rtm_protocol::Payload;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The body fields of `peer_messages`, checked.
struct PeerMessage {
    destination: String,
    offline: bool,
    payload: String,
}

/// `POST .../rtm/users/{user_id}/peer_messages[?wait_for_ack=true]`.
///
/// `code`: `message_sent` without `wait_for_ack` (the server has the
/// message); with it, `message_delivered` once the recipient's SDK
/// acknowledged it (the SDK's `hasPeerReceived: true`), else
/// `message_offline`: the recipient is offline or did not acknowledge within
/// the SDK's 5 s (`hasPeerReceived: false`). With `enable_offline_messaging`
/// an offline recipient gets it at its next login.
pub async fn peer(
    State(rest): State<Arc<Rest>>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = request_id();
    match send_peer(&rest, path, query, &headers, body).await {
        Ok(code) => success(&id, code),
        Err(e) => e.respond(&id),
    }
}

async fn send_peer(
    rest: &Rest,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<&'static str, ApiError> {
    let (app, user_id) = admit(rest, path, headers)?;
    let wait_for_ack = wait_for_ack(query)?;
    let body = json_object(headers, body)?;
    let message = PeerMessage {
        destination: id_field(&body, "destination", "invalid_destination")?,
        offline: bool_field(&body, "enable_offline_messaging")?,
        payload: payload(&body)?,
    };
    // Accepted for compatibility; there is no message history to save to.
    bool_field(&body, "enable_historical_messaging")?;
    let sent = rest
        .services
        .peer
        .send_as(
            &app,
            &user_id,
            message.destination,
            Payload::Text(message.payload),
            message.offline,
            crate::metrics::REST_PEER,
        )
        .await
        .map_err(|e| ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "message_failed",
            message: e.message,
        })?;
    let acks = &rest.services.node.acks;
    Ok(match (sent, wait_for_ack) {
        (Some(wait), false) => {
            acks.abandon(wait);
            "message_sent"
        }
        (None, false) => "message_sent",
        (None, true) => "message_offline",
        (Some(wait), true) => match acks.outcome(wait, Duration::from_millis(PEER_ACK_TIMEOUT_MS)).await {
            Some(true) => "message_delivered",
            _ => "message_offline",
        },
    })
}

/// `POST .../rtm/users/{user_id}/channel_messages`: `code` is
/// `message_sent` once the message is published to the channel's members
/// (the sender need not be one).
pub async fn channel(
    State(rest): State<Arc<Rest>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let id = request_id();
    match send_channel(&rest, path, &headers, body).await {
        Ok(code) => success(&id, code),
        Err(e) => e.respond(&id),
    }
}

async fn send_channel(
    rest: &Rest,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<&'static str, ApiError> {
    let (app, user_id) = admit(rest, path, headers)?;
    let body = json_object(headers, body)?;
    let channel = id_field(&body, "channel_name", "invalid_channel_name")?;
    let payload = payload(&body)?;
    bool_field(&body, "enable_historical_messaging")?;
    rest.services.channels.send_as(&app, &user_id, &channel, Payload::Text(payload)).await.map_err(|e| {
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, code: "message_failed", message: e.message }
    })?;
    Ok("message_sent")
}

/// The path's app and sender, the credentials, and the app's rate.
fn admit(
    rest: &Rest,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: &HeaderMap,
) -> Result<(String, String), ApiError> {
    let Path((app, user_id)) =
        path.map_err(|e| ApiError::bad_request("invalid_user_id", format!("the request path: {e}")))?;
    limits::validate_id(&user_id)
        .map_err(|e| ApiError::bad_request("invalid_user_id", e.describe("the path's user_id")))?;
    if user_id.starts_with(' ') || user_id.ends_with(' ') {
        return Err(ApiError::bad_request(
            "invalid_user_id",
            "the path's user_id must not start or end with a space",
        ));
    }
    authenticate(rest.services.config(), headers, &app, &user_id)?;
    if !rest.messages_rate.allow(&app, Instant::now()) {
        let max = rest.services.config().limits.rest_messages_per_sec;
        return Err(ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_requests",
            message: format!(
                "more than {max} peer and channel messages of this app in one second; wait and retry"
            ),
        });
    }
    Ok((app, user_id))
}

/// `wait_for_ack`: absent (false), `true` or `false`.
fn wait_for_ack(query: Result<Query<HashMap<String, String>>, QueryRejection>) -> Result<bool, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))?;
    match query.get("wait_for_ack").map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            "invalid_query",
            format!("wait_for_ack must be true or false, not {other:?}"),
        )),
    }
}

/// The body as a JSON object; Content-Type must say JSON (else 415).
fn json_object(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Map<String, Value>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.to_ascii_lowercase().contains("json") {
        return Err(ApiError {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            message: "send the body as JSON with Content-Type: application/json".into(),
        });
    }
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "request_too_large",
            message: format!("the body is too large; the payload may be at most {MAX_MESSAGE_BYTES} bytes"),
        },
        _ => ApiError::bad_request("invalid_body", format!("the body could not be read: {e}")),
    })?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("invalid_body", "the body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request("invalid_body", format!("the body is not valid JSON: {e}"))),
    }
}

/// A required user or channel id (1-64 bytes of the SDK's characters).
fn id_field(body: &Map<String, Value>, name: &str, code: &'static str) -> Result<String, ApiError> {
    match body.get(name) {
        Some(Value::String(id)) => {
            limits::validate_id(id).map_err(|e| ApiError::bad_request(code, e.describe(name)))?;
            Ok(id.clone())
        }
        None | Some(Value::Null) => Err(ApiError::bad_request(code, format!("{name} is required"))),
        Some(_) => Err(ApiError::bad_request(code, format!("{name} must be a string"))),
    }
}

/// An optional boolean (absent or null: false).
fn bool_field(body: &Map<String, Value>, name: &str) -> Result<bool, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad_request("invalid_body", format!("{name} must be true or false"))),
    }
}

/// `payload`: a non-empty string of at most 32 KB.
fn payload(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("payload") {
        Some(Value::String(text)) if text.is_empty() => {
            Err(ApiError::bad_request("invalid_payload", "payload must not be empty"))
        }
        Some(Value::String(text)) if text.len() > MAX_MESSAGE_BYTES => Err(ApiError::bad_request(
            "invalid_payload",
            format!("payload is {} bytes; at most {MAX_MESSAGE_BYTES} bytes are allowed", text.len()),
        )),
        Some(Value::String(text)) => Ok(text.clone()),
        None | Some(Value::Null) => Err(ApiError::bad_request("invalid_payload", "payload is required")),
        Some(_) => Err(ApiError::bad_request("invalid_payload", "payload must be a string")),
    }
}
