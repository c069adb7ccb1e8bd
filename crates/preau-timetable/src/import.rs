//! Importing a structure's timetable from a timetabling tool's CSV export: one line per
//! weekly course, `;`-separated, UTF-8 (with or without BOM) or Latin-1, French headers
//! (`jour;debut;fin;matiere;classes;professeurs;salle;semaines;du;au;cle`). Every line is
//! checked first and the import is all or nothing; then the file is compared with the courses
//! an earlier import made (by key: the `cle` column, or day, time, subject and classes) and
//! only the difference is applied, in one transaction: courses added, changed in place
//! (keeping their lessons' changes), removed. Courses entered by hand are never touched.

use crate::manage::{CourseInput, course_of, validate};
use crate::model::{Course, Minute, Weeks, parse_minute};
use crate::store::CourseDiff;
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_core::{CourseId, Error, GroupId, PersonId, Principal, Profile, Result, StructureId};
use preau_directory::audit;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// The source name of the courses a CSV import owns.
pub const SOURCE: &str = "csv";

/// What a line said wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub field: String,
    pub code: String,
    pub value: String,
}

/// What an import did (or would do, on a dry run or with errors: then nothing was applied).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImportReport {
    pub lines: usize,
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
    pub errors: Vec<LineError>,
    pub applied: bool,
}

/// The columns, by the names a header may give them.
const COLUMNS: &[(&str, &[&str])] = &[
    ("day", &["jour", "day"]),
    ("start", &["debut", "début", "heure debut", "heure début", "start"]),
    ("end", &["fin", "heure fin", "end"]),
    ("subject", &["matiere", "matière", "subject"]),
    ("groups", &["classes", "classe", "groupes", "classes/groupes", "groups"]),
    ("teachers", &["professeurs", "professeur", "enseignants", "enseignant", "teachers"]),
    ("room", &["salle", "salles", "room"]),
    ("weeks", &["semaines", "semaine", "weeks"]),
    ("from", &["du", "debut periode", "from"]),
    ("to", &["au", "fin periode", "to"]),
    ("key", &["cle", "clé", "identifiant", "id", "key"]),
];
const REQUIRED: [&str; 5] = ["day", "start", "end", "subject", "groups"];

/// `lundi`…`samedi`, `1`…`6`, or English day names.
fn weekday(s: &str) -> Option<u8> {
    let t = s.trim().to_lowercase();
    const NAMES: [[&str; 2]; 6] =
        [["lundi", "monday"], ["mardi", "tuesday"], ["mercredi", "wednesday"], ["jeudi", "thursday"], ["vendredi", "friday"], ["samedi", "saturday"]];
    if let Ok(n) = t.parse::<u8>() {
        return (1..=6).contains(&n).then_some(n);
    }
    NAMES.iter().position(|n| n.iter().any(|x| *x == t || (t.len() >= 3 && x.starts_with(&t)))).map(|i| i as u8 + 1)
}

/// A line's times: `08:00` and `08:55`, or slots of the grid (`M1`, and `M2` or nothing for
/// the end of the first slot).
fn times(grid: &[crate::slots::Slot], start: &str, end: &str) -> (Option<Minute>, Option<Minute>) {
    let slot = |code: &str| grid.iter().find(|s| s.code.eq_ignore_ascii_case(code.trim()));
    let first = slot(start);
    let start_at = first.map(|s| s.start).or_else(|| parse_minute(start));
    let end_at = match (slot(end), end.trim().is_empty()) {
        (Some(s), _) => Some(s.end),
        (None, true) => first.map(|s| s.end),
        (None, false) => parse_minute(end),
    };
    (start_at, end_at)
}

/// `14/09/2026` or `2026-09-14`.
fn date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y")).ok()
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// How the structure's classes and adults are named in a file.
struct Names {
    groups: HashMap<String, GroupId>,
    /// By login and by "family given" / "given family"; `None` when two people share it.
    people: HashMap<String, Option<PersonId>>,
}

impl Names {
    fn person(&self, s: &str) -> std::result::Result<PersonId, &'static str> {
        match self.people.get(&norm(s)) {
            Some(Some(p)) => Ok(*p),
            Some(None) => Err("timetable.import_teacher_ambiguous"),
            None => Err("timetable.import_teacher_unknown"),
        }
    }
}

/// One line, read: the course it describes and its key.
pub(crate) struct Line {
    pub number: usize,
    pub input: CourseInput,
    pub key: String,
}

impl crate::import_ics::Resolve for Names {
    fn group(&self, name: &str) -> Option<GroupId> {
        self.groups.get(&norm(name)).copied()
    }

    fn person(&self, name: &str) -> std::result::Result<PersonId, &'static str> {
        Names::person(self, name)
    }
}

/// The source name of the courses an iCalendar import owns.
pub const ICS_SOURCE: &str = "ics";

impl<S: TimetableStore> Timetable<S> {
    async fn import_names(&self, s: StructureId) -> Result<Names> {
        let mut groups = HashMap::new();
        for g in self.store.groups_in(s).await?.into_iter().filter(|g| g.archived_year.is_none()) {
            groups.insert(norm(&g.code), g.id);
            groups.entry(norm(&g.name)).or_insert(g.id);
        }
        let mut people: HashMap<String, Option<PersonId>> = HashMap::new();
        for (p, profile) in self.store.people_in(s, None, "", 100_000).await? {
            if matches!(profile, Profile::Pupil | Profile::Parent) {
                continue;
            }
            people.insert(norm(&p.login), Some(p.id));
            for name in [format!("{} {}", p.family_name, p.given_name), format!("{} {}", p.given_name, p.family_name)] {
                let e = people.entry(norm(&name)).or_insert(Some(p.id));
                if *e != Some(p.id) {
                    *e = None;
                }
            }
        }
        Ok(Names { groups, people })
    }

    /// Reads and checks every line; the lines, or every error found.
    async fn read_lines(&self, s: StructureId, bytes: &[u8]) -> Result<(Vec<Line>, Vec<LineError>)> {
        let text = preau_feeds::csv_import::decode(bytes);
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let headers: Vec<String> = reader.headers().map_err(|_| Error::invalid("file", "timetable.import_unreadable"))?.iter().map(norm).collect();
        let column = |name: &str| COLUMNS.iter().find(|(n, _)| *n == name).and_then(|(_, names)| headers.iter().position(|h| names.contains(&h.as_str())));
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| column(c).is_none()).collect();
        if !missing.is_empty() {
            let errors = missing
                .iter()
                .map(|c| LineError { line: 1, field: (*c).into(), code: "timetable.import_column_missing".into(), value: String::new() })
                .collect();
            return Ok((vec![], errors));
        }
        let cols: HashMap<&str, usize> = COLUMNS.iter().filter_map(|(n, _)| column(n).map(|i| (*n, i))).collect();
        let names = self.import_names(s).await?;
        let grid = self.slots(s).await?;
        let (default_from, default_to) = crate::calendar::year_period(preau_core::local_time::paris_date(self.clock.now()));
        let (mut lines, mut errors) = (vec![], vec![]);
        let mut keys: HashMap<String, usize> = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let number = i + 2;
            let Ok(record) = record else {
                errors.push(LineError { line: number, field: "line".into(), code: "timetable.import_unreadable".into(), value: String::new() });
                continue;
            };
            if record.iter().all(str::is_empty) {
                continue;
            }
            let get = |c: &str| cols.get(c).and_then(|i| record.get(*i)).unwrap_or("").to_owned();
            let mut fail = |field: &str, code: &str, value: String| errors.push(LineError { line: number, field: field.into(), code: code.into(), value });
            let day = weekday(&get("day")).unwrap_or_else(|| {
                fail("day", "timetable.weekday", get("day"));
                0
            });
            let (start, end) = times(&grid, &get("start"), &get("end"));
            if start.is_none() || end.is_none() {
                fail("start", "timetable.times", format!("{}–{}", get("start"), get("end")));
            }
            let mut groups = vec![];
            for code in get("groups").split([',', '+', '|']).map(str::trim).filter(|c| !c.is_empty()) {
                match names.groups.get(&norm(code)) {
                    Some(g) => groups.push(*g),
                    None => fail("groups", "timetable.group_unknown", code.to_owned()),
                }
            }
            let mut teachers = vec![];
            for name in get("teachers").split([',', '+', '|']).map(str::trim).filter(|c| !c.is_empty()) {
                match names.person(name) {
                    Ok(p) => teachers.push(p),
                    Err(code) => fail("teachers", code, name.to_owned()),
                }
            }
            let weeks = Weeks::parse(&get("weeks")).unwrap_or_else(|| {
                fail("weeks", "timetable.weeks", get("weeks"));
                Weeks::Every
            });
            let period = |c: &str, default: NaiveDate, fail: &mut dyn FnMut(&str, &str, String)| {
                let v = get(c);
                if v.is_empty() {
                    return default;
                }
                date(&v).unwrap_or_else(|| {
                    fail(c, "timetable.import_date", v);
                    default
                })
            };
            let from = period("from", default_from, &mut fail);
            let to = period("to", default_to, &mut fail);
            let input = CourseInput {
                subject: get("subject"),
                teachers,
                groups,
                room: get("room"),
                weekday: day,
                start: start.unwrap_or(0),
                end: end.unwrap_or(0),
                weeks,
                from,
                to,
            };
            if errors.iter().any(|e| e.line == number) {
                continue;
            }
            if let Err(Error::Invalid(fields)) = validate(&input) {
                errors.extend(fields.into_iter().map(|f| LineError { line: number, field: f.field.clone(), code: f.code, value: get(&f.field) }));
                continue;
            }
            let key = match get("key") {
                k if !k.is_empty() => k,
                _ => auto_key(&input),
            };
            if let Some(first) = keys.insert(key.clone(), number) {
                errors.push(LineError {
                    line: number,
                    field: "key".into(),
                    code: "timetable.import_duplicate".into(),
                    value: format!("{key} (ligne {first})"),
                });
                continue;
            }
            lines.push(Line { number, input, key });
        }
        Ok((lines, errors))
    }

    /// Imports a timetable file: an iCalendar export (it starts with `BEGIN:VCALENDAR`) or a
    /// CSV one; `class` is what an iCalendar file is for when its events name no class.
    pub async fn import_file(&self, caller: &Principal, s: StructureId, bytes: &[u8], class: Option<GroupId>, dry_run: bool) -> Result<ImportReport> {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).trim_start_matches('\u{feff}').trim_start().to_ascii_uppercase();
        if head.starts_with("BEGIN:VCALENDAR") {
            self.import_ics(caller, s, bytes, class, dry_run).await
        } else {
            self.import_csv(caller, s, bytes, dry_run).await
        }
    }

    /// Imports a structure's timetable from a CSV file (see the module's documentation); with
    /// `dry_run`, reports what it would do without writing.
    pub async fn import_csv(&self, caller: &Principal, s: StructureId, bytes: &[u8], dry_run: bool) -> Result<ImportReport> {
        self.require_manager(caller, s).await?;
        let (lines, errors) = self.read_lines(s, bytes).await?;
        self.apply_lines(caller, s, lines, errors, dry_run, SOURCE).await
    }

    /// Imports a structure's timetable from a timetabling tool's iCalendar export (see
    /// [`crate::import_ics`]); `class` is the class the file is for, when its events do not
    /// name one. The same checks, report and difference as the CSV import.
    pub async fn import_ics(&self, caller: &Principal, s: StructureId, bytes: &[u8], class: Option<GroupId>, dry_run: bool) -> Result<ImportReport> {
        self.require_manager(caller, s).await?;
        let names = self.import_names(s).await?;
        if class.is_some_and(|c| !names.groups.values().any(|g| *g == c)) {
            return Err(Error::invalid("class", "timetable.group_unknown"));
        }
        let period = crate::calendar::year_period(preau_core::local_time::paris_date(self.clock.now()));
        let kept = self.kept(s).await?;
        let text = preau_feeds::csv_import::decode(bytes);
        let (lines, errors) = crate::import_ics::read(&text, &names, class, &|first| kept.calendars(first, first).week_letter(first), period);
        self.apply_lines(caller, s, lines, errors, dry_run, ICS_SOURCE).await
    }

    /// The report of checked lines and, when none was wrong, the difference with the courses
    /// the previous import of this source made, applied in one transaction (unless `dry_run`).
    async fn apply_lines(
        &self,
        caller: &Principal,
        s: StructureId,
        lines: Vec<Line>,
        errors: Vec<LineError>,
        dry_run: bool,
        source: &str,
    ) -> Result<ImportReport> {
        let mut report = ImportReport { lines: lines.len() + errors.iter().map(|e| e.line).collect::<BTreeSet<_>>().len(), errors, ..Default::default() };
        if !report.errors.is_empty() {
            return Ok(report);
        }
        let mut before: HashMap<String, Course> =
            self.store.structure_courses(s).await?.into_iter().filter(|c| c.source == source).map(|c| (c.key.clone(), c)).collect();
        let mut diff = CourseDiff::default();
        for line in lines {
            match before.remove(&line.key) {
                Some(old) => {
                    let new = course_of(old.id, s, line.input, source, line.key);
                    if same(&old, &new) {
                        report.unchanged += 1;
                    } else {
                        diff.updated.push(new);
                    }
                }
                None => diff.added.push(course_of(CourseId::new(), s, line.input, source, line.key)),
            }
        }
        diff.removed = before.into_values().map(|c| c.id).collect();
        (report.created, report.updated, report.removed) = (diff.added.len(), diff.updated.len(), diff.removed.len());
        if dry_run || (diff.added.is_empty() && diff.updated.is_empty() && diff.removed.is_empty()) {
            return Ok(report);
        }
        let summary = serde_json::json!({"source": source, "created": report.created, "updated": report.updated, "removed": report.removed, "unchanged": report.unchanged});
        let entry = audit::entry::<(), _>(self.clock.now(), caller, "timetable.import", format!("structure:{s}"), Some(s), None, Some(&summary));
        self.store.apply_courses(&diff, &entry).await?;
        self.cache.forget(s);
        report.applied = true;
        Ok(report)
    }
}

/// What identifies a line without a key column: its day, start, subject and classes.
pub(crate) fn auto_key(c: &CourseInput) -> String {
    let mut groups: Vec<String> = c.groups.iter().map(ToString::to_string).collect();
    groups.sort();
    format!("{}|{}|{}|{}|{}", c.weekday, c.start, norm(&c.subject), groups.join(","), c.weeks.code())
}

/// Whether two courses say the same (the order of teachers and groups aside).
fn same(a: &Course, b: &Course) -> bool {
    let set = |v: &[PersonId]| v.iter().copied().collect::<BTreeSet<_>>();
    let groups = |v: &[GroupId]| v.iter().copied().collect::<BTreeSet<_>>();
    (&a.subject, &a.room, a.weekday, a.start, a.end, &a.weeks, a.from, a.to) == (&b.subject, &b.room, b.weekday, b.start, b.end, &b.weeks, b.from, b.to)
        && set(&a.teachers) == set(&b.teachers)
        && groups(&a.groups) == groups(&b.groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_clock_times_or_slots_of_the_grid() {
        let grid = crate::slots::default_grid();
        assert_eq!(times(&grid, "M1", ""), (Some(8 * 60), Some(8 * 60 + 55)));
        assert_eq!(times(&grid, "m1", "M2"), (Some(8 * 60), Some(9 * 60 + 50)), "a double period");
        assert_eq!(times(&grid, "14h00", "14:55"), (Some(14 * 60), Some(14 * 60 + 55)));
        assert_eq!(times(&grid, "M9", ""), (None, None));
    }

    #[test]
    fn days_and_dates_are_read_in_french_or_as_numbers() {
        assert_eq!([weekday("Lundi"), weekday("mer"), weekday("6"), weekday("dimanche"), weekday("7")], [Some(1), Some(3), Some(6), None, None]);
        assert_eq!(date("14/09/2026"), NaiveDate::from_ymd_opt(2026, 9, 14));
        assert_eq!(date("2026-09-14"), NaiveDate::from_ymd_opt(2026, 9, 14));
        assert_eq!(date("14-09-2026"), None);
    }
}
