//! Whose timetable the caller may see, and its lessons over a range of days.
//!
//! A person's own; a parent's children's; any person's, class's or room's of a structure to
//! its adults (teachers, direction, school life, staff, documentalists, inspectors) and to
//! whoever manages its timetable; a class's to its pupils and their parents. Nothing else.

use crate::cache::Kept;
use crate::calendar::{Calendars, Zone};
use crate::model::{Course, Lesson};
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_core::{Error, GroupId, Permission, PersonId, Principal, Profile, Result, StructureId};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The longest range of days one view may ask for (a school year and a little more).
pub const MAX_DAYS: i64 = 400;

/// Whether a day asked for is one a school could have (years 1900–2200): anything further
/// would only overflow the date arithmetic.
pub fn plausible(d: &NaiveDate) -> bool {
    (1900..=2200).contains(&chrono::Datelike::year(d))
}

/// A range of days a view may ask for: in order, plausible, at most [`MAX_DAYS`] long.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if to < from || !plausible(&from) || !plausible(&to) || (to - from).num_days() > MAX_DAYS {
        return Err(Error::invalid("to", "timetable.range"));
    }
    Ok(())
}

/// Whose timetable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Of {
    Person(PersonId),
    Class(GroupId),
    Room(StructureId, String),
}

impl<S: TimetableStore> Timetable<S> {
    /// Whether the caller holds one of `profiles` in the structure, or manages its timetable
    /// (a territory-wide role: in their own territory only).
    pub(crate) async fn holds(&self, caller: &Principal, s: StructureId, profiles: &[Profile]) -> Result<bool> {
        if caller.memberships.iter().any(|(ms, p)| *ms == s && profiles.contains(p)) {
            return Ok(true);
        }
        preau_directory::store::can_in_territory(&*self.store, caller, Permission::ManageTimetable, s).await
    }

    /// Whether the caller is an adult of the structure (its staff, or an inspector), or
    /// manages its timetable.
    pub async fn adult_in(&self, caller: &Principal, s: StructureId) -> Result<bool> {
        let mut adults = preau_communication::rules::STAFF.to_vec();
        adults.push(Profile::Academy);
        self.holds(caller, s, &adults).await
    }

    /// The lessons of a person, class or room from `from` to `to` inclusive.
    pub async fn lessons(&self, caller: &Principal, of: &Of, from: NaiveDate, to: NaiveDate) -> Result<Vec<Lesson>> {
        check_range(from, to)?;
        match of {
            Of::Person(p) => self.person_lessons(caller, *p, from, to).await,
            Of::Class(g) => {
                let group = self.store.group(*g).await?;
                let (standing, _) = match caller.person_id() {
                    Some(me) => self.communication.reach_of(me).await?,
                    None => return Err(Error::Forbidden),
                };
                let member = standing.classes.iter().any(|(_, cg, _)| cg == g) || standing.groups.iter().any(|(_, sg)| sg == g);
                if !member && !self.adult_in(caller, group.structure).await? {
                    return Err(Error::Forbidden);
                }
                let structures = std::iter::once(group.structure).chain(group.also_in.iter().copied());
                self.select(structures, from, to, |c, _| c.groups.contains(g), |l| l.groups.contains(g)).await
            }
            Of::Room(s, room) => {
                if !self.adult_in(caller, *s).await? {
                    return Err(Error::Forbidden);
                }
                // With the lessons moved into it; a lesson moved to another room leaves it.
                let moved_here = |changes: &[crate::model::Change]| changes.iter().any(|ch| ch.room.as_deref() == Some(room.as_str()));
                self.select([*s], from, to, |c, changes| c.room == *room || moved_here(changes), |l| l.room == *room).await
            }
        }
    }

    async fn person_lessons(&self, caller: &Principal, person: PersonId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Lesson>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (standing, _) = self.communication.reach_of(person).await?;
        let mut structures = standing.structures();
        // Someone else's, not one's child's: only the lessons of the structures one is an adult of.
        if me != person && !self.communication.reach_of(me).await?.0.children.contains(&person) {
            let mut mine = BTreeSet::new();
            for s in structures {
                if self.adult_in(caller, s).await? {
                    mine.insert(s);
                }
            }
            if mine.is_empty() {
                return Err(Error::Forbidden);
            }
            structures = mine;
        }
        let groups: BTreeSet<GroupId> =
            standing.classes.iter().filter(|(_, _, p)| *p == Profile::Pupil).map(|(_, g, _)| *g).chain(standing.groups.iter().map(|(_, g)| *g)).collect();
        // Their pupils' courses, the courses they teach, and those they replace another teacher in.
        let theirs = |c: &Course, changes: &[crate::model::Change]| {
            c.teachers.contains(&person) || c.groups.iter().any(|g| groups.contains(g)) || changes.iter().any(|ch| ch.replacement == Some(person))
        };
        self.select(structures, from, to, theirs, |l| l.teachers.contains(&person) || l.groups.iter().any(|g| groups.contains(g))).await
    }

    /// The lessons over a range of the courses of these structures that `select` picks (given
    /// each course's changes), each structure on its own calendar, keeping those `keep` says.
    async fn select(
        &self,
        structures: impl IntoIterator<Item = StructureId>,
        from: NaiveDate,
        to: NaiveDate,
        select: impl Fn(&Course, &[crate::model::Change]) -> bool,
        keep: impl Fn(&Lesson) -> bool,
    ) -> Result<Vec<Lesson>> {
        let mut out = vec![];
        for s in structures {
            let kept = self.kept(s).await?;
            let courses: Vec<Course> = kept.courses.iter().filter(|c| select(c, kept.changes_of(c.id))).cloned().collect();
            let changes: Vec<crate::model::Change> = courses.iter().flat_map(|c| kept.changes_of(c.id).iter().cloned()).collect();
            let calendars = kept.calendars(from, to);
            out.extend(crate::lessons::lessons(&courses, &changes, &calendars, from, to).into_iter().filter(|l| keep(l)));
        }
        out.sort_by(|a, b| (a.day, a.start, &a.subject).cmp(&(b.day, b.start, &b.subject)));
        Ok(out)
    }

    /// A structure's timetable, from memory when nothing changed since it was read.
    pub(crate) async fn kept(&self, structure: StructureId) -> Result<Arc<Kept>> {
        let generation = self.store.generation();
        if let Some(k) = self.cache.get(structure, generation) {
            return Ok(k);
        }
        let s = self.store.structure(structure).await?;
        let slots = self.store.slot_grid(structure).await?.unwrap_or_else(crate::slots::default_grid);
        let kept = Arc::new(Kept::new(
            Zone::of_academie(&s.academie),
            self.store.local_calendar(structure).await?.unwrap_or_default(),
            self.store.structure_courses(structure).await?,
            self.store.structure_changes(structure).await?,
            slots,
        ));
        self.cache.put(structure, generation, kept.clone());
        Ok(kept)
    }

    /// A structure's school calendars over a range of days (its académie's zone, and what it
    /// says of its own calendar).
    pub async fn calendars(&self, structure: StructureId, from: NaiveDate, to: NaiveDate) -> Result<Calendars> {
        Ok(self.kept(structure).await?.calendars(from, to))
    }
}
