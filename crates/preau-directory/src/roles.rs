//! Granting and revoking roles, and loading the caller's principal. Territory admins appoint
//! territory and local admins; local admins grant the lesser roles in their own structures.

use crate::model::{Grantee, RoleAssignment};
use crate::{Directory, DirectoryStore, audit};
use preau_core::{AssignmentId, Caller, Error, Permission, PersonId, Principal, Result, Role, RoleGrant, Scope, TerritoryId};

impl<S: DirectoryStore> Directory<S> {
    /// Builds the principal of a logged-in person: their role grants, profiles and the parent
    /// structure of each structure.
    pub async fn principal_for(&self, territory: TerritoryId, person: PersonId) -> Result<Principal> {
        let grants = self.store.assignments_of(person).await?.into_iter().map(|a| RoleGrant { role: a.role, scope: a.scope }).collect();
        let memberships = self.store.memberships(person).await?.into_iter().map(|m| (m.structure, m.profile)).collect();
        let structure_parents = self.store.structures(territory).await?.into_iter().filter_map(|s| s.parent.map(|p| (s.id, p))).collect();
        Ok(Principal { caller: Caller::Person(person), territory, grants, memberships, structure_parents })
    }

    fn require_may_grant(caller: &Principal, role: Role, scope: Scope) -> Result<()> {
        match (role, scope) {
            (Role::TerritoryAdmin, Scope::Territory) => caller.require_territory(Permission::ManageTerritory),
            (Role::TerritoryAdmin, _) => Err(Error::invalid("scope", "role.scope")),
            (Role::LocalAdmin, Scope::Structure(_)) => caller.require_territory(Permission::ManageTerritory),
            (Role::LocalAdmin, _) => Err(Error::invalid("scope", "role.scope")),
            (Role::Moderator, Scope::Structure(s)) => caller.require_in(Permission::ManageRoles, s),
            (Role::Moderator, Scope::Territory) => caller.require_territory(Permission::ManageRoles),
            (Role::Moderator, Scope::Group(_)) => Ok(()),
            (Role::TimetableManager, Scope::Structure(s)) => caller.require_in(Permission::ManageRoles, s),
            (Role::TimetableManager, _) => Err(Error::invalid("scope", "role.scope")),
        }
    }

    /// For a grant on a group, the caller must manage roles in the group's structure.
    async fn require_may_grant_in_group(&self, caller: &Principal, scope: Scope) -> Result<Option<preau_core::StructureId>> {
        let Scope::Group(g) = scope else { return Ok(None) };
        let group = self.store.group(g).await?;
        self.structure_in_territory(caller, group.structure).await?;
        caller.require_in(Permission::ManageRoles, group.structure)?;
        Ok(Some(group.structure))
    }

    pub async fn grant_role(&self, caller: &Principal, role: Role, grantee: Grantee, scope: Scope) -> Result<RoleAssignment> {
        Self::require_may_grant(caller, role, scope)?;
        let structure = match scope {
            Scope::Structure(s) => Some(self.structure_in_territory(caller, s).await?.id),
            Scope::Group(_) => self.require_may_grant_in_group(caller, scope).await?,
            Scope::Territory => None,
        };
        match grantee {
            Grantee::Person(p) => {
                if self.store.person(p).await?.territory != caller.territory {
                    return Err(Error::NotFound);
                }
            }
            Grantee::Group(g) => {
                let g = self.store.group(g).await?;
                self.structure_in_territory(caller, g.structure).await?;
            }
        }
        let a = RoleAssignment { id: AssignmentId::new(), role, grantee, scope };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "role.grant", format!("assignment:{}", a.id), structure, None, Some(&a));
        self.store.insert_assignment(caller.territory, &a, &audit).await?;
        Ok(a)
    }

    pub async fn revoke_role(&self, caller: &Principal, id: AssignmentId) -> Result<()> {
        let a = self.store.assignment(id).await?;
        Self::require_may_grant(caller, a.role, a.scope)?;
        let structure = match a.scope {
            Scope::Structure(s) => Some(self.structure_in_territory(caller, s).await?.id),
            Scope::Group(_) => self.require_may_grant_in_group(caller, a.scope).await?,
            Scope::Territory => None,
        };
        let audit = audit::entry::<_, ()>(self.clock.now(), caller, "role.revoke", format!("assignment:{id}"), structure, Some(&a), None);
        self.store.delete_assignment(id, &audit).await
    }

    /// Role assignments the caller may see: all for a territory admin, else those scoped to the
    /// structures they administer.
    pub async fn visible_assignments(&self, caller: &Principal) -> Result<Vec<RoleAssignment>> {
        let all = self.store.assignments(caller.territory).await?;
        match caller.structures_with(Permission::ManageRoles) {
            None => Ok(all),
            Some(own) if own.is_empty() => Err(Error::Forbidden),
            Some(own) => Ok(all.into_iter().filter(|a| matches!(a.scope, Scope::Structure(s) if own.contains(&s))).collect()),
        }
    }
}
