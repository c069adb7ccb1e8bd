//! The storage port of the directory. Each write method applies its change together with its
//! audit entry, atomically; `preau-store` implements it on SQLite and PostgreSQL.

use crate::model::*;
use preau_core::{AssignmentId, GroupId, PersonId, Profile, Result, ServiceId, StructureId, TerritoryId};

/// Everything a demo or an import creates at once, written in one transaction.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub structures: Vec<Structure>,
    pub groups: Vec<Group>,
    pub people: Vec<Person>,
    pub memberships: Vec<Membership>,
    pub functions: Vec<Function>,
    pub group_members: Vec<(GroupId, PersonId)>,
    pub parent_links: Vec<ParentLink>,
    pub subjects: Vec<Subject>,
    pub teachings: Vec<Teaching>,
    pub principal_teachers: Vec<(GroupId, PersonId)>,
    pub services: Vec<Service>,
    pub bouquets: Vec<(StructureId, Profile, ServiceId, i64)>,
    pub role_assignments: Vec<RoleAssignment>,
}

pub trait DirectoryStore: Send + Sync {
    // Territories
    async fn insert_territory(&self, t: &Territory) -> Result<()>;
    async fn territories(&self) -> Result<Vec<Territory>>;
    async fn territory(&self, id: TerritoryId) -> Result<Territory>;
    async fn load_snapshot(&self, territory: TerritoryId, s: &Snapshot) -> Result<()>;
    async fn is_empty(&self) -> Result<bool>;

    // Structures
    async fn insert_structure(&self, s: &Structure, audit: &AuditEntry) -> Result<()>;
    async fn update_structure(&self, s: &Structure, audit: &AuditEntry) -> Result<()>;
    async fn structure(&self, id: StructureId) -> Result<Structure>;
    async fn structure_by_uai(&self, territory: TerritoryId, uai: &str) -> Result<Structure>;
    async fn structures(&self, territory: TerritoryId) -> Result<Vec<Structure>>;

    // People
    async fn insert_person(&self, p: &Person, memberships: &[Membership], audit: &AuditEntry) -> Result<()>;
    async fn update_person(&self, p: &Person, audit: &AuditEntry) -> Result<()>;
    async fn person(&self, id: PersonId) -> Result<Person>;
    /// Finds a person by login or alias (case-insensitive).
    async fn person_by_login(&self, territory: TerritoryId, login: &str) -> Result<Person>;
    /// Logins and aliases equal to `base` or of the form `base<digits>`.
    async fn logins_like(&self, territory: TerritoryId, base: &str) -> Result<Vec<String>>;
    async fn add_alias(&self, person: PersonId, territory: TerritoryId, alias: &str, audit: &AuditEntry) -> Result<()>;
    async fn aliases(&self, person: PersonId) -> Result<Vec<String>>;
    async fn people_in(&self, structure: StructureId, profile: Option<Profile>, search: &str, limit: i64) -> Result<Vec<(Person, Profile)>>;
    async fn memberships(&self, person: PersonId) -> Result<Vec<Membership>>;
    async fn add_membership(&self, m: &Membership, audit: &AuditEntry) -> Result<()>;
    async fn remove_membership(&self, m: &Membership, audit: &AuditEntry) -> Result<()>;
    async fn functions(&self, person: PersonId) -> Result<Vec<Function>>;
    async fn add_function(&self, f: &Function, audit: &AuditEntry) -> Result<()>;
    async fn link_parent(&self, link: &ParentLink, audit: &AuditEntry) -> Result<()>;
    async fn children(&self, parent: PersonId) -> Result<Vec<(Person, bool)>>;
    async fn parents(&self, child: PersonId) -> Result<Vec<(Person, bool)>>;

    // Groups
    async fn insert_group(&self, g: &Group, audit: &AuditEntry) -> Result<()>;
    async fn group(&self, id: GroupId) -> Result<Group>;
    async fn groups_in(&self, structure: StructureId) -> Result<Vec<Group>>;
    async fn groups_of(&self, person: PersonId) -> Result<Vec<Group>>;
    async fn group_members(&self, group: GroupId) -> Result<Vec<Person>>;
    async fn add_group_member(&self, group: GroupId, person: PersonId, audit: &AuditEntry) -> Result<()>;
    async fn remove_group_member(&self, group: GroupId, person: PersonId, audit: &AuditEntry) -> Result<()>;
    async fn teachings_of(&self, teacher: PersonId) -> Result<Vec<(Teaching, String, String)>>;

    /// Archives the classes and teaching groups of the territory under `year` and makes every
    /// fed person be placed again by the next feed. Returns how many groups were archived.
    async fn close_school_year(&self, territory: TerritoryId, year: &str, audit: &AuditEntry) -> Result<u64>;

    // Roles
    async fn insert_assignment(&self, territory: TerritoryId, a: &RoleAssignment, audit: &AuditEntry) -> Result<()>;
    async fn delete_assignment(&self, id: AssignmentId, audit: &AuditEntry) -> Result<()>;
    async fn assignment(&self, id: AssignmentId) -> Result<RoleAssignment>;
    /// Assignments held by a person directly or through the groups they belong to.
    async fn assignments_of(&self, person: PersonId) -> Result<Vec<RoleAssignment>>;
    async fn assignments(&self, territory: TerritoryId) -> Result<Vec<RoleAssignment>>;

    // Services and bouquets
    async fn insert_service(&self, s: &Service, audit: &AuditEntry) -> Result<()>;
    async fn update_service(&self, s: &Service, audit: &AuditEntry) -> Result<()>;
    async fn service(&self, id: ServiceId) -> Result<Service>;
    async fn services(&self, territory: TerritoryId) -> Result<Vec<Service>>;
    async fn bouquet(&self, structure: StructureId, profile: Profile) -> Result<Vec<Service>>;
    async fn set_bouquet(&self, structure: StructureId, profile: Profile, services: &[ServiceId], audit: &AuditEntry) -> Result<()>;
    async fn favourites(&self, person: PersonId) -> Result<Vec<Service>>;
    async fn set_favourites(&self, person: PersonId, services: &[ServiceId]) -> Result<()>;

    // Audit
    async fn append_audit(&self, audit: &AuditEntry) -> Result<()>;
    async fn audit_log(&self, territory: TerritoryId, structures: Option<&[StructureId]>, limit: i64) -> Result<Vec<AuditEntry>>;

    /// A counter that changes whenever the directory changes; caches compare it to stay fresh.
    fn generation(&self) -> u64;
}

/// Whether the caller holds `permission` over `structure` and the structure is of the caller's
/// territory: a territory-wide role covers its own territory's structures only. Reads the
/// structure only when the role would grant it.
pub async fn can_in_territory<S: DirectoryStore>(
    store: &S,
    caller: &preau_core::Principal,
    permission: preau_core::Permission,
    structure: preau_core::StructureId,
) -> preau_core::Result<bool> {
    Ok(caller.can_in(permission, structure) && store.structure(structure).await?.territory == caller.territory)
}
