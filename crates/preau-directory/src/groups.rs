//! Classes and groups: creation and membership, within the structures the caller administers.

use crate::model::{Group, GroupKind};
use crate::{Directory, DirectoryStore, audit};
use preau_core::error::Validator;
use preau_core::{Error, GroupId, Permission, PersonId, Principal, Result, StructureId};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GroupInput {
    pub structure: String,
    pub kind: String,
    pub code: String,
    #[serde(default)]
    pub name: String,
    /// Other structures the group spans, for inter-school projects.
    #[serde(default)]
    pub also_in: Vec<String>,
}

impl<S: DirectoryStore> Directory<S> {
    pub async fn create_group(&self, caller: &Principal, input: &GroupInput) -> Result<Group> {
        let mut v = Validator::new();
        let structure = input.structure.parse::<StructureId>().ok();
        let kind = input.kind.parse::<GroupKind>().ok();
        let code = input.code.trim().to_uppercase();
        v.check(structure.is_some(), "structure", "field.required");
        v.check(kind.is_some(), "kind", "group.kind");
        v.check(!code.is_empty() && code.len() <= 40, "code", "field.required");
        let also_in: Vec<Option<StructureId>> = input.also_in.iter().filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect();
        v.check(also_in.iter().all(Option::is_some), "also_in", "structure.parent");
        v.finish()?;
        let (Some(structure), Some(kind)) = (structure, kind) else { return Err(Error::invalid("structure", "field.required")) };
        caller.require_in(Permission::ManageGroups, structure)?;
        self.structure_in_territory(caller, structure).await?;
        let also_in: Vec<StructureId> = also_in.into_iter().flatten().filter(|s| *s != structure).collect();
        for s in &also_in {
            // Spanning a school means acting in it too: the caller must administer every one.
            caller.require_in(Permission::ManageGroups, *s)?;
            self.structure_in_territory(caller, *s).await?;
        }
        let name = if input.name.trim().is_empty() { code.clone() } else { input.name.trim().to_owned() };
        let g = Group { id: GroupId::new(), structure, kind, code, name, also_in, archived_year: None };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "group.create", format!("group:{}", g.id), Some(structure), None, Some(&g));
        self.store.insert_group(&g, &audit).await?;
        Ok(g)
    }

    /// A group the caller may manage.
    pub async fn managed_group(&self, caller: &Principal, id: GroupId) -> Result<Group> {
        let g = self.store.group(id).await?;
        self.structure_in_territory(caller, g.structure).await?;
        if !caller.can_in_group(Permission::ManageGroups, g.structure, g.id) {
            return Err(Error::Forbidden);
        }
        Ok(g)
    }

    pub async fn add_group_member(&self, caller: &Principal, group: GroupId, person: PersonId) -> Result<()> {
        let g = self.managed_group(caller, group).await?;
        if g.archived_year.is_some() {
            return Err(Error::Conflict("group.archived"));
        }
        let ms = self.store.memberships(person).await?;
        let belongs = ms.iter().any(|m| m.structure == g.structure || g.also_in.contains(&m.structure));
        if !belongs {
            return Err(Error::invalid("person", "group.member_outside"));
        }
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "group.member.add", format!("group:{group}"), Some(g.structure), None, Some(&person));
        self.store.add_group_member(group, person, &audit).await
    }

    pub async fn remove_group_member(&self, caller: &Principal, group: GroupId, person: PersonId) -> Result<()> {
        let g = self.managed_group(caller, group).await?;
        if g.archived_year.is_some() {
            return Err(Error::Conflict("group.archived"));
        }
        let audit = audit::entry::<_, ()>(self.clock.now(), caller, "group.member.remove", format!("group:{group}"), Some(g.structure), Some(&person), None);
        self.store.remove_group_member(group, person, &audit).await
    }

    pub async fn groups_of_structure(&self, caller: &Principal, structure: StructureId) -> Result<Vec<Group>> {
        caller.require_in(Permission::ManageGroups, structure)?;
        self.structure_in_territory(caller, structure).await?;
        self.store.groups_in(structure).await
    }
}

/// Checks a school year written `2025-2026` (two consecutive years).
pub fn valid_school_year(year: &str) -> bool {
    match year.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => a.to_string().len() == 4 && b == a + 1,
            _ => false,
        },
        None => false,
    }
}

impl<S: DirectoryStore> Directory<S> {
    /// Closes a school year: classes and teaching groups are archived read-only under it, pupils
    /// keep their school and wait for the new year's feed, and nothing is deleted.
    pub async fn close_school_year(&self, caller: &Principal, year: &str) -> Result<u64> {
        caller.require_territory(Permission::ManageTerritory)?;
        let year = year.trim();
        if !valid_school_year(year) {
            return Err(Error::invalid("year", "year.format"));
        }
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "school_year.close", format!("year:{year}"), None, None, Some(&year));
        self.store.close_school_year(caller.territory, year, &audit).await
    }
}

#[cfg(test)]
mod tests {
    use super::valid_school_year;

    #[test]
    fn school_years_are_two_consecutive_years() {
        assert!(valid_school_year("2025-2026"));
        assert!(!valid_school_year("2025-2027"));
        assert!(!valid_school_year("25-26"));
    }
}
