//! Online hand-in of homework. Homework set with a hand-in has a deadline (by default 8:00 on
//! the day it is due); each pupil of its classes hands in one copy (files kept by the
//! documents storage: the bytes are the web layer's, recorded here by their blob key), which
//! they may replace until it is returned; a copy after the deadline is marked late. The
//! homework's teachers see who handed in and who did not, and return each copy with a comment
//! and optionally a corrected file; the pupil and their parents are told. Nobody else reads a
//! copy: not another pupil, not another class.

use super::model::Homework;
use crate::{Timetable, TimetableStore};
use preau_communication::notifications::Kind;
use preau_core::error::Validator as Errors;
use preau_core::{CopyId, Error, HomeworkId, PersonId, Principal, Profile, Result};
use serde::{Deserialize, Serialize};

/// A stored file: its name as given, its blob in the documents storage, size and type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub name: String,
    #[serde(skip_serializing)]
    pub blob: String,
    pub size: i64,
    pub content_type: String,
}

/// A pupil's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copy {
    pub id: CopyId,
    pub homework: HomeworkId,
    pub pupil: PersonId,
    pub file: StoredFile,
    pub submitted: i64,
    pub late: bool,
    pub returned: Option<Returned>,
}

/// The teacher's return of a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returned {
    pub at: i64,
    pub by: PersonId,
    pub comment: String,
    pub corrected: Option<StoredFile>,
}

/// Who handed in, for the homework's teachers.
#[derive(Debug, Clone, Serialize)]
pub struct HandIns {
    pub homework: Homework,
    pub deadline: i64,
    pub copies: Vec<(Copy, String)>,
    /// The pupils who have not handed in: (id, name).
    pub missing: Vec<(PersonId, String)>,
}

/// The deadline of homework handed in online.
pub fn deadline(h: &Homework) -> i64 {
    h.deadline.unwrap_or_else(|| preau_core::local_time::paris_instant(h.due, 8 * 60))
}

impl<S: TimetableStore> Timetable<S> {
    /// Homework with a hand-in, published, of one of the caller's classes.
    async fn handin_for_pupil(&self, caller: &Principal, id: HomeworkId) -> Result<(Homework, PersonId)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let h = self.store.homework(id).await?.ok_or(Error::NotFound)?;
        if !h.hand_in || h.publish_at > self.clock.now() || !self.pupil_groups(me).await?.iter().any(|g| h.groups.contains(g)) {
            return Err(Error::NotFound);
        }
        Ok((h, me))
    }

    /// Homework the caller set or teaches the course of.
    async fn handin_for_teacher(&self, caller: &Principal, id: HomeworkId) -> Result<(Homework, PersonId)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let h = self.store.homework(id).await?.ok_or(Error::NotFound)?;
        if !self.teaches(me, h.teacher, h.course).await? {
            return Err(Error::Forbidden);
        }
        if !h.hand_in {
            return Err(Error::NotFound);
        }
        Ok((h, me))
    }

    /// A pupil hands in (or replaces) their copy; the blobs of a replaced copy, to delete.
    pub async fn hand_in(&self, caller: &Principal, id: HomeworkId, file: StoredFile) -> Result<(Copy, Vec<String>)> {
        let (h, me) = self.handin_for_pupil(caller, id).await?;
        let mut e = Errors::new();
        e.check(!file.name.trim().is_empty() && file.name.len() <= 255, "file", "handin.name");
        e.check(file.size > 0, "file", "handin.empty");
        e.finish()?;
        let now = self.clock.now();
        let copy = Copy { id: CopyId::new(), homework: id, pupil: me, file, submitted: now, late: now > deadline(&h), returned: None };
        // The store refuses to replace a returned copy, in the same transaction.
        let replaced = self.store.put_copy(&copy).await?;
        Ok((copy, replaced.into_iter().collect()))
    }

    /// The copy of a pupil (for the pupil and their parents).
    pub async fn my_copy(&self, caller: &Principal, id: HomeworkId, pupil: PersonId) -> Result<Option<Copy>> {
        self.require_family(caller, pupil).await?;
        self.store.copy_of(id, pupil).await
    }

    /// Who handed in and who did not, for the homework's teachers.
    pub async fn hand_ins(&self, caller: &Principal, id: HomeworkId) -> Result<HandIns> {
        let (h, _) = self.handin_for_teacher(caller, id).await?;
        let copies = self.store.copies(id).await?;
        let school_pupils: std::collections::HashSet<PersonId> =
            self.store.people_in(h.structure, Some(Profile::Pupil), "", 100_000).await?.into_iter().map(|(p, _)| p.id).collect();
        let mut pupils = vec![];
        for g in &h.groups {
            for p in self.store.group_members(*g).await? {
                if school_pupils.contains(&p.id) && !pupils.iter().any(|(id, _)| *id == p.id) {
                    pupils.push((p.id, p.display_name()));
                }
            }
        }
        pupils.sort_by(|a, b| a.1.cmp(&b.1));
        let name = |p: PersonId| pupils.iter().find(|(id, _)| *id == p).map(|(_, n)| n.clone()).unwrap_or_default();
        let mut named: Vec<(Copy, String)> = copies.into_iter().map(|c| (c.clone(), name(c.pupil))).collect();
        named.sort_by(|a, b| a.1.cmp(&b.1));
        let missing = pupils.iter().filter(|(p, _)| !named.iter().any(|(c, _)| c.pupil == *p)).cloned().collect();
        Ok(HandIns { deadline: deadline(&h), homework: h, copies: named, missing })
    }

    /// A copy's file (or its corrected file), for its pupil, their parents and the homework's
    /// teachers; nobody else learns it exists.
    pub async fn copy_file(&self, caller: &Principal, id: CopyId, corrected: bool) -> Result<StoredFile> {
        let copy = self.store.copy(id).await?.ok_or(Error::NotFound)?;
        let family = self.require_family(caller, copy.pupil).await.is_ok();
        if !family && self.handin_for_teacher(caller, copy.homework).await.is_err() {
            return Err(Error::NotFound);
        }
        if corrected { copy.returned.and_then(|r| r.corrected).ok_or(Error::NotFound) } else { Ok(copy.file) }
    }

    /// The teacher returns a copy with a comment and optionally a corrected file; the pupil
    /// and their parents are told.
    pub async fn return_copy(&self, caller: &Principal, id: CopyId, comment: &str, corrected: Option<StoredFile>) -> Result<Copy> {
        let copy = self.store.copy(id).await?.ok_or(Error::NotFound)?;
        let (h, me) = self.handin_for_teacher(caller, copy.homework).await?;
        if copy.returned.is_some() {
            return Err(Error::Conflict("handin.returned"));
        }
        let mut e = Errors::new();
        e.check(comment.len() <= 5000, "comment", "handin.comment");
        e.finish()?;
        let returned = Returned { at: self.clock.now(), by: me, comment: comment.trim().to_owned(), corrected };
        self.store.return_copy(id, &returned).await?;
        let mut people = vec![copy.pupil];
        people.extend(self.communication.reach_of(copy.pupil).await?.0.parents);
        let title = format!("{} : copie rendue ({})", h.subject, h.due.format("%d/%m"));
        self.communication
            .notify(&people, Kind::Homework, returned.at, &title, &format!("/cahier?pupil={}#hw-{}", copy.pupil, h.id), &*self.communication.live)
            .await?;
        Ok(Copy { returned: Some(returned), ..copy })
    }
}
