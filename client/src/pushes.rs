//! What the server pushes, turned into events; and what a client does when
//! its link ends (reconnect, unless the session is over).

use crate::core::Inner;
use crate::event::{ChannelEvent, Event};
use crate::invitation::RemoteInvitation;
use crate::link::{Handler, Link};
use rtm_protocol::order::PushOrder;
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, Push, Request};
use std::collections::HashMap;

impl Handler for Inner {
    fn on_push(&self, link: &Link, seq: u64, push: Push) -> bool {
        let mut s = self.lock();
        if !s.link.as_ref().is_some_and(|l| l.same(link)) {
            // A link this client has given up, and whoever gave it up closes
            // it (a logout still waits on it for the server's reply).
            return true;
        }
        match PushOrder::check(s.last_seq, seq) {
            PushOrder::Next => s.last_seq = seq,
            PushOrder::Seen => return true,
            // Resuming from the last push handled in order has the missing
            // ones replayed; handling this one would skip them for good.
            PushOrder::Gap => return false,
        }
        let routed = match push {
            Push::PeerMessage { delivery, from, payload, ts, offline } => {
                // Acknowledged as it is queued for the app: the app has it.
                link.notify(Request::PeerAck { delivery });
                s.router.emit(Event::MessageFromPeer {
                    from,
                    message: payload,
                    server_received_ts: ts,
                    is_offline_message: offline,
                });
                None
            }
            Push::ChannelMessage { channel: id, from, payload, ts } => {
                Some(ChannelEvent::Message { channel: id, from, message: payload, server_received_ts: ts })
            }
            Push::MemberJoined { channel: id, uid } => Some(ChannelEvent::MemberJoined { channel: id, uid }),
            Push::MemberLeft { channel: id, uid } => Some(ChannelEvent::MemberLeft { channel: id, uid }),
            Push::MemberCount { channel: id, count } => {
                Some(ChannelEvent::MemberCountUpdated { channel: id, count })
            }
            Push::ChannelAttrs { channel: id, attrs } => {
                let attributes = attrs.into_iter().map(|a| (a.key.clone(), a)).collect();
                Some(ChannelEvent::AttributesUpdated { channel: id, attributes })
            }
            Push::PeerState { uid, state } => {
                s.router.emit(Event::PeersOnlineStatusChanged(HashMap::from([(uid, state)])));
                None
            }
            Push::TokenWillExpire => {
                s.router.emit(Event::TokenPrivilegeWillExpire);
                None
            }
            Push::InvitationReceived { invitation, caller, content, channel_id } => {
                link.notify(Request::InviteReceived { invitation, caller: caller.clone() });
                let inv = RemoteInvitation::new(self.host(), invitation, caller, content, channel_id);
                s.remote_invitations.insert(invitation, inv.clone());
                s.router.emit(Event::RemoteInvitationReceived(inv));
                None
            }
            Push::Invitation { invitation, update } => {
                // The invitation emits its own event, which takes the lock.
                let local = s.local_invitations.get(&invitation).cloned();
                let remote = s.remote_invitations.get(&invitation).cloned();
                drop(s);
                if let Some(inv) = local {
                    inv.on_update(update);
                } else if let Some(inv) = remote {
                    inv.on_update(update);
                }
                return true;
            }
            Push::Kicked { reason } => {
                drop(s);
                if !reason.should_retry() {
                    self.end_session();
                    self.set_state(State::ABORTED, reason);
                }
                // Otherwise the link closes next, and the client reconnects.
                return true;
            }
        };
        if let Some(event) = routed {
            s.router.emit_channel(event);
        }
        true
    }

    fn on_end(&self, link: &Link) {
        let generation = {
            let mut s = self.lock();
            if !s.link.as_ref().is_some_and(|l| l.same(link)) {
                return;
            }
            s.link = None;
            // While logging in or reconnecting, the attempt in progress sees
            // its request fail and tries again itself.
            if s.state != State::CONNECTED {
                return;
            }
            s.generation
        };
        self.set_state(State::RECONNECTING, Reason::INTERRUPTED);
        tokio::spawn(crate::session::reconnect(self.arc(), generation));
    }
}
