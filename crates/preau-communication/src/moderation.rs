//! The moderation hook: anyone who received a message or reads a news item may report it; the
//! report goes to the moderators of the structure concerned (the news item's, or the one the
//! sender and the reporter share), who see the content and either hide it for everyone or leave
//! it; the decision is in the audit log.

use crate::notifications::Kind;
use crate::rules::Target;
use crate::{Communication, CommunicationStore};
use preau_core::{Error, MessageId, NewsId, Permission, PersonId, Principal, Result, Scope, StructureId, TerritoryId};
use preau_directory::{Grantee, audit};
use serde::{Deserialize, Serialize};

/// What is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Reported {
    Message(MessageId),
    News(NewsId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Open,
    Hidden,
    Dismissed,
}

impl Decision {
    pub fn code(self) -> &'static str {
        match self {
            Decision::Open => "open",
            Decision::Hidden => "hidden",
            Decision::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Open, Decision::Hidden, Decision::Dismissed].into_iter().find(|d| d.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub id: MessageId,
    pub territory: TerritoryId,
    pub structure: StructureId,
    pub item: Reported,
    pub reporter: PersonId,
    pub reason: String,
    pub created_at: i64,
    pub decision: Decision,
}

/// A report as a moderator sees it: with the content.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub report: Report,
    pub author: String,
    pub title: String,
    pub body: String,
}

impl<S: CommunicationStore> Communication<S> {
    /// Reports something the caller received or reads.
    pub async fn report(&self, caller: &Principal, item: Reported, reason: &str) -> Result<Report> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let reason: String = reason.trim().chars().take(2_000).collect();
        let mine = self.standing_of(me).await?;
        let structure = match item {
            Reported::News(id) => self.read_news(caller, id).await?.structure,
            Reported::Message(id) => {
                let (m, _, _) = self.delivered(me, id).await?;
                let theirs = self.standing_of(m.sender).await?.structures();
                let shared = mine.structures().into_iter().find(|s| theirs.contains(s));
                shared.or_else(|| theirs.iter().next().copied()).or_else(|| mine.structures().into_iter().next()).ok_or(Error::NotFound)?
            }
        };
        let r = Report {
            id: MessageId::new(),
            territory: caller.territory,
            structure,
            item,
            reporter: me,
            reason,
            created_at: self.clock.now(),
            decision: Decision::Open,
        };
        self.store.insert_report(&r).await?;
        let moderators: Vec<PersonId> = self.moderators_of(caller.territory, structure).await?.into_iter().filter(|p| *p != me).collect();
        let title = match item {
            Reported::Message(_) => "Signalement d'un message à examiner",
            Reported::News(_) => "Signalement d'une actualité à examiner",
        };
        self.notify(&moderators, Kind::Report, r.created_at, title, "/moderation", &*self.live).await?;
        Ok(r)
    }

    /// Who moderates a structure: those given a role that moderates it (or its parent, a *cité
    /// scolaire*), in person or through a group; else those who moderate the whole territory.
    async fn moderators_of(&self, territory: TerritoryId, structure: StructureId) -> Result<Vec<PersonId>> {
        let parent = self.store.structure(structure).await?.parent;
        let moderating: Vec<_> =
            self.store.assignments(territory).await?.into_iter().filter(|a| a.role.permissions().contains(&Permission::Moderate)).collect();
        let of_structure = |a: &&preau_directory::RoleAssignment| matches!(a.scope, Scope::Structure(s) if s == structure || Some(s) == parent);
        let chosen: Vec<_> = if moderating.iter().any(|a| of_structure(&a)) {
            moderating.iter().filter(of_structure).collect()
        } else {
            moderating.iter().filter(|a| a.scope == Scope::Territory).collect()
        };
        let mut people = vec![];
        for a in chosen {
            match a.grantee {
                Grantee::Person(p) => people.push(p),
                Grantee::Group(group) => people.extend(self.expansion(&Target::Group { group }).await?.iter()),
            }
        }
        people.sort();
        people.dedup();
        Ok(people)
    }

    /// The open reports of the structures the caller moderates, with their content.
    /// Whether the caller moderates anything (what the portal offers them).
    pub fn may_moderate(&self, caller: &Principal) -> bool {
        caller.person_id().is_some() && caller.structures_with(Permission::Moderate).is_none_or(|s| !s.is_empty())
    }

    pub async fn reports(&self, caller: &Principal) -> Result<Vec<ReportView>> {
        let structures = match caller.structures_with(Permission::Moderate) {
            Some(s) if s.is_empty() => return Err(Error::Forbidden),
            Some(s) => Some(s),
            None => None,
        };
        let mut out = vec![];
        for report in self.store.open_reports(caller.territory, structures.as_deref()).await? {
            let (author, title, body) = match report.item {
                Reported::Message(id) => {
                    let m = self.store.message(id).await?;
                    (m.sender_name, m.subject, m.body)
                }
                Reported::News(id) => {
                    let n = self.store.news(id).await?;
                    (n.author_name, n.title, n.body)
                }
            };
            out.push(ReportView { report, author, title, body });
        }
        Ok(out)
    }

    /// A moderator's decision: hide the content for everyone, or leave it.
    pub async fn decide(&self, caller: &Principal, report: MessageId, hide: bool) -> Result<Report> {
        let mut r = self.store.report(report).await?;
        if r.territory != caller.territory {
            return Err(Error::NotFound);
        }
        caller.require_in(Permission::Moderate, r.structure)?;
        if r.decision != Decision::Open {
            return Err(Error::Conflict("moderation.decided"));
        }
        r.decision = if hide { Decision::Hidden } else { Decision::Dismissed };
        let now = self.clock.now();
        let target = match r.item {
            Reported::Message(id) => format!("message:{id}"),
            Reported::News(id) => format!("news:{id}"),
        };
        let action = if hide { "moderation.hide" } else { "moderation.dismiss" };
        let entry = audit::entry::<(), _>(now, caller, action, target, Some(r.structure), None, Some(&r));
        self.store.decide_report(&r, hide.then_some(now), &entry).await?;
        Ok(r)
    }
}
