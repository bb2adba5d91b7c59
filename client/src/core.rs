//! A client's state: the connection state and why, the credentials and the
//! session's resume secret, the current link, the channels joined and the
//! peers subscribed, the rate budgets, and where events go.
//!
//! All of it sits behind one lock that is never held across an `await`.
//! `generation` counts logins, logouts and aborts: a task that started under
//! an older generation (a reconnect, a keepalive, a login) sees it changed
//! and stops, so a logout always wins over what was in flight.

use crate::error::{Family, RequestError, Result};
use crate::event::{Event, Router};
use crate::invitation::{
    Host, LocalInvitation, LocalInvitationEvent, RemoteInvitation, RemoteInvitationEvent, Sent,
};
use crate::link::Link;
use rtm_protocol::rate::Budgets;
use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State, Reply, Request};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a request waits for its reply.
pub(crate) const REQUEST_TIMEOUT: Duration =
    Duration::from_millis(rtm_protocol::limits::REQUEST_TIMEOUT_MS as u64);

/// Who logs in.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub uid: String,
    pub token: Option<String>,
}

/// What the lock guards.
pub(crate) struct Shared {
    pub state: State,
    pub reason: Reason,
    pub generation: u64,
    pub creds: Option<Credentials>,
    /// The session's resume secret (from its login).
    pub resume: Option<String>,
    /// The last push handled in order.
    pub last_seq: u64,
    pub link: Option<Link>,
    pub budgets: Budgets,
    /// Joined channels, re-joined after a fresh login.
    pub channels: BTreeSet<String>,
    /// Subscribed peers, re-subscribed after a fresh login.
    pub subscribed: BTreeSet<String>,
    pub local_invitations: HashMap<u64, LocalInvitation>,
    pub remote_invitations: HashMap<u64, RemoteInvitation>,
    pub router: Router,
}

/// The client behind every handle.
pub(crate) struct Inner {
    pub url: String,
    pub app_id: String,
    shared: Mutex<Shared>,
    /// This client, for the tasks and handles it gives out.
    pub me: Weak<Inner>,
}

/// Milliseconds since the Unix epoch (the budgets' clock).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Inner {
    pub fn new(url: String, app_id: String) -> Arc<Inner> {
        Arc::new_cyclic(|me| Inner {
            url,
            app_id,
            shared: Mutex::new(Shared {
                state: State::DISCONNECTED,
                reason: Reason::LOGOUT,
                generation: 0,
                creds: None,
                resume: None,
                last_seq: 0,
                link: None,
                budgets: Budgets::default(),
                channels: BTreeSet::new(),
                subscribed: BTreeSet::new(),
                local_invitations: HashMap::new(),
                remote_invitations: HashMap::new(),
                router: Router::default(),
            }),
            me: me.clone(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().expect("client lock")
    }

    pub fn arc(&self) -> Arc<Inner> {
        self.me.upgrade().expect("a method runs on a live client")
    }

    pub fn host(&self) -> Weak<dyn Host> {
        self.me.clone() as Weak<dyn Host>
    }

    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Moves to `state` for `reason`, telling the app if that is a change.
    pub fn set_state(&self, state: State, reason: Reason) {
        let mut s = self.lock();
        if (s.state, s.reason) == (state, reason) {
            return;
        }
        s.state = state;
        s.reason = reason;
        s.router.emit(Event::ConnectionStateChanged { state, reason });
    }

    /// Ends the current session on this side: the link closes, the session
    /// is forgotten, pending invitations fail, and the channels and
    /// subscriptions are forgotten (a new login starts with none).
    pub fn end_session(&self) {
        let (link, local, remote) = {
            let mut s = self.lock();
            s.generation += 1;
            s.resume = None;
            s.last_seq = 0;
            s.channels.clear();
            s.subscribed.clear();
            let local: Vec<_> = s.local_invitations.drain().map(|(_, v)| v).collect();
            let remote: Vec<_> = s.remote_invitations.drain().map(|(_, v)| v).collect();
            (s.link.take(), local, remote)
        };
        if let Some(link) = link {
            link.close();
        }
        for inv in local {
            inv.fail("NOT_LOGGEDIN");
        }
        for inv in remote {
            inv.end_with_session();
        }
    }

    /// The live link, or the family's "not logged in" saying why not.
    pub fn live_link(&self, family: &Family) -> Result<Link> {
        let s = self.lock();
        match (s.state, &s.link) {
            (State::CONNECTED, Some(link)) => Ok(link.clone()),
            (State::RECONNECTING, _) => Err(family.not_logged_in(
                "the connection is being restored (RECONNECTING): retry once ConnectionStateChanged reports CONNECTED",
            )),
            (State::CONNECTING, _) => Err(family.not_logged_in("login() has not completed yet")),
            (State::ABORTED, _) => Err(family.not_logged_in("the server ended the session (ABORTED): log in again")),
            _ => Err(family.not_logged_in("not logged in: call login() first")),
        }
    }

    /// Sends `req` on the live session and reports the outcome as `family` does.
    pub async fn call(&self, req: Request, family: &Family) -> Result<Reply> {
        let link = self.live_link(family)?;
        family.settle(link.request(req, REQUEST_TIMEOUT).await)
    }

    /// Takes one call from a budget, or the family's TOO_OFTEN.
    pub fn budget(
        &self,
        take: impl FnOnce(&mut Budgets, u64) -> bool,
        too_often: impl FnOnce() -> crate::Error,
    ) -> Result<()> {
        if take(&mut self.lock().budgets, now_ms()) {
            Ok(())
        } else {
            Err(too_often())
        }
    }
}

impl Drop for Inner {
    /// The app dropped every handle: the session ends here, and invitations
    /// still pending end with it (their events have no one left to tell).
    fn drop(&mut self) {
        self.end_session();
    }
}

impl Host for Inner {
    fn send(&self, req: Request) -> Sent {
        let link = self.live_link(&crate::error::PEER).ok();
        Box::pin(async move {
            let link = link?;
            Some(link.request(req, REQUEST_TIMEOUT).await.map_err(|_: RequestError| ()))
        })
    }

    fn invite_budget(&self) -> bool {
        self.lock().budgets.invite(now_ms())
    }

    fn connected(&self) -> bool {
        self.lock().state == State::CONNECTED
    }

    fn track_local(&self, id: u64, inv: LocalInvitation) {
        self.lock().local_invitations.insert(id, inv);
    }

    fn forget(&self, id: u64, local: bool) {
        let mut s = self.lock();
        if local {
            s.local_invitations.remove(&id);
        } else {
            s.remote_invitations.remove(&id);
        }
    }

    fn emit_local(&self, inv: &LocalInvitation, event: LocalInvitationEvent) {
        self.lock().router.emit(Event::LocalInvitation(inv.clone(), event));
    }

    fn emit_remote(&self, inv: &RemoteInvitation, event: RemoteInvitationEvent) {
        self.lock().router.emit(Event::RemoteInvitation(inv.clone(), event));
    }
}
