//! Prometheus metrics, served at `GET /metrics` (docs/operations.md,
//! "Metrics", lists every name).
//!
//! Two kinds, on purpose:
//!
//! - **Counters and histograms are per process**: one registry in a static,
//!   created on first use. Hot paths (a fan-out, a queued frame) bump a
//!   handle resolved once, which is one atomic add; nothing is looked up by
//!   label there. A process runs one server in production; tests that start
//!   several servers in one process see their sum.
//! - **Gauges are per server, read at scrape time** from the server's own
//!   state (its admitted connections, its session registry, its store): exact
//!   whatever else runs in the process, and free on the hot path.
//!
//! Why the `prometheus` crate rather than `metrics` + its exporter: handles
//! are plain statics here, with no global recorder that must be installed
//! before the first handle is taken (a handle taken earlier would silently
//! record nothing), and it brings the text encoder with it.
//!
//! `/metrics` has no authentication, as is Prometheus's convention: keep it
//! off the public network (a reverse proxy that serves only `/rtm`, or a
//! firewall that lets only the scraper reach the port).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::core::Collector;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use rtm_protocol::Request;
use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// `kind` of a peer message from a client.
pub const PEER: &str = "peer";
/// `kind` of a channel message from a client.
pub const CHANNEL: &str = "channel";
/// `kind` of a peer message sent through the REST API.
pub const REST_PEER: &str = "rest_peer";
/// `kind` of a channel message sent through the REST API.
pub const REST_CHANNEL: &str = "rest_channel";
const KINDS: [&str; 4] = [PEER, CHANNEL, REST_PEER, REST_CHANNEL];

/// How a login ended (`rtm_logins_total{result}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    /// Logged in.
    Ok,
    /// Refused for what the client sent: a bad token or app id, too often,
    /// already logged in.
    Refused,
    /// The server could not serve it (the engine failed, a timeout).
    Error,
}

/// The `op` label of each request, in the order of [`op`]'s indexes.
const OPS: [&str; 23] = [
    "login",
    "logout",
    "send_peer",
    "peer_ack",
    "ping",
    "join",
    "leave",
    "send_channel",
    "get_members",
    "get_member_count",
    "resume",
    "renew_token",
    "query_online",
    "subscribe",
    "unsubscribe",
    "user_attrs",
    "get_user_attrs",
    "channel_attrs",
    "get_channel_attrs",
    "invite_send",
    "invite_cancel",
    "invite_received",
    "invite_answer",
];

/// A request's operation, for [`request_done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op(u8);

impl Op {
    /// The `op` label.
    pub fn name(self) -> &'static str {
        OPS[self.0 as usize]
    }
}

/// The operation of `req` (its variant, in snake case).
pub fn op(req: &Request) -> Op {
    Op(match req {
        Request::Login { .. } => 0,
        Request::Logout => 1,
        Request::SendPeer { .. } => 2,
        Request::PeerAck { .. } => 3,
        Request::Ping => 4,
        Request::Join { .. } => 5,
        Request::Leave { .. } => 6,
        Request::SendChannel { .. } => 7,
        Request::GetMembers { .. } => 8,
        Request::GetMemberCount { .. } => 9,
        Request::Resume { .. } => 10,
        Request::RenewToken { .. } => 11,
        Request::QueryOnline { .. } => 12,
        Request::Subscribe { .. } => 13,
        Request::Unsubscribe { .. } => 14,
        Request::UserAttrs { .. } => 15,
        Request::GetUserAttrs { .. } => 16,
        Request::ChannelAttrs { .. } => 17,
        Request::GetChannelAttrs { .. } => 18,
        Request::InviteSend { .. } => 19,
        Request::InviteCancel { .. } => 20,
        Request::InviteReceived { .. } => 21,
        Request::InviteAnswer { .. } => 22,
    })
}

/// Request latency buckets, in seconds: sub-millisecond replies up to a peer
/// message that waits for the receiver's acknowledgement (seconds).
const BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's counters and histograms, each label value resolved once.
struct Metrics {
    registry: Registry,
    logins: [IntCounter; 3],
    messages_in: IntCounterVec,
    messages_in_known: [IntCounter; 4],
    messages_out: IntCounterVec,
    /// Only peer and channel: REST messages reach receivers as those.
    messages_out_known: [IntCounter; 2],
    fanout: IntCounter,
    queue_drops: IntCounter,
    slow_closes: IntCounter,
    engine_errors: IntCounter,
    redis_reconnects: IntCounter,
    durations: HistogramVec,
    durations_by_op: Vec<Histogram>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        // Fixed names and valid label sets: these cannot fail at run time.
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let counter_vec = |name: &str, help: &str, label: &str| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("a valid counter");
            registry.register(Box::new(c.clone())).expect("registered once");
            c
        };
        let logins_vec =
            counter_vec("rtm_logins_total", "Login requests, by result (ok, refused, error).", "result");
        let messages_in = counter_vec(
            "rtm_messages_in_total",
            "Messages accepted from senders, by kind (peer, channel, rest_peer, rest_channel).",
            "kind",
        );
        let messages_out = counter_vec(
            "rtm_messages_out_total",
            "Messages pushed to receivers on this node, by kind (peer, channel).",
            "kind",
        );
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "rtm_request_duration_seconds",
                "Time from a request's arrival to its reply being queued, by operation.",
            )
            .buckets(BUCKETS.to_vec()),
            &["op"],
        )
        .expect("a valid histogram");
        registry.register(Box::new(durations.clone())).expect("registered once");
        Metrics {
            logins: ["ok", "refused", "error"].map(|r| logins_vec.with_label_values(&[r])),
            messages_in_known: KINDS.map(|k| messages_in.with_label_values(&[k])),
            messages_out_known: [PEER, CHANNEL].map(|k| messages_out.with_label_values(&[k])),
            messages_in,
            messages_out,
            fanout: counter(
                "rtm_fanout_deliveries_total",
                "Channel pushes (messages, member joined/left, attributes) delivered to members.",
            ),
            queue_drops: counter(
                "rtm_queue_drops_total",
                "Frames not queued for a client: its queue was over budget, or its connection closing.",
            ),
            slow_closes: counter(
                "rtm_slow_consumer_closes_total",
                "Connections closed because the client read too slowly (close code 4008).",
            ),
            engine_errors: counter(
                "rtm_engine_errors_total",
                "Engine operations that failed (SQLite store, or Redis commands).",
            ),
            redis_reconnects: counter(
                "rtm_redis_reconnects_total",
                "Times the Redis link came back after an outage (cluster mode).",
            ),
            durations_by_op: OPS.iter().map(|op| durations.with_label_values(&[op])).collect(),
            durations,
            registry,
        }
    }
}

fn known(kind: &str) -> Option<usize> {
    KINDS.iter().position(|k| *k == kind)
}

/// A message was accepted from a sender (`kind`: [`PEER`], [`CHANNEL`],
/// [`REST_PEER`], [`REST_CHANNEL`]).
pub fn message_in(kind: &str) {
    let m = &*METRICS;
    match known(kind) {
        Some(i) => m.messages_in_known[i].inc(),
        None => m.messages_in.with_label_values(&[kind]).inc(),
    }
}

/// `n` messages of `kind` were pushed to receivers.
pub fn messages_out(kind: &str, n: u64) {
    let m = &*METRICS;
    match known(kind).filter(|i| *i < m.messages_out_known.len()) {
        Some(i) => m.messages_out_known[i].inc_by(n),
        None => m.messages_out.with_label_values(&[kind]).inc_by(n),
    }
}

/// A login request was answered.
pub fn login(result: Login) {
    METRICS.logins[result as usize].inc();
}

/// A fan-out pushed to `n` members.
pub fn fanout(n: u64) {
    METRICS.fanout.inc_by(n);
}

/// A frame was not queued for a client.
pub fn queue_drop() {
    METRICS.queue_drops.inc();
}

/// A connection was closed as a slow consumer.
pub fn slow_consumer_close() {
    METRICS.slow_closes.inc();
}

/// An engine operation failed.
pub fn engine_error() {
    METRICS.engine_errors.inc();
}

/// The Redis link came back after an outage.
pub fn redis_reconnect() {
    METRICS.redis_reconnects.inc();
}

/// A request of `op` that arrived at `started` was answered.
pub fn request_done(op: Op, started: Instant) {
    METRICS.durations_by_op[op.0 as usize].observe(started.elapsed().as_secs_f64());
}

/// A request of another API (the REST API names its own `op`s) took `elapsed`.
pub fn observe_request(op: &str, elapsed: Duration) {
    METRICS.durations.with_label_values(&[op]).observe(elapsed.as_secs_f64());
}

/// What a scrape reads from one server, now (the gauges). The HTTP layer
/// implements it for its state: this module imports nothing of the server,
/// so that every layer can record into it.
pub trait Gauges: Clone + Send + Sync + 'static {
    /// WebSocket connections open (`rtm_connections`).
    fn connections(&self) -> u64;
    /// Sessions held (`rtm_sessions`).
    fn sessions(&self) -> u64;
    /// Offline messages stored (`rtm_offline_messages_stored`), or `None`
    /// when the engine cannot count them cheaply (Redis): the gauge is then
    /// left out rather than reported as a wrong 0.
    fn offline_stored(&self) -> impl Future<Output = Option<u64>> + Send;
}

/// `GET /metrics`; merged into the router by `http::router`.
pub fn router<S: Gauges>() -> Router<S> {
    Router::new().route("/metrics", get(scrape::<S>))
}

async fn scrape<S: Gauges>(State(state): State<S>) -> Response {
    // The store first: a failed count is an engine error, counted before the
    // counters are read.
    let stored = state.offline_stored().await;
    let mut families = METRICS.registry.gather();
    // Per server, read now (see the module docs).
    let gauge = |name: &str, help: &str, value: u64| {
        let g = IntGauge::new(name, help).expect("a valid gauge");
        g.set(i64::try_from(value).unwrap_or(i64::MAX));
        g.collect()
    };
    families.extend(gauge(
        "rtm_connections",
        "WebSocket connections open on this server (logged in or not).",
        state.connections(),
    ));
    families.extend(gauge(
        "rtm_sessions",
        "Sessions this server holds: logged in, or waiting for their client to resume.",
        state.sessions(),
    ));
    if let Some(stored) = stored {
        families.extend(gauge(
            "rtm_offline_messages_stored",
            "Peer messages stored for offline users (enableOfflineMessaging), not yet delivered.",
            stored,
        ));
    }
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    if let Err(e) = encoder.encode(&families, &mut body) {
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("could not encode the metrics: {e}"))
            .into_response();
    }
    ([(header::CONTENT_TYPE, encoder.format_type().to_owned())], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_has_its_own_label() {
        let mut names = OPS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPS.len());
        assert_eq!(op(&Request::Ping).name(), "ping");
        assert_eq!(op(&Request::Join { channel: "c".into() }).name(), "join");
    }

    #[test]
    fn unknown_kinds_are_counted_under_their_own_label() {
        message_in("other_kind");
        let text = {
            let mut body = Vec::new();
            TextEncoder::new().encode(&METRICS.registry.gather(), &mut body).unwrap();
            String::from_utf8(body).unwrap()
        };
        assert!(text.contains("rtm_messages_in_total{kind=\"other_kind\"} 1"), "{text}");
    }
}
