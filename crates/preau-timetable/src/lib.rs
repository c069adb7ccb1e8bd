//! Timetable (*emploi du temps*): the school calendar of each structure's zone, courses held
//! weekly on a pattern of weeks, the changes of single lessons (cancelled, moved, another
//! teacher or room), the views of a pupil, a parent's child, a teacher, a class or a room, the
//! import of a timetabling tool's export, and the calendar feed a person subscribes to; and
//! hanging on it, the *cahier de textes* (see [`cahier`]).

pub mod cache;
pub mod cahier;
pub mod calendar;
pub mod demo;
pub mod ics;
pub mod import;
pub mod import_ics;
pub mod lessons;
pub mod manage;
pub mod model;
pub mod school_calendar;
pub mod slots;
pub mod source;

pub use calendar::{SchoolCalendar, WeekLetter, Zone};
pub use model::{Change, Course, Lesson, LessonStatus, Weeks};
pub mod store;
pub mod views;

pub use store::TimetableStore;

use preau_communication::Communication;
use preau_core::Clock;
use std::sync::Arc;

/// The timetable operations, over a store, a clock and the communication service (who stands
/// where, and the notification feed).
pub struct Timetable<S> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
    pub communication: Communication<S>,
    /// Each structure's timetable, read once (see [`cache`]).
    pub cache: Arc<cache::Cache>,
    /// The homework due soon per group, and pupils' ticks (see [`cahier::cache`]).
    pub due: Arc<cahier::cache::DueCache>,
    /// Who may read which file, for what is attached to the cahier.
    pub documents: preau_documents::Documents<S>,
}

impl<S> Clone for Timetable<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            clock: self.clock.clone(),
            communication: self.communication.clone(),
            cache: self.cache.clone(),
            due: self.due.clone(),
            documents: self.documents.clone(),
        }
    }
}

impl<S: TimetableStore> Timetable<S> {
    pub fn new(communication: Communication<S>, documents: preau_documents::Documents<S>) -> Self {
        Self { store: communication.store.clone(), clock: communication.clock.clone(), communication, cache: Arc::default(), due: Arc::default(), documents }
    }
}
