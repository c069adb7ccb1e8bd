//! Courses and their changes turned into the lessons of a range of days, on the school
//! calendar: no lessons on holidays, weeks A and B as the calendar counts them, a moved lesson
//! shown on the day it moved to, a cancelled one kept (marked) so that those who expected it
//! see it was cancelled.

use crate::calendar::Calendars;
use crate::model::{Change, Course, Lesson, LessonStatus};
use chrono::{Datelike, Days, NaiveDate};
use std::collections::HashMap;

/// The lessons of `courses` held (or moved) from `from` to `to` inclusive, by day and time.
pub fn lessons(courses: &[Course], changes: &[Change], calendars: &Calendars, from: NaiveDate, to: NaiveDate) -> Vec<Lesson> {
    let by_lesson: HashMap<_, &Change> = changes.iter().map(|c| ((c.course, c.date), c)).collect();
    let mut out = vec![];
    for course in courses {
        // A lesson moved into the range from a day outside it is found through its change.
        for c in changes.iter().filter(|c| c.course == course.id && (c.date < from || c.date > to)) {
            if let Some(l) = occurrence(course, c.date, calendars, Some(c)).filter(|l| l.day >= from && l.day <= to) {
                out.push(l);
            }
        }
        // The course's weekday in the range, week after week.
        let offset = (u32::from(course.weekday) + 7 - from.weekday().number_from_monday()) % 7;
        let mut day = from + Days::new(u64::from(offset));
        while day <= to {
            if let Some(l) = occurrence(course, day, calendars, by_lesson.get(&(course.id, day)).copied())
                && l.day >= from
                && l.day <= to
            {
                out.push(l);
            }
            day = day + Days::new(7);
        }
    }
    out.sort_by(|a, b| (a.day, a.start, &a.subject).cmp(&(b.day, b.start, &b.subject)));
    out
}

/// The lesson of `course` due on `date`, if the course is held that day, with its change.
pub fn occurrence(course: &Course, date: NaiveDate, calendars: &Calendars, change: Option<&Change>) -> Option<Lesson> {
    if date < course.from || date > course.to || date.weekday().number_from_monday() != u32::from(course.weekday) {
        return None;
    }
    let week = calendars.week_letter(date);
    if !calendars.is_school_day(date) || !course.weeks.includes(date.iso_week().week(), week) {
        return None;
    }
    let mut l = Lesson {
        course: course.id,
        date,
        day: date,
        start: course.start,
        end: course.end,
        subject: course.subject.clone(),
        teachers: course.teachers.clone(),
        groups: course.groups.clone(),
        room: course.room.clone(),
        status: LessonStatus::Normal,
        note: String::new(),
        week,
        structure: course.structure,
    };
    if let Some(c) = change {
        l.note = c.note.clone();
        l.status = if c.cancelled { LessonStatus::Cancelled } else { LessonStatus::Changed };
        if let Some((day, start, end)) = c.moved_to {
            (l.day, l.start, l.end) = (day, start, end);
        }
        if let Some(t) = c.replacement {
            l.teachers = vec![t];
        }
        if let Some(r) = &c.room {
            l.room = r.clone();
        }
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{WeekLetter, Zone};
    use crate::model::Weeks;
    use chrono::Datelike;
    use preau_core::{CourseId, GroupId, PersonId, StructureId};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(if m >= 8 { 2026 } else { 2027 }, m, day).unwrap_or(NaiveDate::MIN)
    }

    fn course(weekday: u8, weeks: Weeks) -> Course {
        Course {
            id: CourseId::new(),
            structure: StructureId::new(),
            subject: "Mathématiques".into(),
            teachers: vec![PersonId::new()],
            groups: vec![GroupId::new()],
            room: "B12".into(),
            weekday,
            start: 8 * 60,
            end: 9 * 60,
            weeks,
            from: d(9, 1),
            to: d(7, 2),
            source: "manual".into(),
            key: String::new(),
        }
    }

    #[test]
    fn weeks_a_and_b_alternate_and_holidays_have_no_lessons() -> Result<(), String> {
        let cal = Calendars::new(Some(Zone::B), d(9, 1), d(7, 2));
        let (a, b) = (course(1, Weeks::A), course(1, Weeks::B));
        // Mondays 7, 14 September; 12, 19, 26 October; 2, 9 November.
        let got = lessons(&[a.clone(), b.clone()], &[], &cal, d(9, 7), d(11, 13));
        let days = |c: &Course| got.iter().filter(|l| l.course == c.id).map(|l| l.day).collect::<Vec<_>>();
        assert!(!days(&a).contains(&d(9, 7)) && days(&b).contains(&d(9, 7)), "7 September is in week B");
        assert!(days(&a).contains(&d(9, 14)));
        assert!(!days(&a).iter().chain(days(&b).iter()).any(|x| *x == d(10, 19) || *x == d(10, 26)), "no lessons in the holidays");
        assert!(days(&a).contains(&d(10, 12)) && days(&b).contains(&d(11, 2)), "the holidays do not shift the weeks");
        assert!(days(&a).contains(&d(11, 9)));
        assert_eq!(got.iter().find(|l| l.day == d(11, 9)).map(|l| l.week), Some(Some(WeekLetter::A)));
        // Wednesday 11 November is Armistice day.
        let wed = course(3, Weeks::Every);
        assert!(lessons(&[wed], &[], &cal, d(11, 9), d(11, 15)).is_empty());
        Ok(())
    }

    #[test]
    fn each_day_is_read_on_the_calendar_of_its_own_school_year() {
        // From July 2026 (end of 2025-2026) to September 2026 (start of 2026-2027).
        let mut c = course(2, Weeks::Every);
        (c.from, c.to) = (NaiveDate::from_ymd_opt(2025, 9, 1).unwrap_or_default(), d(7, 2));
        let (from, to) = (NaiveDate::from_ymd_opt(2026, 6, 29).unwrap_or_default(), d(9, 20));
        let got: Vec<NaiveDate> = lessons(&[c], &[], &Calendars::new(Some(Zone::B), from, to), from, to).iter().map(|l| l.day).collect();
        let expected: Vec<NaiveDate> =
            [(2026, 6, 30), (2026, 9, 1), (2026, 9, 8), (2026, 9, 15)].iter().filter_map(|(y, m, dd)| NaiveDate::from_ymd_opt(*y, *m, *dd)).collect();
        assert_eq!(got, expected, "the last Tuesday of one year, none in the summer, the first ones of the next");
        assert_eq!(Calendars::new(Some(Zone::B), from, to).week_letter(d(9, 8)), Some(WeekLetter::B));
        assert!(got.iter().all(|x| x.weekday() == chrono::Weekday::Tue));
    }

    #[test]
    fn given_weeks_and_the_course_period_bound_lessons() {
        let mut c = course(2, Weeks::parse("37,39-40").unwrap_or(Weeks::Every));
        c.from = d(9, 15);
        let got: Vec<NaiveDate> = lessons(&[c], &[], &Calendars::new(None, d(9, 1), d(7, 2)), d(9, 1), d(10, 31)).iter().map(|l| l.day).collect();
        assert_eq!(got, vec![d(9, 22), d(9, 29)], "week 37 is before the course starts; week 38 is not given");
    }

    #[test]
    fn a_moved_lesson_shows_on_its_new_day_and_a_cancelled_one_is_marked() {
        let c = course(1, Weeks::Every);
        let who = PersonId::new();
        let change = |date, cancelled, moved_to| Change {
            course: c.id,
            date,
            cancelled,
            moved_to,
            replacement: None,
            room: None,
            note: "Sortie".into(),
            at: 0,
            by: who,
        };
        let changes = vec![change(d(9, 14), true, None), change(d(9, 21), false, Some((d(9, 30), 14 * 60, 15 * 60)))];
        let week = lessons(std::slice::from_ref(&c), &changes, &Calendars::new(None, d(9, 1), d(7, 2)), d(9, 14), d(9, 20));
        assert_eq!(week.len(), 1);
        assert_eq!(week[0].status, LessonStatus::Cancelled);
        let next = lessons(std::slice::from_ref(&c), &changes, &Calendars::new(None, d(9, 1), d(7, 2)), d(9, 21), d(9, 27));
        assert!(next.is_empty(), "the lesson of the 21st moved out of that week");
        let after = lessons(std::slice::from_ref(&c), &changes, &Calendars::new(None, d(9, 1), d(7, 2)), d(9, 28), d(10, 4));
        let moved: Vec<_> = after.iter().filter(|l| l.date == d(9, 21)).collect();
        assert_eq!(moved.len(), 1);
        assert_eq!((moved[0].day, moved[0].start, moved[0].status), (d(9, 30), 14 * 60, LessonStatus::Changed));
        assert_eq!(after.len(), 2, "the 28th's own lesson and the moved one");
    }
}
