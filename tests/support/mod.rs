//! Helpers for the browser suites: the SDK's JS surface as apps see it (typed
//! bindings to the objects `AgoraRTM.createInstance` returns), a recorder for
//! events, and a few awaits with timeouts. The attribute and invitation
//! surfaces are in `attributes` and `invitations`; the cluster suites add
//! tests/cluster/mod.rs on top of this.
#![allow(dead_code)]
// The harness passes URLs at build time; a missing one is a clear failure at run time.
#![allow(clippy::option_env_unwrap, clippy::type_complexity)]

pub mod attributes;
pub mod invitations;

use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The `AgoraRTM` module object.
    pub type AgoraRtm;
    #[wasm_bindgen(method, catch, js_name = createInstance)]
    pub fn create_instance(this: &AgoraRtm, app_id: &JsValue, config: &JsValue) -> Result<Client, JsValue>;

    /// An `RtmClient`, called exactly as an app calls it.
    #[derive(Clone)]
    pub type Client;
    #[wasm_bindgen(method)]
    pub fn login(this: &Client, options: &JsValue) -> Promise;
    #[wasm_bindgen(method)]
    pub fn logout(this: &Client) -> Promise;
    #[wasm_bindgen(method, js_name = sendMessageToPeer)]
    pub fn send_message_to_peer(
        this: &Client,
        message: &JsValue,
        peer: &JsValue,
        options: &JsValue,
    ) -> Promise;
    #[wasm_bindgen(method, js_name = createMessage)]
    pub fn create_message(this: &Client, partial: &JsValue) -> JsValue;
    #[wasm_bindgen(method, catch)]
    pub fn on(this: &Client, event: &str, listener: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method)]
    pub fn once(this: &Client, event: &str, listener: &JsValue) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn off(this: &Client, event: &str, listener: &JsValue) -> JsValue;
    #[wasm_bindgen(method, js_name = removeAllListeners)]
    pub fn remove_all_listeners(this: &Client, event: &JsValue) -> JsValue;
    #[wasm_bindgen(method, js_name = listenerCount)]
    pub fn listener_count(this: &Client, event: &str) -> u32;
    #[wasm_bindgen(method)]
    pub fn listeners(this: &Client, event: &str) -> Array;
    #[wasm_bindgen(method, js_name = rawListeners)]
    pub fn raw_listeners(this: &Client, event: &str) -> Array;
    #[wasm_bindgen(method, catch, js_name = createChannel)]
    pub fn create_channel(this: &Client, id: &JsValue) -> Result<Channel, JsValue>;
    #[wasm_bindgen(method, js_name = getChannelMemberCount)]
    pub fn get_channel_member_count(this: &Client, ids: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = renewToken)]
    pub fn renew_token(this: &Client, token: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = queryPeersOnlineStatus)]
    pub fn query_peers_online_status(this: &Client, ids: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = subscribePeersOnlineStatus)]
    pub fn subscribe_peers_online_status(this: &Client, ids: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = unsubscribePeersOnlineStatus)]
    pub fn unsubscribe_peers_online_status(this: &Client, ids: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = queryPeersBySubscriptionOption)]
    pub fn query_peers_by_subscription_option(this: &Client, option: &JsValue) -> Promise;

    /// An `RtmChannel`.
    #[derive(Clone)]
    pub type Channel;
    #[wasm_bindgen(method, getter, js_name = channelId)]
    pub fn channel_id(this: &Channel) -> String;
    #[wasm_bindgen(method)]
    pub fn join(this: &Channel) -> Promise;
    #[wasm_bindgen(method)]
    pub fn leave(this: &Channel) -> Promise;
    #[wasm_bindgen(method, js_name = sendMessage)]
    pub fn send_message(this: &Channel, message: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = getMembers)]
    pub fn get_members(this: &Channel) -> Promise;
    #[wasm_bindgen(method, js_name = on)]
    pub fn channel_on(this: &Channel, event: &str, listener: &JsValue) -> JsValue;
}

#[wasm_bindgen(inline_js = r#"
export async function fetchText(url, method) {
  const r = await fetch(url, { method });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: HTTP ${r.status} ${text}`);
  return text;
}"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetchText)]
    async fn fetch_text(url: &str, method: &str) -> Result<JsValue, JsValue>;
}

/// `method url` over fetch(); the body of a 2xx answer. Anything else fails
/// the test, naming the request: how the suites call a harness's control API.
pub async fn http(method: &str, url: &str) -> String {
    let result = fetch_text(url, method).await;
    result.unwrap_or_else(|e| panic!("{method} {url}: {e:?}")).as_string().unwrap_or_default()
}

/// Calls the test harness's control server (tests/harness/control.mjs):
/// `control("POST", "/restart")`, `control("GET", "/token?kind=007&uid=u")`.
pub async fn control(method: &str, path: &str) -> String {
    let base = option_env!("RTM_TEST_CONTROL").expect("RTM_TEST_CONTROL: run through `npm test`");
    http(method, &format!("{base}{path}")).await
}

/// The server URL through the harness's proxy, whose connections the control
/// server can cut (`POST /sever`) while the server stays up.
pub fn proxy_url() -> &'static str {
    option_env!("RTM_TEST_PROXY_URL").expect("RTM_TEST_PROXY_URL: run through `npm test`")
}

/// A client of `app` connected through the proxy.
pub fn proxied_client(app: &str) -> Client {
    client_at(app, proxy_url())
}

/// The rtm-server under test (set by the harness at build time).
pub fn server_url() -> &'static str {
    option_env!("RTM_TEST_URL").expect("RTM_TEST_URL: run through `npm test`, which starts rtm-server")
}

/// A name no other test uses (tests share one server).
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

/// The module object, as `import AgoraRTM from 'rtm-wasm'` gives it.
pub fn agora() -> AgoraRtm {
    rtm_wasm::agora_rtm().unchecked_into()
}

/// A plain object from key/value pairs.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// Reads `value[key]`.
pub fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

/// A client of `app` whose `serverUrl` is `url`.
pub fn client_at(app: &str, url: &str) -> Client {
    agora().create_instance(&app.into(), &obj(&[("serverUrl", url.into())])).expect("createInstance")
}

/// A client of `app` pointed at the test server.
pub fn client(app: &str) -> Client {
    client_at(app, server_url())
}

/// Logs `c` in as `uid` (no token), failing the test if that fails.
pub async fn login(c: &Client, uid: &str) {
    settle(c.login(&obj(&[("uid", uid.into())]))).await.unwrap_or_else(|e| panic!("login {uid}: {e:?}"));
}

/// A client of `app`, logged in as `uid`.
pub async fn logged_in(app: &str, uid: &str) -> Client {
    let c = client(app);
    login(&c, uid).await;
    c
}

/// A TEXT message, `{text}`.
pub fn text(s: &str) -> JsValue {
    obj(&[("text", s.into())])
}

/// The texts of recorded message events (MessageFromPeer, ChannelMessage).
pub fn texts(calls: &[Array]) -> Vec<String> {
    calls.iter().map(|a| get(&a.get(0), "text").as_string().unwrap_or_default()).collect()
}

/// A JS array of ids (peers, channels, keys).
pub fn ids(list: &[&str]) -> JsValue {
    list.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

/// A string array (getMembers, a subscription list) as a sorted Vec.
pub fn sorted(values: &JsValue) -> Vec<String> {
    let mut v: Vec<String> = Array::from(values).iter().map(|m| m.as_string().unwrap()).collect();
    v.sort();
    v
}

/// `hasPeerReceived` of a sendMessageToPeer result.
pub fn has_peer_received(result: &JsValue) -> bool {
    get(result, "hasPeerReceived").as_bool().expect("hasPeerReceived is a boolean")
}

/// One PeersOnlineStatusChanged argument (`{peer: STATE}`) as sorted "peer=STATE".
pub fn statuses(status: &JsValue) -> Vec<String> {
    let mut keys: Vec<String> =
        Object::keys(status.unchecked_ref::<Object>()).iter().map(|k| k.as_string().unwrap()).collect();
    keys.sort();
    keys.iter().map(|k| format!("{k}={}", get(status, k).as_string().unwrap())).collect()
}

/// Awaits a promise, failing the test if it takes more than 15 s.
pub async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    let timeout = TimeoutFuture::new(15_000);
    match futures_util::future::select(JsFuture::from(p), timeout).await {
        futures_util::future::Either::Left((r, _)) => r,
        futures_util::future::Either::Right(_) => panic!("promise did not settle within 15 s"),
    }
}

/// The `code` of a rejection (panics on success).
pub async fn rejection_code(p: Promise) -> u32 {
    let err = settle(p).await.expect_err("expected a rejection");
    let code = get(&err, "code");
    assert!(err.is_instance_of::<js_sys::Error>(), "rejections are Errors: {err:?}");
    assert!(get(&err, "message").as_string().is_some_and(|m| !m.is_empty()), "with a message");
    code.as_f64().unwrap_or_else(|| panic!("rejection without a numeric code: {err:?}")) as u32
}

/// Records the arguments of every call of a listener.
#[derive(Clone)]
pub struct Recorder {
    calls: Rc<RefCell<Vec<Array>>>,
    listener: Rc<Closure<dyn FnMut(JsValue, JsValue, JsValue)>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        let calls: Rc<RefCell<Vec<Array>>> = Rc::default();
        let sink = calls.clone();
        let listener = Closure::<dyn FnMut(JsValue, JsValue, JsValue)>::new(move |a, b, c| {
            sink.borrow_mut().push(Array::of3(&a, &b, &c));
        });
        Recorder { calls, listener: Rc::new(listener) }
    }

    /// Listens to `event` of `client`.
    pub fn on(client: &Client, event: &str) -> Recorder {
        let r = Recorder::new();
        client.on(event, &r.function()).unwrap();
        r
    }

    /// Listens to `event` of `channel`.
    pub fn on_channel(channel: &Channel, event: &str) -> Recorder {
        let r = Recorder::new();
        channel.channel_on(event, &r.function());
        r
    }

    /// The first argument of every call, as strings.
    pub fn firsts(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|a| a.get(0).as_string().unwrap_or_else(|| format!("{:?}", a.get(0))))
            .collect()
    }

    pub fn function(&self) -> JsValue {
        self.listener.as_ref().as_ref().unchecked_ref::<Function>().clone().into()
    }

    pub fn calls(&self) -> Vec<Array> {
        self.calls.borrow().clone()
    }

    pub fn len(&self) -> usize {
        self.calls.borrow().len()
    }

    /// Waits until at least `n` calls were recorded (fails after 10 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Array> {
        if !within_ok(10, || self.len() >= n).await {
            panic!("expected {n} events, got {}: {:?}", self.len(), self.calls());
        }
        self.calls()
    }

    /// The calls as strings "arg0/arg1" (for state-change events).
    pub fn pairs(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|a| {
                format!(
                    "{}/{}",
                    a.get(0).as_string().unwrap_or_default(),
                    a.get(1).as_string().unwrap_or_default()
                )
            })
            .collect()
    }
}

/// Whether `check` holds within `secs` (polled every 10 ms).
pub async fn within_ok(secs: u32, mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..secs * 100 {
        if check() {
            return true;
        }
        TimeoutFuture::new(10).await;
    }
    check()
}

/// Waits until `check` holds; fails the test naming `what` after `secs`.
pub async fn within(secs: u32, what: &str, check: impl FnMut() -> bool) {
    if !within_ok(secs, check).await {
        panic!("not within {secs} s: {what}");
    }
}

/// How long a client may take to come back after the server restarts. The
/// SDK's jittered backoff window grows to 2.5 s (rtm-protocol's backoff.rs
/// `CAP_MS`), a debug server takes seconds to start, and a fresh login then
/// re-joins every channel: generous, since CI machines are shared.
pub const RECONNECT_SECS: u32 = 25;

/// Waits until `check` holds (fails after 10 s).
pub async fn eventually(what: &str, check: impl FnMut() -> bool) {
    within(10, what, check).await;
}

/// Lets queued microtasks and frames run for `ms`.
pub async fn pause(ms: u32) {
    TimeoutFuture::new(ms).await;
}
