//! Launch counting: every sign-in to a connector (and every click on a plain link) adds one to
//! its count for the connector, the structure and profile it was reached through, and the day.
//! Counts are added up in memory and written in one go (`flush`), so a launch costs no write.

use crate::{Sso, SsoStore};
use preau_core::{Profile, Result, ServiceId, StructureId};
use std::collections::HashMap;
use std::sync::Mutex;

/// One count: (day `YYYY-MM-DD`, connector, structure, profile).
pub type LaunchKey = (String, ServiceId, StructureId, Profile);

#[derive(Default)]
pub struct Counter(Mutex<HashMap<LaunchKey, u64>>);

impl Counter {
    pub fn add(&self, key: LaunchKey) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(key).or_insert(0) += 1;
        }
    }

    fn take(&self) -> HashMap<LaunchKey, u64> {
        self.0.lock().map(|mut m| std::mem::take(&mut *m)).unwrap_or_default()
    }

    fn put_back(&self, counts: HashMap<LaunchKey, u64>) {
        if let Ok(mut m) = self.0.lock() {
            for (k, n) in counts {
                *m.entry(k).or_insert(0) += n;
            }
        }
    }
}

pub fn day_of(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

impl<S: SsoStore> Sso<S> {
    pub(crate) fn count_launch(&self, service: ServiceId, structure: StructureId, profile: Profile) {
        self.launches.add((day_of(self.clock.now()), service, structure, profile));
    }

    /// Writes the counts gathered since the last flush; kept for the next one if the write fails.
    pub async fn flush_launches(&self) -> Result<usize> {
        let counts = self.launches.take();
        if counts.is_empty() {
            return Ok(0);
        }
        let rows: Vec<(LaunchKey, u64)> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
        match self.store.add_launches(&rows).await {
            Ok(()) => Ok(rows.len()),
            Err(e) => {
                self.launches.put_back(counts);
                Err(e)
            }
        }
    }
}

impl<S: SsoStore> Sso<S> {
    /// A click on a tile of the portal: the caller must have the service in the bouquet of a
    /// structure and profile they hold (and, for a connector, be one it is offered to). Counts
    /// the launch through the acting context when it qualifies, else the first that does, and
    /// gives the address to go to.
    pub async fn launch(&self, caller: &preau_core::Principal, service: ServiceId, acting: Option<(StructureId, Profile)>) -> Result<String> {
        let me = caller.person_id().ok_or(preau_core::Error::Forbidden)?;
        let tile = self.store.service(service).await?;
        if tile.territory != caller.territory {
            return Err(preau_core::Error::NotFound);
        }
        let connector = self.cached_connector(caller.territory, service).await?;
        let mut through = vec![];
        for m in self.store.memberships(me).await? {
            let offered = connector.as_ref().is_none_or(|c| c.offered_to(m.structure, m.profile));
            if offered && self.store.bouquet(m.structure, m.profile).await?.iter().any(|s| s.id == service) {
                through.push((m.structure, m.profile));
            }
        }
        let Some(&(structure, profile)) = acting.and_then(|a| through.iter().find(|t| **t == a)).or(through.first()) else {
            return Err(preau_core::Error::Forbidden);
        };
        self.count_launch(service, structure, profile);
        Ok(tile.url)
    }

    /// The launch counts of the territory for a period, for an admin: every connector for a
    /// territory admin, the counts of their own structures for a local admin.
    pub async fn launch_report(&self, caller: &preau_core::Principal, from: &str, to: &str) -> Result<Vec<(LaunchKey, u64)>> {
        let rows = self.store.launch_counts(caller.territory, from, to).await?;
        match caller.structures_with(preau_core::Permission::ManageConnectors) {
            None => Ok(rows),
            Some(own) if own.is_empty() => Err(preau_core::Error::Forbidden),
            Some(own) => Ok(rows.into_iter().filter(|((_, _, s, _), _)| own.contains(s)).collect()),
        }
    }
}
