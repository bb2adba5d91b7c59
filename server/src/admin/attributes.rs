//! User and channel attributes, read and written by an operator through the
//! attribute feature (its checks and limits, Agora's sizes), so a write here
//! is what a client's would be: a channel write notifies the channel's
//! members (unless `?notify=false`), and a user's attributes exist only
//! while the user is logged in.
//!
//! Bodies: `PUT` `{"attributes": {"k": "v"}}` replaces all, `PATCH` the same
//! shape adds or updates keys, `DELETE .../attributes/{key}` deletes one key,
//! `DELETE .../attributes` deletes all. Answers are the attributes after.

use super::{AdminState, ApiError, Body};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use rtm_protocol::codes::AttributeOperationError as AttrErr;
use rtm_protocol::{AttrOp, ChannelAttr, OpError};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Who channel attributes written here were last updated by, as members see it.
pub const ADMIN_WRITER: &str = "admin";

/// A `PUT` / `PATCH` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttrsBody {
    /// Key → value.
    attributes: BTreeMap<String, String>,
}

/// `?notify=false` keeps a channel write quiet.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    notify: Option<bool>,
}

fn op_error(e: OpError) -> ApiError {
    let (status, error) = match e.code {
        c if c == AttrErr::USER_NOT_FOUND.code() => (StatusCode::NOT_FOUND, "user_not_found"),
        c if c == AttrErr::INVALID_ARGUMENT.code() => (StatusCode::BAD_REQUEST, "invalid_argument"),
        c if c == AttrErr::SIZE_OVERFLOW.code() => (StatusCode::PAYLOAD_TOO_LARGE, "size_overflow"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    ApiError::new(status, error, e.message)
}

fn check_app(app: &str) -> Result<(), ApiError> {
    if rtm_protocol::limits::validate_app_id(app) {
        Ok(())
    } else {
        Err(ApiError::bad_request("the app id must be 1-64 printable ASCII characters"))
    }
}

fn user_json(app: &str, uid: &str, attrs: Vec<(String, String)>) -> Json<Value> {
    let map: Map<String, Value> = attrs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Json(json!({ "app": app, "uid": uid, "attributes": map }))
}

fn channel_json(app: &str, channel: &str, attrs: Vec<ChannelAttr>) -> Json<Value> {
    let map: Map<String, Value> = attrs
        .into_iter()
        .map(|a| {
            let v = json!({ "value": a.value, "last_update_uid": a.last_update_uid, "last_update_ts": a.last_update_ts });
            (a.key, v)
        })
        .collect();
    Json(json!({ "app": app, "channel": channel, "attributes": map }))
}

type Res = Result<Json<Value>, ApiError>;

async fn write_user(state: &AdminState, app: &str, uid: &str, op: AttrOp) -> Res {
    check_app(app)?;
    let attrs = state.services.attributes.admin_write_user(app, uid, op).await.map_err(op_error)?;
    Ok(user_json(app, uid, attrs))
}

/// `GET .../users/{uid}/attributes`.
pub async fn get_user(State(state): State<AdminState>, Path((app, uid)): Path<(String, String)>) -> Res {
    check_app(&app)?;
    let attrs = state.services.attributes.admin_read_user(&app, &uid).await.map_err(op_error)?;
    Ok(user_json(&app, &uid, attrs))
}

/// `PUT .../users/{uid}/attributes`: replaces all.
pub async fn set_user(
    s: State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
    Body(b): Body<AttrsBody>,
) -> Res {
    write_user(&s, &app, &uid, AttrOp::Set(b.attributes.into_iter().collect())).await
}

/// `PATCH .../users/{uid}/attributes`: adds or updates these keys.
pub async fn upsert_user(
    s: State<AdminState>,
    Path((app, uid)): Path<(String, String)>,
    Body(b): Body<AttrsBody>,
) -> Res {
    write_user(&s, &app, &uid, AttrOp::Upsert(b.attributes.into_iter().collect())).await
}

/// `DELETE .../users/{uid}/attributes`: deletes all.
pub async fn clear_user(s: State<AdminState>, Path((app, uid)): Path<(String, String)>) -> Res {
    write_user(&s, &app, &uid, AttrOp::Clear).await
}

/// `DELETE .../users/{uid}/attributes/{key}`.
pub async fn delete_user_key(
    s: State<AdminState>,
    Path((app, uid, key)): Path<(String, String, String)>,
) -> Res {
    write_user(&s, &app, &uid, AttrOp::Delete(vec![key])).await
}

async fn write_channel(
    state: &AdminState,
    app: &str,
    channel: &str,
    op: AttrOp,
    notify: Option<bool>,
) -> Res {
    check_app(app)?;
    let feature = &state.services.attributes;
    let notify = notify.unwrap_or(true);
    let attrs =
        feature.admin_write_channel(app, channel, ADMIN_WRITER, op, notify).await.map_err(op_error)?;
    Ok(channel_json(app, channel, attrs))
}

fn notify(
    q: Result<Query<Notify>, axum::extract::rejection::QueryRejection>,
) -> Result<Option<bool>, ApiError> {
    q.map(|Query(n)| n.notify).map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
}

type NotifyQuery = Result<Query<Notify>, axum::extract::rejection::QueryRejection>;

/// `GET .../channels/{channel}/attributes`.
pub async fn get_channel(
    State(state): State<AdminState>,
    Path((app, channel)): Path<(String, String)>,
) -> Res {
    check_app(&app)?;
    let attrs = state.services.attributes.admin_read_channel(&app, &channel).await.map_err(op_error)?;
    Ok(channel_json(&app, &channel, attrs))
}

/// `PUT .../channels/{channel}/attributes`: replaces all.
pub async fn set_channel(
    s: State<AdminState>,
    Path((app, channel)): Path<(String, String)>,
    q: NotifyQuery,
    Body(b): Body<AttrsBody>,
) -> Res {
    write_channel(&s, &app, &channel, AttrOp::Set(b.attributes.into_iter().collect()), notify(q)?).await
}

/// `PATCH .../channels/{channel}/attributes`: adds or updates these keys.
pub async fn upsert_channel(
    s: State<AdminState>,
    Path((app, channel)): Path<(String, String)>,
    q: NotifyQuery,
    Body(b): Body<AttrsBody>,
) -> Res {
    write_channel(&s, &app, &channel, AttrOp::Upsert(b.attributes.into_iter().collect()), notify(q)?).await
}

/// `DELETE .../channels/{channel}/attributes`: deletes all.
pub async fn clear_channel(
    s: State<AdminState>,
    Path((app, channel)): Path<(String, String)>,
    q: NotifyQuery,
) -> Res {
    write_channel(&s, &app, &channel, AttrOp::Clear, notify(q)?).await
}

/// `DELETE .../channels/{channel}/attributes/{key}`.
pub async fn delete_channel_key(
    s: State<AdminState>,
    Path((app, channel, key)): Path<(String, String, String)>,
    q: NotifyQuery,
) -> Res {
    write_channel(&s, &app, &channel, AttrOp::Delete(vec![key]), notify(q)?).await
}
