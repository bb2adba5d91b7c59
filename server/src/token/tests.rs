//! Tests against tokens made by the official npm builders: `testdata/token-vectors.json`
//! (a copy of the project's shared vectors) and `testdata/extra-vectors.json` (made by
//! `testdata/gen-extra-vectors.js`).

use super::*;
use serde_json::Value;

pub(super) const APP: &str = "970CA35de60c44645bbae8a215061b33";
pub(super) const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";
pub(super) const USER: &str = "test_user";
const OTHER_CERT: &str = "5CFd2fd1755d40ecb72977518be15d3c";
const OTHER_APP: &str = "970CA35de60c44645bbae8a215061b34";

/// The shared vectors, embedded so the tests do not depend on where the repo sits.
pub(super) fn vectors() -> Value {
    serde_json::from_str(include_str!("testdata/token-vectors.json")).expect("token-vectors.json")
}

fn extra(name: &str) -> String {
    let all: Value =
        serde_json::from_str(include_str!("testdata/extra-vectors.json")).expect("extra-vectors.json");
    let v = all["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name);
    v.unwrap_or_else(|| panic!("no extra vector {name}"))["token"].as_str().unwrap().to_owned()
}

pub(super) fn fixed(format: &str) -> Vec<Value> {
    let all = vectors()["fixed_vectors"].as_array().unwrap().clone();
    all.into_iter().filter(|v| v["format"] == format).collect()
}

pub(super) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub(super) fn num(v: &Value) -> u32 {
    u32::try_from(v.as_u64().expect("a number")).unwrap()
}

/// The inflated content of a 007 token (for comparing with the vectors' content).
pub(super) fn inflated(token: &str) -> Vec<u8> {
    use base64::Engine as _;
    v007::inflate(&BASE64.decode(&token[3..]).unwrap()).unwrap()
}

#[test]
fn token_006_fixed_vectors_rebuild_exactly_and_verify() {
    let vs = fixed("006");
    assert_eq!(vs.len(), 4);
    for v in vs {
        let i = &v["inputs"];
        let token = v["token"].as_str().unwrap();
        assert_eq!(i["uid"], "", "RTM 006 tokens leave the uid field empty");
        let privs: Vec<(u16, u32)> =
            i["privileges"].as_object().unwrap().iter().map(|(k, e)| (k.parse().unwrap(), num(e))).collect();
        let built = v006::build(APP, CERT, USER, num(&i["salt"]), num(&i["ts"]), &privs);
        assert_eq!(built, token);
        if let Some(up) = v["upstream_expected"].as_str() {
            assert_eq!(built, up);
        }

        let end = u64::from(num(&i["privileges"]["1000"]));
        if end == 0 {
            // 0 = never: fine at any time, even long after the 1970 `ts` in the token.
            for now in [0, 1_111_111 + 86_400, u64::from(u32::MAX), u64::MAX] {
                assert_eq!(verify(token, APP, CERT, USER, now), Ok(Grant { expires_at: None }));
            }
        } else {
            assert_eq!(verify(token, APP, CERT, USER, 0), Ok(Grant { expires_at: Some(end) }));
            assert_eq!(verify(token, APP, CERT, USER, end - 1), Ok(Grant { expires_at: Some(end) }));
            assert_eq!(verify(token, APP, CERT, USER, end), Err(TokenError::Expired));
            assert_eq!(verify(token, APP, CERT, USER, end + 1), Err(TokenError::Expired));
        }
        check_wrong_inputs(token, 0);
    }
}

#[test]
fn token_006_live_vectors_follow_absolute_expiry() {
    let all = vectors();
    let generated = all["generated_at_unix"].as_u64().unwrap();
    // `privilegeExpiredTs` = 3600 literally means 01:00 on 1970-01-01.
    let literal = all["live_006_literal_3600"]["token"].as_str().unwrap();
    assert_eq!(verify(literal, APP, CERT, USER, generated), Err(TokenError::Expired));
    assert_eq!(verify(literal, APP, CERT, USER, 3599), Ok(Grant { expires_at: Some(3600) }));

    let live = all["live_006_now_plus_3600"]["token"].as_str().unwrap();
    let end = generated + 3600;
    assert_eq!(verify(live, APP, CERT, USER, generated), Ok(Grant { expires_at: Some(end) }));
    assert_eq!(verify(live, APP, CERT, USER, end), Err(TokenError::Expired));
    check_wrong_inputs(live, generated);
}

/// Wrong certificate, user, app each give their own error; a token of one user never
/// lets another in, whatever the case or a prefix/suffix of the name.
fn check_wrong_inputs(token: &str, now: u64) {
    assert_eq!(verify(token, APP, OTHER_CERT, USER, now), Err(TokenError::BadSignature));
    assert_eq!(verify(token, APP, "", USER, now), Err(TokenError::BadSignature));
    for uid in ["test_use", "test_user2", "Test_user", "", "other"] {
        assert_eq!(verify(token, APP, CERT, uid, now), Err(TokenError::WrongUid), "{uid}");
    }
    for app in [OTHER_APP, "970ca35de60c44645bbae8a215061b33", "", "short"] {
        assert_eq!(verify(token, app, CERT, USER, now), Err(TokenError::WrongApp), "{app}");
    }
}

#[test]
fn token_007_build_matches_official_content_and_verifies() {
    let vs: Vec<Value> = fixed("007").into_iter().filter(|v| v["inputs"]["user_id"].is_string()).collect();
    assert_eq!(vs.len(), 4, "three Node vectors and the Go one");
    for v in vs {
        let i = &v["inputs"];
        let (expire, issue, salt) = (num(&i["expire"]), num(&i["issue_ts"]), num(&i["salt"]));
        assert_eq!(num(&i["privileges"]["1"]), expire, "RtmTokenBuilder2 uses one expire for both");
        let want = unhex(
            v["inflated_content_hex"].as_str().or(v["decoded"]["inflated_content_hex"].as_str()).unwrap(),
        );
        assert_eq!(v007::build_content(APP, CERT, USER, expire, issue, salt).unwrap(), want);
        let built = build_007(APP, CERT, USER, expire, issue, salt);
        assert!(built.starts_with("007"));
        assert_eq!(inflated(&built), want);

        let end = u64::from(issue) + u64::from(expire);
        for token in [v["token"].as_str().unwrap(), &built] {
            assert_eq!(inflated(token), want);
            let ok = Ok(Grant { expires_at: Some(end) });
            assert_eq!(verify(token, APP, CERT, USER, u64::from(issue)), ok);
            assert_eq!(verify(token, APP, CERT, USER, end - 1), ok);
            // 007 times are relative to issue_ts, which may be far in the past.
            assert_eq!(verify(token, APP, CERT, USER, 0), ok);
            assert_eq!(verify(token, APP, CERT, USER, end), Err(TokenError::Expired));
            check_wrong_inputs(token, u64::from(issue));
        }
    }
}

#[test]
fn token_007_live_and_multi_service_vectors_verify() {
    let all = vectors();
    let generated = all["generated_at_unix"].as_u64().unwrap();
    let live = all["live_007_expire_3600"]["token"].as_str().unwrap();
    let ok = Ok(Grant { expires_at: Some(generated + 3600) });
    assert_eq!(verify(live, APP, CERT, USER, generated), ok);
    assert_eq!(verify(live, APP, CERT, USER, generated + 3600), Err(TokenError::Expired));
    check_wrong_inputs(live, generated);

    // Upstream's AccessToken_Test4: an RTC service (channel + uid 2882341273) before the RTM one.
    let multi = fixed("007").into_iter().find(|v| v["inputs"]["services"].is_array()).unwrap();
    let token = multi["token"].as_str().unwrap();
    assert_eq!(inflated(token), unhex(multi["inflated_content_hex"].as_str().unwrap()));
    assert_eq!(verify(token, APP, CERT, USER, 1_111_111), Ok(Grant { expires_at: Some(1_111_711) }));
    assert_eq!(verify(token, APP, CERT, "2882341273", 1_111_111), Err(TokenError::WrongUid));
    check_wrong_inputs(token, 1_111_111);
}

#[test]
fn token_007_grant_ends_at_the_earlier_of_token_and_login_privilege() {
    const ISSUED: u64 = 1_700_000_000;
    for name in ["007_token_3600_login_600", "007_token_600_login_3600"] {
        let token = extra(name);
        let ok = Ok(Grant { expires_at: Some(ISSUED + 600) });
        assert_eq!(verify(&token, APP, CERT, USER, ISSUED + 599), ok, "{name}");
        assert_eq!(verify(&token, APP, CERT, USER, ISSUED + 600), Err(TokenError::Expired), "{name}");
        assert_eq!(verify(&token, APP, CERT, USER, ISSUED + 3000), Err(TokenError::Expired), "{name}");
    }
    // Zero seconds means expired at once, not "never", in 007.
    let token = build_007(APP, CERT, USER, 0, 1_700_000_000, 7);
    assert_eq!(verify(&token, APP, CERT, USER, ISSUED), Err(TokenError::Expired));
    // issue_ts + expire past u32::MAX must not wrap.
    let token = build_007(APP, CERT, USER, u32::MAX, u32::MAX, 7);
    let end = u64::from(u32::MAX) * 2;
    assert_eq!(verify(&token, APP, CERT, USER, end - 1), Ok(Grant { expires_at: Some(end) }));
}

#[test]
fn token_007_service_walk_follows_official_parser() {
    const NOW: u64 = 1_700_000_000;
    let ok = Ok(Grant { expires_at: Some(NOW + 600) });
    assert_eq!(verify(&extra("007_all_services"), APP, CERT, USER, NOW), ok);
    assert_eq!(verify(&extra("007_two_rtm_services"), APP, CERT, USER, NOW), ok);
    assert_eq!(
        verify(&extra("007_two_rtm_services"), APP, CERT, "someone_else", NOW),
        Ok(Grant { expires_at: Some(NOW + 60) })
    );
    assert_eq!(verify(&extra("007_unicode_user"), APP, CERT, "用户-ü", NOW), ok);
    assert_eq!(verify(&extra("007_unicode_user"), APP, CERT, "用户-u", NOW), Err(TokenError::WrongUid));
    // No RTM (type 2) service, or no login privilege in it: not an RTM login token.
    for name in ["007_no_login_privilege", "007_rtc_only", "007_rtm2_only"] {
        let got = verify(&extra(name), APP, CERT, USER, NOW);
        assert!(matches!(got, Err(TokenError::Malformed(_))), "{name}: {got:?}");
    }
    // The signature is checked before the missing privilege is reported.
    assert_eq!(
        verify(&extra("007_no_login_privilege"), APP, OTHER_CERT, USER, NOW),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn token_006_extra_vectors() {
    const NOW: u64 = 1_700_000_000;
    let ok = Ok(Grant { expires_at: Some(1_800_000_000) });
    assert_eq!(verify(&extra("006_unicode_account"), APP, CERT, "用户-ü", NOW), ok);
    // RtmTokenBuilder grants the login privilege only; anything else is not an RTM token.
    let got = verify(&extra("006_many_privileges"), APP, CERT, USER, NOW);
    assert!(matches!(got, Err(TokenError::Malformed(_))), "{got:?}");
    let got = verify(&extra("006_rtc_token"), APP, CERT, USER, NOW);
    assert!(matches!(got, Err(TokenError::Malformed(_))), "{got:?}");
    // Channel = the account but a uid set: made for an RTC uid, not this RTM user.
    assert_eq!(verify(&extra("006_uid_set"), APP, CERT, USER, NOW), Err(TokenError::WrongUid));
}

#[test]
fn token_errors_display() {
    assert_eq!(TokenError::Expired.to_string(), "token has expired");
    assert!(TokenError::Malformed("x".into()).to_string().contains('x'));
}
