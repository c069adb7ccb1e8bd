//! The caller of every domain operation. Domain operations receive it explicitly and check
//! authorization themselves: pages and API handlers only pass it along.

use crate::{Error, GroupId, Permission, PersonId, Profile, Result, Role, Scope, StructureId, TerritoryId};

/// A role granted to the caller, directly or through a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleGrant {
    pub role: Role,
    pub scope: Scope,
}

/// Who is calling: a person logged in, or an API key issued by a territory admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Person(PersonId),
    ApiKey {
        name: String,
    },
    /// The command line run by the operator of the instance (`preau admin …`, `preau demo`).
    System,
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub caller: Caller,
    pub territory: TerritoryId,
    pub grants: Vec<RoleGrant>,
    /// Structures where the person holds a profile, with that profile.
    pub memberships: Vec<(StructureId, Profile)>,
    /// For each structure, its parent structure (so that a grant on a *cité scolaire* covers its
    /// schools). Filled by the loader of the principal.
    pub structure_parents: Vec<(StructureId, StructureId)>,
}

impl Principal {
    pub fn system(territory: TerritoryId) -> Self {
        Principal {
            caller: Caller::System,
            territory,
            grants: vec![RoleGrant { role: Role::TerritoryAdmin, scope: Scope::Territory }],
            memberships: vec![],
            structure_parents: vec![],
        }
    }

    pub fn person_id(&self) -> Option<PersonId> {
        match self.caller {
            Caller::Person(id) => Some(id),
            _ => None,
        }
    }

    /// A label for the audit log.
    pub fn label(&self) -> String {
        match &self.caller {
            Caller::Person(id) => format!("person:{id}"),
            Caller::ApiKey { name } => format!("api-key:{name}"),
            Caller::System => "system".to_owned(),
        }
    }

    fn has_anywhere(&self, permission: Permission) -> impl Iterator<Item = &RoleGrant> {
        self.grants.iter().filter(move |g| g.role.permissions().contains(&permission))
    }

    /// Whether the caller holds `permission` over the whole territory.
    pub fn can_territory(&self, permission: Permission) -> bool {
        self.has_anywhere(permission).any(|g| g.scope == Scope::Territory)
    }

    /// Whether the caller holds `permission` over `structure` (directly, through its parent
    /// structure, or territory-wide).
    pub fn can_in(&self, permission: Permission, structure: StructureId) -> bool {
        let parent = self.structure_parents.iter().find(|(s, _)| *s == structure).map(|(_, p)| *p);
        self.has_anywhere(permission).any(|g| match g.scope {
            Scope::Territory => true,
            Scope::Structure(s) => s == structure || Some(s) == parent,
            Scope::Group(_) => false,
        })
    }

    /// Whether the caller holds `permission` over a group of `structure`.
    pub fn can_in_group(&self, permission: Permission, structure: StructureId, group: GroupId) -> bool {
        self.can_in(permission, structure) || self.has_anywhere(permission).any(|g| g.scope == Scope::Group(group))
    }

    pub fn require_territory(&self, permission: Permission) -> Result<()> {
        if self.can_territory(permission) { Ok(()) } else { Err(Error::Forbidden) }
    }

    pub fn require_in(&self, permission: Permission, structure: StructureId) -> Result<()> {
        if self.can_in(permission, structure) { Ok(()) } else { Err(Error::Forbidden) }
    }

    /// Structures where the caller holds `permission`, or `None` when it holds it territory-wide.
    pub fn structures_with(&self, permission: Permission) -> Option<Vec<StructureId>> {
        if self.can_territory(permission) {
            return None;
        }
        let mut out: Vec<StructureId> = self
            .has_anywhere(permission)
            .filter_map(|g| match g.scope {
                Scope::Structure(s) => Some(s),
                _ => None,
            })
            .collect();
        let children: Vec<StructureId> = self.structure_parents.iter().filter(|(_, p)| out.contains(p)).map(|(s, _)| *s).collect();
        out.extend(children);
        out.sort();
        out.dedup();
        Some(out)
    }

    /// Whether the caller is an administrator of anything (opens the admin console).
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role.is_admin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local_admin_of(s: StructureId) -> Principal {
        Principal {
            caller: Caller::Person(PersonId::new()),
            territory: TerritoryId::new(),
            grants: vec![RoleGrant { role: Role::LocalAdmin, scope: Scope::Structure(s) }],
            memberships: vec![],
            structure_parents: vec![],
        }
    }

    #[test]
    fn local_admin_of_one_school_cannot_manage_another() {
        let (a, b) = (StructureId::new(), StructureId::new());
        let p = local_admin_of(a);
        assert!(p.can_in(Permission::ManagePeople, a));
        assert!(!p.can_in(Permission::ManagePeople, b));
        assert!(!p.can_territory(Permission::ManageTerritory));
    }

    #[test]
    fn grant_on_a_cite_scolaire_covers_its_schools() {
        let (cite, lycee) = (StructureId::new(), StructureId::new());
        let mut p = local_admin_of(cite);
        p.structure_parents.push((lycee, cite));
        assert!(p.can_in(Permission::ManageGroups, lycee));
        assert_eq!(p.structures_with(Permission::ManageGroups).map(|v| v.len()), Some(2));
    }

    #[test]
    fn moderator_is_not_an_admin() {
        let s = StructureId::new();
        let mut p = local_admin_of(s);
        p.grants = vec![RoleGrant { role: Role::Moderator, scope: Scope::Structure(s) }];
        assert!(!p.is_admin());
        assert!(!p.can_in(Permission::ManagePeople, s));
        assert!(p.can_in(Permission::Moderate, s));
    }
}
