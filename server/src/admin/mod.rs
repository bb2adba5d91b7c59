//! Our own admin REST API (`/admin/api/...`) and page (`/admin`): what an
//! operator does in Agora's console, or cannot do there at all — kick and ban
//! users, read and write attributes, list channels by size and the users
//! online, mint login tokens — plus `/openapi.json`, the description of every
//! route of the server.
//!
//! - `auth`: the admin secret (Bearer or HTTP Basic), compared in constant time.
//! - `moderation`: kicks and bans, through the session lifecycle and the engine
//!   (so they reach every node of a cluster).
//! - `attributes`: user and channel attributes, through the attribute feature.
//! - `listings`: channels by size, users online (engine `Directory`).
//! - `page`: the page's assets (server/admin/, embedded) and `/openapi.json`.
//!
//! Every answer is JSON; errors are `{"error": "...", "message": "..."}`
//! with the HTTP status that fits.

mod attributes;
mod auth;
mod listings;
mod moderation;
mod page;

pub use page::OPENAPI_JSON;

use crate::services::Services;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// What the admin handlers reach.
#[derive(Clone)]
pub struct AdminState {
    /// The node's features.
    pub services: Arc<Services>,
    /// The admin secret; `None`: the admin API and page are off (404).
    pub secret: Option<Arc<str>>,
}

/// The admin routes, `/openapi.json` among them, for any outer router state.
pub fn router<S: Clone + Send + Sync + 'static>(services: Arc<Services>) -> Router<S> {
    let secret = services.config().admin_secret.as_deref().map(Arc::from);
    let state = AdminState { services, secret };
    let user = "/admin/api/apps/{app}/users/{uid}";
    let channel = "/admin/api/apps/{app}/channels/{channel}";
    let guarded = Router::new()
        .route("/admin", get(page::index))
        .route("/admin/", get(page::index))
        .route("/admin/admin.js", get(page::script))
        .route("/admin/admin.css", get(page::style))
        .route("/admin/api/channels", get(listings::channels))
        .route("/admin/api/users", get(listings::users))
        .route("/admin/api/token", post(mint_token))
        .route(&format!("{user}/kick"), post(moderation::kick))
        .route(
            &format!("{user}/ban"),
            get(moderation::ban_status).put(moderation::ban).delete(moderation::unban),
        )
        .route(
            &format!("{user}/attributes"),
            get(attributes::get_user)
                .put(attributes::set_user)
                .patch(attributes::upsert_user)
                .delete(attributes::clear_user),
        )
        .route(&format!("{user}/attributes/{{key}}"), delete(attributes::delete_user_key))
        .route(
            &format!("{channel}/attributes"),
            get(attributes::get_channel)
                .put(attributes::set_channel)
                .patch(attributes::upsert_channel)
                .delete(attributes::clear_channel),
        )
        .route(&format!("{channel}/attributes/{{key}}"), delete(attributes::delete_channel_key))
        .route("/admin/api/{*rest}", axum::routing::any(unknown_route))
        .method_not_allowed_fallback(wrong_method)
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_secret));
    Router::new().route("/openapi.json", get(page::openapi)).merge(guarded).with_state(state)
}

/// An admin API error: status, a stable code, and what to do.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
}

impl ApiError {
    /// An error answer.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, error, message: message.into() }
    }

    /// 400: the request is wrong.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404: no such thing.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503: the engine did not answer.
    pub fn unavailable(e: impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the engine is unavailable: {e}; retry shortly"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.error, "message": self.message }))).into_response()
    }
}

/// A JSON body, or a JSON error saying what is wrong with it (axum's own
/// rejection is plain text).
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::bad_request(format!("the JSON body is not right: {}", e.body_text()))),
        }
    }
}

async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    let message = format!("{method} is not a method of {}: see /openapi.json", uri.path());
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", message)
}

async fn unknown_route() -> ApiError {
    ApiError::not_found("no such admin API route: see /openapi.json")
}

/// `POST /admin/api/token`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    app_id: String,
    uid: String,
    /// Seconds the token (and its login privilege) lasts; default 3600.
    expire_secs: Option<u32>,
}

/// Mints an RTM 007 token with the app's certificate from the config.
async fn mint_token(
    axum::extract::State(state): axum::extract::State<AdminState>,
    Body(req): Body<TokenRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    rtm_protocol::limits::validate_id(&req.uid).map_err(|e| ApiError::bad_request(e.describe("uid")))?;
    let expire = req.expire_secs.unwrap_or(3600);
    if expire == 0 {
        return Err(ApiError::bad_request("expire_secs must be at least 1"));
    }
    let cert = match state.services.config().apps.get(&req.app_id) {
        Some(Some(cert)) => cert.clone(),
        Some(None) => {
            return Err(ApiError::bad_request(format!(
                "app {:?} has no certificate in the config: its users log in without a token",
                req.app_id
            )))
        }
        None => {
            return Err(ApiError::not_found(format!("app {:?} is not in the config's [[apps]]", req.app_id)))
        }
    };
    let now = crate::clock::now_ms() / 1000;
    let issued = u32::try_from(now).map_err(|_| ApiError::bad_request("the clock is past 2106"))?;
    let salt = rand::random_range(1..=99_999_999);
    let token = crate::token::build_007(&req.app_id, &cert, &req.uid, expire, issued, salt);
    Ok(Json(json!({ "token": token, "expires_at": now + u64::from(expire) })))
}
