//! Entering the timetable by hand and changing single lessons. The structure's timetable
//! managers (and local admins) enter courses; they and the direction and school life staff
//! change lessons (a teacher absent, a room closed). Those concerned — the pupils, their
//! parents, the teachers — are told through the notification feed.

use crate::model::{Change, Course, Minute, Weeks, show_minute};
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_communication::Target;
use preau_communication::notifications::Kind;
use preau_core::error::Validator as Errors;
use preau_core::{CourseId, Error, GroupId, PersonId, Principal, Profile, Result, StructureId};
use preau_directory::audit;

/// A course as entered (by hand or by an import line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseInput {
    pub subject: String,
    pub teachers: Vec<PersonId>,
    pub groups: Vec<GroupId>,
    pub room: String,
    pub weekday: u8,
    pub start: Minute,
    pub end: Minute,
    pub weeks: Weeks,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// What becomes of one lesson.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeInput {
    pub cancelled: bool,
    pub moved_to: Option<(NaiveDate, Minute, Minute)>,
    pub replacement: Option<PersonId>,
    pub room: Option<String>,
    pub note: String,
}

/// Checks what a course says on its own (the people and groups are checked against the
/// structure by [`Timetable::check_course`]).
pub fn validate(c: &CourseInput) -> Result<()> {
    let mut e = Errors::new();
    e.check(!c.subject.trim().is_empty() && c.subject.len() <= 200, "subject", "timetable.subject");
    e.check((1..=6).contains(&c.weekday), "weekday", "timetable.weekday");
    e.check(c.start < c.end && c.end < 24 * 60, "end", "timetable.times");
    e.check(c.from <= c.to, "to", "timetable.period");
    e.check(!c.groups.is_empty(), "groups", "timetable.groups");
    e.check(c.room.len() <= 100, "room", "timetable.room");
    e.check(!matches!(&c.weeks, Weeks::Given(w) if w.is_empty()), "weeks", "timetable.weeks");
    e.finish()
}

impl<S: TimetableStore> Timetable<S> {
    pub(crate) async fn require_manager(&self, caller: &Principal, s: StructureId) -> Result<()> {
        if self.manages(caller, s).await? { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// Whether the caller manages the timetable of a structure (enters and imports courses).
    pub async fn manages(&self, caller: &Principal, s: StructureId) -> Result<bool> {
        self.holds(caller, s, &[]).await
    }

    /// Whether the caller may change the lessons of a structure: its timetable managers, its
    /// direction and school life.
    pub async fn may_change_lessons(&self, caller: &Principal, s: StructureId) -> Result<bool> {
        self.holds(caller, s, &[Profile::Direction, Profile::SchoolLife]).await
    }

    /// The groups must be live classes or groups of the structure, the teachers teachers
    /// (or other adults) of it.
    pub(crate) async fn check_course(&self, s: StructureId, c: &CourseInput) -> Result<()> {
        validate(c)?;
        for g in &c.groups {
            let group = self.store.group(*g).await.map_err(|e| match e {
                Error::NotFound => Error::invalid("groups", "timetable.group_unknown"),
                other => other,
            })?;
            if group.structure != s && !group.also_in.contains(&s) {
                return Err(Error::invalid("groups", "timetable.group_unknown"));
            }
            if group.archived_year.is_some() {
                return Err(Error::invalid("groups", "timetable.group_archived"));
            }
        }
        for t in &c.teachers {
            self.require_adult_of(*t, s, "teachers").await?;
        }
        Ok(())
    }

    async fn require_adult_of(&self, person: PersonId, s: StructureId, field: &str) -> Result<()> {
        let ok = self.store.memberships(person).await?.iter().any(|m| m.structure == s && !matches!(m.profile, Profile::Pupil | Profile::Parent));
        if ok { Ok(()) } else { Err(Error::invalid(field, "timetable.teacher_unknown")) }
    }

    /// The courses of a structure, for its managers.
    pub async fn courses(&self, caller: &Principal, s: StructureId) -> Result<Vec<Course>> {
        self.require_manager(caller, s).await?;
        let mut list = self.store.structure_courses(s).await?;
        list.sort_by(|a, b| (a.weekday, a.start, &a.subject).cmp(&(b.weekday, b.start, &b.subject)));
        Ok(list)
    }

    /// Adds a course by hand.
    pub async fn add_course(&self, caller: &Principal, s: StructureId, input: CourseInput) -> Result<Course> {
        self.require_manager(caller, s).await?;
        self.check_course(s, &input).await?;
        let id = CourseId::new();
        let course = course_of(id, s, input, "manual", id.to_string());
        let entry = audit::entry::<(), _>(self.clock.now(), caller, "timetable.course_add", format!("course:{id}"), Some(s), None, Some(&course));
        self.store.insert_course(&course, &entry).await?;
        self.cache.forget(s);
        Ok(course)
    }

    /// Changes a course in place, over its whole period: its lessons' changes and cahier entries
    /// stay (refused while a lesson changed from today on would no longer be held). An imported
    /// course keeps its source, so the next import of that source puts it back as the source
    /// says.
    pub async fn update_course(&self, caller: &Principal, id: CourseId, input: CourseInput) -> Result<Course> {
        let old = self.store.course(id).await?.ok_or(Error::NotFound)?;
        self.require_manager(caller, old.structure).await?;
        self.check_course(old.structure, &input).await?;
        let course = course_of(id, old.structure, input, &old.source, old.key.clone());
        self.check_changes_kept(&course).await?;
        let entry = audit::entry(self.clock.now(), caller, "timetable.course_update", format!("course:{id}"), Some(old.structure), Some(&old), Some(&course));
        let diff = crate::store::CourseDiff { updated: vec![course.clone()], ..Default::default() };
        self.store.apply_courses(&diff, &entry).await?;
        self.cache.forget(old.structure);
        Ok(course)
    }

    /// A course's lessons changed from today on (cancelled, moved, replaced) must still be
    /// lessons of the course as changed: otherwise the change would silently vanish from the
    /// views. The manager puts those lessons back first (`409 timetable.course_has_changes`).
    async fn check_changes_kept(&self, course: &Course) -> Result<()> {
        let today = preau_core::local_time::paris_date(self.clock.now());
        let kept = self.kept(course.structure).await?;
        for change in kept.changes_of(course.id).iter().filter(|c| c.date >= today) {
            let calendars = kept.calendars(change.date, change.date);
            if crate::lessons::occurrence(course, change.date, &calendars, None).is_none() {
                return Err(Error::Conflict("timetable.course_has_changes"));
            }
        }
        Ok(())
    }

    /// A course of a structure, for its managers.
    pub async fn course(&self, caller: &Principal, id: CourseId) -> Result<Course> {
        let course = self.store.course(id).await?.ok_or(Error::NotFound)?;
        self.require_manager(caller, course.structure).await?;
        Ok(course)
    }

    /// Deletes a course and its lessons' changes.
    pub async fn delete_course(&self, caller: &Principal, id: CourseId) -> Result<()> {
        let course = self.store.course(id).await?.ok_or(Error::NotFound)?;
        self.require_manager(caller, course.structure).await?;
        let entry =
            audit::entry::<_, ()>(self.clock.now(), caller, "timetable.course_delete", format!("course:{id}"), Some(course.structure), Some(&course), None);
        self.store.delete_course(id, &entry).await?;
        self.cache.forget(course.structure);
        Ok(())
    }

    /// Changes the lesson a course has on `date` (cancels it, moves it, gives it another
    /// teacher or room), and tells those concerned.
    pub async fn change_lesson(&self, caller: &Principal, id: CourseId, date: NaiveDate, input: ChangeInput) -> Result<Change> {
        let course = self.store.course(id).await?.ok_or(Error::NotFound)?;
        if !self.may_change_lessons(caller, course.structure).await? {
            return Err(Error::Forbidden);
        }
        let by = caller.person_id().ok_or(Error::Forbidden)?;
        let calendars = self.calendars(course.structure, date, date).await?;
        let held = crate::lessons::lessons(std::slice::from_ref(&course), &[], &calendars, date, date);
        if held.is_empty() {
            return Err(Error::invalid("date", "timetable.no_lesson"));
        }
        let mut e = Errors::new();
        if let Some((_, start, end)) = input.moved_to {
            e.check(start < end && end < 24 * 60, "end", "timetable.times");
        }
        e.check(input.note.len() <= 500, "note", "timetable.note");
        e.check(input.room.as_ref().is_none_or(|r| r.len() <= 100), "room", "timetable.room");
        e.check(input.cancelled || input.moved_to.is_some() || input.replacement.is_some() || input.room.is_some(), "cancelled", "timetable.no_change");
        e.finish()?;
        if let Some(t) = input.replacement {
            self.require_adult_of(t, course.structure, "replacement").await?;
        }
        let change = Change {
            course: id,
            date,
            cancelled: input.cancelled,
            moved_to: input.moved_to,
            replacement: input.replacement,
            room: input.room.filter(|r| !r.trim().is_empty()),
            note: input.note.trim().to_owned(),
            at: self.clock.now(),
            by,
        };
        let entry =
            audit::entry::<(), _>(change.at, caller, "timetable.lesson_change", format!("course:{id}:{date}"), Some(course.structure), None, Some(&change));
        self.store.put_change(&change, &entry).await?;
        self.cache.forget(course.structure);
        self.tell(&course, date, &change).await?;
        Ok(change)
    }

    /// Puts a lesson back as its course says.
    pub async fn undo_change(&self, caller: &Principal, id: CourseId, date: NaiveDate) -> Result<()> {
        let course = self.store.course(id).await?.ok_or(Error::NotFound)?;
        if !self.may_change_lessons(caller, course.structure).await? {
            return Err(Error::Forbidden);
        }
        let entry =
            audit::entry::<(), ()>(self.clock.now(), caller, "timetable.lesson_restore", format!("course:{id}:{date}"), Some(course.structure), None, None);
        if !self.store.delete_change(id, date, &entry).await? {
            return Err(Error::NotFound);
        }
        self.cache.forget(course.structure);
        Ok(())
    }

    /// Notifies the pupils and parents of the course's groups and its teachers (the
    /// replacement too) of a changed lesson.
    async fn tell(&self, course: &Course, date: NaiveDate, change: &Change) -> Result<()> {
        let mut targets: Vec<Target> = vec![];
        for g in &course.groups {
            targets.push(Target::Class { group: *g, profile: Profile::Pupil });
            targets.push(Target::Class { group: *g, profile: Profile::Parent });
        }
        targets.extend(course.teachers.iter().chain(change.replacement.iter()).map(|p| Target::Person { person: *p }));
        let mut people = self.store.expand(&targets).await?;
        people.retain(|p| *p != change.by);
        people.sort();
        people.dedup();
        let what = if change.cancelled {
            "annulé".to_owned()
        } else if let Some((day, start, _)) = change.moved_to {
            format!("déplacé au {} à {}", day.format("%d/%m"), show_minute(start))
        } else if change.replacement.is_some() {
            "assuré par un autre professeur".to_owned()
        } else {
            format!("en salle {}", change.room.clone().unwrap_or_default())
        };
        let title = format!("{}, {} {} : {what}", course.subject, date.format("%d/%m"), show_minute(course.start));
        let link = format!("/timetable?week={}", crate::calendar::monday_of(date));
        self.communication.notify(&people, Kind::Timetable, change.at, &title, &link, &*self.communication.live).await
    }
}

/// A course from what was entered.
pub fn course_of(id: CourseId, structure: StructureId, c: CourseInput, source: &str, key: String) -> Course {
    Course {
        id,
        structure,
        subject: c.subject.trim().to_owned(),
        teachers: c.teachers,
        groups: c.groups,
        room: c.room.trim().to_owned(),
        weekday: c.weekday,
        start: c.start,
        end: c.end,
        weeks: c.weeks,
        from: c.from,
        to: c.to,
        source: source.to_owned(),
        key,
    }
}
