//! The school calendar: the school year's first and last days, the holidays of the
//! structure's zone (A, B or C, from its académie) and the bank holidays, and the letter
//! (A or B) of each school week.
//!
//! Holidays follow the official calendar: a period "du samedi 17 octobre au lundi 2 novembre"
//! has no lessons from the Saturday, and lessons again on the Monday (`back`). Weeks A and B
//! alternate over the weeks that have lessons, starting with A at the start of the year, so a
//! holiday fortnight does not shift the pattern.
//!
//! A structure may say more ([`LocalCalendar`]): another zone than its académie's, whole years
//! of its own (Corse, overseas, a year not built in yet) that replace the official one, and its
//! own days without lessons (a local bridge, a day given to exams) on top of its year's.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The holiday zones of metropolitan France.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Zone {
    A,
    B,
    C,
}

impl Zone {
    /// The zone of an académie, named as the feeds name it (`RENNES`, `Clermont-Ferrand`…).
    pub fn of_academie(name: &str) -> Option<Zone> {
        let key = preau_core::text::fold_name(name).replace([' ', '-', '_', '\''], "");
        let key = key.trim_start_matches("academiede").trim_start_matches("academied").trim_start_matches("ac");
        const A: [&str; 8] = ["besancon", "bordeaux", "clermontferrand", "dijon", "grenoble", "limoges", "lyon", "poitiers"];
        const B: [&str; 13] =
            ["aixmarseille", "amiens", "caen", "lille", "nancymetz", "nantes", "nice", "normandie", "orleanstours", "reims", "rennes", "rouen", "strasbourg"];
        const C: [&str; 5] = ["creteil", "montpellier", "paris", "toulouse", "versailles"];
        if A.contains(&key) {
            Some(Zone::A)
        } else if B.contains(&key) {
            Some(Zone::B)
        } else if C.contains(&key) {
            Some(Zone::C)
        } else {
            None
        }
    }
}

/// Days without lessons: from `first` to the day before `back`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub label: String,
    pub first: NaiveDate,
    pub back: NaiveDate,
}

/// A school year for one zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolCalendar {
    /// The first day of lessons.
    pub start: NaiveDate,
    /// The last day of lessons.
    pub end: NaiveDate,
    pub holidays: Vec<Holiday>,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn holiday(label: &str, first: (i32, u32, u32), back: (i32, u32, u32)) -> Holiday {
    Holiday { label: label.into(), first: date(first.0, first.1, first.2), back: date(back.0, back.1, back.2) }
}

/// Easter Sunday of a year (the anonymous Gregorian algorithm).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    date(year, month as u32, day as u32)
}

/// The eleven public holidays of metropolitan France.
pub fn is_bank_holiday(d: NaiveDate) -> bool {
    let fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)];
    if fixed.contains(&(d.month(), d.day())) {
        return true;
    }
    let e = easter(d.year());
    [1u64, 39, 50].iter().any(|n| e.checked_add_days(Days::new(*n)) == Some(d))
}

impl SchoolCalendar {
    /// The official calendar of the school year that contains `day` (September to August), for
    /// a zone; `None` for a year Préau has no calendar of.
    pub fn official(zone: Zone, day: NaiveDate) -> Option<SchoolCalendar> {
        let year = school_year(day);
        let (winter, spring) = match (year, zone) {
            (2025, Zone::A) => (((2026, 2, 7), (2026, 2, 23)), ((2026, 4, 4), (2026, 4, 20))),
            (2025, Zone::B) => (((2026, 2, 14), (2026, 3, 2)), ((2026, 4, 11), (2026, 4, 27))),
            (2025, Zone::C) => (((2026, 2, 21), (2026, 3, 9)), ((2026, 4, 18), (2026, 5, 4))),
            (2026, Zone::A) => (((2027, 2, 13), (2027, 3, 1)), ((2027, 4, 10), (2027, 4, 26))),
            (2026, Zone::B) => (((2027, 2, 20), (2027, 3, 8)), ((2027, 4, 17), (2027, 5, 3))),
            (2026, Zone::C) => (((2027, 2, 6), (2027, 2, 22)), ((2027, 4, 3), (2027, 4, 19))),
            _ => return None,
        };
        let (autumn, christmas, end, ascension) = match year {
            2025 => (((2025, 10, 18), (2025, 11, 3)), ((2025, 12, 20), (2026, 1, 5)), (2026, 7, 3), ((2026, 5, 15), (2026, 5, 18))),
            _ => (((2026, 10, 17), (2026, 11, 2)), ((2026, 12, 19), (2027, 1, 4)), (2027, 7, 2), ((2027, 5, 7), (2027, 5, 10))),
        };
        Some(SchoolCalendar {
            start: date(year, 9, 1),
            end: date(end.0, end.1, end.2),
            holidays: vec![
                holiday("Vacances de la Toussaint", autumn.0, autumn.1),
                holiday("Vacances de Noël", christmas.0, christmas.1),
                holiday("Vacances d'hiver", winter.0, winter.1),
                holiday("Vacances de printemps", spring.0, spring.1),
                holiday("Pont de l'Ascension", ascension.0, ascension.1),
            ],
        })
    }

    /// The holiday a day falls in.
    pub fn holiday_on(&self, d: NaiveDate) -> Option<&Holiday> {
        self.holidays.iter().find(|h| h.first <= d && d < h.back)
    }

    /// Whether lessons take place on a day: within the year, not a Sunday, a holiday or a bank
    /// holiday.
    pub fn is_school_day(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end && d.weekday() != Weekday::Sun && self.holiday_on(d).is_none() && !is_bank_holiday(d)
    }

    /// The letter of the week a school day is in: weeks with at least one school day from
    /// Monday to Friday alternate A, B, A… from the first.
    pub fn week_letter(&self, d: NaiveDate) -> Option<WeekLetter> {
        if !self.is_school_day(d) {
            return None;
        }
        self.week_letters().get(&monday_of(d)).copied()
    }

    /// The letter of each week of the year that has lessons, by its Monday.
    pub fn week_letters(&self) -> BTreeMap<NaiveDate, WeekLetter> {
        let mut letters = BTreeMap::new();
        let mut week = monday_of(self.start);
        while week <= self.end {
            if (0..5).any(|i| self.is_school_day(week + Days::new(i))) {
                letters.insert(week, if letters.len().is_multiple_of(2) { WeekLetter::A } else { WeekLetter::B });
            }
            week = week + Days::new(7);
        }
        letters
    }
}

/// The school year a day belongs to, by the year it starts in (August to July).
pub fn school_year(d: NaiveDate) -> i32 {
    if d.month() >= 8 { d.year() } else { d.year() - 1 }
}

/// The school year `d` falls in, from 1 August to 31 July: a course's default period.
pub fn year_period(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let year = school_year(d);
    (NaiveDate::from_ymd_opt(year, 8, 1).unwrap_or(d), NaiveDate::from_ymd_opt(year + 1, 7, 31).unwrap_or(d))
}

/// What a structure says of its calendar, over the official one of its académie's zone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCalendar {
    /// The zone to follow instead of the académie's (or where the académie has none).
    #[serde(default)]
    pub zone: Option<Zone>,
    /// Whole school years of its own, each replacing the official one of that year.
    #[serde(default)]
    pub years: Vec<SchoolCalendar>,
    /// Its own days without lessons, on top of its year's holidays.
    #[serde(default)]
    pub days_off: Vec<Holiday>,
}

impl LocalCalendar {
    /// The school year `year` (by the year it starts in): the structure's own, or else the
    /// official one of the zone, with the structure's own days off added.
    pub fn year(&self, zone: Option<Zone>, year: i32) -> Option<SchoolCalendar> {
        let mut c = self.base_year(zone, year)?;
        c.holidays.extend(self.days_off.iter().filter(|h| school_year(h.first) == year).cloned());
        Some(c)
    }

    /// The school year without the structure's own days off: what weeks A and B are counted on,
    /// so that a week the school gives off does not swap the letters of the weeks after it.
    fn base_year(&self, zone: Option<Zone>, year: i32) -> Option<SchoolCalendar> {
        let own = self.years.iter().find(|c| school_year(c.start) == year).cloned();
        own.or_else(|| self.zone.or(zone).and_then(|z| SchoolCalendar::official(z, date(year, 9, 1))))
    }

    /// Whether a day is one of the structure's own days off.
    pub fn is_day_off(&self, d: NaiveDate) -> bool {
        self.days_off.iter().any(|h| h.first <= d && d < h.back)
    }

    /// Checks what a structure enters: periods in order and of sensible length, labels given,
    /// one calendar per school year, holidays inside their year.
    pub fn validate(&self) -> preau_core::Result<()> {
        let mut e = preau_core::error::Validator::new();
        let label_ok = |h: &Holiday| !h.label.trim().is_empty() && h.label.len() <= 100;
        let span = |h: &Holiday| (h.back - h.first).num_days();
        e.check(self.days_off.len() <= 100, "days_off", "timetable.calendar_too_many");
        e.check(
            self.days_off.iter().all(|h| label_ok(h) && (1..=31).contains(&span(h)) && super::views::plausible(&h.first)),
            "days_off",
            "timetable.calendar_day_off",
        );
        e.check(self.years.len() <= 10, "years", "timetable.calendar_too_many");
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.years {
            let length = (c.end - c.start).num_days();
            let one_year = school_year(c.start) == school_year(c.end);
            e.check(super::views::plausible(&c.start) && (100..=366).contains(&length) && one_year, "years", "timetable.calendar_year_invalid");
            e.check(c.holidays.len() <= 30, "years", "timetable.calendar_too_many");
            e.check(seen.insert(school_year(c.start)), "years", "timetable.calendar_year_twice");
            e.check(
                c.holidays.iter().all(|h| label_ok(h) && (1..=70).contains(&span(h)) && h.first >= c.start && h.first <= c.end),
                "years",
                "timetable.calendar_holiday",
            );
        }
        e.finish()
    }
}

/// A structure's calendars over a range of days: each day read on the calendar of its own
/// school year, each year's week letters counted once. A day of a year with no known calendar
/// has lessons unless it is a Sunday or one of the structure's days off.
pub struct Calendars {
    years: Vec<(i32, SchoolCalendar, BTreeMap<NaiveDate, WeekLetter>)>,
    days_off: Vec<Holiday>,
}

impl Calendars {
    /// The official calendars of a zone.
    pub fn new(zone: Option<Zone>, from: NaiveDate, to: NaiveDate) -> Calendars {
        Calendars::of(&LocalCalendar::default(), zone, from, to)
    }

    /// A structure's calendars: its own settings over the official calendars of `zone`.
    pub fn of(local: &LocalCalendar, zone: Option<Zone>, from: NaiveDate, to: NaiveDate) -> Calendars {
        let years = (school_year(from)..=school_year(to))
            .filter_map(|y| Some((y, local.base_year(zone, y)?.week_letters(), local.year(zone, y)?)))
            .map(|(y, letters, c)| (y, c, letters))
            .collect();
        Calendars { years, days_off: local.days_off.clone() }
    }

    fn year_of(&self, d: NaiveDate) -> Option<&(i32, SchoolCalendar, BTreeMap<NaiveDate, WeekLetter>)> {
        let y = school_year(d);
        self.years.iter().find(|(year, _, _)| *year == y)
    }

    /// Whether lessons take place on a day.
    pub fn is_school_day(&self, d: NaiveDate) -> bool {
        match self.year_of(d) {
            Some((_, c, _)) => c.is_school_day(d),
            None => d.weekday() != Weekday::Sun && !self.days_off.iter().any(|h| h.first <= d && d < h.back),
        }
    }

    /// The letter of a school day's week, when its year's calendar is known.
    pub fn week_letter(&self, d: NaiveDate) -> Option<WeekLetter> {
        let (_, c, letters) = self.year_of(d)?;
        if !c.is_school_day(d) {
            return None;
        }
        letters.get(&monday_of(d)).copied()
    }
}

/// The Monday of a day's week.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// Week A or week B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WeekLetter {
    A,
    B,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_and_the_bank_holidays_that_follow_it() {
        assert_eq!(easter(2026), date(2026, 4, 5));
        assert_eq!(easter(2027), date(2027, 3, 28));
        assert!(is_bank_holiday(date(2027, 3, 29)), "Easter Monday");
        assert!(is_bank_holiday(date(2027, 5, 6)), "Ascension");
        assert!(is_bank_holiday(date(2027, 5, 17)), "Whit Monday");
        assert!(is_bank_holiday(date(2026, 11, 11)));
        assert!(!is_bank_holiday(date(2026, 11, 12)));
    }

    #[test]
    fn a_structures_own_days_off_and_years_come_over_the_official_calendar() {
        let bridge = Holiday { label: "Pont".into(), first: date(2026, 11, 9), back: date(2026, 11, 11) };
        let local = LocalCalendar { days_off: vec![bridge], ..Default::default() };
        let c = Calendars::of(&local, Some(Zone::B), date(2026, 9, 1), date(2027, 7, 2));
        assert!(c.is_school_day(date(2026, 11, 6)) && !c.is_school_day(date(2026, 11, 9)) && !c.is_school_day(date(2026, 11, 10)));
        assert!(c.is_school_day(date(2026, 11, 12)));
        let official = Calendars::new(Some(Zone::B), date(2026, 9, 1), date(2027, 7, 2));
        for d in [date(2026, 11, 12), date(2026, 11, 16), date(2027, 3, 1)] {
            assert_eq!(c.week_letter(d), official.week_letter(d), "a day off in a week does not shift weeks A and B");
        }
        assert_eq!(c.week_letter(date(2026, 11, 12)), Some(WeekLetter::A));
        // A whole week the school gives off does not swap the letters of the weeks after it.
        let week_off = Holiday { label: "Semaine banalisée".into(), first: date(2026, 11, 16), back: date(2026, 11, 21) };
        let c = Calendars::of(&LocalCalendar { days_off: vec![week_off], ..Default::default() }, Some(Zone::B), date(2026, 9, 1), date(2027, 7, 2));
        assert!(!c.is_school_day(date(2026, 11, 18)));
        for d in [date(2026, 11, 23), date(2026, 11, 30), date(2027, 5, 3)] {
            assert_eq!(c.week_letter(d), official.week_letter(d), "{d}");
        }
        let straddling = SchoolCalendar { start: date(2027, 2, 15), end: date(2027, 12, 15), holidays: vec![] };
        assert!(LocalCalendar { years: vec![straddling], ..Default::default() }.validate().is_err(), "a year lies within August to July");
        // Corse: no zone; its own year.
        let corse = LocalCalendar {
            years: vec![SchoolCalendar {
                start: date(2026, 9, 1),
                end: date(2027, 7, 2),
                holidays: vec![Holiday { label: "Vacances d'hiver".into(), first: date(2027, 2, 13), back: date(2027, 3, 1) }],
            }],
            ..Default::default()
        };
        assert!(corse.validate().is_ok());
        let c = Calendars::of(&corse, None, date(2026, 9, 1), date(2027, 7, 2));
        assert!(!c.is_school_day(date(2027, 2, 15)) && c.is_school_day(date(2027, 3, 1)));
        assert!(!c.is_school_day(date(2027, 7, 5)), "after its year");
        assert_eq!(c.week_letter(date(2026, 9, 7)), Some(WeekLetter::B));
        let wrong = LocalCalendar { days_off: vec![Holiday { label: String::new(), first: date(2026, 11, 9), back: date(2026, 11, 9) }], ..Default::default() };
        assert!(wrong.validate().is_err());
    }

    #[test]
    fn academies_fall_in_their_zones() {
        assert_eq!(Zone::of_academie("RENNES"), Some(Zone::B));
        assert_eq!(Zone::of_academie("Clermont-Ferrand"), Some(Zone::A));
        assert_eq!(Zone::of_academie("académie de Créteil"), Some(Zone::C));
        assert_eq!(Zone::of_academie("Corse"), None);
    }

    #[test]
    fn holidays_have_no_lessons_and_do_not_shift_weeks_a_and_b() -> Result<(), String> {
        let c = SchoolCalendar::official(Zone::B, date(2026, 10, 1)).ok_or("no calendar")?;
        assert_eq!(c.week_letter(date(2026, 9, 1)), Some(WeekLetter::A));
        assert_eq!(c.week_letter(date(2026, 9, 7)), Some(WeekLetter::B));
        // The week of 12 October is the seventh: A. Then two weeks of holidays; 2 November is B.
        assert_eq!(c.week_letter(date(2026, 10, 12)), Some(WeekLetter::A));
        assert!(!c.is_school_day(date(2026, 10, 17)), "the first Saturday of the holidays");
        assert!(!c.is_school_day(date(2026, 10, 26)));
        assert_eq!(c.week_letter(date(2026, 11, 2)), Some(WeekLetter::B));
        assert!(!c.is_school_day(date(2026, 11, 11)), "Armistice");
        assert!(c.is_school_day(date(2027, 2, 19)), "zone B's winter holidays start on the 20th");
        assert!(!c.is_school_day(date(2027, 2, 22)));
        let a = SchoolCalendar::official(Zone::A, date(2027, 2, 1)).ok_or("no calendar")?;
        assert!(!a.is_school_day(date(2027, 2, 15)), "zone A is on holiday");
        assert!(!c.is_school_day(date(2027, 7, 5)), "after the year");
        Ok(())
    }
}
