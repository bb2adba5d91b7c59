//! Who may call the REST API, in Agora's two ways:
//!
//! - HTTP Basic: `Authorization: Basic base64(customer_key:customer_secret)`,
//!   the pair configured for the app in `[[apps]]`. It may send as any user.
//! - Token: `x-agora-token` (an RTM login token, 006 or 007) and
//!   `x-agora-uid` (the user it was made for). It may send only as that
//!   user, so `x-agora-uid` must be the path's `user_id`. The token is checked
//!   exactly as at login (`token::login`): an app with a certificate needs a
//!   valid one; an app without one (development) takes any.
//!
//! The event queries act as no user: a token of any user of the app reads
//! them ([`authenticate_app`]).
//!
//! Anything else is 401, as Agora answers it.

use super::ApiError;
use crate::config::Config;
use crate::token::login::{check_credentials, same_secret, Purpose};
use axum::http::HeaderMap;
use base64::Engine as _;
use rtm_protocol::limits;

/// Checks the credentials of a request that acts as `user_id` of `app`.
pub fn authenticate(config: &Config, headers: &HeaderMap, app: &str, user_id: &str) -> Result<(), ApiError> {
    check(config, headers, app, Some(user_id))
}

/// Checks the credentials of a request that reads `app`'s data and acts as
/// no user (the event queries): any user's valid token will do.
pub fn authenticate_app(config: &Config, headers: &HeaderMap, app: &str) -> Result<(), ApiError> {
    check(config, headers, app, None)
}

fn check(config: &Config, headers: &HeaderMap, app: &str, acting_as: Option<&str>) -> Result<(), ApiError> {
    if !limits::validate_app_id(app) {
        return Err(ApiError::unauthorized("the app id in the path must be 1-64 printable characters"));
    }
    if let Some(token) = header(headers, "x-agora-token")? {
        let Some(uid) = header(headers, "x-agora-uid")? else {
            return Err(ApiError::unauthorized(
                "x-agora-token needs x-agora-uid: the user id the token was made for",
            ));
        };
        if let Some(user_id) = acting_as.filter(|user_id| uid != *user_id) {
            return Err(ApiError::unauthorized(format!(
                "with token authentication you may send only as the token's user: x-agora-uid is {uid:?}, \
                 the path's user_id is {user_id:?}"
            )));
        }
        return check_credentials(config, app, uid, Some(token), Purpose::Login)
            .map(|_| ())
            .map_err(|e| ApiError::unauthorized(format!("x-agora-token refused: {}", e.message)));
    }
    if let Some(authorization) = header(headers, "authorization")? {
        return basic(config, app, authorization);
    }
    Err(ApiError::unauthorized(
        "authenticate with HTTP Basic (the app's customer_key:customer_secret) \
         or with the x-agora-token and x-agora-uid headers",
    ))
}

/// A header as text; present but not visible ASCII is refused.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::unauthorized(format!("the {name} header is not printable ASCII"))),
    }
}

fn basic(config: &Config, app: &str, authorization: &str) -> Result<(), ApiError> {
    let encoded = match authorization.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        _ => {
            return Err(ApiError::unauthorized(
                "the Authorization header must be `Basic <base64 of key:secret>`",
            ))
        }
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| ApiError::unauthorized("the Basic credentials are not valid base64 of key:secret"))?;
    let (key, secret) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::unauthorized("the Basic credentials must be key:secret"))?;
    let Some(expected) = config.rest_credentials.get(app) else {
        return Err(ApiError::unauthorized(format!(
            "app {app:?} has no REST credentials: set customer_key and customer_secret in its [[apps]] entry"
        )));
    };
    // Both compared in full, whatever the first mismatch, so the time taken
    // does not tell an attacker how much of a guess was right.
    let key_ok = same_secret(key.as_bytes(), expected.key.as_bytes());
    let secret_ok = same_secret(secret.as_bytes(), expected.secret.as_bytes());
    if key_ok & secret_ok {
        Ok(())
    } else {
        Err(ApiError::unauthorized("Invalid authentication credentials"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::credentials::RestCredentials;
    use axum::http::HeaderValue;

    fn config() -> Config {
        let mut config = Config::for_tests();
        config.development = false;
        config.apps.insert("app".into(), None);
        config.rest_credentials.insert("app".into(), RestCredentials { key: "k".into(), secret: "s".into() });
        config
    }

    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn basic_of(pair: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
    }

    #[test]
    fn basic_needs_the_apps_pair() {
        let c = config();
        assert!(authenticate(&c, &with(&[("authorization", &basic_of("k:s"))]), "app", "u").is_ok());
        for wrong in ["k:x", "x:s", "k", "k:s:", ""] {
            let h = with(&[("authorization", &basic_of(wrong))]);
            assert_eq!(authenticate(&c, &h, "app", "u").unwrap_err().status, 401, "{wrong:?}");
        }
        let h = with(&[("authorization", &basic_of("k:s"))]);
        assert_eq!(authenticate(&c, &h, "other", "u").unwrap_err().status, 401, "another app");
        assert_eq!(
            authenticate(&c, &with(&[("authorization", "Bearer x")]), "app", "u").unwrap_err().status,
            401
        );
        assert_eq!(authenticate(&c, &HeaderMap::new(), "app", "u").unwrap_err().status, 401);
    }

    #[test]
    fn a_token_sends_only_as_its_user() {
        let mut c = config();
        c.apps.insert("app".into(), Some("cert".into()));
        let token =
            crate::token::build_007("app", "cert", "u", 600, (crate::clock::now_ms() / 1000) as u32, 1);
        let ok = with(&[("x-agora-token", &token), ("x-agora-uid", "u")]);
        assert!(authenticate(&c, &ok, "app", "u").is_ok());
        let other_path = authenticate(&c, &ok, "app", "v").unwrap_err();
        assert!(other_path.message.contains("x-agora-uid"), "{}", other_path.message);
        let claims_other = with(&[("x-agora-token", &token), ("x-agora-uid", "v")]);
        assert_eq!(authenticate(&c, &claims_other, "app", "v").unwrap_err().status, 401);
        let no_uid = with(&[("x-agora-token", &token)]);
        assert_eq!(authenticate(&c, &no_uid, "app", "u").unwrap_err().status, 401);
        let forged = with(&[("x-agora-token", "007garbage"), ("x-agora-uid", "u")]);
        assert_eq!(authenticate(&c, &forged, "app", "u").unwrap_err().status, 401);
    }
}
