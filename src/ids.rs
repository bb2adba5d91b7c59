//! Random ids the Agora API exposes: `AgoraRTM.processId` (a page's) and
//! invitations' `callId`, both UUID-shaped as in agora-rtm-sdk.

/// A random id shaped like a UUID (`8-4-4-4-12` hex digits). Not a version-4
/// UUID by the RFC's bits: Agora's ids are opaque, and apps only compare them.
pub fn random_uuid() -> String {
    let mut id = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            id.push('-');
        }
        let digit = (js_sys::Math::random() * 16.0) as u32 % 16;
        id.push(char::from_digit(digit, 16).unwrap_or('0'));
    }
    id
}
