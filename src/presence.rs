//! Online status: `queryPeersOnlineStatus`, `subscribePeersOnlineStatus`,
//! `unsubscribePeersOnlineStatus`, `queryPeersBySubscriptionOption`, and the
//! `PeersOnlineStatusChanged` events. The core remembers each subscribed peer's
//! last known state, so an event only ever reports a change, and a
//! re-subscription after a reconnect reports exactly what changed meanwhile.

use crate::core::Core;
use crate::errors::{self, Family};
use js_sys::{Array, Object, Reflect};
use rtm_protocol::codes::{
    PeerSubscriptionStatusError as SubErr, QueryPeersBySubscriptionOptionError as ListErr,
    QueryPeersOnlineStatusError as QueryErr,
};
use rtm_protocol::limits::{self, MAX_PEERS_PER_CALL, MAX_SUBSCRIBED_PEERS, REQUEST_TIMEOUT_MS};
use rtm_protocol::rate::PresenceCall;
use rtm_protocol::{OpError, PeerState, Reply, Request};
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Reads an array of 1–256 valid peer ids.
fn read_peers(ids: &JsValue, invalid: fn(&str) -> OpError) -> Result<Vec<String>, OpError> {
    if !Array::is_array(ids) {
        return Err(invalid("peerIds must be an array of user ids"));
    }
    let values: Vec<JsValue> = Array::from(ids).iter().collect();
    if values.is_empty() || values.len() > MAX_PEERS_PER_CALL {
        return Err(invalid(&format!("give 1 to {MAX_PEERS_PER_CALL} peer ids, not {}", values.len())));
    }
    values
        .into_iter()
        .map(|v| {
            let id = v.as_string().ok_or_else(|| invalid("every peer id must be a string"))?;
            limits::validate_id(&id).map_err(|e| invalid(&e.describe("peer id")))?;
            Ok(id)
        })
        .collect()
}

const SUB_NOT_LOGGED_IN: fn(&str) -> OpError = |m| SubErr::USER_NOT_LOGGED_IN.err(m);
const SUB_TOO_OFTEN: fn(&str) -> OpError = |m| SubErr::TOO_OFTEN.err(m);

/// A logged-in session and room in the call's rate budget (10 per 5 s).
fn check_call(
    core: &Core,
    call: PresenceCall,
    not_logged_in: fn(&str) -> OpError,
    too_often: fn(&str) -> OpError,
    name: &str,
) -> Result<(), OpError> {
    core.require_session(not_logged_in)?;
    if !core.budgets.borrow_mut().presence(call, js_sys::Date::now() as u64) {
        return Err(too_often(&format!("more than 10 {name}() calls in 5 s; wait and retry")));
    }
    Ok(())
}

const QUERY: Family = Family {
    kind_of: |c| QueryErr::from_code(c).map(QueryErr::kind),
    lost: |m| QueryErr::FAILURE.err(m),
    timeout: |m| QueryErr::TIMEOUT.err(m),
};

const SUB: Family = Family {
    kind_of: |c| SubErr::from_code(c).map(SubErr::kind),
    lost: |m| SubErr::FAILURE.err(m),
    timeout: |m| SubErr::TIMEOUT.err(m),
};

/// `queryPeersOnlineStatus(peerIds)` → `{peerId: boolean}`.
pub async fn query(core: Rc<Core>, ids: JsValue) -> Result<JsValue, OpError> {
    let peers = read_peers(&ids, |m| QueryErr::INVALID_ARGUMENT.err(m))?;
    let (not_logged_in, too_often) =
        (|m: &str| QueryErr::USER_NOT_LOGGED_IN.err(m), |m: &str| QueryErr::TOO_OFTEN.err(m));
    check_call(&core, PresenceCall::Query, not_logged_in, too_often, "queryPeersOnlineStatus")?;
    let reply = core.request(Request::QueryOnline { peers: peers.clone() }, REQUEST_TIMEOUT_MS).await;
    match errors::settle(reply, &QUERY)? {
        Reply::Online { online } if online.len() == peers.len() => {
            let result = Object::new();
            for (peer, on) in peers.iter().zip(online) {
                let _ = Reflect::set(&result, &JsValue::from_str(peer), &JsValue::from_bool(on));
            }
            Ok(result.into())
        }
        other => Err(errors::unexpected(&other, QUERY.lost)),
    }
}

/// `subscribePeersOnlineStatus(peerIds)`: fires PeersOnlineStatusChanged with
/// the current states of the newly subscribed peers.
pub async fn subscribe(core: Rc<Core>, ids: JsValue) -> Result<(), OpError> {
    let peers = read_peers(&ids, |m| SubErr::INVALID_ARGUMENT.err(m))?;
    check_call(
        &core,
        PresenceCall::Subscribe,
        SUB_NOT_LOGGED_IN,
        SUB_TOO_OFTEN,
        "subscribePeersOnlineStatus",
    )?;
    let total = {
        let subs = core.subscriptions.borrow();
        let mut all: std::collections::BTreeSet<&String> = subs.keys().collect();
        all.extend(peers.iter());
        all.len()
    };
    if total > MAX_SUBSCRIBED_PEERS {
        return Err(SubErr::OVERFLOW.err(format!(
            "a client can subscribe to at most {MAX_SUBSCRIBED_PEERS} peers ({total} asked); unsubscribe some first"
        )));
    }
    let fresh: Vec<String> =
        peers.iter().filter(|p| !core.subscriptions.borrow().contains_key(*p)).cloned().collect();
    let states = request_states(&core, peers.clone()).await?;
    // Newly subscribed peers are reported whatever their state; others only if it changed.
    let report = record_states(&core, &peers, &states, &fresh);
    emit_states(&core, &report);
    Ok(())
}

async fn request_states(core: &Rc<Core>, peers: Vec<String>) -> Result<Vec<PeerState>, OpError> {
    let n = peers.len();
    match errors::settle(core.request(Request::Subscribe { peers }, REQUEST_TIMEOUT_MS).await, &SUB)? {
        Reply::PeerStates { states } if states.len() == n => Ok(states),
        other => Err(errors::unexpected(&other, SUB.lost)),
    }
}

/// Stores the states; returns the ones to report: changed, or in `always`.
fn record_states(
    core: &Core,
    peers: &[String],
    states: &[PeerState],
    always: &[String],
) -> Vec<(String, PeerState)> {
    let mut subs = core.subscriptions.borrow_mut();
    let mut report = Vec::new();
    for (peer, state) in peers.iter().zip(states) {
        let before = subs.insert(peer.clone(), *state);
        if before != Some(*state) || always.contains(peer) {
            report.push((peer.clone(), *state));
        }
    }
    report
}

fn emit_states(core: &Core, states: &[(String, PeerState)]) {
    if states.is_empty() {
        return;
    }
    let map = Object::new();
    for (peer, state) in states {
        let _ = Reflect::set(&map, &JsValue::from_str(peer), &JsValue::from_str(state.as_str()));
    }
    core.emitter.emit("PeersOnlineStatusChanged", &[map.into()]);
}

/// A pushed state change of a subscribed peer.
pub fn on_push(core: &Core, uid: String, state: PeerState) {
    let changed = {
        let mut subs = core.subscriptions.borrow_mut();
        match subs.get_mut(&uid) {
            Some(known) if *known != state => {
                *known = state;
                true
            }
            _ => false,
        }
    };
    if changed {
        emit_states(core, &[(uid, state)]);
    }
}

/// `unsubscribePeersOnlineStatus(peerIds)`.
pub async fn unsubscribe(core: Rc<Core>, ids: JsValue) -> Result<(), OpError> {
    let peers = read_peers(&ids, |m| SubErr::INVALID_ARGUMENT.err(m))?;
    check_call(
        &core,
        PresenceCall::Unsubscribe,
        SUB_NOT_LOGGED_IN,
        SUB_TOO_OFTEN,
        "unsubscribePeersOnlineStatus",
    )?;
    {
        let mut subs = core.subscriptions.borrow_mut();
        peers.iter().for_each(|p| _ = subs.remove(p));
    }
    let reply = core.request(Request::Unsubscribe { peers }, REQUEST_TIMEOUT_MS).await;
    errors::settle(reply, &SUB).map(|_| ())
}

/// `queryPeersBySubscriptionOption('ONLINE_STATUS')` → the subscribed ids.
pub fn subscribed(core: &Core, option: &JsValue) -> Result<JsValue, OpError> {
    if option.as_string().as_deref() != Some("ONLINE_STATUS") {
        // Agora's code for a bad option is 2, named as an invalid argument
        // (its QueryPeersBySubscriptionOption family has no such entry).
        return Err(OpError {
            code: 2,
            kind: rtm_protocol::ErrorKind::InvalidArgument,
            message: "the only subscription option is 'ONLINE_STATUS'".into(),
        });
    }
    core.require_session(|m| ListErr::USER_NOT_LOGGED_IN.err(m))?;
    Ok(core.subscriptions.borrow().keys().map(|k| JsValue::from_str(k)).collect::<Array>().into())
}

/// After a fresh login on reconnect: subscribe again, and report what changed
/// while the client was away.
pub async fn resubscribe(core: &Rc<Core>) {
    let peers: Vec<String> = core.subscriptions.borrow().keys().cloned().collect();
    let mut report = Vec::new();
    for chunk in peers.chunks(MAX_PEERS_PER_CALL) {
        match request_states(core, chunk.to_vec()).await {
            Ok(states) => report.extend(record_states(core, chunk, &states, &[])),
            Err(e) => {
                core.log(crate::log::Level::Warn, &format!("could not restore subscriptions: {}", e.message))
            }
        }
    }
    emit_states(core, &report);
}
