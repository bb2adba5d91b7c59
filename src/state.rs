//! The connection state as the app sees it. `set` reports a change only when
//! the state actually changes, so ConnectionStateChanged never repeats itself.

use rtm_protocol::{ConnectionChangeReason as Reason, ConnectionState as State};

/// Current state and the reason it was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnState {
    /// The state.
    pub state: State,
    /// Why it was entered.
    pub reason: Reason,
}

impl Default for ConnState {
    fn default() -> Self {
        ConnState { state: State::DISCONNECTED, reason: Reason::LOGOUT }
    }
}

impl ConnState {
    /// Moves to `state`; returns the event to emit, if the state changed.
    pub fn set(&mut self, state: State, reason: Reason) -> Option<(State, Reason)> {
        if self.state == state {
            return None;
        }
        *self = ConnState { state, reason };
        Some((state, reason))
    }

    /// Logged in and usable.
    pub fn is_connected(&self) -> bool {
        self.state == State::CONNECTED
    }

    /// Whether `login()` may start: only from DISCONNECTED (ABORTED needs a
    /// `logout()` first, as in the Agora SDK).
    pub fn may_login(&self) -> bool {
        self.state == State::DISCONNECTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_only_on_change() {
        let mut s = ConnState::default();
        assert!(s.may_login());
        assert_eq!(s.set(State::CONNECTING, Reason::LOGIN), Some((State::CONNECTING, Reason::LOGIN)));
        assert_eq!(s.set(State::CONNECTING, Reason::LOGIN), None);
        assert!(!s.may_login());
        assert_eq!(
            s.set(State::CONNECTED, Reason::LOGIN_SUCCESS),
            Some((State::CONNECTED, Reason::LOGIN_SUCCESS))
        );
        assert!(s.is_connected());
        s.set(State::ABORTED, Reason::REMOTE_LOGIN);
        assert!(!s.may_login(), "ABORTED needs logout() before login()");
    }
}
