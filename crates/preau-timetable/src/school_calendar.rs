//! A structure's school calendar as its adults read it and its managers set it: the zone of
//! its académie, what the structure says over it ([`LocalCalendar`]), and the years that
//! result (the one under way and the next).

use crate::calendar::{LocalCalendar, SchoolCalendar, Zone, school_year};
use crate::{Timetable, TimetableStore};
use preau_core::{Error, Principal, Result, StructureId};
use preau_directory::audit;
use serde::Serialize;

/// A structure's calendar as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarView {
    /// The zone of the structure's académie, if it has one.
    pub academie_zone: Option<Zone>,
    /// What the structure says over it.
    pub local: LocalCalendar,
    /// The school year under way and the next, as they apply (a year with no calendar known is
    /// left out: lessons every day but Sunday and the structure's days off).
    pub years: Vec<SchoolCalendar>,
}

impl<S: TimetableStore> Timetable<S> {
    /// A structure's calendar, for its adults.
    pub async fn school_calendar(&self, caller: &Principal, s: StructureId) -> Result<CalendarView> {
        if !self.adult_in(caller, s).await? {
            return Err(Error::Forbidden);
        }
        self.calendar_view(s).await
    }

    async fn calendar_view(&self, s: StructureId) -> Result<CalendarView> {
        let kept = self.kept(s).await?;
        let now = school_year(preau_core::local_time::paris_date(self.clock.now()));
        let years = (now..=now + 1).filter_map(|y| kept.local.year(kept.zone, y)).collect();
        Ok(CalendarView { academie_zone: kept.zone, local: kept.local.clone(), years })
    }

    /// Sets what a structure says of its calendar (its timetable managers); the lessons of
    /// every view follow at once.
    pub async fn set_school_calendar(&self, caller: &Principal, s: StructureId, mut local: LocalCalendar) -> Result<CalendarView> {
        self.require_manager(caller, s).await?;
        local.validate()?;
        for h in local.days_off.iter_mut().chain(local.years.iter_mut().flat_map(|y| y.holidays.iter_mut())) {
            h.label = h.label.trim().to_owned();
        }
        local.days_off.sort_by_key(|h| h.first);
        local.years.sort_by_key(|y| y.start);
        let before = self.store.local_calendar(s).await?;
        let entry = audit::entry(self.clock.now(), caller, "timetable.calendar", format!("structure:{s}"), Some(s), before.as_ref(), Some(&local));
        self.store.set_local_calendar(s, &local, &entry).await?;
        self.cache.forget(s);
        self.calendar_view(s).await
    }
}
