//! Communication inside the school community. Who may write to whom is an explicit rule set per
//! structure (`rules.rs`: sensible defaults a local admin can see and change), evaluated over
//! what the directory says of each person (their `Standing`): "may A write to B" is a pure
//! function of two standings and the rules, and the same rules give the audiences and people a
//! recipient picker offers. Messaging (`messages.rs`) sends only within them, and tells the
//! recipients through their notification feed (`notifications.rs`: live, e-mail, digests,
//! quiet hours), through an outbox (`outbox.rs`) once the message is stored.
//!
//! Every operation takes the caller and checks authorization itself; storage is reached through
//! [`store::CommunicationStore`], implemented by `preau-store`.

pub mod attachments;
pub mod cache;
pub mod messages;
pub mod moderation;
pub mod news;
pub mod notifications;
pub mod outbox;
pub mod rules;
pub mod store;

pub use rules::{Audience, Rule, Standing, Target};
pub use store::CommunicationStore;

use preau_core::Clock;
use std::sync::Arc;

/// The communication operations, over a store, a clock, and where live events go.
pub struct Communication<S> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    pub live: Arc<dyn notifications::LivePush>,
    pub caches: Arc<cache::Caches>,
    /// What sent messages still have to tell their recipients (see [`outbox`]).
    pub outbox: Arc<outbox::Outbox>,
}

impl<S> Clone for Communication<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), clock: self.clock.clone(), live: self.live.clone(), caches: self.caches.clone(), outbox: self.outbox.clone() }
    }
}

impl<S: CommunicationStore> Communication<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, live: Arc<dyn notifications::LivePush>) -> Self {
        Self { store, clock, live, caches: Arc::default(), outbox: Arc::default() }
    }
}
