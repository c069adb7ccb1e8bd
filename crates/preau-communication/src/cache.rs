//! What communication computes from the directory, kept until the directory changes (its
//! generation moves with every directory write, rules included): each person's standing and
//! reach, and each structure's live classes with their names. A message to a class then costs
//! no directory reads at all: its audience, its expansion into people and their names are here. Bounded: past a size, it is emptied and refilled on demand.

use crate::rules::{Standing, Target};
use preau_core::{GroupId, PersonId, StructureId};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

const MAX_ENTRIES: usize = 50_000;

/// Values of one kind, each with the generation it was computed at.
pub struct Generational<K, V> {
    map: Mutex<HashMap<K, (u64, Arc<V>)>>,
}

impl<K, V> Default for Generational<K, V> {
    fn default() -> Self {
        Generational { map: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash, V> Generational<K, V> {
    pub fn get(&self, key: &K, generation: u64) -> Option<Arc<V>> {
        let m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        m.get(key).filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, generation: u64, value: Arc<V>) {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, (generation, value));
    }
}

/// The caches of communication.
#[derive(Default)]
pub struct Caches {
    pub reach: Generational<PersonId, (Standing, Vec<Target>)>,
    /// A structure's live classes and teaching groups: (id, name).
    pub classes: Generational<StructureId, Vec<(GroupId, String)>>,
    /// A structure's people for the recipient picker, sorted by name.
    pub people: Generational<StructureId, Vec<Listed>>,
    /// Held while a structure's people are read into `people` (the costly refill).
    pub people_refill: tokio::sync::Mutex<()>,
    /// Who is within one target (a class, its parents, a profile of a school…).
    pub expansions: Generational<Target, Vec<PersonId>>,
    /// What a target is called (a class, a school, a person).
    pub names: Generational<Target, String>,
}

/// A person of a structure as the picker searches them.
pub struct Listed {
    pub id: PersonId,
    pub profile: preau_core::Profile,
    pub given: String,
    pub family: String,
    /// `given` and `family` lower-cased, for prefix searches.
    pub given_lower: String,
    pub family_lower: String,
}
