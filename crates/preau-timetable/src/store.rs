//! The storage port of the timetable, implemented by `preau-store`.

use crate::cahier::handin::{Copy, Returned};
use crate::cahier::model::{Due, Entry, Homework, Visa};
use crate::model::{Change, Course};
use chrono::NaiveDate;
use preau_core::{CopyId, CourseId, EntryId, GroupId, HomeworkId, PersonId, Result, StructureId};
use preau_directory::AuditEntry;

/// Courses added, changed in place and removed together, in one transaction (the demo's, an
/// import's).
#[derive(Debug, Default)]
pub struct CourseDiff {
    pub added: Vec<Course>,
    /// Changed courses, by id: their lessons' changes are kept.
    pub updated: Vec<Course>,
    pub removed: Vec<CourseId>,
}

/// Extends the documents' store: the cahier's files are documents.
pub trait TimetableStore: preau_documents::DocumentStore {
    async fn course(&self, id: CourseId) -> Result<Option<Course>>;
    /// The courses of a structure, all sources.
    async fn structure_courses(&self, structure: StructureId) -> Result<Vec<Course>>;
    async fn insert_course(&self, course: &Course, audit: &AuditEntry) -> Result<()>;
    /// Deletes a course and the changes of its lessons.
    async fn delete_course(&self, id: CourseId, audit: &AuditEntry) -> Result<()>;
    /// Applies a difference in one transaction (the removed courses lose their changes).
    async fn apply_courses(&self, diff: &CourseDiff, audit: &AuditEntry) -> Result<()>;

    /// The changes of the lessons of a structure's courses.
    async fn structure_changes(&self, structure: StructureId) -> Result<Vec<Change>>;
    /// Records the change of a lesson (replacing an earlier one of the same lesson).
    async fn put_change(&self, change: &Change, audit: &AuditEntry) -> Result<()>;
    /// Puts a lesson back as its course says; whether it had a change.
    async fn delete_change(&self, course: CourseId, date: NaiveDate, audit: &AuditEntry) -> Result<bool>;

    /// A structure's slot grid, if it set one.
    async fn slot_grid(&self, structure: StructureId) -> Result<Option<Vec<crate::slots::Slot>>>;
    async fn set_slot_grid(&self, structure: StructureId, grid: &[crate::slots::Slot], audit: &AuditEntry) -> Result<()>;

    /// What a structure says of its calendar, if it said anything.
    async fn local_calendar(&self, structure: StructureId) -> Result<Option<crate::calendar::LocalCalendar>>;
    async fn set_local_calendar(&self, structure: StructureId, calendar: &crate::calendar::LocalCalendar, audit: &AuditEntry) -> Result<()>;

    /// A structure's published timetable address.
    async fn import_source(&self, structure: StructureId) -> Result<Option<crate::source::ImportSource>>;
    /// Keeps a structure's published address (replacing any earlier one, and its runs).
    async fn put_import_source(&self, source: &crate::source::ImportSource, audit: &AuditEntry) -> Result<()>;
    async fn delete_import_source(&self, structure: StructureId, audit: &AuditEntry) -> Result<bool>;
    /// Records a run from the published address `url`, if still the one kept: its report, or
    /// its error code.
    async fn record_import_run(
        &self,
        structure: StructureId,
        url: &str,
        at: i64,
        report: Option<&crate::import::ImportReport>,
        error: Option<&str>,
    ) -> Result<()>;
    /// Every published address.
    async fn import_sources(&self) -> Result<Vec<crate::source::ImportSource>>;

    /// Records the digest of a person's calendar feed address (replacing any earlier one).
    async fn set_calendar_link(&self, person: PersonId, digest: &str, at: i64) -> Result<()>;
    /// Forgets a person's calendar feed address; whether they had one.
    async fn delete_calendar_link(&self, person: PersonId) -> Result<bool>;
    /// The person a calendar feed address's digest belongs to.
    async fn calendar_link(&self, digest: &str) -> Result<Option<PersonId>>;
    /// When the person made their calendar feed address, if they have one.
    async fn calendar_link_of(&self, person: PersonId) -> Result<Option<i64>>;
    /// Records the digest of a person's feed of a class or room (replacing theirs of that scope).
    async fn set_scoped_feed(&self, person: PersonId, scope: &str, digest: &str, at: i64) -> Result<()>;
    /// Forgets a person's feed of a scope; whether they had one.
    async fn delete_scoped_feed(&self, person: PersonId, scope: &str) -> Result<bool>;
    /// Who made the class or room feed of this digest, and its scope.
    async fn scoped_feed(&self, digest: &str) -> Result<Option<(PersonId, String)>>;
    /// A person's class and room feeds: scope and when made.
    async fn scoped_feeds_of(&self, person: PersonId) -> Result<Vec<(String, i64)>>;

    /// The entry of a lesson.
    async fn entry_of(&self, course: CourseId, date: NaiveDate) -> Result<Option<Entry>>;
    async fn entry(&self, id: EntryId) -> Result<Option<Entry>>;
    /// Records an entry (replacing the one of the same lesson).
    async fn put_entry(&self, entry: &Entry) -> Result<()>;
    async fn delete_entry(&self, id: EntryId) -> Result<bool>;
    /// The entries of the lessons of a class or group from `from` to `to`.
    async fn group_entries(&self, group: GroupId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>>;

    async fn homework(&self, id: HomeworkId) -> Result<Option<Homework>>;
    async fn put_homework(&self, h: &Homework) -> Result<()>;
    /// Deletes homework with its ticks.
    async fn delete_homework(&self, id: HomeworkId) -> Result<bool>;
    /// The homework set in a lesson.
    async fn lesson_homework(&self, course: CourseId, set_on: NaiveDate) -> Result<Vec<Homework>>;
    /// The homework of any of these groups due from `from` to `to`, with the pupil's ticks.
    async fn homework_due(&self, pupil: PersonId, groups: &[GroupId], from: NaiveDate, to: NaiveDate) -> Result<Vec<Due>>;
    /// A pupil's ticks: the homework they ticked, with when.
    async fn done_of(&self, pupil: PersonId) -> Result<Vec<(HomeworkId, i64)>>;
    /// Ticks (with the time) or unticks a pupil's homework.
    async fn set_done(&self, homework: HomeworkId, pupil: PersonId, at: Option<i64>) -> Result<()>;

    /// The visas of a class or group's cahier.
    async fn visas(&self, group: GroupId) -> Result<Vec<Visa>>;
    async fn insert_visa(&self, visa: &Visa, audit: &AuditEntry) -> Result<()>;
    /// Withdraws a visa; whether there was one.
    async fn delete_visa(&self, group: GroupId, teacher: PersonId, until: NaiveDate, audit: &AuditEntry) -> Result<bool>;

    /// The copies handed in for homework.
    async fn copies(&self, homework: HomeworkId) -> Result<Vec<Copy>>;
    async fn copy(&self, id: CopyId) -> Result<Option<Copy>>;
    /// A pupil's copy for homework.
    async fn copy_of(&self, homework: HomeworkId, pupil: PersonId) -> Result<Option<Copy>>;
    /// Records a copy, replacing the pupil's earlier one for that homework unless it was
    /// returned (`Conflict`), in one transaction; the blob of the copy it replaced.
    async fn put_copy(&self, copy: &Copy) -> Result<Option<String>>;
    async fn return_copy(&self, id: CopyId, returned: &Returned) -> Result<()>;
}
