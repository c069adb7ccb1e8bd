//! Timetable (*emploi du temps*): the school calendar of each structure's zone, courses held
//! weekly on a pattern of weeks, the changes of single lessons (cancelled, moved, another
//! teacher or room), the views of a pupil, a parent's child, a teacher, a class or a room, the
//! import of a timetabling tool's export, and the calendar feed a person subscribes to.

pub mod calendar;
pub mod lessons;
pub mod model;

pub use calendar::{SchoolCalendar, WeekLetter, Zone};
pub use model::{Change, Course, Lesson, LessonStatus, Weeks};
