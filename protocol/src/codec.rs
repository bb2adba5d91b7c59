//! Frames as bytes: MessagePack maps with field names, so a newer peer may add
//! optional fields and an older one skips what it does not know.

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
    rmp_serde::to_vec_named(frame).expect("frames are plain data and always encode")
}

/// Decodes a frame, reporting what was wrong with it.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    rmp_serde::from_slice(bytes).map_err(|e| DecodeError(e.to_string()))
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
        let back: ClientFrame = decode(&encode(&frame)).unwrap();
        assert_eq!(back, frame);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        #[derive(serde::Serialize)]
        struct Newer<'a> {
            id: u32,
            req: Request,
            future_field: &'a str,
        }
        let bytes = encode(&Newer { id: 3, req: Request::Logout, future_field: "x" });
        let back: ClientFrame = decode(&bytes).unwrap();
        assert_eq!(back, ClientFrame { id: 3, req: Request::Logout });
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [&b""[..], b"\xc1", b"\x93\x01", &[0xff; 64]] {
            assert!(decode::<ClientFrame>(junk).is_err());
        }
    }
}
