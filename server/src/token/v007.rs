//! AccessToken2 "007", as `agora-token`'s `RtmTokenBuilder2.buildToken` makes it.
//!
//! Layout: `"007"` + standard base64 of zlib(`content`), all little-endian, with
//! u16-length-prefixed `bytes`/`string`:
//!
//! ```text
//! content      = bytes(signature) signing_info
//! signing_info = string(app_id) u32(issue_ts) u32(expire) u32(salt) u16(n) service{n}
//! service      = u16(type) u16(count) { u16(privilege) u32(expire) }* type-specific fields
//! ```
//!
//! `expire` and every privilege value are seconds RELATIVE to `issue_ts`. Signing chains
//! three HMAC-SHA256s: `k1 = HMAC(key = u32(issue_ts), certificate)`,
//! `k2 = HMAC(key = u32(salt), k1)`, `signature = HMAC(key = k2, signing_info)`.
//! The RTM service (type 2) carries `string(user_id)` after its privileges; its login
//! privilege is 1.

use super::bytes::{hmac, hmac_sha256, privilege, put_bytes, put_u16, put_u32, Reader};
use super::{Grant, TokenError};
use base64::Engine as _;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use hmac::Mac;
use std::io::Write as _;

/// Version prefix of this format.
pub(super) const VERSION: &str = "007";

/// Service type of RTM (1.x, and RTM 2.x without resource permissions).
const SERVICE_RTM: u16 = 2;

/// The RTM service's login privilege.
const PRIVILEGE_LOGIN: u16 = 1;

/// Upper bound on the inflated content: a login token is a few hundred bytes, and this
/// keeps a zlib bomb from costing more than this much memory.
const MAX_CONTENT_LEN: usize = 64 * 1024;

/// One RTM service found in a token.
#[derive(Debug)]
struct RtmService {
    user_id: String,
    login: Option<u32>,
}

/// A 007 token taken apart, not yet checked against anything.
#[derive(Debug)]
struct Token007 {
    signature: Vec<u8>,
    /// The signed bytes, verbatim.
    signing_info: Vec<u8>,
    app_id: String,
    issue_ts: u32,
    expire: u32,
    salt: u32,
    rtm: Vec<RtmService>,
}

/// The signing key for `issue_ts` and `salt` under `certificate`.
fn signing_key(certificate: &str, issue_ts: u32, salt: u32) -> [u8; 32] {
    let k1 = hmac_sha256(&issue_ts.to_le_bytes(), certificate.as_bytes());
    hmac_sha256(&salt.to_le_bytes(), &k1)
}

/// zlib-inflates `data`, requiring a complete stream with nothing after it.
///
/// Node's `inflateSync` (what the official verifier uses) also rejects a stream that
/// stops early ("unexpected end of file"), so a truncated token stays an error even
/// when the cut only removed the Adler-32 trailer.
pub(super) fn inflate(data: &[u8]) -> Result<Vec<u8>, TokenError> {
    let bad = |why: String| TokenError::Malformed(format!("007 token: {why}"));
    let mut z = Decompress::new(true);
    let mut out = Vec::with_capacity(1024);
    loop {
        if out.len() == out.capacity() {
            if out.len() >= MAX_CONTENT_LEN {
                return Err(bad(format!("inflates to more than {MAX_CONTENT_LEN} bytes")));
            }
            out.reserve(out.len().min(MAX_CONTENT_LEN - out.len()));
        }
        // total_in never exceeds what we passed in, so this index stays in bounds.
        let consumed = z.total_in() as usize;
        let before = (z.total_in(), z.total_out());
        // `None`, not `Finish`: miniz treats `Finish` as "the output buffer is big
        // enough for everything" and fails when it is not.
        let status = z
            .decompress_vec(&data[consumed..], &mut out, FlushDecompress::None)
            .map_err(|e| bad(format!("bad zlib data: {e}")))?;
        if status == Status::StreamEnd {
            break;
        }
        // Room left in `out` yet no end: the input ran out mid-stream. The progress
        // check also keeps a stalled decoder from spinning here.
        let room_left = out.len() < out.capacity();
        let stalled = (z.total_in(), z.total_out()) == before;
        if (room_left && z.total_in() as usize == data.len()) || stalled {
            return Err(bad("zlib stream is truncated".into()));
        }
    }
    let trailing = data.len() - z.total_in() as usize;
    if trailing != 0 {
        return Err(bad(format!("{trailing} bytes after the zlib stream")));
    }
    Ok(out)
}

/// Whether [`skip_service`] knows the layout of `service_type`. The official parser
/// stops at the first unknown type: its layout, and so everything after it, is unknown.
fn is_known(service_type: u16) -> bool {
    matches!(service_type, 1..=10)
}

/// Skips one known non-RTM service's fields after its privilege map.
fn skip_service(r: &mut Reader<'_>, service_type: u16) -> Result<(), TokenError> {
    match service_type {
        // RTC (channel, uid), Streaming and FCDN (channel, account).
        1 | 3 | 6 => {
            r.bytes("007 service channel")?;
            r.bytes("007 service uid")?;
        }
        // Chat: user id.
        5 => {
            r.bytes("007 chat user id")?;
        }
        // APaaS: room uuid, user uuid, i16 role.
        7 => {
            r.bytes("007 apaas room")?;
            r.bytes("007 apaas user")?;
            r.u16("007 apaas role")?;
        }
        // RTM2: user id, then resource type -> permission type -> resource names.
        8 => {
            r.bytes("007 rtm2 user id")?;
            for _ in 0..r.u16("007 rtm2 resource types")? {
                r.u16("007 rtm2 resource type")?;
                for _ in 0..r.u16("007 rtm2 permissions")? {
                    r.u16("007 rtm2 permission type")?;
                    for _ in 0..r.u16("007 rtm2 resources")? {
                        r.bytes("007 rtm2 resource")?;
                    }
                }
            }
        }
        // FPA (4), ConvoAI (9), STT (10): privileges only.
        _ => {}
    }
    Ok(())
}

/// Takes a token apart; `Malformed` on any structural problem.
fn parse(token: &str) -> Result<Token007, TokenError> {
    let b64 = token
        .strip_prefix(VERSION)
        .ok_or_else(|| TokenError::Malformed("007 token: missing \"007\" prefix".into()))?;
    if b64.is_empty() {
        return Err(TokenError::Malformed("007 token: nothing after the version".into()));
    }
    let compressed = super::BASE64
        .decode(b64)
        .map_err(|e| TokenError::Malformed(format!("007 token: bad base64: {e}")))?;
    let content = inflate(&compressed)?;

    let mut r = Reader::new(&content);
    let signature = r.bytes("007 signature")?.to_vec();
    if signature.len() != 32 {
        return Err(TokenError::Malformed(format!(
            "007 token: signature is {} bytes, HMAC-SHA256 gives 32",
            signature.len()
        )));
    }
    let signing_info = r.rest().to_vec();
    let app_id = r.string("007 app id")?.to_owned();
    let issue_ts = r.u32("007 issue_ts")?;
    let expire = r.u32("007 expire")?;
    let salt = r.u32("007 salt")?;
    let mut rtm = Vec::new();
    for _ in 0..r.u16("007 service count")? {
        let service_type = r.u16("007 service type")?;
        if service_type != SERVICE_RTM {
            // An unknown type ends the walk, before its privileges: nothing says an
            // unknown service even starts with a privilege map.
            if !is_known(service_type) {
                break;
            }
            r.privileges("007 service privileges")?;
            skip_service(&mut r, service_type)?;
            continue;
        }
        let privileges = r.privileges("007 rtm privileges")?;
        let user_id = r.string("007 rtm user id")?.to_owned();
        rtm.push(RtmService { user_id, login: privilege(&privileges, PRIVILEGE_LOGIN) });
    }
    // Bytes after the last service are signed; like the official parser, ignore them.
    Ok(Token007 { signature, signing_info, app_id, issue_ts, expire, salt, rtm })
}

/// Verifies a 007 RTM login token; see [`super::verify`].
pub(super) fn verify(
    token: &str,
    app_id: &str,
    certificate: &str,
    uid: &str,
    now_unix: u64,
) -> Result<Grant, TokenError> {
    let t = parse(token)?;
    if t.app_id != app_id {
        return Err(TokenError::WrongApp);
    }
    if t.rtm.is_empty() {
        return Err(TokenError::Malformed("007 token has no RTM service (type 2)".into()));
    }
    let service = t.rtm.iter().find(|s| s.user_id == uid).ok_or(TokenError::WrongUid)?;

    let mut mac = hmac(&signing_key(certificate, t.issue_ts, t.salt));
    mac.update(&t.signing_info);
    mac.verify_slice(&t.signature).map_err(|_| TokenError::BadSignature)?;

    let login = service.login.ok_or_else(|| {
        TokenError::Malformed("007 token's RTM service grants no login privilege (1)".into())
    })?;
    // Both the whole token and the login privilege must still run; u64 cannot overflow.
    let issued = u64::from(t.issue_ts);
    let expires_at = (issued + u64::from(t.expire)).min(issued + u64::from(login));
    if now_unix >= expires_at {
        return Err(TokenError::Expired);
    }
    Ok(Grant { expires_at: Some(expires_at) })
}

/// The uncompressed content `build` deflates (exposed to tests, which compare it
/// with the official builder's, since deflate output differs between zlib versions).
pub(super) fn build_content(
    app_id: &str,
    certificate: &str,
    uid: &str,
    expire_secs: u32,
    issue_ts: u32,
    salt: u32,
) -> Option<Vec<u8>> {
    let mut info = Vec::with_capacity(96 + uid.len());
    put_bytes(&mut info, app_id.as_bytes())?;
    put_u32(&mut info, issue_ts);
    put_u32(&mut info, expire_secs);
    put_u32(&mut info, salt);
    put_u16(&mut info, 1); // one service
    put_u16(&mut info, SERVICE_RTM);
    put_u16(&mut info, 1); // one privilege: login, for as long as the token
    put_u16(&mut info, PRIVILEGE_LOGIN);
    put_u32(&mut info, expire_secs);
    put_bytes(&mut info, uid.as_bytes())?;

    let signature = hmac_sha256(&signing_key(certificate, issue_ts, salt), &info);
    let mut content = Vec::with_capacity(34 + info.len());
    put_bytes(&mut content, &signature)?;
    content.extend_from_slice(&info);
    Some(content)
}

/// See [`super::build_007`].
pub(super) fn build(
    app_id: &str,
    certificate: &str,
    uid: &str,
    expire_secs: u32,
    issue_ts: u32,
    salt: u32,
) -> String {
    let Some(content) = build_content(app_id, certificate, uid, expire_secs, issue_ts, salt) else {
        return String::new();
    };
    // Writing to a Vec cannot fail; the default level is the one Node's deflateSync uses.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
    let compressed = z.write_all(&content).and_then(|()| z.finish()).expect("deflating into memory");
    format!("{VERSION}{}", base64::engine::general_purpose::STANDARD.encode(compressed))
}
