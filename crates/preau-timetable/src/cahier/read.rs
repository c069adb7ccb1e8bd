//! Reading the *cahier de textes*. A pupil (and each of their parents) reads the homework due
//! and the lessons' entries of the pupil's classes and groups, once published; the pupil's
//! "done" ticks are theirs alone. A class's whole cahier is read by its pupils and their
//! parents (published), and by the adults of its school: the direction's and inspectors'
//! reads are recorded in the audit log. Teachers see how much homework a class already has
//! before setting more.

use super::model::{DayLoad, Due, Entry, Homework, Visa};
use crate::views::check_range;
use crate::{Timetable, TimetableStore};
use chrono::NaiveDate;
use preau_core::{DocumentId, EntryId, Error, GroupId, HomeworkId, PersonId, Principal, Profile, Result, StructureId};
use preau_directory::audit;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A class's cahier over a range of days.
#[derive(Debug, Clone, Serialize)]
pub struct ClassCahier {
    pub group: GroupId,
    pub entries: Vec<Entry>,
    /// The homework due in the range.
    pub homework: Vec<Homework>,
    pub visas: Vec<Visa>,
    /// Read-only: the class belongs to a past school year.
    pub archived: bool,
}

/// A lesson as its teachers write it up.
#[derive(Debug, Clone, Serialize)]
pub struct LessonCahier {
    pub lesson: crate::model::Lesson,
    pub entry: Option<Entry>,
    pub homework: Vec<Homework>,
    pub writable: bool,
}

/// How the caller stands towards a class's cahier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// A pupil of it or a parent of one: what is published.
    Family,
    /// An adult of its school: what is published, and their own drafts.
    Adult,
    /// Its school's direction or an inspector: as an adult, and the read is audited.
    Audited,
}

impl<S: TimetableStore> Timetable<S> {
    /// The classes and groups a pupil is in.
    pub(crate) async fn pupil_groups(&self, pupil: PersonId) -> Result<Vec<GroupId>> {
        let (standing, _) = self.communication.reach_of(pupil).await?;
        // Their classes and teaching groups, and the other groups of a school they are a pupil
        // of (an adult member of a choir is not its pupil).
        let pupil_in = |s: &StructureId| standing.profiles.contains(&(*s, Profile::Pupil));
        let mut groups: Vec<GroupId> = standing
            .classes
            .iter()
            .filter(|(_, _, p)| *p == Profile::Pupil)
            .map(|(_, g, _)| *g)
            .chain(standing.groups.iter().filter(|(s, _)| pupil_in(s)).map(|(_, g)| *g))
            .collect();
        groups.sort();
        groups.dedup();
        Ok(groups)
    }

    /// The pupil themselves, or one of their parents.
    pub(crate) async fn require_family(&self, caller: &Principal, pupil: PersonId) -> Result<PersonId> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        if me == pupil || self.communication.reach_of(me).await?.0.children.contains(&pupil) { Ok(me) } else { Err(Error::Forbidden) }
    }

    /// The published homework due for a pupil from `from` to `to`, by due day; with the
    /// pupil's ticks when the pupil asks.
    pub async fn homework_for(&self, caller: &Principal, pupil: PersonId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Due>> {
        check_range(from, to)?;
        let me = self.require_family(caller, pupil).await?;
        let groups = self.pupil_groups(pupil).await?;
        let now = self.clock.now();
        let (start, end) = super::cache::window(preau_core::local_time::paris_date(now));
        let mut due = if from >= start && to <= end {
            let ticks = if me == pupil { Some(self.ticks(pupil).await?) } else { None };
            let mut list = vec![];
            for g in &groups {
                for h in self.due_soon(*g, start, end).await?.iter().filter(|h| h.due >= from && h.due <= to) {
                    if !list.iter().any(|d: &Due| d.homework.id == h.id) {
                        list.push(Due { done: ticks.as_ref().and_then(|t| t.get(&h.id).copied()), homework: h.clone() });
                    }
                }
            }
            list
        } else {
            self.store.homework_due(pupil, &groups, from, to).await?
        };
        due.retain(|d| d.homework.publish_at <= now);
        if me != pupil {
            due.iter_mut().for_each(|d| d.done = None);
        }
        due.sort_by(|a, b| (a.homework.due, &a.homework.subject, a.homework.id).cmp(&(b.homework.due, &b.homework.subject, b.homework.id)));
        Ok(due)
    }

    /// A group's homework due in the window starting at `start`, from memory when kept.
    async fn due_soon(&self, g: GroupId, start: NaiveDate, end: NaiveDate) -> Result<std::sync::Arc<Vec<Homework>>> {
        if let Some(list) = self.due.group(g, start) {
            return Ok(list);
        }
        let epoch = self.due.epoch();
        let list: std::sync::Arc<Vec<Homework>> =
            std::sync::Arc::new(self.store.homework_due(PersonId::default(), &[g], start, end).await?.into_iter().map(|d| d.homework).collect());
        self.due.put_group(g, start, list.clone(), epoch);
        Ok(list)
    }

    /// A pupil's ticks, from memory when kept.
    async fn ticks(&self, pupil: PersonId) -> Result<super::cache::Ticks> {
        if let Some(t) = self.due.ticks(pupil) {
            return Ok(t);
        }
        let epoch = self.due.epoch();
        let t: super::cache::Ticks = std::sync::Arc::new(self.store.done_of(pupil).await?.into_iter().collect());
        self.due.put_ticks(pupil, t.clone(), epoch);
        Ok(t)
    }

    /// The published entries of a pupil's lessons from `from` to `to`, by subject then day.
    pub async fn lessons_log(&self, caller: &Principal, pupil: PersonId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Entry>> {
        check_range(from, to)?;
        self.require_family(caller, pupil).await?;
        let now = self.clock.now();
        let mut entries = vec![];
        for g in self.pupil_groups(pupil).await? {
            entries.extend(self.store.group_entries(g, from, to).await?.into_iter().filter(|e| e.publish_at <= now));
        }
        entries.sort_by(|a, b| (&a.subject, a.date, a.id).cmp(&(&b.subject, b.date, b.id)));
        entries.dedup_by_key(|e| e.id);
        Ok(entries)
    }

    async fn reader_of(&self, caller: &Principal, group: GroupId, structure: StructureId) -> Result<Reader> {
        if caller.memberships.iter().any(|(s, p)| *s == structure && matches!(p, Profile::Direction | Profile::Academy)) {
            return Ok(Reader::Audited);
        }
        if self.adult_in(caller, structure).await? {
            return Ok(Reader::Adult);
        }
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let (standing, _) = self.communication.reach_of(me).await?;
        let family = standing.classes.iter().any(|(_, g, p)| *g == group && matches!(p, Profile::Pupil | Profile::Parent))
            || standing.groups.iter().any(|(s, g)| *g == group && standing.profiles.contains(&(*s, Profile::Pupil)));
        if family { Ok(Reader::Family) } else { Err(Error::Forbidden) }
    }

    /// A class's (or group's) cahier from `from` to `to`: the entries of its lessons, the
    /// homework due, the visas.
    pub async fn class_cahier(&self, caller: &Principal, group: GroupId, from: NaiveDate, to: NaiveDate) -> Result<ClassCahier> {
        check_range(from, to)?;
        let g = self.store.group(group).await?;
        let reader = self.reader_of(caller, group, g.structure).await?;
        if reader == Reader::Audited {
            let what = format!("group:{group}:{from}:{to}");
            self.store.append_audit(&audit::entry::<(), ()>(self.clock.now(), caller, "cahier.read", what, Some(g.structure), None, None)).await?;
        }
        let (now, me) = (self.clock.now(), caller.person_id());
        let visible = |publish_at: i64, teacher: PersonId| publish_at <= now || (reader != Reader::Family && Some(teacher) == me);
        let mut entries = self.store.group_entries(group, from, to).await?;
        entries.retain(|e| visible(e.publish_at, e.teacher));
        entries.sort_by(|a, b| (a.date, &a.subject).cmp(&(b.date, &b.subject)));
        let mut homework: Vec<Homework> = self.store.homework_due(PersonId::default(), &[group], from, to).await?.into_iter().map(|d| d.homework).collect();
        homework.retain(|h| visible(h.publish_at, h.teacher));
        let visas = if reader == Reader::Family { vec![] } else { self.store.visas(group).await? };
        Ok(ClassCahier { group, entries, homework, visas, archived: g.archived_year.is_some() })
    }

    /// The homework due each day of a range for a class, published or not, for its school's
    /// adults (the teacher about to set more): the class's own and that of the teaching groups
    /// its pupils are in (a language, an option): the most any one pupil has.
    pub async fn workload(&self, caller: &Principal, group: GroupId, from: NaiveDate, to: NaiveDate) -> Result<Vec<DayLoad>> {
        check_range(from, to)?;
        let g = self.store.group(group).await?;
        if !self.adult_in(caller, g.structure).await? {
            return Err(Error::Forbidden);
        }
        // Each pupil's groups: the class and the teaching groups they are in (a language, an option).
        let mut pupils: Vec<BTreeSet<GroupId>> = vec![];
        for p in self.store.group_members(group).await? {
            let (standing, _) = self.communication.reach_of(p.id).await?;
            let theirs: BTreeSet<GroupId> = standing
                .classes
                .iter()
                .filter(|(_, _, profile)| *profile == Profile::Pupil)
                .map(|(_, c, _)| *c)
                .chain(standing.groups.iter().map(|(_, sg)| *sg))
                .collect();
            if theirs.contains(&group) {
                pupils.push(theirs);
            }
        }
        if pupils.is_empty() {
            pupils.push(BTreeSet::from([group]));
        }
        let groups: Vec<GroupId> = pupils.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
        let mut by_day: BTreeMap<NaiveDate, Vec<Homework>> = BTreeMap::new();
        for d in self.store.homework_due(PersonId::default(), &groups, from, to).await? {
            by_day.entry(d.homework.due).or_default().push(d.homework);
        }
        Ok(by_day.into_iter().map(|(day, list)| day_load(day, &list, &pupils)).collect())
    }

    /// The lesson, its entry and the homework set in it, for its teachers' page; whether they
    /// may still write it (not once visaed or archived).
    pub async fn lesson_cahier(&self, caller: &Principal, course: preau_core::CourseId, date: NaiveDate) -> Result<LessonCahier> {
        let (lesson, writable) = match self.lesson_to_write(caller, course, date).await {
            Ok((_, lesson, _)) => (lesson, true),
            Err(Error::Conflict(_)) => (self.lesson(course, date).await?.1, false),
            Err(e) => return Err(e),
        };
        Ok(LessonCahier { lesson, entry: self.store.entry_of(course, date).await?, homework: self.store.lesson_homework(course, date).await?, writable })
    }

    /// Checks the caller may read an entry and that the document is attached to it.
    pub async fn entry_attachment(&self, caller: &Principal, id: EntryId, document: DocumentId) -> Result<()> {
        let e = self.store.entry(id).await?.ok_or(Error::NotFound)?;
        self.attached(
            caller,
            Item { groups: &e.groups, structure: e.structure, publish_at: e.publish_at, teacher: e.teacher, attachments: &e.attachments },
            document,
        )
        .await
    }

    /// Checks the caller may read homework and that the document is attached to it.
    pub async fn homework_attachment(&self, caller: &Principal, id: HomeworkId, document: DocumentId) -> Result<()> {
        let h = self.store.homework(id).await?.ok_or(Error::NotFound)?;
        self.attached(
            caller,
            Item { groups: &h.groups, structure: h.structure, publish_at: h.publish_at, teacher: h.teacher, attachments: &h.attachments },
            document,
        )
        .await
    }

    /// Whoever may read a class's cahier reads the files of its published items; an
    /// unpublished one's, only its teacher.
    async fn attached(&self, caller: &Principal, item: Item<'_>, document: DocumentId) -> Result<()> {
        if !item.attachments.contains(&document) {
            return Err(Error::NotFound);
        }
        let mut may_read = false;
        for g in item.groups {
            if self.reader_of(caller, *g, item.structure).await.is_ok() {
                may_read = true;
                break;
            }
        }
        let published = item.publish_at <= self.clock.now() || caller.person_id() == Some(item.teacher);
        if may_read && published { Ok(()) } else { Err(Error::NotFound) }
    }
}

/// What decides who reads an entry's or homework's files.
struct Item<'a> {
    groups: &'a [GroupId],
    structure: StructureId,
    publish_at: i64,
    teacher: PersonId,
    attachments: &'a [DocumentId],
}

/// A day's load for the class: the most homework any of its pupils has that day, and the most
/// estimated minutes (homework without an estimate still counts as homework), with the subjects
/// of all homework due that day to any of its pupils.
fn day_load(day: NaiveDate, list: &[Homework], pupils: &[BTreeSet<GroupId>]) -> DayLoad {
    let theirs = |groups: &BTreeSet<GroupId>| list.iter().filter(|h| h.groups.iter().any(|g| groups.contains(g))).collect::<Vec<_>>();
    let loads: Vec<(usize, u32)> = pupils.iter().map(theirs).map(|l| (l.len(), l.iter().map(|h| u32::from(h.minutes)).sum())).collect();
    let mut subjects: Vec<String> = vec![];
    for h in list {
        if !subjects.contains(&h.subject) {
            subjects.push(h.subject.clone());
        }
    }
    DayLoad { day, count: loads.iter().map(|l| l.0).max().unwrap_or(0), minutes: loads.iter().map(|l| l.1).max().unwrap_or(0), subjects }
}
