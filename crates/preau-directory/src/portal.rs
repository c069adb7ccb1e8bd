//! What the portal shows a person: the bouquet of the structure and profile they act in, their
//! favourites, the other structures they can switch to, and for parents their children.

use crate::model::{Membership, Person, Service, Structure};
use crate::{Directory, DirectoryStore};
use preau_core::{Error, PersonId, Principal, Profile, Result, StructureId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub structure: Structure,
    pub profile: Profile,
}

#[derive(Debug, Clone, Serialize)]
pub struct Child {
    pub person: Person,
    pub legal_guardian: bool,
    pub schools: Vec<Structure>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PortalView {
    pub person: Person,
    /// Where the person acts now; `None` for someone with no profile anywhere (an admin only).
    pub acting: Option<Context>,
    /// Every (structure, profile) the person may switch to.
    pub contexts: Vec<Context>,
    pub bouquet: Vec<Service>,
    pub favourites: Vec<Service>,
    pub children: Vec<Child>,
    pub is_admin: bool,
}

impl<S: DirectoryStore> Directory<S> {
    /// The portal of the caller acting in `want` (a structure and profile they hold); the first
    /// one they hold when `want` is absent or not theirs.
    pub async fn portal(&self, caller: &Principal, want: Option<(StructureId, Profile)>) -> Result<PortalView> {
        let me: PersonId = caller.person_id().ok_or(Error::Forbidden)?;
        let person = self.store.person(me).await?;
        let memberships: Vec<Membership> = self.store.memberships(me).await?;
        let mut contexts = Vec::with_capacity(memberships.len());
        for m in &memberships {
            contexts.push(Context { structure: self.store.structure(m.structure).await?, profile: m.profile });
        }
        let acting = want.and_then(|(s, p)| contexts.iter().find(|c| c.structure.id == s && c.profile == p)).or_else(|| contexts.first()).cloned();
        let bouquet = match &acting {
            Some(c) => self.store.bouquet(c.structure.id, c.profile).await?,
            None => vec![],
        };
        let favourites = self.store.favourites(me).await?;
        let mut children = vec![];
        if memberships.iter().any(|m| m.profile == Profile::Parent) {
            for (child, legal) in self.store.children(me).await? {
                let mut schools = vec![];
                for m in self.store.memberships(child.id).await? {
                    schools.push(self.store.structure(m.structure).await?);
                }
                children.push(Child { person: child, legal_guardian: legal, schools });
            }
        }
        Ok(PortalView { person, acting, contexts, bouquet, favourites, children, is_admin: caller.is_admin() })
    }

    /// Favourites are chosen among the services of the bouquets the person can see.
    pub async fn set_favourites(&self, caller: &Principal, services: &[preau_core::ServiceId]) -> Result<()> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut visible = vec![];
        for m in self.store.memberships(me).await? {
            visible.extend(self.store.bouquet(m.structure, m.profile).await?.into_iter().map(|s| s.id));
        }
        if !services.iter().all(|s| visible.contains(s)) {
            return Err(Error::invalid("services", "service.unknown"));
        }
        self.store.set_favourites(me, services).await
    }
}

impl<S: DirectoryStore> Directory<S> {
    /// Adds a service of the caller's bouquets to their favourites, or removes it.
    pub async fn toggle_favourite(&self, caller: &Principal, service: preau_core::ServiceId) -> Result<bool> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut ids: Vec<preau_core::ServiceId> = self.store.favourites(me).await?.into_iter().map(|s| s.id).collect();
        let added = !ids.contains(&service);
        if added {
            ids.push(service);
        } else {
            ids.retain(|s| *s != service);
        }
        self.set_favourites(caller, &ids).await?;
        Ok(added)
    }

    /// The context a parent acts in for one of their children: the child's school, as parent.
    /// Refused for anyone who is not that child's parent.
    pub async fn context_for_child(&self, caller: &Principal, child: PersonId) -> Result<(StructureId, Profile)> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        if !self.store.children(me).await?.iter().any(|(c, _)| c.id == child) {
            return Err(Error::Forbidden);
        }
        let schools: Vec<StructureId> = self.store.memberships(child).await?.into_iter().map(|m| m.structure).collect();
        schools.into_iter().find(|s| caller.memberships.contains(&(*s, Profile::Parent))).map(|s| (s, Profile::Parent)).ok_or(Error::NotFound)
    }
}
