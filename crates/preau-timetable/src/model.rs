//! Courses (a weekly slot of a subject, its teachers, classes or groups and room, on a
//! pattern of weeks, over a period), changes to one lesson of a course, and the lessons a
//! view shows.

use crate::calendar::WeekLetter;
use chrono::NaiveDate;
use preau_core::{CourseId, GroupId, PersonId, StructureId};
use serde::{Deserialize, Serialize};

/// Which weeks a course is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weeks {
    Every,
    A,
    B,
    /// ISO week numbers.
    Given(Vec<u32>),
}

impl Weeks {
    /// `every`, `A`, `B`, or ISO week numbers and ranges (`36,37,40-44`).
    pub fn parse(s: &str) -> Option<Weeks> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "" | "every" | "toutes" | "chaque" | "hebdo" => return Some(Weeks::Every),
            "a" | "semaine a" => return Some(Weeks::A),
            "b" | "semaine b" => return Some(Weeks::B),
            _ => {}
        }
        let mut weeks = vec![];
        for part in t.split([',', ' ']).filter(|p| !p.is_empty()) {
            let (lo, hi) = part.split_once('-').unwrap_or((part, part));
            let (lo, hi): (u32, u32) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
            if !(1..=53).contains(&lo) || !(lo..=53).contains(&hi) {
                return None;
            }
            weeks.extend(lo..=hi);
        }
        weeks.sort_unstable();
        weeks.dedup();
        Some(Weeks::Given(weeks))
    }

    /// The form [`Self::parse`] reads.
    pub fn code(&self) -> String {
        match self {
            Weeks::Every => "every".into(),
            Weeks::A => "A".into(),
            Weeks::B => "B".into(),
            Weeks::Given(w) => w.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        }
    }

    /// Whether a week of this ISO number and letter has the course.
    pub fn includes(&self, iso_week: u32, letter: Option<WeekLetter>) -> bool {
        match self {
            Weeks::Every => true,
            Weeks::A => letter == Some(WeekLetter::A),
            Weeks::B => letter == Some(WeekLetter::B),
            Weeks::Given(w) => w.contains(&iso_week),
        }
    }
}

/// A minute of the day, 0–1439.
pub type Minute = u16;

/// `08:30` → 510.
pub fn parse_minute(s: &str) -> Option<Minute> {
    let (h, m) = s.trim().split_once([':', 'h', 'H'])?;
    let (h, m): (u16, u16) = (h.parse().ok()?, if m.is_empty() { 0 } else { m.parse().ok()? });
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// 510 → `08:30`.
pub fn show_minute(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A weekly slot of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub id: CourseId,
    pub structure: StructureId,
    pub subject: String,
    pub teachers: Vec<PersonId>,
    /// The classes and groups that attend.
    pub groups: Vec<GroupId>,
    pub room: String,
    /// 1 = Monday … 6 = Saturday.
    pub weekday: u8,
    pub start: Minute,
    pub end: Minute,
    pub weeks: Weeks,
    /// The first and last days it is held (within the school year).
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where it came from: `manual`, or `csv`/`ics` for an import (which owns only its own).
    pub source: String,
    /// What identifies it in its import, so that a re-import updates it instead of adding one.
    pub key: String,
}

/// What became of one lesson of a course (the lesson of `date`). Every field left `None`
/// keeps what the course says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub course: CourseId,
    /// The day the course would have been held.
    pub date: NaiveDate,
    pub cancelled: bool,
    /// Moved to another day and time.
    pub moved_to: Option<(NaiveDate, Minute, Minute)>,
    /// Given by another teacher.
    pub replacement: Option<PersonId>,
    pub room: Option<String>,
    /// What the pupils are told.
    pub note: String,
    pub at: i64,
    pub by: PersonId,
}

/// A lesson as shown: one occurrence of a course, with its change applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub course: CourseId,
    /// The day the course would have been held (names the lesson with the course).
    pub date: NaiveDate,
    /// The day it is held.
    pub day: NaiveDate,
    pub start: Minute,
    pub end: Minute,
    pub subject: String,
    pub teachers: Vec<PersonId>,
    pub groups: Vec<GroupId>,
    pub room: String,
    pub status: LessonStatus,
    pub note: String,
    pub week: Option<WeekLetter>,
    /// The course's structure (whose slot grid names its times).
    pub structure: preau_core::StructureId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonStatus {
    Normal,
    Cancelled,
    /// Moved, or with another teacher or room.
    Changed,
}
