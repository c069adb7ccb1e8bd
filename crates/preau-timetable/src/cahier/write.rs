//! Writing the *cahier de textes*: a lesson's teachers (its own, or the one replacing them
//! that day) write what was done and set homework for a later day; the head visas a
//! teacher's part of a class's cahier. Nothing can be written in the cahier of an archived
//! class (a past school year), nor before a visa's day.

use super::model::{Entry, Homework, Visa};
use super::rich;
use crate::model::{Course, Lesson};
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_core::error::Validator as Errors;
use preau_core::{CourseId, DocumentId, Error, GroupId, HomeworkId, PersonId, Principal, Profile, Result};
use preau_directory::audit;

/// What a teacher writes about a lesson.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub title: String,
    pub content: String,
    pub attachments: Vec<DocumentId>,
    /// When pupils and parents see it; now if absent.
    pub publish_at: Option<i64>,
}

/// Homework as set.
#[derive(Debug, Clone)]
pub struct HomeworkInput {
    pub due: NaiveDate,
    pub instructions: String,
    pub minutes: u16,
    pub attachments: Vec<DocumentId>,
    pub hand_in: bool,
    /// When copies handed in online are due.
    pub deadline: Option<i64>,
    pub publish_at: Option<i64>,
}

/// The longest text kept, in bytes of HTML.
const MAX_TEXT: usize = 100_000;
const MAX_ATTACHMENTS: usize = 20;

impl<S: TimetableStore> Timetable<S> {
    /// The course and lesson of `course` on `date`, if the caller teaches it (or replaces its
    /// teacher that day); refused in an archived class and before a visa's day.
    pub(crate) async fn lesson_to_write(&self, caller: &Principal, course: CourseId, date: NaiveDate) -> Result<(Course, Lesson, PersonId)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (course, lesson) = self.lesson(course, date).await?;
        if !course.teachers.contains(&me) && !lesson.teachers.contains(&me) {
            return Err(Error::Forbidden);
        }
        // What someone else wrote in that lesson is locked by their visa too.
        let mut authors = vec![me];
        authors.extend(self.store.entry_of(course.id, date).await?.map(|e| e.teacher));
        self.check_unlocked(&lesson.groups, date, &authors).await?;
        Ok((course, lesson, me))
    }

    /// Refused in an archived class, and on or before the day of a visa of one of `authors` in
    /// one of `groups`.
    async fn check_unlocked(&self, groups: &[GroupId], date: NaiveDate, authors: &[PersonId]) -> Result<()> {
        for g in groups {
            if self.store.group(*g).await?.archived_year.is_some() {
                return Err(Error::Conflict("cahier.archived"));
            }
            if self.store.visas(*g).await?.iter().any(|v| authors.contains(&v.teacher) && v.until >= date) {
                return Err(Error::Conflict("cahier.visaed"));
            }
        }
        Ok(())
    }

    /// Whether `me` wrote an item (`author`) or teaches its course (even if the course no
    /// longer has that lesson, after an import).
    pub(crate) async fn teaches(&self, me: PersonId, author: PersonId, course: CourseId) -> Result<bool> {
        Ok(author == me || self.store.course(course).await?.is_some_and(|c| c.teachers.contains(&me)))
    }

    /// Whether the caller may visa a structure's cahiers: its direction.
    pub fn may_visa(&self, caller: &Principal, s: preau_core::StructureId) -> bool {
        caller.memberships.iter().any(|(ms, p)| *ms == s && *p == Profile::Direction)
    }

    /// Every file attached must be one the caller may read in the documents service.
    pub(crate) async fn check_readable(&self, caller: &Principal, ids: &[DocumentId]) -> Result<()> {
        for id in ids {
            self.documents.file(caller, *id).await.map_err(|e| match e {
                Error::NotFound | Error::Forbidden => Error::invalid("attachments", "cahier.attachment_unknown"),
                other => other,
            })?;
        }
        Ok(())
    }

    /// Homework the caller may change: theirs, or of a course they teach (even if the course
    /// no longer has that lesson, after an import); not once visaed or archived.
    async fn homework_to_write(&self, caller: &Principal, id: HomeworkId) -> Result<Homework> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let h = self.store.homework(id).await?.ok_or(Error::NotFound)?;
        if !self.teaches(me, h.teacher, h.course).await? {
            return Err(Error::Forbidden);
        }
        self.check_unlocked(&h.groups, h.set_on, &[me, h.teacher]).await?;
        Ok(h)
    }

    /// The lesson of `course` on `date` (as changed), if the course is held that day.
    pub async fn lesson(&self, course: CourseId, date: NaiveDate) -> Result<(Course, Lesson)> {
        let course = self.store.course(course).await?.ok_or(Error::NotFound)?;
        let kept = self.kept(course.structure).await?;
        let change = kept.changes_of(course.id).iter().find(|c| c.date == date);
        let calendars = kept.calendars(date, date);
        let lesson = crate::lessons::occurrence(&course, date, &calendars, change).ok_or(Error::NotFound)?;
        Ok((course, lesson))
    }

    /// Writes (or rewrites) what was done in a lesson.
    pub async fn write_entry(&self, caller: &Principal, course: CourseId, date: NaiveDate, input: EntryInput) -> Result<Entry> {
        let (course, lesson, me) = self.lesson_to_write(caller, course, date).await?;
        self.check_readable(caller, &input.attachments).await?;
        let content = rich::clean(&input.content);
        let mut e = Errors::new();
        e.check(input.title.len() <= 200, "title", "cahier.title_long");
        e.check(!content.is_empty() || !input.title.trim().is_empty(), "content", "cahier.content_empty");
        e.check(content.len() <= MAX_TEXT, "content", "cahier.content_long");
        e.check(input.attachments.len() <= MAX_ATTACHMENTS, "attachments", "cahier.attachments_many");
        e.finish()?;
        let now = self.clock.now();
        let before = self.store.entry_of(course.id, date).await?;
        let entry = Entry {
            id: before.as_ref().map(|b| b.id).unwrap_or_default(),
            structure: course.structure,
            course: course.id,
            date,
            subject: lesson.subject.clone(),
            groups: lesson.groups.clone(),
            teacher: before.as_ref().map(|b| b.teacher).unwrap_or(me),
            title: input.title.trim().to_owned(),
            content,
            attachments: dedup(input.attachments),
            publish_at: input.publish_at.unwrap_or(now),
            created: before.as_ref().map(|b| b.created).unwrap_or(now),
            updated: now,
        };
        self.store.put_entry(&entry).await?;
        Ok(entry)
    }

    /// Deletes a lesson's entry (its homework stays): its author, or a teacher of its course.
    pub async fn delete_entry(&self, caller: &Principal, course: CourseId, date: NaiveDate) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let entry = self.store.entry_of(course, date).await?.ok_or(Error::NotFound)?;
        if !self.teaches(me, entry.teacher, course).await? {
            return Err(Error::Forbidden);
        }
        self.check_unlocked(&entry.groups, date, &[me, entry.teacher]).await?;
        self.store.delete_entry(entry.id).await?;
        Ok(())
    }

    /// Sets homework in a lesson, for a later day.
    pub async fn set_homework(&self, caller: &Principal, course: CourseId, date: NaiveDate, input: HomeworkInput) -> Result<Homework> {
        let (course, lesson, me) = self.lesson_to_write(caller, course, date).await?;
        self.check_readable(caller, &input.attachments).await?;
        let now = self.clock.now();
        let h = Homework {
            id: HomeworkId::new(),
            structure: course.structure,
            course: course.id,
            set_on: date,
            subject: lesson.subject.clone(),
            groups: lesson.groups.clone(),
            teacher: me,
            due: input.due,
            instructions: rich::clean(&input.instructions),
            minutes: input.minutes,
            attachments: dedup(input.attachments),
            hand_in: input.hand_in,
            deadline: input.deadline.filter(|_| input.hand_in),
            publish_at: input.publish_at.unwrap_or(now),
            created: now,
            updated: now,
        };
        check_homework(&h, lesson.day)?;
        self.store.put_homework(&h).await?;
        self.due.forget_groups(&h.groups);
        self.tell_homework(&h).await;
        Ok(h)
    }

    /// Changes homework (its teacher, or another teacher of the lesson it was set in).
    pub async fn update_homework(&self, caller: &Principal, id: HomeworkId, input: HomeworkInput) -> Result<Homework> {
        let before = self.homework_to_write(caller, id).await?;
        self.check_readable(caller, &input.attachments).await?;
        if before.hand_in && !input.hand_in && !self.store.copies(id).await?.is_empty() {
            return Err(Error::Conflict("handin.has_copies"));
        }
        let (set_on, was_published_at) = (before.set_on, before.publish_at);
        let h = Homework {
            due: input.due,
            instructions: rich::clean(&input.instructions),
            minutes: input.minutes,
            attachments: dedup(input.attachments),
            hand_in: input.hand_in,
            deadline: input.deadline.filter(|_| input.hand_in),
            publish_at: input.publish_at.unwrap_or(before.publish_at),
            updated: self.clock.now(),
            ..before
        };
        check_homework(&h, set_on)?;
        self.store.put_homework(&h).await?;
        self.due.forget_groups(&h.groups);
        // Not published yet: its notices go out again as it now is.
        if self.withdraw_unpublished(h.id, was_published_at, h.updated).await {
            self.tell_homework(&h).await;
        }
        Ok(h)
    }

    /// Deletes homework; not once copies were handed in for it (they would be lost).
    pub async fn delete_homework(&self, caller: &Principal, id: HomeworkId) -> Result<()> {
        let h = self.homework_to_write(caller, id).await?;
        if !self.store.copies(id).await?.is_empty() {
            return Err(Error::Conflict("handin.has_copies"));
        }
        self.store.delete_homework(id).await?;
        self.due.forget_groups(&h.groups);
        self.withdraw_unpublished(h.id, h.publish_at, self.clock.now()).await;
        Ok(())
    }

    /// The head withdraws a visa given by mistake: the lessons it covered can be written again
    /// (unless another visa covers them). Audited.
    pub async fn withdraw_visa(&self, caller: &Principal, group: GroupId, teacher: PersonId, until: NaiveDate) -> Result<()> {
        let g = self.store.group(group).await?;
        if !self.may_visa(caller, g.structure) {
            return Err(Error::Forbidden);
        }
        if g.archived_year.is_some() {
            return Err(Error::Conflict("cahier.archived"));
        }
        let entry = audit::entry::<(), ()>(
            self.clock.now(),
            caller,
            "cahier.visa_withdraw",
            format!("group:{group}:teacher:{teacher}:{until}"),
            Some(g.structure),
            None,
            None,
        );
        if self.store.delete_visa(group, teacher, until, &entry).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// The head visas a teacher's part of a class's cahier up to a day: those entries can
    /// no longer be changed. An archived class's cahier is closed: its visas stay as they were.
    pub async fn visa(&self, caller: &Principal, group: GroupId, teacher: PersonId, until: NaiveDate, note: &str) -> Result<Visa> {
        let by = caller.person_id().ok_or(Error::Forbidden)?;
        let g = self.store.group(group).await?;
        if !self.may_visa(caller, g.structure) {
            return Err(Error::Forbidden);
        }
        if g.archived_year.is_some() {
            return Err(Error::Conflict("cahier.archived"));
        }
        let mut e = Errors::new();
        e.check(note.len() <= 1000, "note", "cahier.note");
        e.finish()?;
        let visa = Visa { structure: g.structure, group, teacher, until, note: note.trim().to_owned(), at: self.clock.now(), by };
        let entry = audit::entry::<(), _>(visa.at, caller, "cahier.visa", format!("group:{group}:teacher:{teacher}"), Some(g.structure), None, Some(&visa));
        self.store.insert_visa(&visa, &entry).await?;
        Ok(visa)
    }

    /// Ticks (or unticks) homework done: the pupil's own, private tick.
    pub async fn tick(&self, caller: &Principal, id: HomeworkId, done: bool) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let h = self.store.homework(id).await?.ok_or(Error::NotFound)?;
        if h.publish_at > self.clock.now() || !self.pupil_groups(me).await?.iter().any(|g| h.groups.contains(g)) {
            return Err(Error::NotFound);
        }
        self.store.set_done(id, me, done.then(|| self.clock.now())).await?;
        self.due.forget_ticks(me);
        Ok(())
    }
}

fn check_homework(h: &Homework, lesson_day: NaiveDate) -> Result<()> {
    let mut e = Errors::new();
    e.check(!h.instructions.is_empty(), "instructions", "cahier.instructions_empty");
    e.check(h.instructions.len() <= MAX_TEXT, "instructions", "cahier.content_long");
    e.check(h.due >= lesson_day, "due", "cahier.due_before");
    e.check((h.due - lesson_day).num_days() <= 400, "due", "cahier.due_far");
    e.check(h.minutes <= 600, "minutes", "cahier.minutes_many");
    e.check(h.attachments.len() <= MAX_ATTACHMENTS, "attachments", "cahier.attachments_many");
    e.finish()
}

fn dedup(mut ids: Vec<DocumentId>) -> Vec<DocumentId> {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|i| seen.insert(*i));
    ids
}
