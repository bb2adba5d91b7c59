//! Helpers for the cluster suites (tests/browser_cluster*.rs), on top of
//! tests/support: clients on a given node or behind the load balancer, what
//! the balancer says about their connections, and the cluster harness's
//! control API (tests/harness/cluster.mjs). The URLs come at compile time from
//! scripts/test-cluster.sh: RTM_TEST_NODE1, RTM_TEST_NODE2, RTM_TEST_BALANCER
//! (ws URLs) and RTM_TEST_CLUSTER_CONTROL (http URL). Without them every test
//! fails saying so: these suites must never pass without a cluster.
#![allow(dead_code, clippy::option_env_unwrap)]

use crate::support::*;
use js_sys::Array;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

const HOW: &str = "run the cluster suites through scripts/test-cluster.sh (or npm test), which starts tests/harness/cluster.mjs";

/// Calls the cluster harness: `cluster("POST", "/kill-node?n=1")`.
pub async fn cluster(method: &str, path: &str) -> String {
    let base = option_env!("RTM_TEST_CLUSTER_CONTROL")
        .unwrap_or_else(|| panic!("RTM_TEST_CLUSTER_CONTROL is not set: {HOW}"));
    http(method, &format!("{base}{path}")).await
}

/// The harness's `GET /config`.
pub async fn cluster_config() -> JsValue {
    js_sys::JSON::parse(&cluster("GET", "/config").await).expect("/config is JSON")
}

/// The ws URL of node 1 or 2.
pub fn node_url(n: u8) -> &'static str {
    match n {
        1 => option_env!("RTM_TEST_NODE1").unwrap_or_else(|| panic!("RTM_TEST_NODE1 is not set: {HOW}")),
        2 => option_env!("RTM_TEST_NODE2").unwrap_or_else(|| panic!("RTM_TEST_NODE2 is not set: {HOW}")),
        _ => panic!("the cluster has nodes 1 and 2"),
    }
}

/// The ws URL of the load balancer in front of both nodes.
pub fn balancer_url() -> &'static str {
    option_env!("RTM_TEST_BALANCER").unwrap_or_else(|| panic!("RTM_TEST_BALANCER is not set: {HOW}"))
}

thread_local! {
    static CHECKED: Cell<bool> = const { Cell::new(false) };
}

/// Once per test binary: the URLs are set, and both nodes really talk to
/// Redis (a node that ignores --redis would make every "across nodes" test
/// fail in confusing ways). Then, every time: whatever a fault test stopped
/// is running again (`POST /heal`).
pub async fn ready() {
    let (_, _, _) = (node_url(1), node_url(2), balancer_url());
    if !CHECKED.with(Cell::get) {
        let config = cluster_config().await;
        let clients = get(&config, "redisClients").as_f64().unwrap_or(0.0);
        assert!(
            clients >= 1.0,
            "Redis saw no connection from the nodes: this rtm-server accepts --redis but does not use it \
             (see .test-out/cluster/node1.log); config: {}",
            js_sys::JSON::stringify(&config).map(String::from).unwrap_or_default()
        );
        CHECKED.with(|c| c.set(true));
    }
    cluster("POST", "/heal").await;
}

/// A client of `app` whose serverUrl is node `n`.
pub fn on_node(app: &str, n: u8) -> Client {
    client_at(app, node_url(n))
}

/// A client of `app` on node `n`, logged in as `uid`.
pub async fn logged_in_on(app: &str, uid: &str, n: u8) -> Client {
    let c = on_node(app, n);
    login(&c, uid).await;
    c
}

/// A client of `app` connecting through the load balancer, its connections
/// tagged `tag` (the balancer reports and cuts connections by tag).
pub fn balanced(app: &str, tag: &str) -> Client {
    client_at(app, &format!("{}?tag={tag}", balancer_url()))
}

/// Live connections the balancer forwards to node `n`.
pub async fn balanced_on(n: u8) -> f64 {
    let config = cluster_config().await;
    get(&get(&get(&config, "balancer"), "live"), &n.to_string()).as_f64().unwrap_or(0.0)
}

/// One connection through the balancer, as it reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub backend: u8,
    pub open: bool,
}

/// Every connection tagged `tag` the balancer has seen, oldest first.
pub async fn connections_of(tag: &str) -> Vec<Connection> {
    let config = cluster_config().await;
    Array::from(&get(&get(&config, "balancer"), "connections"))
        .iter()
        .filter(|c| get(c, "tag").as_string().as_deref() == Some(tag))
        .map(|c| Connection {
            backend: get(&c, "backend").as_f64().expect("a backend number") as u8,
            open: get(&c, "closedAt").is_null(),
        })
        .collect()
}

/// A client through the balancer, its connections tagged `uid`, logged in as
/// `uid` with its first connection pinned to node `n` (asserted).
pub async fn balanced_login_on(app: &str, uid: &str, n: u8) -> (Client, Recorder) {
    cluster("POST", &format!("/balancer?next={n}")).await;
    let c = balanced(app, uid);
    let states = Recorder::on(&c, "ConnectionStateChanged");
    login(&c, uid).await;
    let open: Vec<u8> = connections_of(uid).await.iter().filter(|c| c.open).map(|c| c.backend).collect();
    assert_eq!(open, [n], "{uid} went through the balancer to node {n}");
    (c, states)
}

pub fn sorted_of(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Every PeersOnlineStatusChanged as "peer=STATE" entries, flattened in order.
pub fn presence(r: &Recorder) -> Vec<String> {
    r.calls().iter().flat_map(|call| statuses(&call.get(0))).collect()
}

/// The last state reported for `uid`, if any.
pub fn last_state(r: &Recorder, uid: &str) -> Option<String> {
    let prefix = format!("{uid}=");
    presence(r).into_iter().rev().find_map(|e| e.strip_prefix(&prefix).map(String::from))
}

/// The last MemberCountUpdated count.
pub fn last_count(r: &Recorder) -> Option<f64> {
    r.calls().last().and_then(|a| a.get(0).as_f64())
}

/// Whether a ConnectionStateChanged recorder saw ABORTED.
pub fn aborted(states: &Recorder) -> bool {
    states.pairs().iter().any(|p| p.starts_with("ABORTED"))
}

/// Whether a ConnectionStateChanged recorder's last state is CONNECTED.
pub fn connected(states: &Recorder) -> bool {
    states.pairs().last().map(String::as_str) == Some("CONNECTED/LOGIN_SUCCESS")
}

pub fn seconds_since(t: f64) -> f64 {
    (js_sys::Date::now() - t) / 1_000.0
}

/// Sends `msg` to `peer` every 250 ms until one is acknowledged as received
/// (the cluster may still be recovering), for up to `secs`. Returns when the
/// first acknowledgement came, in ms from the start, and every attempt as
/// "outcome after N ms (sent at +M ms)".
///
/// The attempts overlap on purpose: one sent just before a node's Redis
/// subscriptions are restored waits out its whole delivery timeout (5 s), and
/// waiting for it before trying again would measure that timeout, not when
/// messages work again. The peer may get the message more than once.
pub async fn peer_send_until_received(from: &Client, peer: &str, msg: &str, secs: u32) -> (f64, Vec<String>) {
    let started = js_sys::Date::now();
    let attempts: Rc<RefCell<Vec<String>>> = Rc::default();
    let first_received: Rc<Cell<Option<f64>>> = Rc::default();
    while js_sys::Date::now() - started < f64::from(secs) * 1_000.0 && first_received.get().is_none() {
        let sent = js_sys::Date::now();
        let reply = JsFuture::from(from.send_message_to_peer(&text(msg), &peer.into(), &JsValue::UNDEFINED));
        let (log, received) = (attempts.clone(), first_received.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let r = reply.await;
            let now = js_sys::Date::now();
            let outcome = match r {
                Ok(r) if has_peer_received(&r) => {
                    received.set(received.get().or(Some(now - started)));
                    "received".to_string()
                }
                Ok(_) => "not received".to_string(),
                Err(e) => format!("{:?}", get(&e, "message")),
            };
            log.borrow_mut().push(format!(
                "{outcome} after {:.0} ms (sent at +{:.0} ms)",
                now - sent,
                sent - started
            ));
        });
        for _ in 0..25 {
            if first_received.get().is_some() {
                break;
            }
            pause(10).await;
        }
    }
    let attempts = attempts.borrow().clone();
    match first_received.get() {
        Some(ms) => (ms, attempts),
        None => panic!("a peer message to {peer} was not received within {secs} s: {attempts:?}"),
    }
}
