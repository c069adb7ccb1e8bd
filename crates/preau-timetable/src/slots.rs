//! A structure's slot grid: the named periods of its day (`M1`…`M5` in the morning, `S1`…`S4`
//! in the afternoon), each with its times. Imports may give a slot instead of times, and the
//! pages name a lesson's slot. Schools set their own; until then a common grid applies.

use crate::model::{Minute, parse_minute};
use crate::{Timetable, TimetableStore};
use preau_core::error::Validator as Errors;
use preau_core::{Error, Principal, Result, StructureId};
use serde::{Deserialize, Serialize};

/// One period of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub code: String,
    pub start: Minute,
    pub end: Minute,
}

/// The grid schools start from: 55-minute periods, a morning break after M2, lunch after M4.
pub fn default_grid() -> Vec<Slot> {
    [
        ("M1", "08:00", "08:55"),
        ("M2", "08:55", "09:50"),
        ("M3", "10:05", "11:00"),
        ("M4", "11:00", "11:55"),
        ("M5", "11:55", "12:50"),
        ("S1", "13:30", "14:25"),
        ("S2", "14:25", "15:20"),
        ("S3", "15:35", "16:30"),
        ("S4", "16:30", "17:25"),
    ]
    .iter()
    .map(|(c, s, e)| Slot { code: (*c).into(), start: parse_minute(s).unwrap_or(0), end: parse_minute(e).unwrap_or(0) })
    .collect()
}

/// How a lesson's times read on the grid: `M1`, `M1–M2` for a double period, or nothing.
pub fn label(grid: &[Slot], start: Minute, end: Minute) -> Option<String> {
    let first = grid.iter().find(|s| s.start == start)?;
    let last = grid.iter().find(|s| s.end == end)?;
    Some(if first.code == last.code { first.code.clone() } else { format!("{}–{}", first.code, last.code) })
}

/// Checks a grid: codes given and distinct, each period in order, periods not overlapping.
pub fn validate(grid: &[Slot]) -> Result<()> {
    let mut e = Errors::new();
    e.check(!grid.is_empty() && grid.len() <= 20, "slots", "timetable.slots");
    let mut sorted: Vec<&Slot> = grid.iter().collect();
    sorted.sort_by_key(|s| s.start);
    for (i, s) in sorted.iter().enumerate() {
        e.check(!s.code.trim().is_empty() && s.code.len() <= 10 && s.start < s.end && s.end < 24 * 60, "slots", "timetable.slots");
        e.check(sorted.iter().filter(|o| o.code.eq_ignore_ascii_case(&s.code)).count() == 1, "slots", "timetable.slots");
        if let Some(next) = sorted.get(i + 1) {
            e.check(s.end <= next.start, "slots", "timetable.slots");
        }
    }
    e.finish()
}

impl<S: TimetableStore> Timetable<S> {
    /// A structure's grid (the default until it sets one), kept with its timetable.
    pub async fn slots(&self, s: StructureId) -> Result<Vec<Slot>> {
        Ok(self.kept(s).await?.slots.clone())
    }

    /// A structure's grid, for its adults.
    pub async fn grid(&self, caller: &Principal, s: StructureId) -> Result<Vec<Slot>> {
        if !self.adult_in(caller, s).await? {
            return Err(Error::Forbidden);
        }
        self.slots(s).await
    }

    /// Sets a structure's grid: its timetable managers.
    pub async fn set_slots(&self, caller: &Principal, s: StructureId, mut grid: Vec<Slot>) -> Result<Vec<Slot>> {
        if !self.manages(caller, s).await? {
            return Err(Error::Forbidden);
        }
        grid.iter_mut().for_each(|g| g.code = g.code.trim().to_uppercase());
        validate(&grid)?;
        grid.sort_by_key(|g| g.start);
        let entry = preau_directory::audit::entry::<(), _>(self.clock.now(), caller, "timetable.slots", format!("structure:{s}"), Some(s), None, Some(&grid));
        self.store.set_slot_grid(s, &grid, &entry).await?;
        self.cache.forget(s);
        Ok(grid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_grid_is_valid_and_overlaps_are_refused() {
        assert!(validate(&default_grid()).is_ok());
        let mut g = default_grid();
        g[1].start = 8 * 60 + 30;
        assert!(validate(&g).is_err(), "M2 starting inside M1");
        let mut g = default_grid();
        g[2].code = "m1".into();
        assert!(validate(&g).is_err(), "two M1");
        assert_eq!(label(&default_grid(), 13 * 60 + 30, 14 * 60 + 25).as_deref(), Some("S1"));
        assert_eq!(label(&default_grid(), 8 * 60, 9 * 60 + 50).as_deref(), Some("M1–M2"));
        assert_eq!(label(&default_grid(), 8 * 60 + 5, 9 * 60), None);
    }
}
