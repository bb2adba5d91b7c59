//! The admin API over real HTTP against a real server: the secret (none,
//! wrong, Bearer, Basic), kicks and bans (seen by a real client), attributes
//! both ways, channels by size, tokens that log in — and `/openapi.json`,
//! which must describe every route the server's router has.

mod common;
use base64::Engine as _;
use common::*;
use rtm_protocol::{AttrOp, ConnectionChangeReason, Push, Reply, Request};
use rtm_server::config::Config;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "test-admin-secret";

fn config() -> Config {
    Config { admin_secret: Some(SECRET.into()), ..Config::for_tests() }
}

/// An HTTP answer.
struct Answer {
    status: u16,
    headers: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request to the server of `ws_url`.
async fn http(ws_url: &str, method: &str, path: &str, auth: Option<&str>, body: Option<Value>) -> Answer {
    let addr = ws_url.trim_start_matches("ws://").trim_end_matches("/rtm");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    within(10, "the HTTP answer", tcp.read_to_string(&mut raw)).await.unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    Answer { status, headers: head.to_ascii_lowercase(), body: body.to_owned() }
}

const BEARER: &str = "Bearer test-admin-secret";

/// The admin API as its scripts use it: Bearer auth.
async fn admin(url: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    http(url, method, path, Some(BEARER), body).await
}

#[tokio::test]
async fn the_secret_is_required_and_checked() {
    let url = start_server_with(config()).await;
    let none = http(&url, "GET", "/admin/api/channels", None, None).await;
    assert_eq!(none.status, 401, "{}", none.body);
    assert!(none.headers.contains("www-authenticate: basic realm=\"rtm-server admin\""), "{}", none.headers);
    assert_eq!(none.json()["error"], "unauthorized");
    let wrong = http(&url, "GET", "/admin/api/channels", Some("Bearer nope"), None).await;
    assert_eq!((wrong.status, wrong.json()["message"].as_str()), (401, Some("the admin secret is wrong")));
    let basic_wrong = base64::engine::general_purpose::STANDARD.encode("admin:nope");
    assert_eq!(http(&url, "GET", "/admin", Some(&format!("Basic {basic_wrong}")), None).await.status, 401);
    assert_eq!(admin(&url, "GET", "/admin/api/channels", None).await.status, 200, "Bearer");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("anyone:{SECRET}"));
    let page = http(&url, "GET", "/admin", Some(&format!("Basic {basic}")), None).await;
    assert_eq!(page.status, 200, "Basic");
    assert!(page.headers.contains("text/html") && page.body.contains("admin.js"), "{}", page.body);
    let unknown = admin(&url, "GET", "/admin/api/nothing-here", None).await;
    assert_eq!((unknown.status, unknown.json()["error"].as_str()), (404, Some("not_found")));
    let wrong_method = admin(&url, "POST", "/admin/api/channels", None).await;
    assert_eq!(
        (wrong_method.status, wrong_method.json()["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(http(&url, "GET", "/openapi.json", None, None).await.status, 200, "the document is public");
}

#[tokio::test]
async fn without_a_secret_the_admin_api_and_page_are_off() {
    let url = start_server().await;
    for path in ["/admin/api/channels", "/admin"] {
        let a = http(&url, "GET", path, Some(BEARER), None).await;
        assert_eq!(a.status, 404, "{path}");
        assert!(a.json()["message"].as_str().unwrap().contains("admin_secret"), "{}", a.body);
    }
}

#[tokio::test]
async fn a_kick_ends_the_session_on_another_node_with_banned_by_server() {
    let urls = start_cluster_with(vec![config(), config()]).await;
    let mut user = TestClient::login(&urls[1], "app", "kicked").await;
    let a = admin(&urls[0], "POST", "/admin/api/apps/app/users/kicked/kick", None).await;
    assert_eq!((a.status, a.json()["kicked"].as_bool()), (200, Some(true)), "{}", a.body);
    let reason = user.wait_for(5, "the kick", |p| match p {
        Push::Kicked { reason } => Some(reason),
        _ => None,
    });
    assert_eq!(reason.await, ConnectionChangeReason::BANNED_BY_SERVER);
    user.expect_close().await;
    // Kicked, not banned: the user logs in again.
    TestClient::login(&urls[1], "app", "kicked").await;
    let nobody = admin(&urls[0], "POST", "/admin/api/apps/app/users/nobody/kick", None).await;
    assert_eq!(nobody.json()["kicked"], false);
}

#[tokio::test]
async fn a_ban_refuses_logins_on_every_node_until_it_ends() {
    let urls = start_cluster_with(vec![config(), config()]).await;
    let mut user = TestClient::login(&urls[1], "app", "banned").await;
    let a =
        admin(&urls[0], "PUT", "/admin/api/apps/app/users/banned/ban", Some(json!({ "seconds": 2 }))).await;
    assert_eq!((a.status, a.json()["kicked"].as_bool()), (200, Some(true)), "{}", a.body);
    let kicked = user.wait_for(5, "the kick", |p| matches!(p, Push::Kicked { .. }).then_some(()));
    kicked.await;
    let status = admin(&urls[1], "GET", "/admin/api/apps/app/users/banned/ban", None).await.json();
    assert_eq!(status["banned"], true);
    for url in &urls {
        let refused = TestClient::connect(url)
            .await
            .request(Request::Login { app_id: "app".into(), uid: "banned".into(), token: None })
            .await;
        let err = refused.expect_err("a banned user's login is refused");
        assert_eq!(err.code, rtm_protocol::codes::LoginError::REJECTED.code(), "{err:?}");
        assert!(err.message.contains("banned"), "{}", err.message);
    }
    TestClient::login(&urls[0], "app", "someone-else").await;
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    TestClient::login(&urls[0], "app", "banned").await;
    // A ban lifted early.
    admin(&urls[0], "PUT", "/admin/api/apps/app/users/u2/ban", Some(json!({ "seconds": 60 }))).await;
    let lifted = admin(&urls[1], "DELETE", "/admin/api/apps/app/users/u2/ban", None).await;
    assert_eq!(lifted.json()["unbanned"], true);
    TestClient::login(&urls[1], "app", "u2").await;
    for bad in [json!({ "seconds": 0 }), json!({ "seconds": 400_000_000 }), json!({ "secs": 5 }), json!("x")]
    {
        let a = admin(&urls[0], "PUT", "/admin/api/apps/app/users/u3/ban", Some(bad.clone())).await;
        assert_eq!((a.status, a.json()["error"].as_str()), (400, Some("bad_request")), "{bad}: {}", a.body);
    }
}

#[tokio::test]
async fn attributes_round_trip_between_the_admin_api_and_clients() {
    let url = start_server_with(config()).await;
    let mut user = TestClient::login(&url, "app", "attr-user").await;
    let path = "/admin/api/apps/app/users/attr-user/attributes";
    let a = admin(&url, "PATCH", path, Some(json!({ "attributes": { "mood": "calm", "x": "1" } }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let read = user.request(Request::GetUserAttrs { uid: "attr-user".into(), keys: None }).await.unwrap();
    let Reply::UserAttrs { mut attrs } = read else { panic!("{read:?}") };
    attrs.sort();
    assert_eq!(attrs, [("mood".to_owned(), "calm".to_owned()), ("x".to_owned(), "1".to_owned())]);
    user.request(Request::UserAttrs { op: AttrOp::Upsert(vec![("y".into(), "2".into())]) }).await.unwrap();
    assert_eq!(admin(&url, "DELETE", &format!("{path}/x"), None).await.status, 200);
    let got = admin(&url, "GET", path, None).await.json();
    assert_eq!(got["attributes"], json!({ "mood": "calm", "y": "2" }));
    let gone = admin(&url, "GET", "/admin/api/apps/app/users/offline-user/attributes", None).await;
    assert_eq!((gone.status, gone.json()["error"].as_str()), (404, Some("user_not_found")));
    let big = "v".repeat(9_000);
    let over = admin(&url, "PUT", path, Some(json!({ "attributes": { "k": big } }))).await;
    assert_eq!(over.status, 413, "{}", over.body);

    // Channel attributes: a member hears the admin's write, and the admin reads the client's.
    user.request(Request::Join { channel: "room".into() }).await.unwrap();
    let cpath = "/admin/api/apps/app/channels/room/attributes";
    let a = admin(&url, "PUT", cpath, Some(json!({ "attributes": { "topic": "hello" } }))).await;
    assert_eq!(a.json()["attributes"]["topic"]["last_update_uid"], "admin", "{}", a.body);
    let pushed = user.wait_for(5, "the attribute push", |p| match p {
        Push::ChannelAttrs { attrs, .. } => Some(attrs),
        _ => None,
    });
    let attrs = pushed.await;
    assert_eq!((attrs[0].key.as_str(), attrs[0].value.as_str()), ("topic", "hello"));
    let op = AttrOp::Upsert(vec![("rule".into(), "be kind".into())]);
    user.request(Request::ChannelAttrs { channel: "room".into(), op, notify: false }).await.unwrap();
    let got = admin(&url, "GET", cpath, None).await.json();
    assert_eq!(got["attributes"]["rule"]["value"], "be kind");
    assert_eq!(got["attributes"]["rule"]["last_update_uid"], "attr-user");
    assert_eq!(admin(&url, "DELETE", cpath, None).await.json()["attributes"], json!({}));
}

#[tokio::test]
async fn channels_are_listed_largest_first_and_users_online() {
    let url = start_server_with(config()).await;
    let mut clients = Vec::new();
    for (uid, channels) in
        [("a", &["big", "small"][..]), ("b", &["big"]), ("c", &["big", "mid"]), ("d", &["mid"])]
    {
        let mut c = TestClient::login(&url, "list-app", uid).await;
        for ch in channels {
            c.request(Request::Join { channel: (*ch).into() }).await.unwrap();
        }
        clients.push(c);
    }
    TestClient::login(&url, "other-app", "z")
        .await
        .request(Request::Join { channel: "x".into() })
        .await
        .unwrap();
    let got = admin(&url, "GET", "/admin/api/channels?app=list-app", None).await.json();
    let sizes: Vec<(String, u64)> = got["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["channel"].as_str().unwrap().to_owned(), c["members"].as_u64().unwrap()))
        .collect();
    assert_eq!(sizes, [("big".to_owned(), 3), ("mid".to_owned(), 2), ("small".to_owned(), 1)]);
    let top = admin(&url, "GET", "/admin/api/channels?app=list-app&limit=1", None).await.json();
    assert_eq!((top["total"].as_u64(), top["channels"].as_array().unwrap().len()), (Some(3), 1));
    let users = admin(&url, "GET", "/admin/api/users?app=list-app", None).await.json();
    let uids: Vec<&str> =
        users["users"].as_array().unwrap().iter().map(|u| u["uid"].as_str().unwrap()).collect();
    assert_eq!(uids, ["a", "b", "c", "d"]);
    assert_eq!(admin(&url, "GET", "/admin/api/users?limit=0", None).await.status, 400);
    assert_eq!(admin(&url, "GET", "/admin/api/channels?limit=x", None).await.status, 400);
}

#[tokio::test]
async fn a_minted_token_logs_in() {
    let mut config = config();
    config.development = false;
    config.apps.insert("tokenapp".into(), Some("0123456789abcdef0123456789abcdef".into()));
    config.apps.insert("opentapp".into(), None);
    let url = start_server_with(config).await;
    let body = json!({ "app_id": "tokenapp", "uid": "t-user", "expire_secs": 600 });
    let a = admin(&url, "POST", "/admin/api/token", Some(body)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let token = a.json()["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("007"), "{token}");
    TestClient::login_with(&url, "tokenapp", "t-user", Some(token.clone())).await;
    let other = TestClient::connect(&url)
        .await
        .request(Request::Login { app_id: "tokenapp".into(), uid: "someone".into(), token: Some(token) })
        .await;
    assert!(other.is_err(), "the token is for t-user only");
    let unknown =
        admin(&url, "POST", "/admin/api/token", Some(json!({ "app_id": "nope", "uid": "u" }))).await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let open =
        admin(&url, "POST", "/admin/api/token", Some(json!({ "app_id": "opentapp", "uid": "u" }))).await;
    assert_eq!(open.status, 400, "{}", open.body);
}

/// (path, methods) of every route of `router`, read from its `Debug` form
/// (axum prints each route id's `MethodRouter` with its Allow header, and
/// each route id's path): the real router, so a route added anywhere is seen.
fn routes_of(router: &axum::Router) -> BTreeMap<String, BTreeSet<String>> {
    let text = format!("{router:?}");
    // The main path router comes before the fallback's.
    let main = text.split(", fallback_router:").next().unwrap();
    let (routes, paths) = main.split_once("node: Node { paths: {").expect("axum's Debug form changed");
    let mut methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for part in routes.split("RouteId(").skip(1) {
        let (id, rest) = part.split_once(')').unwrap();
        let allow = rest.split_once("allow_header: Bytes(b\"").map(|(_, r)| r.split('"').next().unwrap());
        let set = allow.map(|a| a.split(',').map(str::to_ascii_lowercase).collect()).unwrap_or_default();
        methods.insert(id.to_owned(), set);
    }
    let mut out = BTreeMap::new();
    for part in paths.split("RouteId(").skip(1) {
        let (id, rest) = part.split_once(')').unwrap();
        let path = rest.split('"').nth(1).unwrap();
        // axum's `{*rest}` is OpenAPI's `{rest}`.
        let path = path.replace("{*", "{");
        let mut m = methods.get(id).cloned().unwrap_or_default();
        m.remove("head"); // axum answers HEAD for every GET
        out.insert(path, m);
    }
    out
}

#[tokio::test]
async fn openapi_describes_every_route_of_the_router() {
    let engine = rtm_server::engine::embedded::engine(&Default::default()).unwrap();
    let services = rtm_server::services::Services::start(config(), engine).await.unwrap();
    let (_stop, shutdown) = tokio::sync::watch::channel(false);
    let admission = std::sync::Arc::new(rtm_server::admission::Admission::new(1, 1));
    let router = rtm_server::http::router(rtm_server::http::AppState { services, admission, shutdown });
    let routes = routes_of(&router);
    assert!(routes.len() >= 15 && routes.contains_key("/rtm"), "routes read from the router: {routes:?}");
    let doc: Value = serde_json::from_str(rtm_server::admin::OPENAPI_JSON).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut missing = Vec::new();
    for (path, methods) in &routes {
        let Some(item) = paths.get(path) else {
            missing.push(format!("{path} (the whole path)"));
            continue;
        };
        for m in methods {
            if item.get(m).is_none() {
                missing.push(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "routes missing from server/admin/openapi.json: {missing:?}");
    // The Agora REST routes are described, whoever serves them.
    for path in ["peer_messages", "channel_messages"] {
        let p = format!("/dev/v2/project/{{appid}}/rtm/users/{{user_id}}/{path}");
        assert!(paths[&p]["post"].is_object(), "{p}");
    }
    let url = start_server_with(config()).await;
    let served = http(&url, "GET", "/openapi.json", None, None).await;
    assert!(served.headers.contains("application/json"));
    assert_eq!(served.json(), doc, "the served document is the embedded one");
}

#[test]
fn the_admin_secret_comes_from_the_flag_or_the_file_and_is_never_empty() {
    use clap::Parser;
    use rtm_server::config::{Cli, FileConfig};
    let cli = |args: &[&str]| Cli::try_parse_from([&["rtm-server"], args].concat()).unwrap();
    assert_eq!(Config::from_cli(&cli(&["--admin-secret", "s"])).unwrap().admin_secret.as_deref(), Some("s"));
    assert_eq!(Config::from_cli(&cli(&[])).unwrap().admin_secret, None);
    assert!(Config::from_cli(&cli(&["--admin-secret", ""])).is_err());
    assert_eq!(FileConfig::parse("admin_secret = \"f\"\n").unwrap().admin_secret.as_deref(), Some("f"));
    assert!(FileConfig::parse("admin_secret = \"\"\n").is_err());
}
