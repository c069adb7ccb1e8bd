//! Documents: a personal space per person and shared spaces for classes, groups and structures,
//! with folders, files kept with their previous versions, a trash, quotas, and shares to
//! people and groups at a level (read, contribute, manage) that a folder's contents inherit.
//!
//! The domain decides and records; the bytes are the web layer's to stream to and from the
//! blob storage, under keys this crate records (`Node::blob`). An upload is therefore planned
//! (`files::plan_upload`: rights, name, room left), streamed, then recorded
//! (`files::finish_upload`). Every operation takes the caller and checks authorization itself
//! (`access.rs`); who may be picked for a share follows the communication rules.

pub mod access;
pub mod copy;
pub mod files;
pub mod links;
pub mod model;
pub mod policy;
pub mod props;
pub mod sharing;
pub mod store;
pub mod trash;
pub mod tree;

pub use model::{Level, Node, Share, Space, Version};
pub use policy::Policy;
pub use store::DocumentStore;

use preau_communication::Communication;
use preau_core::Clock;
use std::sync::Arc;

/// The documents operations, over a store, a clock, the communication rules and a policy.
pub struct Documents<S> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    pub communication: Communication<S>,
    policy: Arc<std::sync::RwLock<Policy>>,
}

impl<S> Clone for Documents<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), clock: self.clock.clone(), communication: self.communication.clone(), policy: self.policy.clone() }
    }
}

impl<S: DocumentStore> Documents<S> {
    pub fn new(communication: Communication<S>, policy: Policy) -> Self {
        Self { store: communication.store.clone(), clock: communication.clock.clone(), communication, policy: Arc::new(std::sync::RwLock::new(policy)) }
    }

    /// The policy in force.
    pub fn policy(&self) -> Policy {
        self.policy.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts a new policy in force (it applies to what is done from now on).
    pub fn set_policy(&self, policy: Policy) {
        *self.policy.write().unwrap_or_else(|e| e.into_inner()) = policy;
    }
}
