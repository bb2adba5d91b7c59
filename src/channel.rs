//! `RtmChannel`: `client.createChannel(id)` → join, leave, send, list members;
//! and [`Channels`], the client's joined channels, which takes the channel
//! pushes and routes each to its channel's events.

use crate::core::{Core, Feature};
use crate::emitter::{Emitter, Message};
use crate::errors::{self, promise};
use crate::message;
use crate::requests::{self, Decode, Prepared};
use crate::table::Table;
use js_sys::{Array, Promise};
use rtm_protocol::codes::{
    ChannelMessageError as SendErr, GetMembersError as MembersErr, JoinChannelError as JoinErr,
    LeaveChannelError as LeaveErr,
};
use rtm_protocol::families;
use rtm_protocol::limits::{self, REQUEST_TIMEOUT_MS};
use rtm_protocol::rate::JoinRefusal;
use rtm_protocol::{OpError, Push, Reply, Request};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// What a channel object and [`Channels`] share.
pub struct ChannelInner {
    id: String,
    emitter: Emitter,
    /// Joined (join resolved, no leave or logout since).
    joined: Cell<bool>,
}

/// The client's channels joined (or being joined), by id: where channel
/// pushes go.
pub type Channels = RefCell<Table<String, Rc<ChannelInner>>>;

impl Feature for Rc<Channels> {
    fn on_push(&self, _core: &Rc<Core>, push: Push) {
        let (channel, event, args) = match push {
            Push::ChannelMessage { channel, from, payload, ts } => {
                if let Some(target) = self.borrow().get(&channel).cloned() {
                    target.emitter.emit_message(Message::Channel, &payload, &from, ts, false);
                }
                return;
            }
            Push::ChannelAttrs { channel, attrs } => {
                (channel, "AttributesUpdated", crate::attributes::channel_attrs_js(&attrs))
            }
            Push::MemberJoined { channel, uid } => (channel, "MemberJoined", JsValue::from_str(&uid)),
            Push::MemberLeft { channel, uid } => (channel, "MemberLeft", JsValue::from_str(&uid)),
            Push::MemberCount { channel, count } => (channel, "MemberCountUpdated", JsValue::from(count)),
            _ => return,
        };
        let target = self.borrow().get(&channel).cloned();
        if let Some(target) = target {
            target.emitter.emit(event, &[args]);
        }
    }

    /// No channel is joined any more.
    fn session_ended(&self) {
        let channels: Vec<_> = self.borrow_mut().drain().map(|(_, c)| c).collect();
        for channel in channels {
            channel.joined.set(false);
            channel.emitter.unpin();
        }
    }

    /// Joins again every channel that was joined.
    fn restore(&self, core: Rc<Core>) -> Pin<Box<dyn Future<Output = ()>>> {
        let ids: Vec<String> = self.borrow().keys().cloned().collect();
        Box::pin(async move {
            for id in ids {
                let reply = core.request(Request::Join { channel: id.clone() }, REQUEST_TIMEOUT_MS).await;
                if !matches!(reply, Ok(Ok(Reply::Done))) {
                    let why = format!("could not re-join channel \"{id}\" after reconnecting");
                    core.log(crate::log::Level::Warn, &why);
                }
            }
        })
    }
}

/// A channel of the client that created it.
#[wasm_bindgen(skip_typescript)]
pub struct RtmChannel {
    core: Rc<Core>,
    channels: Rc<Channels>,
    inner: Rc<ChannelInner>,
}

impl RtmChannel {
    /// A channel object for `id` (already validated), of the client whose
    /// channels are `channels`.
    pub fn new(core: Rc<Core>, channels: Rc<Channels>, id: String) -> RtmChannel {
        let inner = Rc::new(ChannelInner { id, emitter: Emitter::default(), joined: Cell::new(false) });
        RtmChannel { core, channels, inner }
    }

    /// The JS object the app gets: its events go there.
    pub fn into_js(self) -> JsValue {
        let inner = self.inner.clone();
        inner.emitter.adopt(self.into())
    }
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

#[wasm_bindgen]
impl RtmChannel {
    /// The channel id.
    #[wasm_bindgen(getter, js_name = channelId)]
    pub fn channel_id(&self) -> String {
        self.inner.id.clone()
    }

    /// Joins the channel.
    pub fn join(&self) -> Promise {
        let (core, channels, inner) = (self.core.clone(), self.channels.clone(), self.inner.clone());
        promise(async move { join(core, channels, inner).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Leaves the channel.
    pub fn leave(&self) -> Promise {
        requests::ask(&self.core, &families::LEAVE, prepare_leave(&self.core, &self.channels, &self.inner))
    }

    /// Sends a message to every other member; resolves once the server has it.
    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(&self, message: JsValue) -> Promise {
        let (core, inner) = (self.core.clone(), self.inner.clone());
        promise(async move { send(core, inner, message).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Up to 512 member ids (a random sample of larger channels).
    #[wasm_bindgen(js_name = getMembers)]
    pub fn get_members(&self) -> Promise {
        requests::ask(&self.core, &families::MEMBERS, prepare_members(&self.core, &self.inner))
    }
}

async fn join(core: Rc<Core>, channels: Rc<Channels>, inner: Rc<ChannelInner>) -> Result<(), OpError> {
    core.require_session(&families::JOIN)?;
    let registered = channels.borrow().get(&inner.id).cloned();
    if inner.joined.get() || registered.as_ref().is_some_and(|c| Rc::ptr_eq(c, &inner)) {
        return Err(
            JoinErr::ALREADY_JOINED.err(format!("channel \"{}\" is already joined or joining", inner.id))
        );
    }
    if registered.is_some() {
        return Err(JoinErr::ALREADY_JOINED_CHANNEL_OF_SAME_ID
            .err(format!("another channel object for \"{}\" is joined or joining", inner.id)));
    }
    if channels.borrow().len() >= limits::MAX_JOINED_CHANNELS {
        return Err(JoinErr::EXCEED_LIMIT.err(format!(
            "a client can be in at most {} channels; leave one first",
            limits::MAX_JOINED_CHANNELS
        )));
    }
    core.budgets.borrow_mut().join(&inner.id, now()).map_err(|refusal| match refusal {
        JoinRefusal::SameChannel => JoinErr::JOIN_SAME_CHANNEL_TOO_OFTEN
            .err(format!("channel \"{}\" was joined twice in the last 5 s; wait and retry", inner.id)),
        JoinRefusal::AnyChannel => JoinErr::TOO_OFTEN.err("more than 50 joins in 3 s; wait and retry"),
    })?;
    // Registered before the request: the member count pushed right after the
    // reply must find the channel.
    channels.borrow_mut().insert(inner.id.clone(), inner.clone());
    inner.emitter.pin();
    let reply = core.request(Request::Join { channel: inner.id.clone() }, REQUEST_TIMEOUT_MS).await;
    match errors::settle(reply, &families::JOIN) {
        Ok(Reply::Done) => {
            inner.joined.set(true);
            Ok(())
        }
        other => {
            channels.borrow_mut().remove(&inner.id);
            inner.emitter.unpin();
            Err(other.map_or_else(|e| e, |_| families::JOIN.unexpected()))
        }
    }
}

fn prepare_leave(core: &Core, channels: &Channels, inner: &ChannelInner) -> Prepared {
    core.require_session(&families::LEAVE)?;
    if !inner.joined.get() {
        return Err(LeaveErr::NOT_IN_CHANNEL.err(format!("channel \"{}\" is not joined", inner.id)));
    }
    // Whatever the server says, this object stops receiving the channel's events.
    inner.joined.set(false);
    channels.borrow_mut().remove(&inner.id);
    inner.emitter.unpin();
    Ok((Request::Leave { channel: inner.id.clone() }, requests::done()))
}

async fn send(core: Rc<Core>, inner: Rc<ChannelInner>, message: JsValue) -> Result<(), OpError> {
    let payload = message::read(&message).map_err(|m| SendErr::INVALID_MESSAGE.err(m))?;
    core.ride_out_reconnect(&families::CHANNEL_MESSAGE).await?;
    core.require_session(&families::CHANNEL_MESSAGE)?;
    if !inner.joined.get() {
        return Err(
            SendErr::NOT_IN_CHANNEL.err(format!("join channel \"{}\" before sending to it", inner.id))
        );
    }
    if !core.budgets.borrow_mut().send(now()) {
        return Err(
            SendErr::TOO_OFTEN.err("more than 180 messages in 3 s (peer and channel together); slow down")
        );
    }
    let req = Request::SendChannel { channel: inner.id.clone(), payload };
    errors::settle(core.request(req, REQUEST_TIMEOUT_MS).await, &families::CHANNEL_MESSAGE).map(|_| ())
}

fn prepare_members(core: &Core, inner: &ChannelInner) -> Prepared {
    core.require_session(&families::MEMBERS)?;
    if !inner.joined.get() {
        return Err(
            MembersErr::NOT_IN_CHANNEL.err(format!("join channel \"{}\" to list its members", inner.id))
        );
    }
    if !core.budgets.borrow_mut().get_members(now()) {
        return Err(MembersErr::TOO_OFTEN.err("more than 5 getMembers() calls in 2 s; wait and retry"));
    }
    let decode: Decode = Box::new(|reply| match reply {
        Reply::Members { members } => {
            Ok(members.iter().map(|m| JsValue::from_str(m)).collect::<Array>().into())
        }
        _ => Err(families::MEMBERS.unexpected()),
    });
    Ok((Request::GetMembers { channel: inner.id.clone() }, decode))
}
