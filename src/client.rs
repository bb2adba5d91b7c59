//! `RtmClient`, the class apps hold: thin methods over [`Core`] that turn
//! results into Promises and failures into coded Errors.

use crate::attributes::{self, UserWrite};
use crate::channel::{Channels, RtmChannel};
use crate::core::{Core, Features};
use crate::errors::{self, promise};
use crate::invitation::{Invitations, LocalInvitation};
use crate::presence::{self, Subscriptions};
use crate::requests::{self, Decode, Prepared};
use crate::{login, message};
use js_sys::{Object, Promise, Reflect};
use rtm_protocol::codes::{CreateChannelError, GetChannelMemberCountError as CountErr, PeerMessageError};
use rtm_protocol::families;
use rtm_protocol::limits::{self, REQUEST_TIMEOUT_MS};
use rtm_protocol::{OpError, Reply, Request};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A client of one app: `AgoraRTM.createInstance(appId)`.
#[wasm_bindgen(skip_typescript)]
pub struct RtmClient {
    core: Rc<Core>,
    channels: Rc<Channels>,
    subscriptions: Rc<Subscriptions>,
    invitations: Rc<Invitations>,
}

impl RtmClient {
    /// A client on `core`, with its channels, presence and invitations
    /// registered to take their pushes.
    pub fn new(core: Rc<Core>) -> RtmClient {
        let client = RtmClient {
            core,
            channels: Rc::default(),
            subscriptions: Rc::default(),
            invitations: Rc::default(),
        };
        client.core.set_features(Features {
            channels: Box::new(client.channels.clone()),
            presence: Box::new(client.subscriptions.clone()),
            invitations: Box::new(client.invitations.clone()),
        });
        client
    }
}

#[wasm_bindgen]
impl RtmClient {
    /// Logs in: `login({uid, token?})`.
    pub fn login(&self, options: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { login::login(core, options).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Logs out; resolves once the socket is closed.
    pub fn logout(&self) -> Promise {
        let core = self.core.clone();
        promise(async move { login::logout(core).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Logs out at once, without waiting for the server (e.g. in `beforeunload`);
    /// throws when not logged in.
    #[wasm_bindgen(js_name = logoutSync)]
    pub fn logout_sync(&self) -> Result<(), JsValue> {
        login::logout_now(&self.core).map_err(|e| errors::to_js(&e))
    }

    /// The connection state (`ConnectionState`), as the last
    /// ConnectionStateChanged reported it.
    #[wasm_bindgen(getter, js_name = connectionState)]
    pub fn connection_state(&self) -> String {
        self.core.state().state.as_str().to_owned()
    }

    /// Sends a message to one user: resolves `{hasPeerReceived}`.
    #[wasm_bindgen(js_name = sendMessageToPeer)]
    pub fn send_message_to_peer(&self, message: JsValue, peer_id: JsValue, options: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { send_to_peer(core, message, peer_id, options).await })
    }

    /// Replaces the session's token (`TokenPrivilegeWillExpire`, `TokenExpired`).
    #[wasm_bindgen(js_name = renewToken)]
    pub fn renew_token(&self, token: JsValue) -> Promise {
        let core = self.core.clone();
        promise(async move { login::renew_token(core, token).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Gives back the message object it was given, as agora-rtm-sdk does
    /// (`sendMessage*` infers `messageType` when it is absent).
    #[wasm_bindgen(js_name = createMessage)]
    pub fn create_message(&self, message: JsValue) -> JsValue {
        message
    }

    /// A channel object (no server call); throws a coded Error for an invalid id.
    #[wasm_bindgen(js_name = createChannel)]
    pub fn create_channel(&self, channel_id: JsValue) -> Result<JsValue, JsValue> {
        let invalid = |m: String| errors::to_js(&CreateChannelError::INVALID_ARGUMENT.err(m));
        let id = channel_id.as_string().ok_or_else(|| invalid("channelId must be a string".into()))?;
        limits::validate_id(&id).map_err(|e| invalid(e.describe("channelId")))?;
        Ok(RtmChannel::new(self.core.clone(), self.channels.clone(), id).into_js())
    }

    /// A call invitation to `calleeId` (no server call until `send()`).
    #[wasm_bindgen(js_name = createLocalInvitation)]
    pub fn create_local_invitation(&self, callee_id: JsValue) -> Result<JsValue, JsValue> {
        use rtm_protocol::codes::InvitationApiCallError as InvErr;
        let invalid = |m: String| errors::to_js(&InvErr::INVALID_ARGUMENT.err(m));
        let id = callee_id.as_string().ok_or_else(|| invalid("calleeId must be a string".into()))?;
        limits::validate_id(&id).map_err(|e| invalid(e.describe("calleeId")))?;
        Ok(LocalInvitation::create(self.core.clone(), self.invitations.clone(), id))
    }

    /// Member counts of 1–32 channels: `{channelId: count}` (0 when empty).
    #[wasm_bindgen(js_name = getChannelMemberCount)]
    pub fn get_channel_member_count(&self, channel_ids: JsValue) -> Promise {
        member_counts(&self.core, channel_ids)
    }

    /// `{peerId: boolean}` for 1–256 peers.
    #[wasm_bindgen(js_name = queryPeersOnlineStatus)]
    pub fn query_peers_online_status(&self, peer_ids: JsValue) -> Promise {
        presence::query(&self.core, peer_ids)
    }

    /// Subscribes to the online state of 1–256 peers (at most 512 in all).
    #[wasm_bindgen(js_name = subscribePeersOnlineStatus)]
    pub fn subscribe_peers_online_status(&self, peer_ids: JsValue) -> Promise {
        let (core, subs) = (self.core.clone(), self.subscriptions.clone());
        promise(async move { presence::subscribe(core, subs, peer_ids).await.map(|()| JsValue::UNDEFINED) })
    }

    /// Stops the subscriptions of 1–256 peers.
    #[wasm_bindgen(js_name = unsubscribePeersOnlineStatus)]
    pub fn unsubscribe_peers_online_status(&self, peer_ids: JsValue) -> Promise {
        presence::unsubscribe(&self.core, &self.subscriptions, peer_ids)
    }

    /// The subscribed peer ids (`'ONLINE_STATUS'`).
    #[wasm_bindgen(js_name = queryPeersBySubscriptionOption)]
    pub fn query_peers_by_subscription_option(&self, option: JsValue) -> Promise {
        let result = presence::subscribed(&self.core, &self.subscriptions, &option);
        promise(async move { result })
    }

    /// Replaces the caller's attributes.
    #[wasm_bindgen(js_name = setLocalUserAttributes)]
    pub fn set_local_user_attributes(&self, attributes: JsValue) -> Promise {
        attributes::write_user(&self.core, UserWrite::Set, attributes)
    }

    /// Adds or updates some of the caller's attributes.
    #[wasm_bindgen(js_name = addOrUpdateLocalUserAttributes)]
    pub fn add_or_update_local_user_attributes(&self, attributes: JsValue) -> Promise {
        attributes::write_user(&self.core, UserWrite::Upsert, attributes)
    }

    /// Deletes some of the caller's attributes.
    #[wasm_bindgen(js_name = deleteLocalUserAttributesByKeys)]
    pub fn delete_local_user_attributes_by_keys(&self, keys: JsValue) -> Promise {
        attributes::write_user(&self.core, UserWrite::Delete, keys)
    }

    /// Deletes all of the caller's attributes.
    #[wasm_bindgen(js_name = clearLocalUserAttributes)]
    pub fn clear_local_user_attributes(&self) -> Promise {
        attributes::write_user(&self.core, UserWrite::Clear, JsValue::UNDEFINED)
    }

    /// A user's attributes: `{key: value}`.
    #[wasm_bindgen(js_name = getUserAttributes)]
    pub fn get_user_attributes(&self, user_id: JsValue) -> Promise {
        attributes::read_user(&self.core, user_id, None)
    }

    /// Some of a user's attributes.
    #[wasm_bindgen(js_name = getUserAttributesByKeys)]
    pub fn get_user_attributes_by_keys(&self, user_id: JsValue, keys: JsValue) -> Promise {
        attributes::read_user(&self.core, user_id, Some(keys))
    }

    /// Replaces a channel's attributes.
    #[wasm_bindgen(js_name = setChannelAttributes)]
    pub fn set_channel_attributes(
        &self,
        channel_id: JsValue,
        attributes: JsValue,
        options: JsValue,
    ) -> Promise {
        attributes::write_channel(&self.core, channel_id, UserWrite::Set, attributes, options)
    }

    /// Adds or updates some of a channel's attributes.
    #[wasm_bindgen(js_name = addOrUpdateChannelAttributes)]
    pub fn add_or_update_channel_attributes(
        &self,
        channel_id: JsValue,
        attributes: JsValue,
        options: JsValue,
    ) -> Promise {
        attributes::write_channel(&self.core, channel_id, UserWrite::Upsert, attributes, options)
    }

    /// Deletes some of a channel's attributes.
    #[wasm_bindgen(js_name = deleteChannelAttributesByKeys)]
    pub fn delete_channel_attributes_by_keys(
        &self,
        channel_id: JsValue,
        keys: JsValue,
        options: JsValue,
    ) -> Promise {
        attributes::write_channel(&self.core, channel_id, UserWrite::Delete, keys, options)
    }

    /// Deletes all of a channel's attributes.
    #[wasm_bindgen(js_name = clearChannelAttributes)]
    pub fn clear_channel_attributes(&self, channel_id: JsValue, options: JsValue) -> Promise {
        attributes::write_channel(&self.core, channel_id, UserWrite::Clear, JsValue::UNDEFINED, options)
    }

    /// A channel's attributes: `{key: {value, lastUpdateUserId, lastUpdateTs}}`.
    #[wasm_bindgen(js_name = getChannelAttributes)]
    pub fn get_channel_attributes(&self, channel_id: JsValue) -> Promise {
        attributes::read_channel(&self.core, channel_id, None)
    }

    /// Some of a channel's attributes.
    #[wasm_bindgen(js_name = getChannelAttributesByKeys)]
    pub fn get_channel_attributes_by_keys(&self, channel_id: JsValue, keys: JsValue) -> Promise {
        attributes::read_channel(&self.core, channel_id, Some(keys))
    }

    /// Applies `logFilter` to this client's console output.
    #[wasm_bindgen(js_name = updateConfig)]
    pub fn update_config(&self, config: JsValue) {
        self.core.apply_config(&config);
    }

    /// Same as `updateConfig`.
    #[wasm_bindgen(js_name = setParameters)]
    pub fn set_parameters(&self, config: JsValue) {
        self.core.apply_config(&config);
    }
}

async fn send_to_peer(
    core: Rc<Core>,
    message: JsValue,
    peer: JsValue,
    options: JsValue,
) -> Result<JsValue, OpError> {
    let payload = message::read(&message).map_err(|m| PeerMessageError::INVALID_MESSAGE.err(m))?;
    let peer =
        peer.as_string().ok_or_else(|| PeerMessageError::INVALID_USERID.err("peerId must be a string"))?;
    limits::validate_id(&peer).map_err(|e| PeerMessageError::INVALID_USERID.err(e.describe("peerId")))?;
    let offline = options.is_object()
        && Reflect::get(&options, &"enableOfflineMessaging".into()).is_ok_and(|v| v.is_truthy());
    core.ride_out_reconnect(&families::PEER).await?;
    core.require_session(&families::PEER)?;
    if !core.budgets.borrow_mut().send(js_sys::Date::now() as u64) {
        return Err(PeerMessageError::TOO_OFTEN.err(format!(
            "more than {} messages in {} ms (peer and channel messages together); slow down",
            limits::SEND_RATE_MAX,
            limits::SEND_RATE_WINDOW_MS
        )));
    }
    let reply = core.request(Request::SendPeer { peer, payload, offline }, REQUEST_TIMEOUT_MS).await;
    match errors::settle(reply, &families::PEER)? {
        Reply::PeerSent { has_peer_received } => {
            let result = Object::new();
            let _ = Reflect::set(&result, &"hasPeerReceived".into(), &has_peer_received.into());
            Ok(result.into())
        }
        _ => Err(families::PEER.unexpected()),
    }
}

fn member_counts(core: &Rc<Core>, ids: JsValue) -> Promise {
    requests::ask(core, &families::MEMBER_COUNT, prepare_member_counts(core, ids))
}

fn prepare_member_counts(core: &Core, ids: JsValue) -> Prepared {
    let bad = |m: String| CountErr::INVALID_ARGUMENT.err(m);
    if !js_sys::Array::is_array(&ids) {
        return Err(bad("channelIds must be an array of channel ids".into()));
    }
    let ids: Vec<JsValue> = js_sys::Array::from(&ids).iter().collect();
    if ids.is_empty() {
        return Err(bad("give at least one channel id".into()));
    }
    if ids.len() > limits::MAX_COUNT_CHANNELS {
        return Err(CountErr::EXCEED_LIMIT
            .err(format!("at most {} channel ids per call", limits::MAX_COUNT_CHANNELS)));
    }
    let mut channels = Vec::with_capacity(ids.len());
    for id in ids {
        let id = id.as_string().ok_or_else(|| bad("every channel id must be a string".into()))?;
        limits::validate_id(&id).map_err(|e| bad(e.describe("channel id")))?;
        channels.push(id);
    }
    core.require_session(&families::MEMBER_COUNT)?;
    if !core.budgets.borrow_mut().member_count(js_sys::Date::now() as u64) {
        return Err(CountErr::TOO_OFTEN.err("at most one getChannelMemberCount() per second; wait and retry"));
    }
    let req = Request::GetMemberCount { channels: channels.clone() };
    let decode: Decode = Box::new(move |reply| match reply {
        Reply::MemberCounts { counts } if counts.len() == channels.len() => {
            let result = Object::new();
            for (id, count) in channels.iter().zip(counts) {
                let _ = Reflect::set(&result, &JsValue::from_str(id), &JsValue::from(count));
            }
            Ok(result.into())
        }
        _ => Err(families::MEMBER_COUNT.unexpected()),
    });
    Ok((req, decode))
}
