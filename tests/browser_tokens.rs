//! Login tokens minted live by the official libraries (agora-token "007",
//! agora-access-token "006") through the harness, against an app configured
//! with a certificate.
#![cfg(target_arch = "wasm32")]

mod support;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn app_id() -> String {
    let config = js_sys::JSON::parse(&control("GET", "/config").await).unwrap();
    get(&config, "appId").as_string().unwrap()
}

async fn token(kind: &str, uid: &str, expire: i64, extra: &str) -> String {
    control("GET", &format!("/token?kind={kind}&uid={uid}&expire={expire}{extra}")).await
}

fn login_opts(uid: &str, token: &str) -> JsValue {
    obj(&[("uid", uid.into()), ("token", token.into())])
}

#[wasm_bindgen_test]
async fn tokens_from_the_official_builders_log_in() {
    let app = app_id().await;
    for kind in ["007", "006"] {
        let uid = unique(&format!("t{kind}"));
        let t = token(kind, &uid, 600, "").await;
        assert!(t.starts_with(kind), "{t}");
        let c = client(&app);
        settle(c.login(&login_opts(&uid, &t))).await.unwrap_or_else(|e| panic!("{kind} token: {e:?}"));
        settle(c.logout()).await.unwrap();
    }
}

#[wasm_bindgen_test]
async fn bad_tokens_are_refused_with_codes() {
    let app = app_id().await;
    let uid = unique("u");
    let c = client(&app);
    let states = Recorder::on(&c, "ConnectionStateChanged");
    let wrong_cert = token("007", &uid, 600, "&cert=00000000000000000000000000000000").await;
    assert_eq!(rejection_code(c.login(&login_opts(&uid, &wrong_cert))).await, 5, "wrong certificate");
    let other_uid = token("007", "someone-else", 600, "").await;
    assert_eq!(rejection_code(c.login(&login_opts(&uid, &other_uid))).await, 5, "another uid");
    // login() may be called twice a second (LOGIN_ERR_TOO_OFTEN, as in Agora's SDK).
    assert_eq!(rejection_code(c.login(&login_opts(&uid, "007eJxGarbage"))).await, 10, "too often");
    pause(1_000).await;
    assert_eq!(rejection_code(c.login(&login_opts(&uid, "007eJxGarbage"))).await, 5, "garbage");
    assert_eq!(rejection_code(c.login(&obj(&[("uid", uid.clone().into())]))).await, 5, "no token");
    pause(1_000).await;
    let expired_006 = token("006", &uid, -60, "").await;
    assert_eq!(rejection_code(c.login(&login_opts(&uid, &expired_006))).await, 6, "expired 006");
    let short_007 = token("007", &uid, 1, "").await;
    pause(2_100).await;
    assert_eq!(rejection_code(c.login(&login_opts(&uid, &short_007))).await, 6, "expired 007");
    assert_eq!(
        states.pairs().last().map(String::as_str),
        Some("DISCONNECTED/LOGIN_FAILURE"),
        "a refused token is a login failure"
    );
}

#[wasm_bindgen_test]
async fn renew_token_replaces_the_token_of_a_live_session() {
    let app = app_id().await;
    let uid = unique("renew");
    let c = client(&app);
    assert_eq!(rejection_code(c.renew_token(&"x".into())).await, 102, "not logged in");
    settle(c.login(&login_opts(&uid, &token("007", &uid, 600, "").await))).await.unwrap();
    settle(c.renew_token(&token("007", &uid, 3_600, "").await.into())).await.expect("renewToken");
    settle(c.renew_token(&token("006", &uid, 3_600, "").await.into())).await.expect("a 006 token too");
    // renewToken() may be called twice a second (RENEW_TOKEN_ERR_TOO_OFTEN).
    assert_eq!(rejection_code(c.renew_token(&"garbage".into())).await, 4, "too often");
    pause(1_000).await;
    assert_eq!(rejection_code(c.renew_token(&"garbage".into())).await, 6, "invalid token");
    assert_eq!(rejection_code(c.renew_token(&token("007", "other", 600, "").await.into())).await, 6);
    assert_eq!(rejection_code(c.renew_token(&"".into())).await, 2, "empty");
    settle(c.logout()).await.unwrap();
}

#[wasm_bindgen_test]
async fn token_privilege_will_expire_fires_30_s_ahead() {
    let app = app_id().await;
    let uid = unique("soon");
    let c = client(&app);
    let warned = Recorder::on(&c, "TokenPrivilegeWillExpire");
    // Expires in 32 s: the warning is due in about 2 s.
    settle(c.login(&login_opts(&uid, &token("007", &uid, 32, "").await))).await.unwrap();
    warned.wait_for(1).await;
    settle(c.logout()).await.unwrap();
}
