//! The features of one node wired together: [`Services`] routes each request
//! to the feature that handles it and each event the broker brings to the
//! feature that hears it. The session lifecycle (login, resume, logout,
//! kicks, the grace period) lives beside it in `lifecycle.rs` because ending a
//! session concerns every feature; `liveness.rs` keeps this node's lease and
//! reaps the users of dead nodes.

pub mod lifecycle;
pub mod liveness;

use crate::config::Config;
use crate::engine::{Engine, Event, NodeEvent, Sink, Topic, UserEvent};
use crate::features::attributes::Attributes;
use crate::features::channels::Channels;
use crate::features::invitations::Invitations;
use crate::features::peer::Peer;
use crate::features::presence::Presence;
use crate::features::{done, Handled};
use crate::node::Node;
use crate::sessions::Session;
use lifecycle::Lifecycle;
use rtm_protocol::Request;
use std::sync::{Arc, Weak};

/// One node's features.
pub struct Services {
    /// What the features share.
    pub node: Arc<Node>,
    /// Peer messages.
    pub peer: Arc<Peer>,
    /// Channels.
    pub channels: Arc<Channels>,
    /// Online status.
    pub presence: Arc<Presence>,
    /// User and channel attributes.
    pub attributes: Arc<Attributes>,
    /// Call invitations.
    pub invitations: Arc<Invitations>,
    /// Login, resume, logout, kicks, the grace period.
    pub lifecycle: Arc<Lifecycle>,
}

impl Services {
    /// Starts a node on `engine`: registers it with the broker, subscribes it
    /// to its own topic, and starts its lease.
    pub async fn start(config: Config, engine: Engine) -> anyhow::Result<Arc<Services>> {
        let node = Node::new(config, engine);
        let (peer, channels, presence) =
            (Peer::new(node.clone()), Channels::new(node.clone()), Presence::new(node.clone()));
        let (attributes, invitations) = (Attributes::new(node.clone()), Invitations::new(node.clone()));
        let lifecycle = Lifecycle::new(
            node.clone(),
            peer.clone(),
            channels.clone(),
            presence.clone(),
            attributes.clone(),
            invitations.clone(),
        );
        liveness::spawn(Arc::downgrade(&node), Arc::downgrade(&attributes));
        liveness::spawn_expiry(Arc::downgrade(&node));
        let services = Arc::new(Services {
            node: node.clone(),
            peer,
            channels,
            presence,
            attributes,
            invitations,
            lifecycle,
        });
        let sink: Weak<dyn Sink> = Arc::downgrade(&services) as Weak<dyn Sink>;
        node.engine.broker.register(node.id, sink);
        node.subs.acquire(&Topic::Node(node.id)).await?;
        tracing::debug!(node = node.id, "node started");
        Ok(services)
    }

    /// The settings this node runs with.
    pub fn config(&self) -> &Config {
        &self.node.config
    }

    /// Routes a request of a logged-in session to its feature.
    pub async fn handle(&self, session: &Arc<Session>, req: Request) -> Handled {
        match req {
            Request::RenewToken { token } => done(self.lifecycle.renew(session, token)),
            Request::SendPeer { .. } | Request::PeerAck { .. } => self.peer.handle(session, req).await,
            Request::Join { .. }
            | Request::Leave { .. }
            | Request::SendChannel { .. }
            | Request::GetMembers { .. }
            | Request::GetMemberCount { .. } => self.channels.handle(session, req).await,
            Request::QueryOnline { .. } | Request::Subscribe { .. } | Request::Unsubscribe { .. } => {
                self.presence.handle(session, req).await
            }
            Request::UserAttrs { .. }
            | Request::GetUserAttrs { .. }
            | Request::ChannelAttrs { .. }
            | Request::GetChannelAttrs { .. } => self.attributes.handle(session, req).await,
            Request::InviteSend { .. }
            | Request::InviteCancel { .. }
            | Request::InviteReceived { .. }
            | Request::InviteAnswer { .. } => self.invitations.handle(session, req).await,
            // The connection answers these itself.
            Request::Login { .. } | Request::Resume { .. } | Request::Logout | Request::Ping => {
                Handled::Reply(Ok(rtm_protocol::Reply::Done))
            }
        }
    }
}

impl Sink for Services {
    fn deliver(&self, topic: &Topic, event: Event) {
        match (topic, event) {
            (Topic::User { app, uid }, Event::User(e @ UserEvent::PeerMessage { .. })) => {
                self.peer.on_event(app, uid, e)
            }
            (Topic::User { app, uid }, Event::User(e)) => self.invitations.on_event(app, uid, e),
            (Topic::Channel { app, channel }, Event::Channel(e)) => self.channels.on_event(app, channel, e),
            (Topic::Presence { app, uid }, Event::Presence(state)) => self.presence.on_event(app, uid, state),
            (Topic::Node(_), Event::Node(NodeEvent::Ack { ack_id, ok })) => {
                self.node.acks.finish(ack_id, ok);
            }
            (Topic::Node(_), Event::Node(NodeEvent::Kick { session, reason })) => {
                self.lifecycle.kick(session, reason)
            }
            (Topic::Node(_), Event::Node(NodeEvent::RelayIn { from, link, seq, frame })) => {
                self.node.relays.deliver_in(from, link, seq, frame)
            }
            (Topic::Node(_), Event::Node(NodeEvent::RelayOut { link, seq, item })) => {
                self.node.relays.deliver_out(link, seq, item)
            }
            (topic, event) => {
                tracing::warn!(?topic, ?event, "an event on a topic that does not carry it; dropped")
            }
        }
    }
}
