//! User and channel attributes: the twelve client methods and the channel's
//! `AttributesUpdated` event. Keys and values are checked here first (the same
//! rules as the server's, from rtm-protocol), so a bad call fails at once.

use crate::core::Core;
use crate::requests::{self, Decode};
use js_sys::{Array, Object, Promise, Reflect};
use rtm_protocol::codes::AttributeOperationError as AttrErr;
use rtm_protocol::families;
use rtm_protocol::limits::{self, AttrError, AttrLimits};
use rtm_protocol::rate::AttrCall;
use rtm_protocol::{AttrOp, ChannelAttr, OpError, Reply, Request};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};

fn invalid(m: impl Into<String>) -> OpError {
    AttrErr::INVALID_ARGUMENT.err(m)
}

fn attr_error(e: AttrError) -> OpError {
    match e {
        AttrError::BadKey(m) => invalid(m),
        AttrError::Overflow(m) => AttrErr::SIZE_OVERFLOW.err(m),
    }
}

/// `{key: value}` → pairs, checked.
fn read_map(value: &JsValue) -> Result<Vec<(String, String)>, OpError> {
    if !value.is_object() || Array::is_array(value) {
        return Err(invalid("attributes must be an object of string values: {key: 'value'}"));
    }
    let obj: &Object = value.unchecked_ref();
    let mut pairs = Vec::new();
    for entry in Object::entries(obj).iter() {
        let entry: Array = entry.unchecked_into();
        let key = entry.get(0).as_string().unwrap_or_default();
        let val = entry
            .get(1)
            .as_string()
            .ok_or_else(|| invalid(format!("the value of \"{key}\" must be a string")))?;
        pairs.push((key, val));
    }
    AttrLimits::check_items(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(attr_error)?;
    Ok(pairs)
}

/// `['key', ...]` → keys, checked (at least one).
fn read_keys(value: &JsValue) -> Result<Vec<String>, OpError> {
    if !Array::is_array(value) {
        return Err(invalid("keys must be an array of strings"));
    }
    let keys: Vec<String> = Array::from(value)
        .iter()
        .map(|k| k.as_string().ok_or_else(|| invalid("every key must be a string")))
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(invalid("give at least one key"));
    }
    keys.iter().try_for_each(|k| AttrLimits::check_key(k)).map_err(attr_error)?;
    Ok(keys)
}

fn read_id(value: &JsValue, what: &str) -> Result<String, OpError> {
    let id = value.as_string().ok_or_else(|| invalid(format!("{what} must be a string")))?;
    limits::validate_id(&id).map_err(|e| invalid(e.describe(what)))?;
    Ok(id)
}

fn notify(options: &JsValue) -> bool {
    options.is_object()
        && Reflect::get(options, &"enableNotificationToChannelMembers".into()).is_ok_and(|v| v.is_truthy())
}

fn ready(core: &Core, call: AttrCall) -> Result<(), OpError> {
    core.require_session(&families::ATTRS)?;
    if !core.budgets.borrow_mut().attrs(call, js_sys::Date::now() as u64) {
        let what = match call {
            AttrCall::UserRead => "40 user attribute reads",
            AttrCall::ChannelRead => "10 channel attribute reads",
            AttrCall::UserWrite => "10 user attribute writes",
            AttrCall::ChannelWrite => "10 channel attribute writes",
        };
        return Err(AttrErr::TOO_OFTEN.err(format!("more than {what} in 5 s; wait and retry")));
    }
    Ok(())
}

/// Which user-attribute write.
pub enum UserWrite {
    /// `setLocalUserAttributes(attributes)`.
    Set,
    /// `addOrUpdateLocalUserAttributes(attributes)`.
    Upsert,
    /// `deleteLocalUserAttributesByKeys(keys)`.
    Delete,
    /// `clearLocalUserAttributes()`.
    Clear,
}

fn op_of(kind: &UserWrite, arg: &JsValue) -> Result<AttrOp, OpError> {
    Ok(match kind {
        UserWrite::Set => {
            let pairs = read_map(arg)?;
            AttrLimits::USER
                .check_set(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map_err(attr_error)?;
            AttrOp::Set(pairs)
        }
        UserWrite::Upsert => AttrOp::Upsert(read_map(arg)?),
        UserWrite::Delete => AttrOp::Delete(read_keys(arg)?),
        UserWrite::Clear => AttrOp::Clear,
    })
}

/// The four writes of the caller's own attributes.
pub fn write_user(core: &Rc<Core>, kind: UserWrite, arg: JsValue) -> Promise {
    let prepare = || {
        let op = op_of(&kind, &arg)?;
        ready(core, AttrCall::UserWrite)?;
        Ok((Request::UserAttrs { op }, requests::done()))
    };
    requests::ask(core, &families::ATTRS, prepare())
}

/// `getUserAttributes(uid)` / `getUserAttributesByKeys(uid, keys)`.
pub fn read_user(core: &Rc<Core>, uid: JsValue, keys: Option<JsValue>) -> Promise {
    let prepare = || {
        let uid = read_id(&uid, "userId")?;
        let keys = keys.map(|k| read_keys(&k)).transpose()?;
        ready(core, AttrCall::UserRead)?;
        let decode: Decode = Box::new(|reply| match reply {
            Reply::UserAttrs { attrs } => {
                let obj = Object::new();
                for (k, v) in attrs {
                    let _ = Reflect::set(&obj, &k.into(), &v.into());
                }
                Ok(obj.into())
            }
            _ => Err(families::ATTRS.unexpected()),
        });
        Ok((Request::GetUserAttrs { uid, keys }, decode))
    };
    requests::ask(core, &families::ATTRS, prepare())
}

/// The four writes of a channel's attributes (`channelId`, then the argument
/// if any, then the options).
pub fn write_channel(
    core: &Rc<Core>,
    channel: JsValue,
    kind: UserWrite,
    arg: JsValue,
    options: JsValue,
) -> Promise {
    let prepare = || {
        let channel = read_id(&channel, "channelId")?;
        let op = match kind {
            UserWrite::Set => {
                let pairs = read_map(&arg)?;
                AttrLimits::CHANNEL
                    .check_set(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map_err(attr_error)?;
                AttrOp::Set(pairs)
            }
            other => op_of(&other, &arg)?,
        };
        ready(core, AttrCall::ChannelWrite)?;
        Ok((Request::ChannelAttrs { channel, op, notify: notify(&options) }, requests::done()))
    };
    requests::ask(core, &families::ATTRS, prepare())
}

/// `getChannelAttributes(channelId)` / `getChannelAttributesByKeys(channelId, keys)`.
pub fn read_channel(core: &Rc<Core>, channel: JsValue, keys: Option<JsValue>) -> Promise {
    let prepare = || {
        let channel = read_id(&channel, "channelId")?;
        let keys = keys.map(|k| read_keys(&k)).transpose()?;
        ready(core, AttrCall::ChannelRead)?;
        let decode: Decode = Box::new(|reply| match reply {
            Reply::ChannelAttrs { attrs } => Ok(channel_attrs_js(&attrs)),
            _ => Err(families::ATTRS.unexpected()),
        });
        Ok((Request::GetChannelAttrs { channel, keys }, decode))
    };
    requests::ask(core, &families::ATTRS, prepare())
}

/// `{key: {value, lastUpdateUserId, lastUpdateTs}}`.
pub fn channel_attrs_js(attrs: &[ChannelAttr]) -> JsValue {
    let obj = Object::new();
    for a in attrs {
        let entry = Object::new();
        let _ = Reflect::set(&entry, &"value".into(), &a.value.as_str().into());
        let _ = Reflect::set(&entry, &"lastUpdateUserId".into(), &a.last_update_uid.as_str().into());
        let _ = Reflect::set(&entry, &"lastUpdateTs".into(), &JsValue::from_f64(a.last_update_ts as f64));
        let _ = Reflect::set(&obj, &a.key.as_str().into(), &entry);
    }
    obj.into()
}
