//! What sign-ins read on every flow, kept until the directory changes: the territory's
//! connectors, and per person their record, (structure, profile) pairs and groups. Every
//! directory write (connectors included) bumps the store's generation, which empties both.

use crate::{Connector, Sso, SsoStore};
use preau_core::{PersonId, Profile, Result, TerritoryId};
use preau_directory::{Group, Person, Structure};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The directory's facts about one person that a release may need.
pub struct PersonFacts {
    pub person: Person,
    pub memberships: Vec<(Structure, Profile)>,
    pub groups: Vec<Group>,
}

/// A value and the directory generation it was read at.
type Stamped<T> = (u64, Arc<T>);

#[derive(Default)]
pub struct Cache {
    connectors: RwLock<HashMap<TerritoryId, Stamped<Vec<Connector>>>>,
    people: RwLock<HashMap<PersonId, Stamped<PersonFacts>>>,
}

/// Bound on the people kept: the cache is emptied when it grows past it.
const MAX_PEOPLE: usize = 50_000;

impl<S: SsoStore> Sso<S> {
    /// The territory's connectors, from the cache while the directory is unchanged.
    pub(crate) async fn all_connectors(&self, territory: TerritoryId) -> Result<Arc<Vec<Connector>>> {
        let generation = self.store.generation();
        if let Some((g, list)) = self.cache.connectors.read().ok().and_then(|m| m.get(&territory).cloned())
            && g == generation
        {
            return Ok(list);
        }
        let list = Arc::new(self.store.connectors(territory).await?);
        if let Ok(mut m) = self.cache.connectors.write() {
            m.insert(territory, (generation, list.clone()));
        }
        Ok(list)
    }

    /// One connector of the territory, from the cache.
    pub(crate) async fn cached_connector(&self, territory: TerritoryId, id: preau_core::ServiceId) -> Result<Option<Connector>> {
        Ok(self.all_connectors(territory).await?.iter().find(|c| c.service == id).cloned())
    }

    pub(crate) async fn facts(&self, person: PersonId) -> Result<Arc<PersonFacts>> {
        let generation = self.store.generation();
        if let Some((g, f)) = self.cache.people.read().ok().and_then(|m| m.get(&person).cloned())
            && g == generation
        {
            return Ok(f);
        }
        let mut memberships = vec![];
        for m in self.store.memberships(person).await? {
            memberships.push((self.store.structure(m.structure).await?, m.profile));
        }
        let facts = Arc::new(PersonFacts { person: self.store.person(person).await?, memberships, groups: self.store.groups_of(person).await? });
        if let Ok(mut m) = self.cache.people.write() {
            if m.len() >= MAX_PEOPLE {
                m.clear();
            }
            m.insert(person, (generation, facts.clone()));
        }
        Ok(facts)
    }
}
