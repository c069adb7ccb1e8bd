//! The calendar feed (iCalendar, RFC 5545) a person subscribes to from a calendar app: their
//! lessons of the school year, each one event named by its course and day (so that a change
//! updates the same event), times in UTC, a cancelled lesson kept with `STATUS:CANCELLED`.
//! The address carries a secret token of which only the digest is kept; making a new one or
//! revoking it stops the old one at once. The school's adults may also subscribe to a class's
//! or a room's timetable (one address per class or room), computed as they would see it.

use crate::model::{Lesson, LessonStatus};
use crate::views::Of;
use crate::{Timetable, TimetableStore};
use chrono::{Days, NaiveDate};
use preau_communication::Target;
use preau_core::{Error, GroupId, PersonId, Principal, Result};
use std::collections::HashMap;

impl<S: TimetableStore> Timetable<S> {
    /// Records the digest of a new calendar feed address for the caller (the previous one
    /// stops working).
    pub async fn make_calendar_link(&self, caller: &Principal, digest: &str) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.set_calendar_link(me, digest, self.clock.now()).await
    }

    /// Stops the caller's calendar feed address.
    pub async fn revoke_calendar_link(&self, caller: &Principal) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.delete_calendar_link(me).await
    }

    /// When the caller made their calendar feed address, if they have one.
    pub async fn calendar_link_made(&self, caller: &Principal) -> Result<Option<i64>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.calendar_link_of(me).await
    }

    /// Makes the caller's address for a class's or room's feed (replacing theirs of the same
    /// class or room): the school's adults only. Returns the scope it is known by.
    pub async fn make_scoped_feed(&self, caller: &Principal, of: &Of, digest: &str) -> Result<String> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let structure = match of {
            Of::Class(g) => self.store.group(*g).await?.structure,
            Of::Room(s, room) if !room.trim().is_empty() => *s,
            _ => return Err(Error::invalid("scope", "timetable.feed_scope")),
        };
        if !self.adult_in(caller, structure).await? {
            return Err(Error::Forbidden);
        }
        let scope = scope_of(of);
        self.store.set_scoped_feed(me, &scope, digest, self.clock.now()).await?;
        Ok(scope)
    }

    /// Stops the caller's feed of a class or room.
    pub async fn revoke_scoped_feed(&self, caller: &Principal, scope: &str) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        self.store.delete_scoped_feed(me, scope).await
    }

    /// The caller's class and room feeds: (scope, what it shows, when made).
    pub async fn scoped_feeds(&self, caller: &Principal) -> Result<Vec<(String, String, i64)>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut out = vec![];
        for (scope, at) in self.store.scoped_feeds_of(me).await? {
            let label = match parse_scope(&scope) {
                Some(of) => self.label_of(&of).await.unwrap_or_default(),
                None => scope.clone(),
            };
            out.push((scope, label, at));
        }
        Ok(out)
    }

    async fn label_of(&self, of: &Of) -> Result<String> {
        Ok(match of {
            Of::Person(p) => self.store.person(*p).await?.display_name(),
            Of::Class(g) => self.store.group(*g).await?.name,
            Of::Room(_, room) => format!("Salle {room}"),
        })
    }

    /// The feed whose address has this digest: a person's own lessons, or a class's or room's
    /// as the person who made it may see them now; from a week ago to the end of the school year.
    pub async fn calendar_feed(&self, digest: &str, principal_of: impl AsyncFnOnce(PersonId) -> Result<Principal>) -> Result<String> {
        let (person, of) = match self.store.calendar_link(digest).await? {
            Some(p) => (p, Of::Person(p)),
            None => {
                let (p, scope) = self.store.scoped_feed(digest).await?.ok_or(Error::NotFound)?;
                (p, parse_scope(&scope).ok_or(Error::NotFound)?)
            }
        };
        let caller = principal_of(person).await?;
        let today = preau_core::local_time::paris_date(self.clock.now());
        // From a week ago to the end of the school year (July).
        let from = today - Days::new(7);
        let to = crate::calendar::year_period(today).1;
        let lessons = self.lessons(&caller, &of, from, to).await?;
        let names = self.names(&lessons).await?;
        Ok(render(&format!("Emploi du temps — {}", self.label_of(&of).await?), &lessons, &names, self.clock.now()))
    }

    /// The names of the teachers and groups of these lessons, by id (kept by the
    /// communication service until the directory changes).
    pub async fn names(&self, lessons: &[Lesson]) -> Result<HashMap<String, String>> {
        self.names_for(lessons.iter().flat_map(|l| l.teachers.iter().copied()), lessons.iter().flat_map(|l| l.groups.iter().copied())).await
    }

    /// The names of these people and groups, by id (kept by the communication service until the
    /// directory changes).
    pub async fn names_for(&self, people: impl IntoIterator<Item = PersonId>, groups: impl IntoIterator<Item = GroupId>) -> Result<HashMap<String, String>> {
        let mut targets: Vec<Target> =
            people.into_iter().map(|person| Target::Person { person }).chain(groups.into_iter().map(|group| Target::Group { group })).collect();
        targets.sort_by_key(|t| t.code());
        targets.dedup();
        let names = self.communication.names_of(&targets).await?;
        Ok(targets
            .iter()
            .zip(names)
            .map(|(t, n)| match t {
                Target::Person { person } => (person.to_string(), n),
                Target::Group { group } | Target::Class { group, .. } => (group.to_string(), n),
                Target::Structure { structure, .. } => (structure.to_string(), n),
            })
            .collect())
    }
}

/// How a class's or room's feed is stored: `class:<id>`, `room:<structure>:<name>`.
pub fn scope_of(of: &Of) -> String {
    match of {
        Of::Person(p) => format!("person:{p}"),
        Of::Class(g) => format!("class:{g}"),
        Of::Room(s, room) => format!("room:{s}:{}", room.trim()),
    }
}

pub fn parse_scope(scope: &str) -> Option<Of> {
    let (kind, rest) = scope.split_once(':')?;
    Some(match kind {
        "class" => Of::Class(rest.parse().ok()?),
        "room" => {
            let (s, room) = rest.split_once(':')?;
            Of::Room(s.parse().ok()?, room.to_owned())
        }
        _ => return None,
    })
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace(['\r', '\n'], "\\n")
}

/// Folds a content line at 75 octets (§3.1), never inside a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn utc(day: NaiveDate, minute: u16) -> String {
    let at = preau_core::local_time::paris_instant(day, u32::from(minute));
    chrono::DateTime::from_timestamp(at, 0).map(|d| d.format("%Y%m%dT%H%M%SZ").to_string()).unwrap_or_default()
}

/// A calendar of lessons to subscribe to; `names` gives the names of teachers and groups by id.
pub fn render(name: &str, lessons: &[Lesson], names: &HashMap<String, String>, now: i64) -> String {
    render_with(Some(name), lessons, names, now)
}

/// One lesson as a calendar object of a CalDAV collection (RFC 4791 §4.1: no `METHOD`).
pub fn render_object(lesson: &Lesson, names: &HashMap<String, String>, stamp: i64) -> String {
    render_with(None, std::slice::from_ref(lesson), names, stamp)
}

/// A published calendar when `name` is given (`METHOD:PUBLISH`, its name), else an object.
fn render_with(name: Option<&str>, lessons: &[Lesson], names: &HashMap<String, String>, now: i64) -> String {
    let stamp = chrono::DateTime::from_timestamp(now, 0).map(|d| d.format("%Y%m%dT%H%M%SZ").to_string()).unwrap_or_default();
    let mut out = String::with_capacity(400 * lessons.len() + 200);
    for l in ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Preau//Emploi du temps//FR", "CALSCALE:GREGORIAN"] {
        fold(l, &mut out);
    }
    if let Some(name) = name {
        fold("METHOD:PUBLISH", &mut out);
        fold(&format!("X-WR-CALNAME:{}", text(name)), &mut out);
    }
    let name_of = |id: String| names.get(&id).cloned().unwrap_or_default();
    for l in lessons {
        let teachers: Vec<String> = l.teachers.iter().map(|t| name_of(t.to_string())).collect();
        let groups: Vec<String> = l.groups.iter().map(|g| name_of(g.to_string())).collect();
        let mut description = format!("{} — {}", groups.join(", "), teachers.join(", "));
        if !l.note.is_empty() {
            description.push_str(&format!("\n{}", l.note));
        }
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}-{}@preau", l.course, l.date.format("%Y%m%d")), &mut out);
        fold(&format!("DTSTAMP:{stamp}"), &mut out);
        fold(&format!("DTSTART:{}", utc(l.day, l.start)), &mut out);
        fold(&format!("DTEND:{}", utc(l.day, l.end)), &mut out);
        let summary = if l.status == LessonStatus::Cancelled { format!("Annulé : {}", l.subject) } else { l.subject.clone() };
        fold(&format!("SUMMARY:{}", text(&summary)), &mut out);
        if !l.room.is_empty() {
            fold(&format!("LOCATION:{}", text(&l.room)), &mut out);
        }
        fold(&format!("DESCRIPTION:{}", text(&description)), &mut out);
        fold(&format!("STATUS:{}", if l.status == LessonStatus::Cancelled { "CANCELLED" } else { "CONFIRMED" }), &mut out);
        fold("TRANSP:OPAQUE", &mut out);
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_cutting_a_character() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "é".repeat(60)), &mut out);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets", line.len());
        }
        assert_eq!(out.replace("\r\n ", ""), format!("SUMMARY:{}\r\n", "é".repeat(60)));
    }

    #[test]
    fn scopes_read_back_as_what_they_show() {
        let (g, s) = (preau_core::GroupId::new(), preau_core::StructureId::new());
        assert_eq!(parse_scope(&scope_of(&Of::Class(g))), Some(Of::Class(g)));
        assert_eq!(parse_scope(&scope_of(&Of::Room(s, "B:12 ".into()))), Some(Of::Room(s, "B:12".into())));
        assert_eq!(parse_scope("person:x"), None);
    }

    #[test]
    fn text_values_escape_separators() {
        assert_eq!(text("Maths; groupe 1, salle B\nsuite"), "Maths\\; groupe 1\\, salle B\\nsuite");
    }

    #[test]
    fn lesson_times_are_written_in_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 9, 14).unwrap_or(NaiveDate::MIN);
        assert_eq!(utc(d, 8 * 60), "20260914T060000Z", "Paris is UTC+2 in September");
        let d = NaiveDate::from_ymd_opt(2026, 12, 14).unwrap_or(NaiveDate::MIN);
        assert_eq!(utc(d, 8 * 60), "20261214T070000Z");
    }
}
