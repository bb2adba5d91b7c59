//! Frames as bytes: postcard, a compact serde format without field names.
//!
//! Why postcard and not MessagePack: the SDK's size is a target, and serde's
//! self-describing formats cost the browser bundle dearly (the same SDK was
//! 110 KB gzipped with rmp-serde, 61 KB with postcard; docs/benchmarks.md).
//! The price is that a frame carries no field names, so the protocol evolves
//! by these rules (docs/protocol.md):
//! - enums are append-only: a new request, reply or push is a new variant at
//!   the end; a peer that does not know it answers "unknown request" or skips
//!   the push;
//! - a variant's fields never change; a changed shape is a new variant, or a
//!   new protocol version negotiated through `Sec-WebSocket-Protocol`.

use serde::{de::DeserializeOwned, Serialize};
use std::fmt;

/// A frame that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Encodes a frame. Frames are plain data, so this cannot fail.
pub fn encode<T: Serialize>(frame: &T) -> Vec<u8> {
    // Not `expect`: printing postcard's error would pull its Debug into the browser SDK.
    postcard::to_allocvec(frame).unwrap_or_else(|_| panic!("frames are plain data and always encode"))
}

/// Decodes a frame, reporting what was wrong with it. Bytes after the frame
/// are an error too: a frame is exactly one value.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match postcard::take_from_bytes(bytes) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(DecodeError(format!("{} unexpected bytes after the frame", rest.len()))),
        Err(e) => Err(DecodeError(e.to_string())),
    }
}

/// Decodes the start of a frame and ignores the rest: how the server reads the
/// request id of a frame whose request it cannot read.
pub fn decode_prefix<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    postcard::take_from_bytes(bytes).map(|(value, _)| value).map_err(|e| DecodeError(e.to_string()))
}

/// The bytes of `ServerFrame::Push { seq, push }` from `push_body`, the
/// encoding of the `Push` alone: a channel message is encoded once and framed
/// per recipient, whose sequence numbers differ.
pub fn push_frame(seq: u64, push_body: &[u8]) -> Vec<u8> {
    // postcard: the variant index of `ServerFrame::Push` (1), then its fields.
    let mut frame = postcard::to_allocvec(&(1u32, seq)).unwrap_or_else(|_| panic!("integers always encode"));
    frame.extend_from_slice(push_body);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::*;

    #[test]
    fn request_round_trips_with_raw_bytes_intact() {
        let bytes: Vec<u8> = (0..=255).collect();
        let frame = ClientFrame {
            id: 7,
            req: Request::SendPeer {
                peer: "bob".into(),
                payload: Payload::Raw { data: bytes.clone().into(), description: "d".into() },
                offline: false,
            },
        };
        let encoded = encode(&frame);
        assert!(encoded.len() < 256 + 16, "raw bytes travel as bytes: {} bytes", encoded.len());
        let back: ClientFrame = decode(&encoded).unwrap();
        assert_eq!(back, frame);
    }

    #[test]
    fn push_frame_is_the_encoding_of_a_push() {
        let push = Push::MemberJoined { channel: "c".into(), uid: "u".into() };
        for seq in [1, 127, 128, u64::MAX] {
            let whole = encode(&ServerFrame::Push { seq, push: push.clone() });
            assert_eq!(push_frame(seq, &encode(&push)), whole, "seq {seq}");
        }
    }

    #[test]
    fn a_newer_variant_is_an_error_but_its_id_is_readable() {
        // id 9, then a request variant far beyond today's.
        let bytes = [9u8, 0x7f, 1, 2, 3];
        assert!(decode::<ClientFrame>(&bytes).is_err());
        assert_eq!(decode_prefix::<ClientFrameId>(&bytes).unwrap().id, 9);
    }

    #[test]
    fn garbage_and_trailing_bytes_are_errors_not_panics() {
        for junk in [&b""[..], b"\xc1", &[0xff; 64]] {
            assert!(decode::<ClientFrame>(junk).is_err(), "{junk:?}");
        }
        let mut ok = encode(&ClientFrame { id: 1, req: Request::Ping });
        ok.push(0);
        assert!(decode::<ClientFrame>(&ok).is_err(), "trailing bytes");
    }
}
