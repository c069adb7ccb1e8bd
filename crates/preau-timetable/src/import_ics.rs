//! Reading a timetabling tool's iCalendar export (RFC 5545) as courses, for the same checked,
//! all-or-nothing import as the CSV one. Each event is a lesson:
//! - `SUMMARY` the subject, `LOCATION` the room, `DTSTART`/`DTEND` the times (UTC, or Paris
//!   wall time with or without `TZID`); all-day events (holidays, outings) are left out;
//! - the classes: `CATEGORIES`, or a `Classe(s) :` / `Groupe(s) :` line of `DESCRIPTION`, or
//!   the class the file is for (chosen when uploading: tools export one file per class);
//! - the teachers: each `ATTENDEE` or `ORGANIZER` `CN`, or a `Professeur(s) :` line;
//! - a weekly `RRULE` (every week, or every other week: week A or B as the school counts
//!   them, until `UNTIL` or `COUNT`) makes one course; events exported one by one are grouped
//!   back into one course per day, time, subject, room, classes and teachers, held on the
//!   weeks they fall in.

use crate::calendar::WeekLetter;
use crate::import::{Line, LineError, auto_key};
use crate::manage::{CourseInput, validate};
use crate::model::{Minute, Weeks};
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use preau_core::{Error, GroupId, PersonId};
use std::collections::BTreeMap;

/// A content line: its name, parameters and value, and the line of the file it starts on.
struct Prop {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

/// The events of a calendar, each with the file line it starts on.
fn events(text: &str) -> Vec<(usize, Vec<Prop>)> {
    let mut logical: Vec<(usize, String)> = vec![];
    for (i, raw) in text.lines().enumerate() {
        match (raw.strip_prefix([' ', '\t']), logical.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => logical.push((i + 1, raw.trim_end_matches('\r').to_owned())),
        }
    }
    let mut out = vec![];
    let mut current: Option<(usize, Vec<Prop>)> = None;
    for (n, line) in logical {
        let Some((head, value)) = split_value(&line) else { continue };
        let mut parts = head.split(';');
        let name = parts.next().unwrap_or("").to_ascii_uppercase();
        let params = parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_ascii_uppercase(), v.trim_matches('"').to_owned())).collect();
        match (name.as_str(), value.to_ascii_uppercase().as_str()) {
            ("BEGIN", "VEVENT") => current = Some((n, vec![])),
            ("END", "VEVENT") => out.extend(current.take()),
            _ => {
                if let Some((_, props)) = &mut current {
                    props.push(Prop { name, params, value: value.to_owned() });
                }
            }
        }
    }
    out
}

/// `NAME;PARAM="a:b":value` → (`NAME;PARAM="a:b"`, `value`): the first colon outside quotes.
fn split_value(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")
}

/// A date-time as a Paris wall time; `None` for an all-day date or a bad value.
fn paris_time(p: &Prop) -> Option<NaiveDateTime> {
    let v = p.value.trim();
    if v.len() == 8 {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(v.trim_end_matches('Z'), "%Y%m%dT%H%M%S").ok()?;
    if v.ends_with('Z') {
        let local = preau_core::local_time::to_paris(t.and_utc().timestamp());
        return chrono::DateTime::from_timestamp(local, 0).map(|d| d.naive_utc());
    }
    Some(t)
}

fn minute(t: &NaiveDateTime) -> Minute {
    (chrono::Timelike::hour(t) * 60 + chrono::Timelike::minute(t)) as Minute
}

/// The values of a `Label : a, b` line of a description, for any of `labels`.
fn described(description: &str, labels: &[&str]) -> Vec<String> {
    for line in description.lines() {
        if let Some((label, values)) = line.split_once(':') {
            let label = label.trim().to_lowercase();
            if labels.iter().any(|l| label == *l) {
                return values.split([',', '+']).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
            }
        }
    }
    vec![]
}

/// How the import resolves names: classes, teachers.
pub(crate) trait Resolve {
    fn group(&self, name: &str) -> Option<GroupId>;
    fn person(&self, name: &str) -> std::result::Result<PersonId, &'static str>;
}

/// One event, read: where it stands in the file, the course it belongs to, the day it is on,
/// and its recurrence if any.
struct Read {
    line: usize,
    uid: String,
    input: CourseInput,
    recurring: bool,
}

/// The week letter of a day on the school's calendar.
pub(crate) type LetterOf<'a> = &'a dyn Fn(NaiveDate) -> Option<WeekLetter>;

/// The courses of a calendar file; `class` is the class the file is for, if chosen.
pub(crate) fn read(
    text: &str,
    names: &dyn Resolve,
    class: Option<GroupId>,
    letter_of: LetterOf<'_>,
    (from, to): (NaiveDate, NaiveDate),
) -> (Vec<Line>, Vec<LineError>) {
    let mut errors = vec![];
    let mut read = vec![];
    for (line, props) in events(text) {
        let get = |n: &str| props.iter().find(|p| p.name == n);
        let mut fail = |field: &str, code: &str, value: String| errors.push(LineError { line, field: field.into(), code: code.into(), value });
        let (Some(start), Some(end)) = (get("DTSTART").and_then(paris_time), get("DTEND").and_then(paris_time)) else {
            if get("DTSTART").is_some_and(|p| p.value.trim().len() != 8) {
                fail("start", "timetable.times", get("DTSTART").map(|p| p.value.clone()).unwrap_or_default());
            }
            continue;
        };
        let description = get("DESCRIPTION").map(|p| unescape(&p.value)).unwrap_or_default();
        let mut class_names: Vec<String> =
            props.iter().filter(|p| p.name == "CATEGORIES").flat_map(|p| p.value.split(',').map(|v| unescape(v.trim()))).collect();
        if class_names.is_empty() {
            class_names = described(&description, &["classe", "classes", "groupe", "groupes", "classe(s)", "groupe(s)"]);
        }
        let mut groups = vec![];
        for n in &class_names {
            match names.group(n) {
                Some(g) => groups.push(g),
                None => fail("groups", "timetable.group_unknown", n.clone()),
            }
        }
        if class_names.is_empty() {
            groups.extend(class);
        }
        let mut teacher_names: Vec<String> = props
            .iter()
            .filter(|p| p.name == "ATTENDEE" || p.name == "ORGANIZER")
            .filter_map(|p| p.params.iter().find(|(k, _)| k == "CN").map(|(_, v)| v.clone()))
            .collect();
        if teacher_names.is_empty() {
            teacher_names = described(&description, &["professeur", "professeurs", "enseignant", "enseignants", "professeur(s)"]);
        }
        let mut teachers = vec![];
        for n in &teacher_names {
            match names.person(n) {
                Ok(p) => teachers.push(p),
                Err(code) => fail("teachers", code, n.clone()),
            }
        }
        let day = start.date();
        let mut input = CourseInput {
            subject: get("SUMMARY").map(|p| unescape(&p.value)).unwrap_or_default(),
            teachers,
            groups,
            room: get("LOCATION").map(|p| unescape(&p.value)).unwrap_or_default(),
            weekday: day.weekday().number_from_monday() as u8,
            start: minute(&start),
            end: minute(&end),
            weeks: Weeks::Given(vec![day.iso_week().week()]),
            from: day,
            to: day,
        };
        let recurring = match get("RRULE") {
            Some(rule) => match weekly(&rule.value, day, letter_of, to) {
                Some((weeks, until)) => {
                    (input.weeks, input.to) = (weeks, until);
                    true
                }
                None => {
                    fail("weeks", "timetable.import_rrule", rule.value.clone());
                    false
                }
            },
            None => false,
        };
        if input.weekday > 6 || day < from - Days::new(366) {
            fail("day", "timetable.weekday", day.to_string());
        }
        read.push(Read { line, uid: get("UID").map(|p| p.value.clone()).unwrap_or_default(), input, recurring });
    }
    let mut lines: Vec<Line> = vec![];
    // Events exported one by one, grouped back into weekly courses.
    let mut singles: BTreeMap<String, Line> = BTreeMap::new();
    let wrong: std::collections::HashSet<usize> = errors.iter().map(|e| e.line).collect();
    for r in read.into_iter().filter(|r| !wrong.contains(&r.line)) {
        if let Err(Error::Invalid(fields)) = validate(&r.input) {
            errors.extend(fields.into_iter().map(|f| LineError { line: r.line, field: f.field, code: f.code, value: r.input.subject.clone() }));
            continue;
        }
        if r.recurring {
            let key = if r.uid.is_empty() { auto_key(&r.input) } else { r.uid };
            lines.push(Line { number: r.line, input: r.input, key });
            continue;
        }
        let mut shape = r.input.clone();
        shape.weeks = Weeks::Every;
        let mut teachers: Vec<String> = shape.teachers.iter().map(ToString::to_string).collect();
        teachers.sort();
        let key = format!("{}|{}|{}|{}", auto_key(&shape), shape.end, shape.room, teachers.join(","));
        let week = r.input.from.iso_week().week();
        match singles.get_mut(&key) {
            Some(line) => {
                if let Weeks::Given(w) = &mut line.input.weeks
                    && !w.contains(&week)
                {
                    w.push(week);
                    w.sort_unstable();
                }
                line.input.from = line.input.from.min(r.input.from);
                line.input.to = line.input.to.max(r.input.to);
            }
            None => {
                singles.insert(key.clone(), Line { number: r.line, input: r.input, key });
            }
        }
    }
    lines.extend(singles.into_values());
    let mut seen = std::collections::HashSet::new();
    for l in &lines {
        if !seen.insert(l.key.clone()) {
            errors.push(LineError { line: l.number, field: "key".into(), code: "timetable.import_duplicate".into(), value: l.key.clone() });
        }
    }
    (lines, errors)
}

/// A weekly rule: every week, or every other week (A or B, as the school counts its weeks from
/// the first lesson), until `UNTIL`, `COUNT` or `end`.
fn weekly(rule: &str, first: NaiveDate, letter_of: LetterOf<'_>, end: NaiveDate) -> Option<(Weeks, NaiveDate)> {
    let parts: BTreeMap<String, String> = rule.split(';').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.to_ascii_uppercase(), v.to_owned())).collect();
    if parts.get("FREQ").map(String::as_str) != Some("WEEKLY") || parts.get("BYDAY").is_some_and(|d| d.contains(',')) {
        return None;
    }
    let interval: u64 = parts.get("INTERVAL").map(|i| i.parse().ok()).unwrap_or(Some(1))?;
    let weeks = match interval {
        1 => Weeks::Every,
        2 => match letter_of(first)? {
            WeekLetter::A => Weeks::A,
            WeekLetter::B => Weeks::B,
        },
        _ => return None,
    };
    let until = match (parts.get("UNTIL"), parts.get("COUNT")) {
        (Some(u), _) => NaiveDate::parse_from_str(&u[..u.len().min(8)], "%Y%m%d").ok()?,
        (None, Some(c)) => first.checked_add_days(Days::new(7 * interval * c.parse::<u64>().ok()?.saturating_sub(1).min(60)))?,
        (None, None) => end,
    };
    Some((weeks, until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_quoted_colons_and_escapes_are_read() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Sciences\\, TP\r\nATTENDEE;CN=\"MARTIN: Claire\":mailto:c@x\r\nDESCRIPTION:Classe : 4B\\nProfes\r\n seur : X\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let ev = events(text);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].0, 2, "the event starts on line 2");
        let get = |n: &str| ev[0].1.iter().find(|p| p.name == n).map(|p| p.value.clone()).unwrap_or_default();
        assert_eq!(unescape(&get("SUMMARY")), "Sciences, TP");
        assert_eq!(ev[0].1.iter().find(|p| p.name == "ATTENDEE").and_then(|p| p.params.first().cloned()), Some(("CN".into(), "MARTIN: Claire".into())));
        assert_eq!(described(&unescape(&get("DESCRIPTION")), &["professeur"]), vec!["X"]);
    }

    #[test]
    fn utc_times_are_read_in_paris_and_all_day_dates_are_not_lessons() {
        let p = |v: &str| Prop { name: "DTSTART".into(), params: vec![], value: v.into() };
        assert_eq!(paris_time(&p("20260914T060000Z")).map(|t| minute(&t)), Some(8 * 60), "UTC+2 in September");
        assert_eq!(paris_time(&p("20261214T080000")).map(|t| minute(&t)), Some(8 * 60), "a wall time stays");
        assert_eq!(paris_time(&p("20261214")), None);
    }
}
