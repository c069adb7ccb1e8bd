//! The homework due soon, kept in memory: for each class or group, the homework due in a
//! window around today (a week back, five weeks ahead), read once and then served to every
//! pupil of it until a homework write touching that group forgets it (or the day changes);
//! each pupil's ticks, read once and kept up to date by their own ticking. "What is due" is
//! the most read page of the cahier every evening; reading it then costs no query. Ranges
//! outside the window go to the store.

use super::model::Homework;
use chrono::{Days, NaiveDate};
use preau_core::{GroupId, HomeworkId, PersonId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Days before and after today that the window holds.
pub const BACK: u64 = 7;
pub const AHEAD: u64 = 35;

/// The window of days kept, for a day.
pub fn window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (today - Days::new(BACK), today + Days::new(AHEAD))
}

pub type Ticks = Arc<HashMap<HomeworkId, i64>>;
/// A group's homework due in a window, with the window's first day.
type Window = (NaiveDate, Arc<Vec<Homework>>);

#[derive(Default)]
pub struct DueCache {
    /// Per group: the first day of its window, and the homework due in it.
    groups: RwLock<HashMap<GroupId, Window>>,
    ticks: RwLock<HashMap<PersonId, Ticks>>,
    /// Moves with every forgetting: what was read from the store before a write is not kept
    /// after it (a reader notes it before reading, and keeps what it read only if unchanged).
    epoch: AtomicU64,
}

impl DueCache {
    pub fn group(&self, g: GroupId, start: NaiveDate) -> Option<Arc<Vec<Homework>>> {
        let map = self.groups.read().unwrap_or_else(|e| e.into_inner());
        map.get(&g).filter(|(s, _)| *s == start).map(|(_, list)| list.clone())
    }

    /// The epoch to note before reading the store.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Keeps a group's homework read at `epoch`, unless something was forgotten since.
    pub fn put_group(&self, g: GroupId, start: NaiveDate, list: Arc<Vec<Homework>>, epoch: u64) {
        let mut map = self.groups.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch() == epoch {
            map.insert(g, (start, list));
        }
    }

    /// Forgets these groups' homework after a write.
    pub fn forget_groups(&self, groups: &[GroupId]) {
        let mut map = self.groups.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for g in groups {
            map.remove(g);
        }
    }

    pub fn ticks(&self, pupil: PersonId) -> Option<Ticks> {
        self.ticks.read().unwrap_or_else(|e| e.into_inner()).get(&pupil).cloned()
    }

    /// Keeps a pupil's ticks read at `epoch`, unless something was forgotten since.
    pub fn put_ticks(&self, pupil: PersonId, ticks: Ticks, epoch: u64) {
        let mut map = self.ticks.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch() == epoch {
            map.insert(pupil, ticks);
        }
    }

    /// Forgets a pupil's ticks after they ticked or unticked.
    pub fn forget_ticks(&self, pupil: PersonId) {
        let mut map = self.ticks.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        map.remove(&pupil);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_read_before_a_write_is_not_kept_after_it() {
        let cache = DueCache::default();
        let (g, day) = (GroupId::new(), NaiveDate::from_ymd_opt(2026, 9, 21).unwrap_or_default());
        let before = cache.epoch();
        // A write lands (and forgets) while the reader was reading the store.
        cache.forget_groups(&[g]);
        cache.put_group(g, day, Arc::new(vec![]), before);
        assert!(cache.group(g, day).is_none(), "the stale read is dropped");
        cache.put_group(g, day, Arc::new(vec![]), cache.epoch());
        assert!(cache.group(g, day).is_some());
        let pupil = PersonId::new();
        let before = cache.epoch();
        cache.forget_ticks(pupil);
        cache.put_ticks(pupil, Arc::default(), before);
        assert!(cache.ticks(pupil).is_none());
    }
}
