//! What is live: channels by size (largest first) and the users with a
//! session, across the cluster (the engine's `Directory`).

use super::{AdminState, ApiError};
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// The default and the largest `limit`.
pub const DEFAULT_LIMIT: usize = 100;
/// The most one answer lists.
pub const MAX_LIMIT: usize = 10_000;

/// `?app=&limit=` of both listings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this app's.
    app: Option<String>,
    /// At most this many (1 to 10,000; default 100).
    limit: Option<usize>,
}

impl ListQuery {
    fn limit(&self) -> Result<usize, ApiError> {
        match self.limit.unwrap_or(DEFAULT_LIMIT) {
            n @ 1..=MAX_LIMIT => Ok(n),
            _ => Err(ApiError::bad_request(format!("limit must be 1 to {MAX_LIMIT}"))),
        }
    }

    fn wants(&self, app: &str) -> bool {
        self.app.as_deref().is_none_or(|a| a == app)
    }
}

fn query(
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ListQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| ApiError::bad_request(format!("bad query: {}", e.body_text())))
}

/// `GET /admin/api/channels`: `{"total": n, "channels": [{app, channel, members}]}`,
/// largest first (then by app and channel id, so the order is stable).
pub async fn channels(
    State(state): State<AdminState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query(q)?;
    let limit = q.limit()?;
    let all = state.services.node.engine.directory.channels().await.map_err(ApiError::unavailable)?;
    let mut channels: Vec<_> = all.into_iter().filter(|c| q.wants(&c.app)).collect();
    let total = channels.len();
    channels.sort_by(|a, b| {
        b.members.cmp(&a.members).then_with(|| (&a.app, &a.channel).cmp(&(&b.app, &b.channel)))
    });
    channels.truncate(limit);
    let list: Vec<Value> = channels
        .into_iter()
        .map(|c| json!({ "app": c.app, "channel": c.channel, "members": c.members }))
        .collect();
    Ok(Json(json!({ "total": total, "channels": list })))
}

/// `GET /admin/api/users`: `{"total": n, "users": [{app, uid}]}`, sorted.
pub async fn users(
    State(state): State<AdminState>,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let q = query(q)?;
    let limit = q.limit()?;
    let all = state.services.node.engine.directory.users().await.map_err(ApiError::unavailable)?;
    let mut users: Vec<_> = all.into_iter().filter(|(app, _)| q.wants(app)).collect();
    users.sort();
    users.dedup();
    let total = users.len();
    users.truncate(limit);
    let list: Vec<Value> = users.into_iter().map(|(app, uid)| json!({ "app": app, "uid": uid })).collect();
    Ok(Json(json!({ "total": total, "users": list })))
}
