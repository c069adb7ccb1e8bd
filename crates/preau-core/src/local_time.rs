//! Civil time in metropolitan France (Europe/Paris), for what people experience by the clock on
//! the wall: quiet hours, the time of a daily digest. UTC+1, and UTC+2 from the last Sunday of
//! March at 01:00 UTC to the last Sunday of October at 01:00 UTC (the EU rule, fixed since
//! 1996). Timestamps stay UTC everywhere else.

use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};

/// 01:00 UTC on the last Sunday of a month.
fn last_sunday_1am(year: i32, month: u32) -> i64 {
    let first_of_next = if month == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, month + 1, 1) };
    let mut d = first_of_next.and_then(|d| d.pred_opt()).unwrap_or_default();
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt().unwrap_or(d);
    }
    d.and_hms_opt(1, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)
}

/// The offset of Paris time from UTC at `utc`, in seconds.
pub fn paris_offset(utc: i64) -> i64 {
    let year = Utc.timestamp_opt(utc, 0).single().map(|t| t.year()).unwrap_or(1970);
    if utc >= last_sunday_1am(year, 3) && utc < last_sunday_1am(year, 10) { 7_200 } else { 3_600 }
}

/// Paris time at `utc`: the day of the week (0 = Monday) and the minute of the day.
pub fn paris_clock(utc: i64) -> (u32, u32) {
    let local = utc + paris_offset(utc);
    let days = local.div_euclid(86_400);
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    (((days + 3).rem_euclid(7)) as u32, (local.rem_euclid(86_400) / 60) as u32)
}

/// The UTC instant of the next Paris `minute` of the day at or after `utc`.
pub fn next_paris_minute(utc: i64, minute: u32) -> i64 {
    let (_, now) = paris_clock(utc);
    let ahead = (i64::from(minute) - i64::from(now)).rem_euclid(1_440) * 60;
    // Start of the current minute, then forward; a change of offset on the way is corrected.
    let guess = utc - utc.rem_euclid(60) + ahead;
    guess + (paris_offset(utc) - paris_offset(guess))
}

/// The UTC instant of a Paris wall-clock time, given as seconds since 1970-01-01 00:00 of the
/// wall clock (what a `datetime-local` field holds). In the hour skipped in spring, the clock
/// is read as winter time; in the hour repeated in autumn, the first one is taken.
pub fn from_paris(local: i64) -> i64 {
    let summer = local - 7_200;
    if paris_offset(summer) == 7_200 { summer } else { local - 3_600 }
}

/// Paris wall-clock time at `utc`, as seconds since 1970-01-01 00:00 of the wall clock.
pub fn to_paris(utc: i64) -> i64 {
    utc + paris_offset(utc)
}

/// The day it is in Paris at `utc`.
pub fn paris_date(utc: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(to_paris(utc), 0).map(|t| t.date_naive()).unwrap_or_default()
}

/// The UTC instant of a Paris day at a minute of the day (read as [`from_paris`] does).
pub fn paris_instant(day: NaiveDate, minute: u32) -> i64 {
    from_paris(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0) + i64::from(minute) * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summer_and_winter_time_follow_the_eu_rule() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let at = |y, m, d, h, min| NaiveDate::from_ymd_opt(y, m, d).and_then(|x| x.and_hms_opt(h, min, 0)).map(|t| t.and_utc().timestamp()).unwrap_or(0);
        assert_eq!(paris_offset(at(2026, 1, 15, 12, 0)), 3_600);
        assert_eq!(paris_offset(at(2026, 3, 29, 0, 59)), 3_600);
        assert_eq!(paris_offset(at(2026, 3, 29, 1, 0)), 7_200);
        assert_eq!(paris_offset(at(2026, 10, 25, 0, 59)), 7_200);
        assert_eq!(paris_offset(at(2026, 10, 25, 1, 0)), 3_600);
        // Sunday 29 November 2026, 21:30 UTC is 22:30 in Paris, a Sunday (6).
        assert_eq!(paris_clock(at(2026, 11, 29, 21, 30)), (6, 22 * 60 + 30));
        // Monday 7:00 in Paris after it: 06:00 UTC on 30 November.
        assert_eq!(next_paris_minute(at(2026, 11, 29, 21, 30), 7 * 60), at(2026, 11, 30, 6, 0));
        // 23:30 UTC on 29 November is already the 30th in Paris; 8:00 there is 7:00 UTC.
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        assert_eq!(paris_date(at(2026, 11, 29, 23, 30)), day);
        assert_eq!(paris_instant(day, 8 * 60), at(2026, 11, 30, 7, 0));
        // In summer, 7:00 in Paris is 05:00 UTC.
        assert_eq!(next_paris_minute(at(2026, 6, 1, 12, 0), 7 * 60), at(2026, 6, 2, 5, 0));
        // A wall-clock time back to UTC, in winter and in summer, and round trips.
        assert_eq!(from_paris(at(2026, 11, 30, 8, 0)), at(2026, 11, 30, 7, 0));
        assert_eq!(from_paris(at(2026, 6, 2, 8, 0)), at(2026, 6, 2, 6, 0));
        assert_eq!(to_paris(at(2026, 6, 2, 6, 0)), at(2026, 6, 2, 8, 0));
        // The autumn change: 02:30 happens twice, the first (summer) one is taken.
        assert_eq!(from_paris(at(2026, 10, 25, 2, 30)), at(2026, 10, 25, 0, 30));
        // The spring change: 02:30 does not exist, read as winter time (01:30 UTC, 03:30 summer).
        assert_eq!(from_paris(at(2026, 3, 29, 2, 30)), at(2026, 3, 29, 1, 30));
    }
}
