//! Single sign-on to the outside services a school chooses. A **connector** is a service of the
//! catalogue with a protocol, the structures and profiles it is offered to, and its release
//! policy: which attributes it receives, under which names, and which identifier
//! (`connectors.rs`, values in `attributes.rs`). Each launch is counted per connector, structure,
//! profile and day (`launches.rs`). The CAS protocol's tickets live in `cas.rs`; HTTP and XML stay
//! in `preau-web`. The OpenID Connect provider is `oidc/`, its signing keys `keys.rs`. Storage is reached through [`store::SsoStore`].
//!
//! Every operation takes the caller and checks authorization itself: who may manage a connector,
//! and who may be signed in to it.

pub mod attributes;
pub mod cache;
pub mod cas;
pub mod connectors;
pub mod keys;
pub mod launches;
pub mod oidc;
pub mod saml;
pub mod store;

pub use attributes::Attribute;
pub use connectors::{Connector, ConnectorInput, Protocol, Release, SubjectKind};
pub use store::SsoStore;

use preau_core::{Clock, Random};
use std::sync::Arc;

/// The single sign-on operations over a store, a clock and a random source. Tickets and launch
/// counts awaiting their write are held in memory and shared by clones.
pub struct Sso<S> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Random>,
    pub tickets: Arc<cas::Tickets>,
    pub launches: Arc<launches::Counter>,
    pub cache: Arc<cache::Cache>,
    pub keys: Arc<keys::Keys>,
    pub oidc: Arc<oidc::OidcState>,
    pub saml: Arc<saml::SamlState>,
}

impl<S> Clone for Sso<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            rng: self.rng.clone(),
            tickets: self.tickets.clone(),
            launches: self.launches.clone(),
            cache: self.cache.clone(),
            keys: self.keys.clone(),
            oidc: self.oidc.clone(),
            saml: self.saml.clone(),
        }
    }
}

impl<S: SsoStore> Sso<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, rng: Arc<dyn Random>) -> Self {
        Self {
            store,
            clock,
            rng,
            tickets: Arc::new(cas::Tickets::default()),
            launches: Arc::new(launches::Counter::default()),
            cache: Arc::default(),
            keys: Arc::default(),
            oidc: Arc::default(),
            saml: Arc::default(),
        }
    }
}
