//! What users can do, one feature per folder entry. Each feature owns its
//! state (behind its own lock, keyed by session id where it is per session),
//! handles its requests, hears its events from the broker, and cleans up
//! when a session ends. Features depend on the node, the sessions and the
//! engine — never on each other; `services` wires them together.
//!
//! A request handler returns a [`Handled`]: the reply, and the work that must
//! come after it (a push the client must see after the reply), or a reply
//! that waits for another client and so must not hold up the connection.

pub mod attributes;
pub mod channels;
pub mod handled;
pub mod invitations;
pub mod peer;
pub mod presence;

pub use handled::{done, unavailable, Answer, Handled};
