//! Real HTTP against a real server for the REST API's tests: a server with a
//! REST-enabled app on a free loopback port, and a small client (hyper's).
#![allow(dead_code)]

use base64::Engine as _;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rtm_server::config::Config;
use rtm_server::rest::credentials::RestCredentials;
use serde_json::Value;
use std::time::Duration;

/// The REST-enabled app of [`rest_config`].
pub const APP: &str = "restapp";
/// Its customer key and secret.
pub const KEY: &str = "customer-key-1";
/// Its customer secret.
pub const SECRET: &str = "customer-secret-1";

/// A development-mode config with app [`APP`] and its REST credentials.
pub fn rest_config() -> Config {
    let mut config = Config::for_tests();
    config.apps.insert(APP.into(), None);
    config.rest_credentials.insert(APP.into(), RestCredentials { key: KEY.into(), secret: SECRET.into() });
    config
}

/// `Authorization: Basic base64(key:secret)`.
pub fn basic(key: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}")))
}

/// The base http:// URL of a server whose ws:// URL is `ws_url`.
pub fn http_base(ws_url: &str) -> String {
    ws_url.replacen("ws://", "http://", 1).trim_end_matches("/rtm").to_owned()
}

/// A response: status, body as JSON (Null when it is not JSON), the raw text.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub request_id_header: Option<String>,
}

/// One request: `method url` with `headers` and `body`; panics after 15 s.
pub async fn call(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(15), client.request(req))
        .await
        .expect("the server answers within 15 s")
        .expect("an HTTP response");
    let status = res.status().as_u16();
    let request_id_header =
        res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, json, text, request_id_header }
}

/// POSTs JSON `body` to `url` with Basic auth of the test app.
pub async fn post(url: &str, body: &str) -> Answer {
    let auth = basic(KEY, SECRET);
    call("POST", url, &[("authorization", &auth), ("content-type", "application/json")], body).await
}

/// The peer_messages URL of sender `from` of `app` on `base`.
pub fn peer_url(base: &str, app: &str, from: &str) -> String {
    format!("{base}/dev/v2/project/{app}/rtm/users/{from}/peer_messages")
}

/// The channel_messages URL of sender `from` of `app` on `base`.
pub fn channel_url(base: &str, app: &str, from: &str) -> String {
    format!("{base}/dev/v2/project/{app}/rtm/users/{from}/channel_messages")
}

/// Checks Agora's failure shape: `status`, result "failed", `code`, a request id.
pub fn assert_failed(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.json["result"], "failed", "{answer:?}");
    assert_eq!(answer.json["code"], code, "{answer:?}");
    assert!(answer.json["message"].as_str().is_some_and(|m| !m.is_empty()), "{answer:?}");
    let id = answer.json["request_id"].as_str().expect("a request_id");
    assert_eq!(answer.request_id_header.as_deref(), Some(id), "X-Request-ID matches");
}

/// Checks a success: 200, result "success", `code`, a request id.
pub fn assert_success(answer: &Answer, code: &str) {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json["result"], "success", "{answer:?}");
    assert_eq!(answer.json["code"], code, "{answer:?}");
    assert!(answer.json["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{answer:?}");
}

/// The URL of `which` (`user_events` or `channel_events`) of `app` on `base`.
pub fn events_url(base: &str, app: &str, which: &str) -> String {
    format!("{base}/dev/v2/project/{app}/rtm/vendor/{which}")
}

/// GETs `which` events of `app` with `headers`; checks Agora's success shape
/// and returns the events.
pub async fn get_events(base: &str, app: &str, which: &str, headers: &[(&str, &str)]) -> Vec<Value> {
    let answer = call("GET", &events_url(base, app, which), headers, "").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.json["result"], "success", "{answer:?}");
    let id = answer.json["request_id"].as_str().expect("a request_id");
    assert_eq!(answer.request_id_header.as_deref(), Some(id), "X-Request-ID matches");
    answer.json["events"].as_array().expect("an events array").clone()
}

/// An event without its time, for comparing: `type:user` or `type:channel:user`.
pub fn event_summary(event: &Value) -> String {
    let (kind, uid) = (event["type"].as_str().unwrap(), event["user_id"].as_str().unwrap());
    match event.get("group_id") {
        Some(channel) => format!("{kind}:{}:{uid}", channel.as_str().unwrap()),
        None => format!("{kind}:{uid}"),
    }
}
