//! The demo territory's timetable: each teaching (a teacher, a class or group, a subject)
//! becomes weekly courses placed in the morning and afternoon slots of the week without
//! putting a class or a teacher in two places at once; one course in four alternates weeks
//! A and B, to show the pattern.

use crate::model::{Course, Weeks};
use chrono::NaiveDate;
use preau_core::{CourseId, GroupId, PersonId, StructureId};
use std::collections::HashSet;

/// The slots of the demo grid: (weekday, start minute). No lessons on Wednesday afternoon.
fn slots() -> Vec<(u8, u16)> {
    let mut out = vec![];
    for day in [1u8, 2, 3, 4, 5] {
        for h in [8u16, 9, 10, 11, 13, 14, 15, 16] {
            if !(day == 3 && h >= 13) {
                out.push((day, h * 60 + if h >= 13 { 30 } else { 0 }));
            }
        }
    }
    out
}

/// One teaching as the demo gives it.
pub struct DemoTeaching {
    pub structure: StructureId,
    pub teacher: PersonId,
    pub group: GroupId,
    pub subject: String,
}

/// Courses for teachings, two hours a week each, for the school year from `from` to `to`.
pub fn courses(teachings: &[DemoTeaching], from: NaiveDate, to: NaiveDate) -> Vec<Course> {
    let grid = slots();
    let mut class_busy: HashSet<(GroupId, u8, u16)> = HashSet::new();
    let mut teacher_busy: HashSet<(PersonId, u8, u16)> = HashSet::new();
    let mut out = vec![];
    for (i, t) in teachings.iter().enumerate() {
        let mut placed = 0;
        // Each teaching starts looking at a different slot, to spread the week; a stride
        // prime to the number of slots reaches them all.
        for k in 0..grid.len() {
            if placed == 2 {
                break;
            }
            let (day, start) = grid[(i * 5 + k * 5) % grid.len()];
            if class_busy.contains(&(t.group, day, start)) || teacher_busy.contains(&(t.teacher, day, start)) {
                continue;
            }
            class_busy.insert((t.group, day, start));
            teacher_busy.insert((t.teacher, day, start));
            let weeks = match (i % 4, placed) {
                (3, 1) => Weeks::B,
                (3, _) => Weeks::A,
                _ => Weeks::Every,
            };
            let id = CourseId::new();
            out.push(Course {
                id,
                structure: t.structure,
                subject: t.subject.clone(),
                teachers: vec![t.teacher],
                groups: vec![t.group],
                room: format!("{}{:02}", ["A", "B", "C"][i % 3], 1 + i % 20),
                weekday: day,
                start,
                end: start + 55,
                weeks,
                from,
                to,
                source: "demo".into(),
                key: id.to_string(),
            });
            placed += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_teaching_gets_two_lessons_without_a_class_or_teacher_in_two_places() {
        let (structure, class, teacher) = (StructureId::new(), GroupId::new(), PersonId::new());
        // Eighteen subjects for one class (every slot of its week), the last five by the same teacher.
        let teachings: Vec<DemoTeaching> = (0..18)
            .map(|i| DemoTeaching { structure, teacher: if i >= 13 { teacher } else { PersonId::new() }, group: class, subject: format!("S{i}") })
            .collect();
        let day = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default();
        let courses = courses(&teachings, day, day);
        for t in &teachings {
            assert_eq!(courses.iter().filter(|c| c.subject == t.subject).count(), 2, "{}", t.subject);
        }
        let mut slots: Vec<(u8, u16)> = courses.iter().map(|c| (c.weekday, c.start)).collect();
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), 36, "the class is never in two places");
    }
}
