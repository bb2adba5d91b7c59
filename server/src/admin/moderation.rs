//! Kicks and bans.
//!
//! A kick ends the user's session wherever in the cluster it is: the
//! lifecycle looks the session up in the engine's presence and publishes a
//! kick on its node's topic; that node pushes `Kicked { BANNED_BY_SERVER }`
//! and closes the link, so the SDK shows ABORTED / BANNED_BY_SERVER and does
//! not reconnect. A ban is engine state (every node refuses the user's
//! logins with LOGIN_ERR_REJECTED until it ends) and kicks the user too.

use super::{AdminState, ApiError, Body};
use crate::clock::now_ms;
use axum::extract::{Path, State};
use axum::Json;
use rtm_protocol::ConnectionChangeReason;
use serde::Deserialize;
use serde_json::{json, Value};

/// The longest ban: a year. Longer is a typo more often than a wish; lift
/// and set again to go on.
pub const MAX_BAN_SECS: u64 = 365 * 24 * 3600;

fn check_ids(app: &str, uid: &str) -> Result<(), ApiError> {
    if !rtm_protocol::limits::validate_app_id(app) {
        return Err(ApiError::bad_request("the app id must be 1-64 printable ASCII characters"));
    }
    rtm_protocol::limits::validate_id(uid).map_err(|e| ApiError::bad_request(e.describe("user id")))
}

/// `POST .../users/{uid}/kick`: `{"kicked": true}` if the user had a session.
pub async fn kick(
    State(state): State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_ids(&app, &uid)?;
    let lifecycle = &state.services.lifecycle;
    let kicked = lifecycle
        .kick_user(&app, &uid, ConnectionChangeReason::BANNED_BY_SERVER)
        .await
        .map_err(ApiError::unavailable)?;
    tracing::info!(%app, %uid, kicked, "admin: kick");
    Ok(Json(json!({ "app": app, "uid": uid, "kicked": kicked })))
}

/// `PUT .../users/{uid}/ban`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// How long the ban lasts (seconds, 1 to a year).
    seconds: u64,
}

/// Bans the user for `seconds`, then kicks the user's session.
pub async fn ban(
    State(state): State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
    Body(req): Body<BanRequest>,
) -> Result<Json<Value>, ApiError> {
    check_ids(&app, &uid)?;
    if req.seconds == 0 || req.seconds > MAX_BAN_SECS {
        return Err(ApiError::bad_request(format!("seconds must be 1 to {MAX_BAN_SECS} (a year)")));
    }
    let until = now_ms() + req.seconds * 1000;
    let engine = &state.services.node.engine;
    // Banned first: a client that reconnects at once after the kick is refused.
    engine.directory.ban(&app, &uid, until).await.map_err(ApiError::unavailable)?;
    let lifecycle = &state.services.lifecycle;
    let kicked = lifecycle
        .kick_user(&app, &uid, ConnectionChangeReason::BANNED_BY_SERVER)
        .await
        .map_err(ApiError::unavailable)?;
    tracing::info!(%app, %uid, seconds = req.seconds, kicked, "admin: ban");
    Ok(Json(json!({ "app": app, "uid": uid, "banned_until_ms": until, "kicked": kicked })))
}

/// `DELETE .../users/{uid}/ban`: `{"unbanned": true}` if a ban was lifted.
pub async fn unban(
    State(state): State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_ids(&app, &uid)?;
    let unbanned =
        state.services.node.engine.directory.unban(&app, &uid).await.map_err(ApiError::unavailable)?;
    tracing::info!(%app, %uid, unbanned, "admin: unban");
    Ok(Json(json!({ "app": app, "uid": uid, "unbanned": unbanned })))
}

/// `GET .../users/{uid}/ban`: `{"banned": bool, "banned_until_ms": ms|null}`.
pub async fn ban_status(
    State(state): State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_ids(&app, &uid)?;
    let directory = &state.services.node.engine.directory;
    let until = directory.banned_until(&app, &uid, now_ms()).await.map_err(ApiError::unavailable)?;
    Ok(Json(json!({ "app": app, "uid": uid, "banned": until.is_some(), "banned_until_ms": until })))
}
