//! The little-endian packing both token formats share, and the one HMAC both sign with.
//!
//! Every read is bounds-checked and returns `Malformed` instead of panicking: the
//! input is whatever a client sent as its login token.

use super::TokenError;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 as the official builders use it.
pub(super) type HmacSha256 = Hmac<Sha256>;

/// A keyed HMAC-SHA256 state, ready for `update`.
pub(super) fn hmac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// HMAC-SHA256 of `message` under `key`, as 32 bytes.
pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = hmac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A cursor over packed token bytes.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// The bytes not read yet.
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Takes `n` raw bytes; `what` names the field for the error message.
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], TokenError> {
        let left = self.buf.len() - self.pos;
        if n > left {
            return Err(TokenError::Malformed(format!(
                "{what}: needs {n} bytes at offset {}, only {left} left",
                self.pos
            )));
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub(super) fn u16(&mut self, what: &str) -> Result<u16, TokenError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32, TokenError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A u16-length-prefixed byte string.
    pub(super) fn bytes(&mut self, what: &str) -> Result<&'a [u8], TokenError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    /// A u16-length-prefixed byte string that must be UTF-8 (app ids, user ids).
    pub(super) fn string(&mut self, what: &str) -> Result<&'a str, TokenError> {
        let raw = self.bytes(what)?;
        std::str::from_utf8(raw).map_err(|_| TokenError::Malformed(format!("{what}: not UTF-8")))
    }

    /// A privilege map: u16 count, then (u16 key, u32 value) pairs.
    ///
    /// Kept as pairs in token order; [`privilege`] resolves duplicate keys the way
    /// the official parsers (which fill a JS object / Go map) do: the last one wins.
    pub(super) fn privileges(&mut self, what: &str) -> Result<Vec<(u16, u32)>, TokenError> {
        let count = usize::from(self.u16(what)?);
        // Check the whole map fits before allocating for a hostile count.
        let left = self.buf.len() - self.pos;
        if count * 6 > left {
            return Err(TokenError::Malformed(format!(
                "{what}: {count} entries need {} bytes, only {left} left",
                count * 6
            )));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push((self.u16(what)?, self.u32(what)?));
        }
        Ok(out)
    }
}

/// The value of privilege `key` in a map read by [`Reader::privileges`] (last entry wins).
pub(super) fn privilege(map: &[(u16, u32)], key: u16) -> Option<u32> {
    map.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Appends a little-endian u16.
pub(super) fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a little-endian u32.
pub(super) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Appends a u16-length-prefixed byte string; `None` if it is too long to encode
/// (the official builders throw a RangeError there).
pub(super) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) -> Option<()> {
    put_u16(out, u16::try_from(b.len()).ok()?);
    out.extend_from_slice(b);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_reader_rejects_reads_past_the_end() {
        let mut r = Reader::new(&[1, 0, 0xff]);
        assert_eq!(r.u16("a"), Ok(1));
        assert!(matches!(r.u16("b"), Err(TokenError::Malformed(_))));
        // A length prefix far past the end, and a map count far past the end.
        assert!(matches!(Reader::new(&[0xff, 0xff, 1]).bytes("s"), Err(TokenError::Malformed(_))));
        assert!(matches!(Reader::new(&[0xff, 0xff, 1]).privileges("m"), Err(TokenError::Malformed(_))));
        assert!(matches!(Reader::new(&[1, 0, 0xc3]).string("s"), Err(TokenError::Malformed(_))));
    }

    #[test]
    fn token_privilege_last_duplicate_wins() {
        assert_eq!(privilege(&[(1, 5), (2, 6), (1, 7)], 1), Some(7));
        assert_eq!(privilege(&[(2, 6)], 1), None);
    }
}
