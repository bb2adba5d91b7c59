//! Apps with certificates: logins and renewals need valid tokens.

mod common;
use common::*;
use rtm_protocol::{Reply, Request};
use rtm_server::config::Config;
use rtm_server::token::build_007;

const APP: &str = "970CA35de60c44645bbae8a215061b33";
const CERT: &str = "5CFd2fd1755d40ecb72977518be15d3b";

fn now() -> u32 {
    (rtm_server::clock::now_ms() / 1000) as u32
}

fn token(uid: &str, expire: u32, issued: u32) -> Option<String> {
    Some(build_007(APP, CERT, uid, expire, issued, 1234))
}

async fn server(development: bool) -> String {
    let mut config = Config::for_tests();
    config.apps.insert(APP.into(), Some(CERT.into()));
    config.development = development;
    start_server_with(config).await
}

async fn login_code(url: &str, app: &str, uid: &str, token: Option<String>) -> Result<(), u16> {
    let mut c = TestClient::connect(url).await;
    match c.request(Request::Login { app_id: app.into(), uid: uid.into(), token }).await {
        Ok(Reply::LoggedIn { .. }) => Ok(()),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.code),
    }
}

#[tokio::test]
async fn logins_need_a_valid_token_for_the_uid() {
    let url = server(false).await;
    assert_eq!(login_code(&url, APP, "alice", token("alice", 600, now())).await, Ok(()));
    assert_eq!(login_code(&url, APP, "alice", None).await, Err(5), "no token");
    assert_eq!(login_code(&url, APP, "alice", token("bob", 600, now())).await, Err(5), "another uid");
    assert_eq!(login_code(&url, APP, "alice", Some("007garbage".into())).await, Err(5), "garbage");
    let other_cert = Some(build_007(APP, "00000000000000000000000000000000", "alice", 600, now(), 1));
    assert_eq!(login_code(&url, APP, "alice", other_cert).await, Err(5), "wrong certificate");
    let expired = token("alice", 60, now() - 3_600);
    assert_eq!(login_code(&url, APP, "alice", expired).await, Err(6), "expired");
    assert_eq!(login_code(&url, "some-other-app", "alice", None).await, Err(4), "unknown app");
}

#[tokio::test]
async fn development_mode_still_checks_configured_apps() {
    let url = server(true).await;
    assert_eq!(login_code(&url, "any-app", "alice", None).await, Ok(()), "unlisted apps are open");
    assert_eq!(login_code(&url, APP, "alice", None).await, Err(5), "a listed app with a certificate is not");
}

#[tokio::test]
async fn renew_token_checks_the_new_token() {
    let url = server(false).await;
    let (mut c, _) = TestClient::login_with(&url, APP, "alice", token("alice", 600, now())).await;
    let renew = |t: Option<String>| Request::RenewToken { token: t.unwrap_or_default() };
    assert_eq!(c.request(renew(token("alice", 3_600, now()))).await, Ok(Reply::Done));
    assert_eq!(c.request(renew(token("bob", 3_600, now()))).await.unwrap_err().code, 6, "another uid");
    // renewToken() is limited to 2 calls a second (abuse_rates.rs).
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    assert_eq!(c.request(renew(token("alice", 60, now() - 3_600))).await.unwrap_err().code, 5, "expired");
    assert_eq!(c.request(renew(Some("nonsense".into()))).await.unwrap_err().code, 6);
}
