//! Hostile and broken input: every one must give an error (mostly `Malformed`), never a
//! panic and never a grant for content other than what was signed.

use super::bytes::{put_bytes, put_u16, put_u32};
use super::tests::{fixed, inflated, vectors, APP, CERT, USER};
use super::*;
use base64::Engine as _;
use std::io::Write as _;

const NOW: u64 = 1_000;

fn malformed(token: &str) {
    let got = verify(token, APP, CERT, USER, NOW);
    assert!(matches!(got, Err(TokenError::Malformed(_))), "{token:?} gave {got:?}");
}

fn deflate(content: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(content).unwrap();
    z.finish().unwrap()
}

fn token007(content: &[u8]) -> String {
    format!("007{}", BASE64.encode(deflate(content)))
}

fn token006(content: &[u8]) -> String {
    format!("006{APP}{}", BASE64.encode(content))
}

/// Every token the vectors hold, both formats.
fn all_tokens() -> Vec<String> {
    let v = vectors();
    let mut out: Vec<String> =
        fixed("006").iter().chain(fixed("007").iter()).map(|v| v["token"].as_str().unwrap().into()).collect();
    for live in ["live_006_literal_3600", "live_006_now_plus_3600", "live_007_expire_3600"] {
        out.push(v[live]["token"].as_str().unwrap().into());
    }
    out
}

#[test]
fn token_malformed_simple_cases() {
    let long = format!("006{APP}{}", "A".repeat(70_000));
    // Versions, lengths and characters that are wrong before any decoding.
    let simple = ["", "0", "00", "006", "007", "005abc", "008eJw=", "  006", "eJw", "006 ", &long];
    // 006: app id one short, nothing after it, bad base64, a cut message, multi-byte
    // characters across the app id slice (must not split a character).
    let v006 = [
        "006970CA35de60c44645bbae8a215061b3",
        "006970CA35de60c44645bbae8a215061b33",
        "006970CA35de60c44645bbae8a215061b33!!!!",
        "006970CA35de60c44645bbae8a215061b33IAAs",
        "006éééééééééééééééééééééééééééééééé",
        "006970CA35de60c44645bbae8a215061b3é",
    ];
    // 007: bad base64, a cut zlib header, base64 fine but not zlib.
    let v007 = ["007é", "007!!!!", "007eJw", "007====", "007A", "007AAAAAAAAAAAA"];
    for t in simple.into_iter().chain(v006).chain(v007) {
        malformed(t);
    }
    // Well-formed base64 + zlib around contents that are not a token.
    malformed(&token007(b""));
    malformed(&token007(b"garbage"));
    malformed(&token007(&[0xff; 100]));
    malformed(&token006(b""));
    malformed(&token006(&[0xff; 60]));
}

#[test]
fn token_malformed_length_prefixes_past_the_end() {
    let sig = [7u8; 32];
    // 007: a correct prefix up to each length field, then 0xffff with nothing behind it
    // (or, for the user id, less than that): signature, app id, service count,
    // privilege count, user id.
    let mut prefix = Vec::new();
    let mut cases = Vec::new();
    let mut huge_after = |p: &[u8], tail: &[u8]| {
        let mut c = p.to_vec();
        put_u16(&mut c, 0xffff);
        c.extend_from_slice(tail);
        cases.push(c);
    };
    huge_after(&prefix, b"");
    put_bytes(&mut prefix, &sig).unwrap();
    huge_after(&prefix, b"");
    put_bytes(&mut prefix, APP.as_bytes()).unwrap();
    prefix.extend_from_slice(&[0; 12]);
    huge_after(&prefix, b"");
    put_u16(&mut prefix, 1);
    put_u16(&mut prefix, 2);
    huge_after(&prefix, b"");
    put_u16(&mut prefix, 0);
    huge_after(&prefix, USER.as_bytes());
    for c in cases {
        malformed(&token007(&c));
    }
    // A signature that is not 32 bytes, in either format.
    let mut c = Vec::new();
    put_bytes(&mut c, &[1; 31]).unwrap();
    put_bytes(&mut c, APP.as_bytes()).unwrap();
    malformed(&token007(&c));

    // 006: signature, message, privilege count past the end; bytes after the message.
    let mut m = Vec::new();
    put_u32(&mut m, 1);
    put_u32(&mut m, 2);
    put_u16(&mut m, 0xffff);
    let content = |sig: &[u8], sig_len: Option<u16>, m: &[u8], m_len: Option<u16>, tail: &[u8]| {
        let mut c = Vec::new();
        put_u16(&mut c, sig_len.unwrap_or(sig.len() as u16));
        c.extend_from_slice(sig);
        c.extend_from_slice(&[0; 8]);
        put_u16(&mut c, m_len.unwrap_or(m.len() as u16));
        c.extend_from_slice(m);
        c.extend_from_slice(tail);
        token006(&c)
    };
    malformed(&content(&sig, Some(0xffff), &m, None, b""));
    malformed(&content(&sig, None, &m, Some(0xffff), b""));
    malformed(&content(&sig, None, &m, None, b"")); // 0xffff privileges, none there
    malformed(&content(&sig[..31], None, &m[..8], None, b""));
    let mut ok_m = m[..8].to_vec();
    put_u16(&mut ok_m, 0);
    malformed(&content(&sig, None, &ok_m, None, b"tail"));
}

#[test]
fn token_malformed_zlib_streams() {
    let good = fixed("007")[0]["token"].as_str().unwrap().to_owned();
    let content = inflated(&good);
    let z = deflate(&content);
    // Trailing bytes after the stream, a stream cut anywhere, a sync-flushed unfinished one.
    let mut tail = z.clone();
    tail.extend_from_slice(b"xyz");
    malformed(&format!("007{}", BASE64.encode(&tail)));
    for cut in 0..z.len() {
        malformed(&format!("007{}", BASE64.encode(&z[..cut])));
    }
    let mut s = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    s.write_all(&content).unwrap();
    s.flush().unwrap();
    malformed(&format!("007{}", BASE64.encode(s.get_ref())));
    // A zlib bomb: 10 MB of zeros is ~10 kB compressed; refused once past the cap.
    let got = verify(&token007(&vec![0u8; 10_000_000]), APP, CERT, USER, NOW);
    assert!(matches!(&got, Err(TokenError::Malformed(m)) if m.contains("more than")), "{got:?}");
    // Just under the cap is fine for the inflater (and then not a token).
    // Contents that end exactly where the output buffer fills (it starts at 1024 and
    // doubles) still inflate, including just under the cap.
    for n in [0, 1, 1023, 1024, 1025, 2048, 4096, 8192, 32_768, 60_000, 65_536] {
        let noisy: Vec<u8> = (0..n).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        assert_eq!(v007::inflate(&deflate(&vec![1u8; n as usize])).map(|v| v.len()), Ok(n as usize));
        assert_eq!(v007::inflate(&deflate(&noisy)).as_ref(), Ok(&noisy), "{n}");
    }
    // A raw deflate stream without the zlib header.
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    raw.write_all(&content).unwrap();
    malformed(&format!("007{}", BASE64.encode(raw.finish().unwrap())));
}

/// Cut every vector token at every length: only cutting `=` padding keeps it valid.
#[test]
fn token_malformed_truncated_at_every_length() {
    let mut checked = 0;
    for token in all_tokens() {
        let (now, whole) = valid_at(&token);
        for cut in 0..token.len() {
            let t = &token[..cut];
            if token[cut..].bytes().all(|b| b == b'=') {
                assert_eq!(verify(t, APP, CERT, USER, now), whole, "{t}");
            } else {
                let got = verify(t, APP, CERT, USER, now);
                assert!(matches!(got, Err(TokenError::Malformed(_))), "{t:?} gave {got:?}");
            }
            checked += 1;
        }
    }
    assert!(checked > 1000);
}

/// A time at which `token` verifies, and what it gives then.
fn valid_at(token: &str) -> (u64, Result<Grant, TokenError>) {
    for now in [0, 1_111_111, vectors()["generated_at_unix"].as_u64().unwrap()] {
        if let ok @ Ok(_) = verify(token, APP, CERT, USER, now) {
            return (now, ok);
        }
    }
    // live_006_literal_3600 expired in 1970; `now` 0 covers it, so this is a bug.
    panic!("{token} never verifies")
}

/// Replace every character with others: an off-alphabet one in the base64 part is
/// `Malformed`; any change is an error unless (007 only) the stream still inflates to
/// the very same signed content, e.g. when only ignored padding bits changed.
#[test]
fn token_malformed_flipped_characters() {
    let mut checked = 0;
    for token in all_tokens() {
        let (now, _) = valid_at(&token);
        let b64_start = if token.starts_with("006") { 3 + APP.len() } else { 3 };
        for (i, orig) in token.char_indices() {
            for c in ['A', 'B', 'g', 'z', '0', '9', '+', '/', '=', '!', '-', '_', ' ', 'é'] {
                if c == orig {
                    continue;
                }
                let t = format!("{}{c}{}", &token[..i], &token[i + 1..]);
                let got = verify(&t, APP, CERT, USER, now);
                checked += 1;
                if i >= b64_start && "!-_ é".contains(c) {
                    assert!(matches!(got, Err(TokenError::Malformed(_))), "{t:?} gave {got:?}");
                } else if got.is_ok() {
                    assert!(t.starts_with("007") && inflated(&t) == inflated(&token), "{t:?} accepted");
                }
            }
        }
    }
    assert!(checked > 10_000);
}

/// Change or cut the decoded bytes themselves and re-encode them properly, so every
/// change reaches the parser and the signature check.
#[test]
fn token_malformed_content_mutations() {
    for token in all_tokens() {
        let (now, _) = valid_at(&token);
        let is_007 = token.starts_with("007");
        let content = if is_007 { inflated(&token) } else { BASE64.decode(&token[3 + APP.len()..]).unwrap() };
        let encode = |c: &[u8]| if is_007 { token007(c) } else { token006(c) };
        for i in 0..content.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut c = content.clone();
                c[i] ^= flip;
                let got = verify(&encode(&c), APP, CERT, USER, now);
                assert!(got.is_err(), "byte {i} ^ {flip:#x} of {token} accepted");
            }
            let got = verify(&encode(&content[..i]), APP, CERT, USER, now);
            assert!(matches!(got, Err(TokenError::Malformed(_))), "{token} cut at {i}: {got:?}");
        }
    }
}

#[test]
fn token_build_007_rejects_unencodable_input() {
    let huge = "u".repeat(70_000);
    assert_eq!(build_007(APP, CERT, &huge, 60, 1, 1), "");
    assert_eq!(build_007(&huge, CERT, USER, 60, 1, 1), "");
    // A long but encodable uid round-trips.
    let long = "ü".repeat(1000);
    let token = build_007(APP, CERT, &long, 60, 1, 1);
    assert_eq!(verify(&token, APP, CERT, &long, 1), Ok(Grant { expires_at: Some(61) }));
}

/// The 006 signature runs over `app_id ‖ account ‖ message` with nothing between
/// them, and the CRCs are not signed. So the last bytes of a longer account can
/// become the first of the message: a genuine token for "test_user" plus six
/// characters, built with a salt whose bytes make the longer message parse
/// (count 2: the original ts and count become a junk privilege, the login
/// privilege follows), re-packs into a token that signs as "test_user".
#[test]
fn token_006_for_a_longer_account_cannot_be_repacked_for_a_prefix_of_it() {
    let suffix = "123456";
    let account = format!("{USER}{suffix}");
    // Salt bytes 2..4 (little-endian) read as the forged privilege count: 2.
    let genuine = v006::build(APP, CERT, &account, 0x0002_0000, 1_700_000_000, &[(1000, 0)]);
    let content = BASE64.decode(&genuine[3 + APP.len()..]).unwrap();
    // content = u16 len ‖ signature(32) ‖ crc_channel ‖ crc_uid ‖ u16 len ‖ message
    let signature = &content[2..34];
    let message = &content[44..];
    let forged_message = [suffix.as_bytes(), message].concat();
    let mut forged = Vec::new();
    put_bytes(&mut forged, signature).unwrap();
    put_u32(&mut forged, crc32fast::hash(USER.as_bytes()));
    put_u32(&mut forged, crc32fast::hash(b""));
    put_bytes(&mut forged, &forged_message).unwrap();
    let forged = token006(&forged);
    assert_eq!(verify(&genuine, APP, CERT, &account, NOW), Ok(Grant { expires_at: None }), "the genuine one");
    let got = verify(&forged, APP, CERT, USER, NOW);
    assert!(matches!(got, Err(TokenError::Malformed(_))), "a forged token must not log in: {got:?}");
}
