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
}

impl DueCache {
    pub fn group(&self, g: GroupId, start: NaiveDate) -> Option<Arc<Vec<Homework>>> {
        let map = self.groups.read().unwrap_or_else(|e| e.into_inner());
        map.get(&g).filter(|(s, _)| *s == start).map(|(_, list)| list.clone())
    }

    pub fn put_group(&self, g: GroupId, start: NaiveDate, list: Arc<Vec<Homework>>) {
        self.groups.write().unwrap_or_else(|e| e.into_inner()).insert(g, (start, list));
    }

    /// Forgets these groups' homework after a write.
    pub fn forget_groups(&self, groups: &[GroupId]) {
        let mut map = self.groups.write().unwrap_or_else(|e| e.into_inner());
        for g in groups {
            map.remove(g);
        }
    }

    pub fn ticks(&self, pupil: PersonId) -> Option<Ticks> {
        self.ticks.read().unwrap_or_else(|e| e.into_inner()).get(&pupil).cloned()
    }

    pub fn put_ticks(&self, pupil: PersonId, ticks: Ticks) {
        self.ticks.write().unwrap_or_else(|e| e.into_inner()).insert(pupil, ticks);
    }

    /// Forgets a pupil's ticks after they ticked or unticked.
    pub fn forget_ticks(&self, pupil: PersonId) {
        self.ticks.write().unwrap_or_else(|e| e.into_inner()).remove(&pupil);
    }
}
