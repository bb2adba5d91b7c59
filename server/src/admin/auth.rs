//! The admin secret: `Authorization: Bearer SECRET` for scripts, or HTTP
//! Basic with the secret as the password (any user name) so that a browser's
//! own prompt opens the page, and its later `fetch`es to the API carry the
//! same credentials without the page ever holding the secret.
//!
//! The comparison is `token::login::same_secret`, in constant time.

use super::{AdminState, ApiError};
use crate::token::login::same_secret;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

/// The realm the browser's prompt shows.
pub const REALM: &str = "Basic realm=\"rtm-server admin\", charset=\"UTF-8\"";

/// The secret a request offers: a Bearer token, or a Basic password.
pub fn offered(headers: &HeaderMap) -> Option<Vec<u8>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.as_bytes().to_vec())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let colon = decoded.iter().position(|&b| b == b':')?;
        Some(decoded[colon + 1..].to_vec())
    } else {
        None
    }
}

/// Lets a request through when it carries the secret: 404 when no secret is
/// configured (the admin API is off), 401 when it is missing or wrong.
pub async fn require_secret(State(state): State<AdminState>, req: Request, next: Next) -> Response {
    let Some(secret) = &state.secret else {
        return ApiError::not_found(
            "the admin API and page are off: set admin_secret in the config file, \
             or pass --admin-secret (env RTM_ADMIN_SECRET), and restart",
        )
        .into_response();
    };
    match offered(req.headers()) {
        Some(given) if same_secret(&given, secret.as_bytes()) => next.run(req).await,
        given => {
            let message = if given.is_some() {
                "the admin secret is wrong"
            } else {
                "send the admin secret: Authorization: Bearer SECRET, or HTTP Basic with it as the password"
            };
            let mut res = ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn bearer_and_basic_offer_the_secret() {
        assert_eq!(offered(&headers("Bearer s3cret")), Some(b"s3cret".to_vec()));
        assert_eq!(offered(&headers("bearer  s3cret ")), Some(b"s3cret".to_vec()));
        // "admin:pa:ss" — the password may hold colons.
        assert_eq!(offered(&headers("Basic YWRtaW46cGE6c3M=")), Some(b"pa:ss".to_vec()));
        assert_eq!(offered(&headers("Basic !!!")), None);
        assert_eq!(offered(&headers("Digest x")), None);
        assert_eq!(offered(&HeaderMap::new()), None);
    }
}
