//! Credentials at login, resume and `renewToken()`: the app id, the uid and
//! the token rules of the app's configuration, and which code a refusal
//! gets, per operation. The token formats themselves (006, 007) are beside
//! this file.

use crate::config::Config;
use crate::token::{self, TokenError};
use rtm_protocol::codes::{LoginError, RenewTokenError};
use rtm_protocol::limits;
use rtm_protocol::OpError;

/// What a token is checked for: the two operations number their errors differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `login()` and resuming a session.
    Login,
    /// `renewToken()`.
    Renew,
}

impl Purpose {
    /// "Invalid token" in this operation's codes.
    pub fn invalid(self, message: impl Into<String>) -> OpError {
        match self {
            Purpose::Login => LoginError::INVALID_TOKEN.err(message),
            Purpose::Renew => RenewTokenError::INVALID_TOKEN.err(message),
        }
    }

    /// "Token expired" in this operation's codes.
    pub fn expired(self, message: impl Into<String>) -> OpError {
        match self {
            Purpose::Login => LoginError::TOKEN_EXPIRED.err(message),
            Purpose::Renew => RenewTokenError::TOKEN_EXPIRED.err(message),
        }
    }
}

/// Checks `token` for `uid` of an app with `certificate`; returns when the
/// login privilege ends (unix seconds), if ever.
pub fn check(
    app_id: &str,
    certificate: &str,
    uid: &str,
    token: Option<&str>,
    purpose: Purpose,
) -> Result<Option<u64>, OpError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(purpose.invalid(
            "this app requires a token: mint one on your app server (agora-token RtmTokenBuilder, or `rtm-server token`)",
        ));
    };
    let now = crate::clock::now_ms() / 1000;
    match token::verify(token, app_id, certificate, uid, now) {
        Ok(grant) => Ok(grant.expires_at),
        Err(TokenError::Expired) => Err(purpose.expired("the token has expired; mint a new one")),
        Err(TokenError::WrongUid) => {
            Err(purpose.invalid(format!("the token was made for another uid, not {uid:?}")))
        }
        Err(TokenError::WrongApp) => Err(purpose.invalid("the token was made for another app id")),
        Err(TokenError::BadSignature) => {
            Err(purpose.invalid("the token's signature does not match this app's certificate"))
        }
        Err(TokenError::Malformed(why)) => {
            Err(purpose.invalid(format!("not a valid 006 or 007 token: {why}")))
        }
    }
}

/// Checks a login's (or renewal's) app id, uid and token against `config`;
/// returns the token's expiry (unix seconds) if it has one.
pub fn check_credentials(
    config: &Config,
    app_id: &str,
    uid: &str,
    token: Option<&str>,
    purpose: Purpose,
) -> Result<Option<u64>, OpError> {
    if !limits::validate_app_id(app_id) {
        return Err(LoginError::INVALID_APP_ID.err("the app id must be 1-64 printable characters"));
    }
    let certificate = match config.apps.get(app_id) {
        Some(cert) => cert.as_deref(),
        None if config.development => None,
        None => {
            return Err(LoginError::INVALID_APP_ID.err(format!(
                "app id {app_id:?} is not configured on this server; add it to [[apps]] in the config file"
            )))
        }
    };
    limits::validate_id(uid).map_err(|e| LoginError::INVALID_ARGUMENT.err(e.describe("uid")))?;
    if token.is_some_and(|t| t.len() > limits::MAX_TOKEN_BYTES) {
        return Err(purpose.invalid("the token is longer than any valid token"));
    }
    match certificate {
        None => Ok(None),
        Some(cert) => check(app_id, cert, uid, token, purpose),
    }
}
