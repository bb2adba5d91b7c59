//! The single-process engine: the broker calls straight back into the hub and
//! presence is a map. The default; the Redis engine implements the same traits.

use crate::engine::{Broker, EventSink, Presence, SessionRef, UserEvent};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, Weak};

/// Delivers in-process.
#[derive(Default)]
pub struct MemoryBroker {
    sink: OnceLock<Weak<dyn EventSink>>,
}

#[async_trait]
impl Broker for MemoryBroker {
    fn attach(&self, sink: Weak<dyn EventSink>) {
        let _ = self.sink.set(sink);
    }

    async fn publish_user(&self, app: &str, uid: &str, event: UserEvent) -> anyhow::Result<usize> {
        // The hub may be gone while the process shuts down: then nobody takes it.
        let Some(sink) = self.sink.get().and_then(Weak::upgrade) else {
            return Ok(0);
        };
        Ok(sink.deliver(app, uid, event))
    }
}

/// Who is online, in a map keyed by (app, uid).
#[derive(Default)]
pub struct MemoryPresence {
    sessions: Mutex<HashMap<(String, String), SessionRef>>,
}

#[async_trait]
impl Presence for MemoryPresence {
    async fn claim(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<Option<SessionRef>> {
        let mut map = self.sessions.lock().unwrap();
        Ok(map.insert((app.to_owned(), uid.to_owned()), session).filter(|old| *old != session))
    }

    async fn release(&self, app: &str, uid: &str, session: SessionRef) -> anyhow::Result<()> {
        let mut map = self.sessions.lock().unwrap();
        let key = (app.to_owned(), uid.to_owned());
        if map.get(&key) == Some(&session) {
            map.remove(&key);
        }
        Ok(())
    }

    async fn lookup(&self, app: &str, uid: &str) -> anyhow::Result<Option<SessionRef>> {
        Ok(self.sessions.lock().unwrap().get(&(app.to_owned(), uid.to_owned())).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn presence_claim_displaces_and_release_is_owner_only() {
        let p = MemoryPresence::default();
        let a = SessionRef { node: 1, session: 1 };
        let b = SessionRef { node: 1, session: 2 };
        assert_eq!(p.claim("app", "u", a).await.unwrap(), None);
        assert_eq!(p.claim("app", "u", b).await.unwrap(), Some(a));
        p.release("app", "u", a).await.unwrap();
        assert_eq!(p.lookup("app", "u").await.unwrap(), Some(b), "a stale release keeps the new owner");
        assert_eq!(p.lookup("other-app", "u").await.unwrap(), None, "apps are namespaces");
        p.release("app", "u", b).await.unwrap();
        assert_eq!(p.lookup("app", "u").await.unwrap(), None);
    }
}
