//! AccessToken "006", as `agora-access-token`'s `RtmTokenBuilder.buildToken` makes it.
//!
//! Layout: `"006"` + the 32-character app id + standard base64 of
//!
//! ```text
//! content = bytes(signature) u32(crc_channel) u32(crc_uid) bytes(m)
//! m       = u32(salt) u32(ts) u16(count) { u16(privilege) u32(expire_ts) }*
//! ```
//!
//! with u16-length-prefixed `bytes`, all little-endian, and
//! `signature = HMAC-SHA256(key = certificate, app_id ‖ channel ‖ uid ‖ m)`.
//!
//! RTM 1.x tokens reuse the RTC layout with the *account in the channel field* and an
//! empty uid (`new AccessToken(appID, cert, account, "")`). The token carries the
//! account only as `crc_channel = CRC32(account)`; the account itself is proven by the
//! signature, which we recompute over the login uid.

use super::bytes::{hmac, Reader};
use super::{Grant, TokenError};
use base64::Engine as _;
use hmac::Mac;

/// Version prefix of this format.
pub(super) const VERSION: &str = "006";

/// Length of the app id that follows the version prefix (the official parser slices it).
const APP_ID_LEN: usize = 32;

/// The RTM login privilege (`kRtmLogin`); its value is an ABSOLUTE unix time, 0 = never.
const PRIVILEGE_RTM_LOGIN: u16 = 1000;

/// The signed message of an RTM login token: salt, ts, a count of 1, the
/// privilege and its expiry.
const RTM_MESSAGE_LEN: usize = 4 + 4 + 2 + 2 + 4;

/// A 006 token taken apart, not yet checked against anything.
#[derive(Debug)]
struct Token006<'a> {
    app_id: &'a [u8],
    signature: Vec<u8>,
    crc_channel: u32,
    crc_uid: u32,
    /// The signed message, verbatim.
    message: Vec<u8>,
    login_expire_ts: u32,
}

/// Splits a token into its fields; `Malformed` on any structural problem.
fn parse(token: &str) -> Result<Token006<'_>, TokenError> {
    // Byte slicing: a non-ASCII token must not make us cut inside a character.
    let raw = token.as_bytes();
    let rest = raw
        .strip_prefix(VERSION.as_bytes())
        .ok_or_else(|| TokenError::Malformed("006 token: missing \"006\" prefix".into()))?;
    if rest.len() < APP_ID_LEN {
        return Err(TokenError::Malformed(format!(
            "006 token: {} characters after the version, need a {APP_ID_LEN}-character app id",
            rest.len()
        )));
    }
    let (app_id, b64) = rest.split_at(APP_ID_LEN);
    let content = super::BASE64
        .decode(b64)
        .map_err(|e| TokenError::Malformed(format!("006 token: bad base64: {e}")))?;

    let mut r = Reader::new(&content);
    let signature = r.bytes("006 signature")?.to_vec();
    let crc_channel = r.u32("006 crc_channel")?;
    let crc_uid = r.u32("006 crc_uid")?;
    let message = r.bytes("006 message")?.to_vec();
    // Nothing after the message is signed or meaningful: reject rather than ignore.
    if !r.rest().is_empty() {
        return Err(TokenError::Malformed(format!("006 token: {} bytes after the message", r.rest().len())));
    }
    if signature.len() != 32 {
        return Err(TokenError::Malformed(format!(
            "006 token: signature is {} bytes, HMAC-SHA256 gives 32",
            signature.len()
        )));
    }

    // Only the shape `RtmTokenBuilder` makes: salt, ts, and exactly one
    // privilege, the RTM login. The signature runs over `app_id ‖ account ‖ m`
    // with no length separators, so a longer message could start with bytes
    // taken from the end of a longer account: a token for "alice123456" would
    // re-pack as one for "alice". A message of exactly this length cannot.
    if message.len() != RTM_MESSAGE_LEN {
        return Err(TokenError::Malformed(format!(
            "006 token: the signed message is {} bytes; an RTM login token's is {RTM_MESSAGE_LEN}",
            message.len()
        )));
    }
    let mut m = Reader::new(&message);
    let _salt = m.u32("006 salt")?;
    // `ts` is build time + 24 h; the RTM login privilege, not `ts`, bounds an RTM
    // session, so it is parsed for structure only.
    let _ts = m.u32("006 ts")?;
    let privileges = m.privileges("006 privileges")?;
    let login_expire_ts = match privileges[..] {
        [(PRIVILEGE_RTM_LOGIN, expire_ts)] => expire_ts,
        _ => {
            return Err(TokenError::Malformed(
                "006 token: an RTM login token grants exactly one privilege, the RTM login (1000)".into(),
            ))
        }
    };

    Ok(Token006 { app_id, signature, crc_channel, crc_uid, message, login_expire_ts })
}

/// Verifies a 006 RTM login token; see [`super::verify`].
pub(super) fn verify(
    token: &str,
    app_id: &str,
    certificate: &str,
    uid: &str,
    now_unix: u64,
) -> Result<Grant, TokenError> {
    let t = parse(token)?;
    if t.app_id != app_id.as_bytes() {
        return Err(TokenError::WrongApp);
    }
    // The CRCs are not signed; they only let us tell "another user's token" apart from
    // "forged token". A token whose uid field is set was made for an RTC uid, not for
    // an RTM account, so it names someone else too. The signature check below is what
    // actually binds the account.
    if t.crc_channel != crc32fast::hash(uid.as_bytes()) || t.crc_uid != crc32fast::hash(b"") {
        return Err(TokenError::WrongUid);
    }
    let mut mac = hmac(certificate.as_bytes());
    mac.update(app_id.as_bytes());
    mac.update(uid.as_bytes()); // the channel field carries the account
    mac.update(b""); // the uid field is empty for RTM tokens
    mac.update(&t.message);
    mac.verify_slice(&t.signature).map_err(|_| TokenError::BadSignature)?;

    match t.login_expire_ts {
        0 => Ok(Grant { expires_at: None }),
        ts if now_unix >= u64::from(ts) => Err(TokenError::Expired),
        ts => Ok(Grant { expires_at: Some(u64::from(ts)) }),
    }
}

/// Builds a 006 RTM token exactly as `RtmTokenBuilder.buildToken` does, with the salt
/// and `ts` the official builder draws itself given explicitly. Only tests need it:
/// new tokens should be 007.
#[cfg(test)]
pub(super) fn build(
    app_id: &str,
    certificate: &str,
    account: &str,
    salt: u32,
    ts: u32,
    privileges: &[(u16, u32)],
) -> String {
    use super::bytes::{hmac_sha256, put_bytes, put_u16, put_u32};
    let mut m = Vec::new();
    put_u32(&mut m, salt);
    put_u32(&mut m, ts);
    put_u16(&mut m, privileges.len() as u16);
    for &(k, v) in privileges {
        put_u16(&mut m, k);
        put_u32(&mut m, v);
    }
    let signed = [app_id.as_bytes(), account.as_bytes(), b"", &m].concat();
    let signature = hmac_sha256(certificate.as_bytes(), &signed);
    let mut content = Vec::new();
    put_bytes(&mut content, &signature).unwrap();
    put_u32(&mut content, crc32fast::hash(account.as_bytes()));
    put_u32(&mut content, crc32fast::hash(b""));
    put_bytes(&mut content, &m).unwrap();
    format!("{VERSION}{app_id}{}", base64::engine::general_purpose::STANDARD.encode(content))
}
