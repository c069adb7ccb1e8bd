//! Whose timetable the caller may see, and its lessons over a range of days.
//!
//! A person's own; a parent's children's; any person's, class's or room's of a structure to
//! its adults (teachers, direction, school life, staff, documentalists, inspectors) and to
//! whoever manages its timetable; a class's to its pupils and their parents. Nothing else.

use crate::calendar::{Calendars, Zone};
use crate::model::{Course, Lesson};
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_core::{Error, GroupId, Permission, PersonId, Principal, Profile, Result, StructureId};
use std::collections::{BTreeMap, BTreeSet};

/// The longest range of days one view may ask for (a school year and a little more).
pub const MAX_DAYS: i64 = 400;

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
        if to < from || (to - from).num_days() > MAX_DAYS {
            return Err(Error::invalid("to", "timetable.range"));
        }
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
                let courses = self.store.courses_of(&[*g], None).await?;
                self.expand(&courses, from, to, |l| l.groups.contains(g)).await
            }
            Of::Room(s, room) => {
                if !self.adult_in(caller, *s).await? {
                    return Err(Error::Forbidden);
                }
                let courses = self.store.room_courses(*s, room).await?;
                // A lesson moved to another room leaves this one.
                self.expand(&courses, from, to, |l| l.room == *room).await
            }
        }
    }

    async fn person_lessons(&self, caller: &Principal, person: PersonId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Lesson>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (standing, _) = self.communication.reach_of(person).await?;
        // Someone else's, not one's child's: only the lessons of the structures one is an adult of.
        let mut only_in: Option<BTreeSet<StructureId>> = None;
        if me != person && !self.communication.reach_of(me).await?.0.children.contains(&person) {
            let mut mine = BTreeSet::new();
            for s in standing.structures() {
                if self.adult_in(caller, s).await? {
                    mine.insert(s);
                }
            }
            if mine.is_empty() {
                return Err(Error::Forbidden);
            }
            only_in = Some(mine);
        }
        let groups: BTreeSet<GroupId> =
            standing.classes.iter().filter(|(_, _, p)| *p == Profile::Pupil).map(|(_, g, _)| *g).chain(standing.groups.iter().map(|(_, g)| *g)).collect();
        let groups: Vec<GroupId> = groups.into_iter().collect();
        let mut courses = self.store.courses_of(&groups, Some(person)).await?;
        // Lessons they replace another teacher in.
        let replaced: BTreeSet<_> = self.store.replacements(person, from, to).await?.into_iter().map(|c| c.course).collect();
        for id in replaced {
            if !courses.iter().any(|c| c.id == id)
                && let Some(c) = self.store.course(id).await?
            {
                courses.push(c);
            }
        }
        if let Some(only) = &only_in {
            courses.retain(|c| only.contains(&c.structure));
        }
        self.expand(&courses, from, to, |l| l.teachers.contains(&person) || l.groups.iter().any(|g| groups.contains(g))).await
    }

    /// The lessons of courses (of any structures) over a range, each structure on its own
    /// calendar, keeping those `keep` says.
    pub(crate) async fn expand(&self, courses: &[Course], from: NaiveDate, to: NaiveDate, keep: impl Fn(&Lesson) -> bool) -> Result<Vec<Lesson>> {
        let ids: Vec<_> = courses.iter().map(|c| c.id).collect();
        let changes = if ids.is_empty() { vec![] } else { self.store.changes_of(&ids, from, to).await? };
        let mut by_structure: BTreeMap<StructureId, Vec<Course>> = BTreeMap::new();
        for c in courses {
            by_structure.entry(c.structure).or_default().push(c.clone());
        }
        let mut out = vec![];
        for (s, list) in by_structure {
            let calendars = self.calendars(s, from, to).await?;
            out.extend(crate::lessons::lessons(&list, &changes, &calendars, from, to).into_iter().filter(|l| keep(l)));
        }
        out.sort_by(|a, b| (a.day, a.start, &a.subject).cmp(&(b.day, b.start, &b.subject)));
        Ok(out)
    }

    /// A structure's school calendars over a range of days (from its académie's zone).
    pub async fn calendars(&self, structure: StructureId, from: NaiveDate, to: NaiveDate) -> Result<Calendars> {
        let s = self.store.structure(structure).await?;
        Ok(Calendars::new(Zone::of_academie(&s.academie), from, to))
    }
}
