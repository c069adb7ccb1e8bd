//! People: creating accounts by hand, generating `prenom.nom` logins, aliases, profiles in
//! structures, functions and parent↔child links. A local admin only touches people who belong
//! to one of their structures.

use crate::model::{Membership, ParentLink, Person, Source};
use crate::{Directory, DirectoryStore, audit};
use preau_core::error::Validator;
use preau_core::text::base_login;
use preau_core::{Error, Permission, PersonId, Principal, Profile, Result, StructureId, TerritoryId};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonInput {
    pub given_name: String,
    pub family_name: String,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub structure: String,
    pub profile: String,
}

/// Checks a `YYYY-MM-DD` date loosely (real calendar check on days per month).
pub fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1900..=2100).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]
}

fn clean_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl<S: DirectoryStore> Directory<S> {
    /// The first free login for a name: `prenom.nom`, then `prenom.nom2`, `prenom.nom3`…
    pub async fn free_login(&self, territory: TerritoryId, given: &str, family: &str) -> Result<String> {
        let base = base_login(given, family);
        let taken = self.store.logins_like(territory, &base).await?;
        if !taken.iter().any(|l| l == &base) {
            return Ok(base);
        }
        let next = taken.iter().filter_map(|l| l.strip_prefix(base.as_str())?.parse::<u32>().ok()).max().unwrap_or(1) + 1;
        Ok(format!("{base}{next}"))
    }

    /// Creates a person by hand with one profile in one structure.
    pub async fn create_person(&self, caller: &Principal, input: &PersonInput) -> Result<Person> {
        let mut v = Validator::new();
        let structure = input.structure.parse::<StructureId>().ok();
        let profile = input.profile.parse::<Profile>().ok();
        v.check(structure.is_some(), "structure", "field.required");
        v.check(profile.is_some(), "profile", "profile.unknown");
        v.check(!input.given_name.trim().is_empty() && input.given_name.len() <= 100, "given_name", "field.required");
        v.check(!input.family_name.trim().is_empty() && input.family_name.len() <= 100, "family_name", "field.required");
        let birth = clean_opt(&input.birth_date);
        v.check(birth.as_deref().is_none_or(valid_date), "birth_date", "date.format");
        let email = clean_opt(&input.email);
        v.check(email.as_deref().is_none_or(|e| e.contains('@') && e.len() <= 254), "email", "email.format");
        v.finish()?;
        let (Some(structure), Some(profile)) = (structure, profile) else { return Err(Error::invalid("structure", "field.required")) };
        caller.require_in(Permission::ManagePeople, structure)?;
        self.structure_in_territory(caller, structure).await?;
        let person = Person {
            id: PersonId::new(),
            territory: caller.territory,
            login: self.free_login(caller.territory, &input.given_name, &input.family_name).await?,
            given_name: input.given_name.trim().to_owned(),
            family_name: input.family_name.trim().to_owned(),
            birth_date: birth,
            email,
            source: Source::Manual,
        };
        let m = Membership { person: person.id, structure, profile };
        let audit =
            audit::entry::<(), _>(self.clock.now(), caller, "person.create", format!("person:{}", person.id), Some(structure), None, Some(&(&person, profile)));
        self.store.insert_person(&person, &[m], &audit).await?;
        Ok(person)
    }

    /// A person the caller may manage: one with a profile in a structure the caller administers.
    pub async fn managed_person(&self, caller: &Principal, id: PersonId) -> Result<(Person, Vec<Membership>)> {
        let person = self.store.person(id).await?;
        if person.territory != caller.territory {
            return Err(Error::NotFound);
        }
        let memberships = self.store.memberships(id).await?;
        let allowed = caller.can_territory(Permission::ManagePeople) || memberships.iter().any(|m| caller.can_in(Permission::ManagePeople, m.structure));
        if !allowed {
            return Err(Error::Forbidden);
        }
        Ok((person, memberships))
    }

    pub async fn add_alias(&self, caller: &Principal, id: PersonId, alias: &str) -> Result<()> {
        let (person, _) = self.managed_person(caller, id).await?;
        let alias = alias.trim().to_lowercase();
        let ok = (3..=64).contains(&alias.len()) && alias.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
        if !ok {
            return Err(Error::invalid("alias", "login.format"));
        }
        if self.store.person_by_login(caller.territory, &alias).await.is_ok() {
            return Err(Error::Conflict("login.taken"));
        }
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "person.alias", format!("person:{}", person.id), None, None, Some(&alias));
        self.store.add_alias(id, caller.territory, &alias, &audit).await
    }

    /// Gives a person one more profile in a structure the caller administers.
    pub async fn add_profile(&self, caller: &Principal, id: PersonId, structure: StructureId, profile: Profile) -> Result<()> {
        caller.require_in(Permission::ManagePeople, structure)?;
        self.structure_in_territory(caller, structure).await?;
        let person = self.store.person(id).await?;
        if person.territory != caller.territory {
            return Err(Error::NotFound);
        }
        let m = Membership { person: id, structure, profile };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "person.profile.add", format!("person:{id}"), Some(structure), None, Some(&m));
        self.store.add_membership(&m, &audit).await
    }

    /// Links a parent to a child. The caller must administer a structure of the child.
    pub async fn link_parent(&self, caller: &Principal, parent: PersonId, child: PersonId, legal_guardian: bool) -> Result<()> {
        if parent == child {
            return Err(Error::invalid("parent", "parent.self"));
        }
        let (_, child_ms) = self.managed_person(caller, child).await?;
        if !child_ms.iter().any(|m| m.profile == Profile::Pupil) {
            return Err(Error::invalid("child", "parent.child_not_pupil"));
        }
        let p = self.store.person(parent).await?;
        if p.territory != caller.territory {
            return Err(Error::NotFound);
        }
        let link = ParentLink { parent, child, legal_guardian };
        let structure = child_ms.first().map(|m| m.structure);
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "person.parent.link", format!("person:{child}"), structure, None, Some(&link));
        self.store.link_parent(&link, &audit).await
    }

    /// A managed person's family as the console shows it: their guardians and contacts (a
    /// pupil's), then their children (a parent's), each with whether the link is a legal one.
    pub async fn relatives_of(&self, caller: &Principal, id: PersonId) -> Result<(Vec<(Person, bool)>, Vec<(Person, bool)>)> {
        self.managed_person(caller, id).await?;
        Ok((self.store.parents(id).await?, self.store.children(id).await?))
    }

    /// People of a structure, for the admin console.
    pub async fn people_of(&self, caller: &Principal, structure: StructureId, profile: Option<Profile>, search: &str) -> Result<Vec<(Person, Profile)>> {
        caller.require_in(Permission::ManagePeople, structure)?;
        self.structure_in_territory(caller, structure).await?;
        self.store.people_in(structure, profile, search.trim(), 500).await
    }

    /// A parent's children, each with their memberships: what the child picker shows.
    /// A caller only ever sees their own children.
    pub async fn my_children(&self, caller: &Principal) -> Result<Vec<(Person, bool, Vec<Membership>)>> {
        let Some(me) = caller.person_id() else { return Ok(vec![]) };
        let mut out = vec![];
        for (child, legal) in self.store.children(me).await? {
            let ms = self.store.memberships(child.id).await?;
            out.push((child, legal, ms));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::valid_date;

    #[test]
    fn dates_are_checked_against_the_calendar() {
        assert!(valid_date("2012-02-29"));
        assert!(!valid_date("2013-02-29"));
        assert!(!valid_date("12/03/2012"));
        assert!(!valid_date("2012-13-01"));
    }
}
