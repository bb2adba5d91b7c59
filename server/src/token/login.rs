//! Credentials at login, resume and `renewToken()`: the app id, the uid and
//! the token rules of the app's configuration, and which code a refusal
//! gets, per operation; and the one comparison of configured secrets (the
//! admin secret, REST customer keys). The token formats themselves (006,
//! 007) are beside this file.

use crate::config::Config;
use crate::token::{self, TokenError};
use rtm_protocol::codes::{LoginError, RenewTokenError};
use rtm_protocol::limits;
use rtm_protocol::OpError;
use sha2::{Digest, Sha256};

/// Whether a secret someone offers (the admin secret, a REST customer key or
/// secret) equals the configured one, in time independent of both: the
/// SHA-256 digests are compared byte by byte without an early exit, so the
/// time tells nothing about how much of a guess was right, nor the length.
pub fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(secret));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
