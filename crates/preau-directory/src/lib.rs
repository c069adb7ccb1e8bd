//! The territory model: structures, classes and groups, people with their profiles, functions and
//! parent links, roles granted in a scope, the catalogue of services and each structure's bouquet,
//! and the audit log of every administrative change.
//!
//! Every operation takes the caller ([`preau_core::Principal`]) and checks authorization itself.
//! Storage is reached through [`store::DirectoryStore`], implemented by `preau-store`; each write
//! goes to the store together with its audit entry so that both happen or neither does.

pub mod audit;
pub mod demo;
pub mod groups;
pub mod model;
pub mod people;
pub mod portal;
pub mod roles;
pub mod services;
pub mod store;
pub mod structures;

pub use model::*;
pub use store::DirectoryStore;

use preau_core::Clock;
use std::sync::Arc;

/// The directory's operations, over a store and a clock.
pub struct Directory<S> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
}

impl<S> Clone for Directory<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), clock: self.clock.clone() }
    }
}

impl<S: DirectoryStore> Directory<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}
