//! What the fuzz targets (fuzz/fuzz_targets/) run, shared with the corpus
//! regression test (tests/fuzz_corpus.rs) so a stable `cargo test` replays
//! every input the fuzzer kept through exactly the same checks.
//!
//! A frame is the first thing an untrusted peer controls: the server decodes
//! every client frame, the SDK every server frame. Both must turn any bytes
//! into a value or a [`crate::DecodeError`], never a panic; and a frame that
//! decodes must mean the same after a trip through the encoder, or the two
//! sides could disagree about what was sent.

use crate::codec::{decode, decode_prefix, encode, push_frame};
use crate::frames::{ClientFrame, ClientFrameId, ServerFrame};

/// Feeds `bytes` to every frame decoder, as either side of the WebSocket
/// would receive them, and checks the round-trip properties.
///
/// Panics (that is the finding) if a decoder panics or a property fails.
pub fn frames(bytes: &[u8]) {
    client_frame(bytes);
    server_frame(bytes);
}

/// The server's path for one incoming frame: the whole frame, else its id.
fn client_frame(bytes: &[u8]) {
    // The server falls back to the id when the whole frame is unreadable,
    // so the prefix decoder sees every byte string a client can send.
    let id = decode_prefix::<ClientFrameId>(bytes).map(|f| f.id);
    let Ok(frame) = decode::<ClientFrame>(bytes) else { return };
    // A frame that decodes starts with its id: the fallback never names
    // another request than the frame does.
    assert_eq!(id, Ok(frame.id), "decode_prefix disagrees with decode on the id");
    assert_round_trip(&frame);
}

/// The SDK's path for one incoming frame.
fn server_frame(bytes: &[u8]) {
    let Ok(frame) = decode::<ServerFrame>(bytes) else { return };
    assert_round_trip(&frame);
    // The server frames a channel message once per recipient from the
    // encoded push (codec::push_frame); that must be the frame itself.
    if let ServerFrame::Push { seq, push } = &frame {
        assert_eq!(push_frame(*seq, &encode(push)), encode(&frame), "push_frame differs from encode");
    }
}

/// Re-encoding a decoded frame gives bytes that decode to the same frame.
/// (Not the same bytes: postcard accepts over-long varints, the encoder
/// writes the shortest; the value is what must survive.)
fn assert_round_trip<T>(frame: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(frame);
    match decode::<T>(&bytes) {
        Ok(back) => assert_eq!(&back, frame, "frame changed in an encode/decode round trip"),
        Err(e) => panic!("an encoded frame does not decode: {e}; frame {frame:?}"),
    }
}
