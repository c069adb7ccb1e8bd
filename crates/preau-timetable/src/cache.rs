//! Each structure's timetable kept in memory: its zone and own calendar, courses and lesson
//! changes, read once
//! and then served to every view until a timetable write in that structure (which forgets it)
//! or a directory write (the directory's generation moves: an académie may have changed).
//! Views then filter in memory instead of querying per request.

use crate::calendar::{Calendars, LocalCalendar, Zone};
use crate::model::{Change, Course};
use preau_core::{CourseId, StructureId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A structure's timetable as read.
pub struct Kept {
    /// Its académie's holiday zone.
    pub zone: Option<Zone>,
    /// What the structure says of its calendar (see [`LocalCalendar`]).
    pub local: LocalCalendar,
    pub courses: Vec<Course>,
    /// The changes of each course's lessons.
    pub changes: HashMap<CourseId, Vec<Change>>,
    /// Its slot grid (see [`crate::slots`]).
    pub slots: Vec<crate::slots::Slot>,
}

impl Kept {
    pub fn new(zone: Option<Zone>, local: LocalCalendar, courses: Vec<Course>, changes: Vec<Change>, slots: Vec<crate::slots::Slot>) -> Kept {
        let mut by_course: HashMap<CourseId, Vec<Change>> = HashMap::new();
        for c in changes {
            by_course.entry(c.course).or_default().push(c);
        }
        Kept { zone, local, courses, changes: by_course, slots }
    }

    /// The structure's school calendars over a range of days.
    pub fn calendars(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Calendars {
        Calendars::of(&self.local, self.zone, from, to)
    }

    /// The changes of a course's lessons.
    pub fn changes_of(&self, course: CourseId) -> &[Change] {
        self.changes.get(&course).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The kept timetables, each with the directory generation it was read at.
#[derive(Default)]
pub struct Cache {
    map: RwLock<HashMap<StructureId, (u64, Arc<Kept>)>>,
}

impl Cache {
    pub fn get(&self, s: StructureId, generation: u64) -> Option<Arc<Kept>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(&s).filter(|(g, _)| *g == generation).map(|(_, k)| k.clone())
    }

    pub fn put(&self, s: StructureId, generation: u64, kept: Arc<Kept>) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).insert(s, (generation, kept));
    }

    /// Forgets a structure's timetable after a write in it.
    pub fn forget(&self, s: StructureId) {
        self.map.write().unwrap_or_else(|e| e.into_inner()).remove(&s);
    }
}
