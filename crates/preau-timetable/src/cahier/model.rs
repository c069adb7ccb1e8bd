//! What the *cahier de textes* keeps: the entry of a lesson (what was done), the homework set
//! for a later day or lesson, a pupil's private "done" tick, and the head's visa on a
//! teacher's part of a class's cahier.

use chrono::NaiveDate;
use preau_core::{CourseId, DocumentId, EntryId, GroupId, HomeworkId, PersonId, StructureId};
use serde::{Deserialize, Serialize};

/// What was done in one lesson (the lesson of `course` on `date`), by its teacher.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub structure: StructureId,
    pub course: CourseId,
    /// The lesson's date (the day the course is held, as in the timetable).
    pub date: NaiveDate,
    pub subject: String,
    /// The classes and groups of the lesson, kept with the entry: the official record stays
    /// whole if the timetable changes.
    pub groups: Vec<GroupId>,
    pub teacher: PersonId,
    pub title: String,
    /// Sanitised HTML (see [`super::rich`]).
    pub content: String,
    /// Files of the teacher's documents spaces shown with it.
    pub attachments: Vec<DocumentId>,
    /// When pupils and parents see it.
    pub publish_at: i64,
    pub created: i64,
    pub updated: i64,
}

/// Homework set for a class or group, due on a day (or for a lesson of that day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Homework {
    pub id: HomeworkId,
    pub structure: StructureId,
    /// The course it was set in and for, and the lesson it was set in.
    pub course: CourseId,
    pub set_on: NaiveDate,
    pub subject: String,
    pub groups: Vec<GroupId>,
    pub teacher: PersonId,
    /// The day it is due (the day of the lesson it is for).
    pub due: NaiveDate,
    /// Sanitised HTML.
    pub instructions: String,
    /// How long it should take, in minutes (the workload view adds these up).
    pub minutes: u16,
    pub attachments: Vec<DocumentId>,
    /// Whether pupils hand it in online.
    pub hand_in: bool,
    /// When copies are due (by default 8:00 on the day it is due); later ones are late.
    pub deadline: Option<i64>,
    pub publish_at: i64,
    pub created: i64,
    pub updated: i64,
}

/// Homework as a pupil sees it: with their own tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    #[serde(flatten)]
    pub homework: Homework,
    /// When the pupil ticked it done (only the pupil sees this).
    pub done: Option<i64>,
}

/// The head's dated check mark on a teacher's part of a class's cahier: entries up to its
/// day can no longer be changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visa {
    pub structure: StructureId,
    pub group: GroupId,
    pub teacher: PersonId,
    /// The last lesson day it covers.
    pub until: NaiveDate,
    pub note: String,
    pub at: i64,
    pub by: PersonId,
}

/// The homework due on one day of a class, for the workload view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayLoad {
    pub day: NaiveDate,
    /// The most homework, and the most estimated minutes, any one pupil of the class has that
    /// day (the class's and their teaching groups').
    pub count: usize,
    pub minutes: u32,
    /// The subjects of all homework due that day to any of its pupils.
    pub subjects: Vec<String>,
}
