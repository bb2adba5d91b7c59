//! The states of call invitations and what moves them: pure functions of a
//! state and an input, unit-tested natively. `invitation.rs` applies them to
//! the JS objects and emits the events.
//!
//! The rules are agora-rtm-sdk 1.5.1's: misuse throws at once with its
//! InvitationApiCallError code and changes nothing; `cancel()` and `refuse()`
//! end the invitation on the spot; an update from the server that arrives
//! after the end is ignored.

use rtm_protocol::codes::InvitationApiCallError as InvErr;

/// `LocalInvitationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalState {
    /// Created, not sent.
    Idle,
    /// `send()` called.
    SentToRemote,
    /// The callee's SDK has it.
    ReceivedByRemote,
    /// The callee accepted.
    AcceptedByRemote,
    /// The callee refused.
    RefusedByRemote,
    /// `cancel()` called.
    Canceled,
    /// It failed (see the event's reason).
    Failure,
}

/// What the caller's app asks of a `LocalInvitation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalCall {
    /// `send()`.
    Send,
    /// `cancel()`.
    Cancel,
}

/// What the server says about a sent invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalNews {
    /// The callee's SDK has it.
    Received,
    /// Accepted.
    Accepted,
    /// Refused.
    Refused,
    /// It failed, or the session ended.
    Failed,
}

impl LocalState {
    /// The state's name in `AgoraRTM.LocalInvitationState`.
    pub fn as_str(self) -> &'static str {
        match self {
            LocalState::Idle => "IDLE",
            LocalState::SentToRemote => "SENT_TO_REMOTE",
            LocalState::ReceivedByRemote => "RECEIVED_BY_REMOTE",
            LocalState::AcceptedByRemote => "ACCEPTED_BY_REMOTE",
            LocalState::RefusedByRemote => "REFUSED_BY_REMOTE",
            LocalState::Canceled => "CANCELED",
            LocalState::Failure => "FAILURE",
        }
    }

    /// Accepted, refused, canceled or failed: nothing changes it any more.
    pub fn ended(self) -> bool {
        matches!(
            self,
            LocalState::AcceptedByRemote
                | LocalState::RefusedByRemote
                | LocalState::Canceled
                | LocalState::Failure
        )
    }

    /// The state after the app's call, or the code it throws.
    pub fn on_call(self, call: LocalCall) -> Result<LocalState, InvErr> {
        let ringing = matches!(self, LocalState::SentToRemote | LocalState::ReceivedByRemote);
        match call {
            LocalCall::Send if ringing => Err(InvErr::ALREADY_SENT),
            LocalCall::Send if self.ended() => Err(InvErr::ALREADY_END),
            LocalCall::Send => Ok(LocalState::SentToRemote),
            LocalCall::Cancel if self.ended() => Err(InvErr::ALREADY_END),
            LocalCall::Cancel if self == LocalState::Idle => Err(InvErr::NOT_STARTED),
            LocalCall::Cancel => Ok(LocalState::Canceled),
        }
    }

    /// The state after the server's news; `None` when it changes nothing.
    pub fn on_news(self, news: LocalNews) -> Option<LocalState> {
        if self.ended() || self == LocalState::Idle {
            return None;
        }
        match news {
            LocalNews::Received if self == LocalState::SentToRemote => Some(LocalState::ReceivedByRemote),
            LocalNews::Received => None,
            LocalNews::Accepted => Some(LocalState::AcceptedByRemote),
            LocalNews::Refused => Some(LocalState::RefusedByRemote),
            LocalNews::Failed => Some(LocalState::Failure),
        }
    }
}

/// `RemoteInvitationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteState {
    /// Ringing.
    InvitationReceived,
    /// `accept()` called, the caller not yet told.
    AcceptSentToLocal,
    /// `refuse()` called.
    Refused,
    /// The caller was told of the acceptance.
    Accepted,
    /// The caller canceled.
    Canceled,
    /// It failed (see the event's reason).
    Failure,
}

/// What the callee's app asks of a `RemoteInvitation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteCall {
    /// `accept()`.
    Accept,
    /// `refuse()`.
    Refuse,
}

/// What the server says about a received invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteNews {
    /// The caller canceled.
    Canceled,
    /// It failed (expired, the caller left).
    Failed,
    /// This client's session ended (logout, kicked): nobody can answer it now.
    SessionEnded,
    /// The server confirmed the acceptance.
    AcceptDone,
    /// The acceptance did not reach the caller.
    AcceptFailed,
}

impl RemoteState {
    /// The state's name in `AgoraRTM.RemoteInvitationState`.
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteState::InvitationReceived => "INVITATION_RECEIVED",
            RemoteState::AcceptSentToLocal => "ACCEPT_SENT_TO_LOCAL",
            RemoteState::Refused => "REFUSED",
            RemoteState::Accepted => "ACCEPTED",
            RemoteState::Canceled => "CANCELED",
            RemoteState::Failure => "FAILURE",
        }
    }

    /// Refused, accepted, canceled or failed.
    pub fn ended(self) -> bool {
        matches!(
            self,
            RemoteState::Refused | RemoteState::Accepted | RemoteState::Canceled | RemoteState::Failure
        )
    }

    /// The state after the app's call, or the code it throws.
    pub fn on_call(self, call: RemoteCall) -> Result<RemoteState, InvErr> {
        match (self, call) {
            (s, _) if s.ended() => Err(InvErr::ALREADY_END),
            (RemoteState::AcceptSentToLocal, _) => Err(InvErr::ALREADY_ACCEPT),
            (_, RemoteCall::Accept) => Ok(RemoteState::AcceptSentToLocal),
            (_, RemoteCall::Refuse) => Ok(RemoteState::Refused),
        }
    }

    /// The state after the server's news; `None` when it changes nothing.
    /// Once `accept()` is on its way, only its outcome (or the session's end)
    /// decides: a cancel or expiry that crossed it does not.
    pub fn on_news(self, news: RemoteNews) -> Option<RemoteState> {
        match (self, news) {
            (s, _) if s.ended() => None,
            (RemoteState::AcceptSentToLocal, RemoteNews::AcceptDone) => Some(RemoteState::Accepted),
            (_, RemoteNews::SessionEnded) => Some(RemoteState::Failure),
            (RemoteState::AcceptSentToLocal, RemoteNews::AcceptFailed) => Some(RemoteState::Failure),
            (RemoteState::AcceptSentToLocal, RemoteNews::Canceled | RemoteNews::Failed) => None,
            (_, RemoteNews::Canceled) => Some(RemoteState::Canceled),
            (_, RemoteNews::Failed) => Some(RemoteState::Failure),
            (_, RemoteNews::AcceptDone | RemoteNews::AcceptFailed) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LocalState as L;
    use RemoteState as R;

    #[test]
    fn a_local_invitation_is_sent_once_and_canceled_only_while_ringing() {
        assert_eq!(L::Idle.on_call(LocalCall::Send), Ok(L::SentToRemote));
        assert_eq!(L::SentToRemote.on_call(LocalCall::Send), Err(InvErr::ALREADY_SENT));
        assert_eq!(L::ReceivedByRemote.on_call(LocalCall::Send), Err(InvErr::ALREADY_SENT));
        assert_eq!(L::Idle.on_call(LocalCall::Cancel), Err(InvErr::NOT_STARTED));
        assert_eq!(L::SentToRemote.on_call(LocalCall::Cancel), Ok(L::Canceled));
        assert_eq!(L::ReceivedByRemote.on_call(LocalCall::Cancel), Ok(L::Canceled));
        for ended in [L::AcceptedByRemote, L::RefusedByRemote, L::Canceled, L::Failure] {
            assert!(ended.ended());
            assert_eq!(ended.on_call(LocalCall::Send), Err(InvErr::ALREADY_END));
            assert_eq!(ended.on_call(LocalCall::Cancel), Err(InvErr::ALREADY_END));
            assert_eq!(ended.on_news(LocalNews::Accepted), None, "{ended:?} ignores late news");
        }
    }

    #[test]
    fn the_servers_news_moves_a_ringing_local_invitation() {
        assert_eq!(L::SentToRemote.on_news(LocalNews::Received), Some(L::ReceivedByRemote));
        assert_eq!(L::ReceivedByRemote.on_news(LocalNews::Received), None);
        assert_eq!(L::ReceivedByRemote.on_news(LocalNews::Accepted), Some(L::AcceptedByRemote));
        assert_eq!(L::SentToRemote.on_news(LocalNews::Refused), Some(L::RefusedByRemote));
        assert_eq!(L::SentToRemote.on_news(LocalNews::Failed), Some(L::Failure));
        assert_eq!(L::Idle.on_news(LocalNews::Failed), None);
    }

    #[test]
    fn a_remote_invitation_is_answered_once() {
        assert_eq!(R::InvitationReceived.on_call(RemoteCall::Accept), Ok(R::AcceptSentToLocal));
        assert_eq!(R::InvitationReceived.on_call(RemoteCall::Refuse), Ok(R::Refused));
        assert_eq!(R::AcceptSentToLocal.on_call(RemoteCall::Accept), Err(InvErr::ALREADY_ACCEPT));
        assert_eq!(R::AcceptSentToLocal.on_call(RemoteCall::Refuse), Err(InvErr::ALREADY_ACCEPT));
        for ended in [R::Refused, R::Accepted, R::Canceled, R::Failure] {
            assert_eq!(ended.on_call(RemoteCall::Accept), Err(InvErr::ALREADY_END), "{ended:?}");
            assert_eq!(ended.on_call(RemoteCall::Refuse), Err(InvErr::ALREADY_END), "{ended:?}");
            assert_eq!(ended.on_news(RemoteNews::Canceled), None);
        }
    }

    #[test]
    fn an_accept_on_its_way_is_decided_by_its_outcome() {
        assert_eq!(R::InvitationReceived.on_news(RemoteNews::Canceled), Some(R::Canceled));
        assert_eq!(R::InvitationReceived.on_news(RemoteNews::Failed), Some(R::Failure));
        assert_eq!(R::AcceptSentToLocal.on_news(RemoteNews::Canceled), None, "a crossing cancel");
        assert_eq!(R::AcceptSentToLocal.on_news(RemoteNews::AcceptDone), Some(R::Accepted));
        assert_eq!(R::AcceptSentToLocal.on_news(RemoteNews::AcceptFailed), Some(R::Failure));
        assert_eq!(R::AcceptSentToLocal.on_news(RemoteNews::Failed), None, "a crossing expiry");
        assert_eq!(R::AcceptSentToLocal.on_news(RemoteNews::SessionEnded), Some(R::Failure));
        assert_eq!(R::InvitationReceived.on_news(RemoteNews::SessionEnded), Some(R::Failure));
    }
}
