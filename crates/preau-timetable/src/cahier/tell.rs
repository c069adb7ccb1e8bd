//! Telling pupils and their parents of new homework, through the notification feed, at the
//! moment it is published (a scheduled piece is told at its time, not before). Each parent's
//! notice names their child and opens that child's cahier. Homework deleted or rescheduled before it was published
//! takes its notices back. A notice that cannot be sent is logged: the homework stays set.

use super::model::Homework;
use crate::{Timetable, TimetableStore};
use preau_communication::Target;
use preau_communication::notifications::Kind;
use preau_communication::outbox::Publication;
use preau_core::{HomeworkId, Profile, Result};

impl<S: TimetableStore> Timetable<S> {
    /// Tells the pupils of the homework's classes and groups, and their parents.
    pub(crate) async fn tell_homework(&self, h: &Homework) {
        if let Err(e) = self.try_tell_homework(h).await {
            tracing::warn!(homework = %h.id, error = %e, "pupils and parents were not told of new homework");
        }
    }

    async fn try_tell_homework(&self, h: &Homework) -> Result<()> {
        let targets: Vec<Target> = h.groups.iter().map(|g| Target::Class { group: *g, profile: Profile::Pupil }).collect();
        let mut pupils = self.store.expand(&targets).await?;
        pupils.sort();
        pupils.dedup();
        let title = format!("{} : travail pour le {}", h.subject, h.due.format("%d/%m"));
        let notice = |people, title, link| Publication { message: None, people, kind: Kind::Homework, at: h.publish_at, title, link };
        let mut notices = vec![notice(pupils.clone(), title.clone(), format!("/cahier#hw-{}", h.id))];
        let names = self.communication.names_of(&pupils.iter().map(|p| Target::Person { person: *p }).collect::<Vec<_>>()).await?;
        for (p, name) in pupils.iter().zip(names) {
            let parents = self.communication.reach_of(*p).await?.0.parents;
            if !parents.is_empty() {
                notices.push(notice(parents, format!("{title} — {name}"), format!("/cahier?pupil={p}#hw-{}", h.id)));
            }
        }
        self.communication.notify_batch(&notices, &*self.communication.live).await
    }

    /// Takes back the notices of homework not published yet at `now` (`publish_at` later);
    /// published homework keeps them. Whether they were taken back.
    pub(crate) async fn withdraw_unpublished(&self, id: HomeworkId, publish_at: i64, now: i64) -> bool {
        if publish_at <= now {
            return false;
        }
        if let Err(e) = self.communication.withdraw(&format!("#hw-{id}")).await {
            tracing::warn!(homework = %id, error = %e, "the notices of withdrawn homework were not taken back");
        }
        true
    }
}
