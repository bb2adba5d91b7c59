//! Call invitations. The caller's node keeps each pending invitation (its
//! timer, whether the callee has it) and decides every race — cancel against
//! accept, answer against timeout — because all signals about it travel to the
//! caller's topic through the broker. The callee's node relays, and remembers
//! what rings at each session so a callee that goes away is reported.

use crate::engine::{AckRoute, UserEvent};
use crate::hub::Hub;
use crate::session::SessionHandle;
use rtm_protocol::codes::InvitationApiCallError as InvErr;
use rtm_protocol::limits::{self, MAX_INVITATION_BYTES};
use rtm_protocol::{InvitationUpdate, OpError, Push, Reply};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// An invitation that has not ended, kept on the caller's node.
pub struct Pending {
    caller: Arc<SessionHandle>,
    callee: String,
    content: String,
    timer: tokio::task::JoinHandle<()>,
}

/// Invitation id → the pending invitation.
pub type Invitations = HashMap<u64, Pending>;

fn check_size(what: &str, text: &str) -> Result<(), OpError> {
    if text.len() > MAX_INVITATION_BYTES {
        return Err(InvErr::INVALID_ARGUMENT
            .err(format!("the {what} is {} bytes; at most {MAX_INVITATION_BYTES}", text.len())));
    }
    Ok(())
}

fn not_pending() -> OpError {
    InvErr::ALREADY_END.err("the invitation is no longer pending (answered, canceled or expired)")
}

impl Hub {
    /// `send()`: offers the invitation to the callee if online.
    pub async fn invite(
        &self,
        session: &Arc<SessionHandle>,
        callee: String,
        content: String,
        channel_id: String,
    ) -> Result<Reply, OpError> {
        limits::validate_id(&callee).map_err(|e| InvErr::INVALID_ARGUMENT.err(e.describe("calleeId")))?;
        check_size("content", &content)?;
        if !channel_id.is_empty() {
            limits::validate_id(&channel_id)
                .map_err(|e| InvErr::INVALID_ARGUMENT.err(e.describe("channelId")))?;
        }
        let invitation = rand::random::<u64>() >> 11; // exact in a JS number
        let timeout = Duration::from_secs(self.config().limits.invitation_timeout_secs);
        let hub = self.arc();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(hub) = hub {
                hub.expire_invitation(invitation).await;
            }
        });
        let entry =
            Pending { caller: session.clone(), callee: callee.clone(), content: content.clone(), timer };
        self.invitations().insert(invitation, entry);
        let offer = UserEvent::InviteOffer { invitation, caller: session.uid.clone(), content, channel_id };
        let taken = self.engine().broker.publish_user(&session.app, &callee, offer).await.unwrap_or(0);
        if taken == 0 {
            if let Some(p) = self.invitations().remove(&invitation) {
                p.timer.abort();
            }
        }
        Ok(Reply::InviteSent { invitation, delivered: taken > 0 })
    }

    /// `cancel()`: the callee is told, with the invitation's content.
    pub async fn cancel_invite(&self, session: &SessionHandle, invitation: u64) -> Result<(), OpError> {
        let pending = {
            let mut all = self.invitations();
            match all.get(&invitation) {
                Some(p) if p.caller.sref == session.sref => all.remove(&invitation),
                _ => None,
            }
        };
        let p = pending.ok_or_else(not_pending)?;
        p.timer.abort();
        let update = InvitationUpdate::Canceled(p.content.clone());
        self.tell(&session.app, &p.callee, invitation, update).await;
        Ok(())
    }

    /// The callee's SDK has the invitation: tell the caller's node.
    pub async fn invite_received(&self, session: &SessionHandle, invitation: u64, caller: &str) {
        let event = UserEvent::InviteReceived { invitation };
        let _ = self.engine().broker.publish_user(&session.app, caller, event).await;
    }

    /// `accept()` / `refuse()`: resolves once the caller's node took the
    /// answer; an error if the invitation had already ended.
    pub async fn answer_invite(
        &self,
        session: &Arc<SessionHandle>,
        invitation: u64,
        caller: &str,
        accept: bool,
        response: String,
    ) -> Result<(), OpError> {
        check_size("response", &response)?;
        session.ringing(|r| r.remove(&invitation));
        let (ack_id, taken) = session.wait_ack();
        let route = AckRoute { uid: session.uid.clone(), session: session.sref, ack_id };
        let event = UserEvent::InviteAnswer { invitation, accept, response, route };
        let reached = self.engine().broker.publish_user(&session.app, caller, event).await.unwrap_or(0);
        let ok =
            reached > 0 && matches!(tokio::time::timeout(Duration::from_secs(5), taken).await, Ok(Ok(true)));
        session.forget_ack(ack_id);
        if ok {
            Ok(())
        } else {
            Err(not_pending())
        }
    }

    /// Invitation events the broker delivers to user `uid` of this node.
    pub(crate) fn on_invite_event(&self, app: &str, uid: &str, event: UserEvent) -> usize {
        match event {
            UserEvent::InviteOffer { invitation, caller, content, channel_id } => {
                let Some(callee) = self.local_user(app, uid) else { return 0 };
                callee.ringing(|r| r.insert(invitation, caller.clone()));
                callee.push(&Push::InvitationReceived { invitation, caller, content, channel_id });
                1
            }
            UserEvent::InviteUpdate { invitation, update } => {
                let Some(session) = self.local_user(app, uid) else { return 0 };
                session.ringing(|r| r.remove(&invitation));
                session.push(&Push::Invitation { invitation, update });
                1
            }
            UserEvent::InviteCalleeGone { invitation } => {
                let Some(p) = self.invitations().remove(&invitation) else { return 0 };
                p.timer.abort();
                p.caller.push(&Push::Invitation {
                    invitation,
                    update: InvitationUpdate::Failure("PEER_OFFLINE".into()),
                });
                1
            }
            UserEvent::InviteReceived { invitation } => {
                let caller = self.invitations().get(&invitation).map(|p| p.caller.clone());
                let Some(caller) = caller else { return 0 };
                caller.push(&Push::Invitation { invitation, update: InvitationUpdate::ReceivedByPeer });
                1
            }
            UserEvent::InviteAnswer { invitation, accept, response, route } => {
                let pending = self.invitations().remove(&invitation);
                let ok = pending.is_some();
                if let Some(p) = pending {
                    p.timer.abort();
                    let update = if accept {
                        InvitationUpdate::Accepted(response)
                    } else {
                        InvitationUpdate::Refused(response)
                    };
                    p.caller.push(&Push::Invitation { invitation, update });
                }
                if let Some(hub) = self.arc() {
                    let app = app.to_owned();
                    tokio::spawn(async move {
                        let uid = route.uid.clone();
                        let _ =
                            hub.engine().broker.publish_user(&app, &uid, UserEvent::Ack { route, ok }).await;
                    });
                }
                1
            }
            _ => 0,
        }
    }

    /// No answer in time: the caller gets PEER_NO_RESPONSE, the callee
    /// INVITATION_EXPIRE.
    async fn expire_invitation(&self, invitation: u64) {
        let Some(p) = self.invitations().remove(&invitation) else { return };
        p.caller.push(&Push::Invitation {
            invitation,
            update: InvitationUpdate::Failure("PEER_NO_RESPONSE".into()),
        });
        self.tell(
            &p.caller.app,
            &p.callee,
            invitation,
            InvitationUpdate::Failure("INVITATION_EXPIRE".into()),
        )
        .await;
    }

    /// A session ended: the invitations it placed fail for their callees
    /// (PEER_OFFLINE), and those ringing at it fail for their callers (PEER_OFFLINE).
    pub(crate) async fn drop_invitations_of(&self, session: &SessionHandle) {
        let ringing: Vec<(u64, String)> = session.ringing(|r| r.drain().collect());
        for (invitation, caller) in ringing {
            let _ = self
                .engine()
                .broker
                .publish_user(&session.app, &caller, UserEvent::InviteCalleeGone { invitation })
                .await;
        }
        let ended: Vec<(u64, Pending)> = {
            let mut all = self.invitations();
            let ids: Vec<u64> =
                all.iter().filter(|(_, p)| p.caller.sref == session.sref).map(|(id, _)| *id).collect();
            ids.into_iter().filter_map(|id| all.remove(&id).map(|p| (id, p))).collect()
        };
        for (invitation, p) in ended {
            p.timer.abort();
            self.tell(&session.app, &p.callee, invitation, InvitationUpdate::Failure("PEER_OFFLINE".into()))
                .await;
        }
    }

    async fn tell(&self, app: &str, uid: &str, invitation: u64, update: InvitationUpdate) {
        let event = UserEvent::InviteUpdate { invitation, update };
        let _ = self.engine().broker.publish_user(app, uid, event).await;
    }
}
