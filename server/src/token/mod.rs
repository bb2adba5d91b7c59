//! Agora RTM login tokens: verifying AccessToken "006" and AccessToken2 "007", and
//! building 007.
//!
//! The byte layouts and signing chains follow the official builders
//! (`agora-access-token` for 006, `agora-token` for 007) and are described at the top
//! of `v006.rs` and `v007.rs`. [`verify`] answers one question for a login: does this token
//! let user `uid` of app `app_id` log in at `now_unix`, and until when.
//!
//! Expiry, as Agora defines it:
//! - 006: the RTM login privilege (1000) holds an ABSOLUTE unix time; 0 means it never
//!   ends. The token's own `ts` field (build time + 24 h) is not an RTM bound.
//! - 007: the token's `expire` and the RTM login privilege (1) are seconds RELATIVE to
//!   the token's `issue_ts`; both must still run, and the earlier end is the grant's.
//!
//! Everything here is pure and never panics on input: any byte string a client sends
//! gives `Ok` or a [`TokenError`].

mod bytes;
pub mod login;
mod v006;
mod v007;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_malformed;

use base64::engine::{general_purpose::GeneralPurposeConfig, DecodePaddingMode, GeneralPurpose};
use std::fmt;

/// Longest token [`verify`] looks at; real login tokens are a few hundred characters.
const MAX_TOKEN_LEN: usize = 64 * 1024;

/// What a verified token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Unix seconds at which the RTM login privilege ends (the session should end then
    /// too); `None` if it never does (a 006 privilege of 0).
    pub expires_at: Option<u64>,
}

/// Why a token does not let a user log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Not a login token of a known format: bad prefix, base64, zlib, lengths, or no
    /// RTM login privilege in it. The text says what, for logs.
    Malformed(String),
    /// The token was made for another app id.
    WrongApp,
    /// The token was made for another user id (006 carries the RTM account in its
    /// channel field, 007 in the RTM service's user id).
    WrongUid,
    /// The signature does not verify with the app certificate.
    BadSignature,
    /// The login privilege (or, for 007, the whole token) has ended at `now`.
    Expired,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Malformed(why) => write!(f, "malformed token: {why}"),
            TokenError::WrongApp => f.write_str("token was made for another app id"),
            TokenError::WrongUid => f.write_str("token was made for another user id"),
            TokenError::BadSignature => f.write_str("token signature does not verify"),
            TokenError::Expired => f.write_str("token has expired"),
        }
    }
}

impl std::error::Error for TokenError {}

/// Verifies that `token` lets user `uid` of app `app_id` log in at `now_unix`.
///
/// The format is chosen by the prefix ("006" or "007"). Checks run in the order
/// structure, app id, user id, signature (constant-time compare), expiry, so each
/// error names the first thing wrong. A token is expired from the second its
/// privilege ends (`now_unix >= end`).
///
/// Beyond the official parsers, unsigned bytes must be exact (nothing after a 006
/// message or after the 007 zlib stream), signatures must be 32 bytes, and user ids
/// must be UTF-8; signed bytes the official parsers ignore are ignored here too.
pub fn verify(
    token: &str,
    app_id: &str,
    certificate: &str,
    uid: &str,
    now_unix: u64,
) -> Result<Grant, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed(format!(
            "token is {} bytes, more than {MAX_TOKEN_LEN}",
            token.len()
        )));
    }
    if token.starts_with(v007::VERSION) {
        v007::verify(token, app_id, certificate, uid, now_unix)
    } else if token.starts_with(v006::VERSION) {
        v006::verify(token, app_id, certificate, uid, now_unix)
    } else {
        let prefix: String = token.chars().take(3).collect();
        Err(TokenError::Malformed(format!("unknown token version {prefix:?} (want \"006\" or \"007\")")))
    }
}

/// Builds an RTM login token in the 007 format, as `RtmTokenBuilder2.buildToken` does:
/// one RTM service for `uid` whose login privilege, like the token itself, lasts
/// `expire_secs` from `issue_ts`. `issue_ts` and `salt` (1..=99999999 upstream) are
/// what the official builder takes from the clock and a random draw.
///
/// The zlib bytes may differ from Node's for the same inputs (another deflate
/// implementation), but the inflated content, and so the signature, is identical.
/// Unlike the official builder, this does not insist on 32-hex-digit app ids and
/// certificates. Returns an empty string, as the official builder does for inputs it
/// cannot encode, if `app_id` or `uid` is longer than 65535 bytes.
pub fn build_007(
    app_id: &str,
    certificate: &str,
    uid: &str,
    expire_secs: u32,
    issue_ts: u32,
    salt: u32,
) -> String {
    v007::build(app_id, certificate, uid, expire_secs, issue_ts, salt)
}

/// The base64 both formats use: the standard alphabet, padding optional. Node's
/// decoder (the official verifier's) accepts a token whose `=` padding was lost, so
/// this does too; anything else off-alphabet is an error.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
