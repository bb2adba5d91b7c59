//! Online status: `queryPeersOnlineStatus`, `subscribePeersOnlineStatus`,
//! `unsubscribePeersOnlineStatus`, `queryPeersBySubscriptionOption`, and the
//! `PeersOnlineStatusChanged` events. [`Subscriptions`] remembers each
//! subscribed peer's last known state, so an event only ever reports a change, and a
//! re-subscription after a reconnect reports exactly what changed meanwhile.

use crate::core::{Core, Feature};
use crate::errors;
use crate::requests::{self, Decode, Prepared};
use js_sys::{Array, Object, Reflect};
use rtm_protocol::codes::{PeerSubscriptionStatusError as SubErr, QueryPeersOnlineStatusError as QueryErr};
use rtm_protocol::families::{self, Family};
use rtm_protocol::limits::{self, MAX_PEERS_PER_CALL, MAX_SUBSCRIBED_PEERS, REQUEST_TIMEOUT_MS};
use rtm_protocol::rate::PresenceCall;
use rtm_protocol::{OpError, PeerState, Push, Reply, Request};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// The subscribed peers and their last known states, in subscription order.
pub type Subscriptions = RefCell<crate::table::Table<String, PeerState>>;

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

/// A logged-in session and room in the call's rate budget (10 per 5 s);
/// `too_often` is the family's TOO_OFTEN code.
fn check_call(
    core: &Core,
    call: PresenceCall,
    family: &Family,
    too_often: u16,
    name: &str,
) -> Result<(), OpError> {
    core.require_session(family)?;
    if !core.budgets.borrow_mut().presence(call, js_sys::Date::now() as u64) {
        return Err(family.err(too_often, format!("more than 10 {name}() calls in 5 s; wait and retry")));
    }
    Ok(())
}

/// `queryPeersOnlineStatus(peerIds)` → `{peerId: boolean}`.
pub fn query(core: &Rc<Core>, ids: JsValue) -> js_sys::Promise {
    requests::ask(core, &families::QUERY, prepare_query(core, ids))
}

fn prepare_query(core: &Core, ids: JsValue) -> Prepared {
    let peers = read_peers(&ids, |m| QueryErr::INVALID_ARGUMENT.err(m))?;
    let too_often = QueryErr::TOO_OFTEN.code();
    check_call(core, PresenceCall::Query, &families::QUERY, too_often, "queryPeersOnlineStatus")?;
    let req = Request::QueryOnline { peers: peers.clone() };
    let decode: Decode = Box::new(move |reply| match reply {
        Reply::Online { online } if online.len() == peers.len() => {
            let result = Object::new();
            for (peer, on) in peers.iter().zip(online) {
                let _ = Reflect::set(&result, &JsValue::from_str(peer), &JsValue::from_bool(on));
            }
            Ok(result.into())
        }
        _ => Err(families::QUERY.unexpected()),
    });
    Ok((req, decode))
}

/// `subscribePeersOnlineStatus(peerIds)`: fires PeersOnlineStatusChanged with
/// the current states of the newly subscribed peers.
pub async fn subscribe(core: Rc<Core>, subs: Rc<Subscriptions>, ids: JsValue) -> Result<(), OpError> {
    let peers = read_peers(&ids, |m| SubErr::INVALID_ARGUMENT.err(m))?;
    check_call(
        &core,
        PresenceCall::Subscribe,
        &families::SUBSCRIBE,
        SubErr::TOO_OFTEN.code(),
        "subscribePeersOnlineStatus",
    )?;
    let total = {
        // Peers already subscribed, plus the new ones counted once each. (Not a
        // set built from both lists: collecting one pulled 3 KB of sorting code
        // into the bundle; 256 ids at most make this quadratic count cheap.)
        let subs = subs.borrow();
        let fresh =
            peers.iter().enumerate().filter(|(i, p)| !subs.contains_key(*p) && !peers[..*i].contains(p));
        subs.len() + fresh.count()
    };
    if total > MAX_SUBSCRIBED_PEERS {
        return Err(SubErr::OVERFLOW.err(format!(
            "a client can subscribe to at most {MAX_SUBSCRIBED_PEERS} peers ({total} asked); unsubscribe some first"
        )));
    }
    let fresh: Vec<String> = peers.iter().filter(|p| !subs.borrow().contains_key(*p)).cloned().collect();
    let states = request_states(&core, peers.clone()).await?;
    // Newly subscribed peers are reported whatever their state; others only if it changed.
    let report = record_states(&subs, &peers, &states, &fresh);
    emit_states(&core, &report);
    Ok(())
}

async fn request_states(core: &Rc<Core>, peers: Vec<String>) -> Result<Vec<PeerState>, OpError> {
    let n = peers.len();
    match errors::settle(
        core.request(Request::Subscribe { peers }, REQUEST_TIMEOUT_MS).await,
        &families::SUBSCRIBE,
    )? {
        Reply::PeerStates { states } if states.len() == n => Ok(states),
        _ => Err(families::SUBSCRIBE.unexpected()),
    }
}

/// Stores the states; returns the ones to report: changed, or in `always`.
fn record_states(
    subs: &Subscriptions,
    peers: &[String],
    states: &[PeerState],
    always: &[String],
) -> Vec<(String, PeerState)> {
    let mut subs = subs.borrow_mut();
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

/// `unsubscribePeersOnlineStatus(peerIds)`.
pub fn unsubscribe(core: &Rc<Core>, subs: &Subscriptions, ids: JsValue) -> js_sys::Promise {
    requests::ask(core, &families::SUBSCRIBE, prepare_unsubscribe(core, subs, ids))
}

fn prepare_unsubscribe(core: &Core, subs: &Subscriptions, ids: JsValue) -> Prepared {
    let peers = read_peers(&ids, |m| SubErr::INVALID_ARGUMENT.err(m))?;
    check_call(
        core,
        PresenceCall::Unsubscribe,
        &families::SUBSCRIBE,
        SubErr::TOO_OFTEN.code(),
        "unsubscribePeersOnlineStatus",
    )?;
    {
        let mut subs = subs.borrow_mut();
        peers.iter().for_each(|p| _ = subs.remove(p));
    }
    Ok((Request::Unsubscribe { peers }, requests::done()))
}

/// `queryPeersBySubscriptionOption('ONLINE_STATUS')` → the subscribed ids.
pub fn subscribed(core: &Core, subs: &Subscriptions, option: &JsValue) -> Result<JsValue, OpError> {
    if option.as_string().as_deref() != Some("ONLINE_STATUS") {
        // Agora's code for a bad option is 2, named as an invalid argument
        // (its QueryPeersBySubscriptionOption family has no such entry).
        return Err(OpError {
            code: 2,
            kind: rtm_protocol::ErrorKind::InvalidArgument,
            message: "the only subscription option is 'ONLINE_STATUS'".into(),
        });
    }
    core.require_session(&families::SUBSCRIBED)?;
    Ok(subs.borrow().keys().map(|k| JsValue::from_str(k)).collect::<Array>().into())
}

impl Feature for Rc<Subscriptions> {
    /// A pushed state change of a subscribed peer, reported if it is one.
    fn on_push(&self, core: &Rc<Core>, push: Push) {
        let Push::PeerState { uid, state } = push else { return };
        let changed = match self.borrow_mut().get_mut(&uid) {
            Some(known) if *known != state => {
                *known = state;
                true
            }
            _ => false,
        };
        if changed {
            emit_states(core, &[(uid, state)]);
        }
    }

    fn session_ended(&self) {
        self.borrow_mut().clear();
    }

    /// Subscribes again, and reports what changed while the client was away.
    fn restore(&self, core: Rc<Core>) -> Pin<Box<dyn Future<Output = ()>>> {
        let subs = self.clone();
        Box::pin(async move {
            let peers: Vec<String> = subs.borrow().keys().cloned().collect();
            let mut report = Vec::new();
            for chunk in peers.chunks(MAX_PEERS_PER_CALL) {
                match request_states(&core, chunk.to_vec()).await {
                    Ok(states) => report.extend(record_states(&subs, chunk, &states, &[])),
                    Err(e) => {
                        let why = format!("could not restore subscriptions: {}", e.message);
                        core.log(crate::log::Level::Warn, &why)
                    }
                }
            }
            emit_states(&core, &report);
        })
    }
}
