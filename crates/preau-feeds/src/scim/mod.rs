//! SCIM 2.0 provisioning (RFC 7643/7644) in domain terms, for systems that push accounts
//! (local-authority agents, agricultural schools' directories…).
//!
//! A territory admin registers a *source*: a name, the structures it may provision, and a bearer
//! token shown once. A source owns the people and groups it creates and sees nothing else; it
//! may give profiles only in its own structures. What a source sent is kept and given back as
//! sent; the directory's own columns (login, names, e-mail, profiles, memberships) are derived
//! from it. The SCIM wire format (JSON, filters, PATCH) lives in the web crate.

pub mod store;

use preau_core::{Caller, Clock, Error, FieldError, GroupId, PersonId, Principal, Profile, Random, Result, Role, RoleGrant, Scope, StructureId, TerritoryId};
use preau_directory::{DirectoryStore, GroupKind, audit};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use store::{GroupWrite, ScimStore, UserWrite};

/// SCIM tokens start with this prefix so that leaked ones are easy to recognise.
pub const TOKEN_PREFIX: &str = "preau_scim_";

#[derive(Debug, Clone, Serialize)]
pub struct ScimSource {
    pub id: String,
    pub territory: TerritoryId,
    pub name: String,
    pub structures: Vec<StructureId>,
    pub created_at: i64,
}

impl ScimSource {
    /// The value of `people.source` / `class_groups.source` for what this source owns.
    pub fn owner(&self) -> String {
        format!("scim:{}", self.id)
    }

    /// The caller a source acts as: an administrator of people in its structures only.
    pub fn principal(&self) -> Principal {
        Principal {
            caller: Caller::ApiKey { name: format!("scim:{}", self.name) },
            territory: self.territory,
            grants: self.structures.iter().map(|s| RoleGrant { role: Role::LocalAdmin, scope: Scope::Structure(*s) }).collect(),
            memberships: vec![],
            structure_parents: vec![],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub value: String,
    pub kind: Option<String>,
    pub primary: Option<bool>,
}

/// A profile in a structure, as a source names them: the structure's UAI and the profile code.
/// A source gives a person at most one profile per structure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileRef {
    pub structure: String,
    pub profile: String,
}

/// What a source says of a person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserData {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub emails: Vec<Email>,
    pub active: Option<bool>,
    pub profiles: Vec<ProfileRef>,
}

/// A member of a group as a source names it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub value: String,
    pub reference: Option<String>,
    pub kind: Option<String>,
    pub display: Option<String>,
}

/// What a source says of a group: a class (`kind` = `class`) or a group of one structure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupData {
    pub display_name: String,
    pub external_id: Option<String>,
    /// UAI; may be left out by a source that provisions one structure only (then the group is
    /// in that structure, and the attribute stays absent as sent).
    pub structure: Option<String>,
    pub kind: Option<String>,
    pub members: Vec<Member>,
}

#[derive(Serialize, Deserialize)]
struct Record<T> {
    data: T,
    created: i64,
    modified: i64,
}

/// A person as the store holds them.
pub struct StoredUser {
    pub id: PersonId,
    pub record: String,
    /// (group, name, kind) of the source's groups the person is in
    pub groups: Vec<(GroupId, String, GroupKind)>,
}

pub struct StoredGroup {
    pub id: GroupId,
    pub record: String,
    /// Members that still exist.
    pub members: Vec<PersonId>,
}

/// A person of a source, as given back to it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: PersonId,
    pub data: UserData,
    pub created: i64,
    pub modified: i64,
    pub groups: Vec<(GroupId, String)>,
    /// Names of the classes among `groups`.
    pub classes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: GroupId,
    pub data: GroupData,
    pub created: i64,
    pub modified: i64,
}

fn decode<T: for<'de> Deserialize<'de>>(json: &str) -> Result<Record<T>> {
    serde_json::from_str(json).map_err(Error::internal)
}

fn user_of(s: StoredUser) -> Result<User> {
    let r: Record<UserData> = decode(&s.record)?;
    let classes = s.groups.iter().filter(|(_, _, k)| *k == GroupKind::Class).map(|(_, n, _)| n.clone()).collect();
    Ok(User { id: s.id, data: r.data, created: r.created, modified: r.modified, groups: s.groups.into_iter().map(|(g, n, _)| (g, n)).collect(), classes })
}

fn group_of(s: StoredGroup) -> Result<Group> {
    let r: Record<GroupData> = decode(&s.record)?;
    let mut data = r.data;
    data.members.retain(|m| s.members.iter().any(|p| p.to_string() == m.value));
    Ok(Group { id: s.id, data, created: r.created, modified: r.modified })
}

fn invalid(field: &str, code: &str) -> Error {
    Error::Invalid(vec![FieldError::new(field.to_owned(), code.to_owned())])
}

/// A text attribute: trimmed of nothing (given back as sent) but bounded and free of controls.
fn check_text(field: &str, v: &str, max: usize) -> Result<()> {
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(invalid(field, "scim.invalid_value"));
    }
    Ok(())
}

pub struct Scim<S> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Random>,
}

impl<S: ScimStore + DirectoryStore> Scim<S> {
    pub fn new(store: Arc<S>, clock: Arc<dyn Clock>, rng: Arc<dyn Random>) -> Self {
        Scim { store, clock, rng }
    }

    // ----- Sources (territory admins) -----

    /// Registers a source allowed to provision the structures of these UAIs; returns it and its
    /// token, shown once.
    pub async fn create_source(&self, caller: &Principal, name: &str, uais: &[String]) -> Result<(ScimSource, String)> {
        caller.require_territory(preau_core::Permission::ManageTerritory)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(invalid("name", "field.required"));
        }
        let mut structures = vec![];
        for uai in uais.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
            let s = self.store.structure_by_uai(caller.territory, &uai.to_uppercase()).await.map_err(|_| invalid("structures", "scim.unknown_structure"))?;
            if !structures.contains(&s.id) {
                structures.push(s.id);
            }
        }
        if structures.is_empty() {
            return Err(invalid("structures", "scim.no_structure"));
        }
        let token = format!("{TOKEN_PREFIX}{}", preau_identity::secrets::token(&*self.rng));
        let source = ScimSource { id: uuid_like(&*self.rng), territory: caller.territory, name: name.to_owned(), structures, created_at: self.clock.now() };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "scim.source.create", format!("scim:{}", source.id), None, None, Some(&source));
        self.store.insert_scim_source(&source, &preau_identity::secrets::digest(&token), &audit).await?;
        Ok((source, token))
    }

    pub async fn sources(&self, caller: &Principal) -> Result<Vec<ScimSource>> {
        caller.require_territory(preau_core::Permission::ManageTerritory)?;
        self.store.scim_sources(caller.territory).await
    }

    pub async fn revoke_source(&self, caller: &Principal, id: &str) -> Result<()> {
        caller.require_territory(preau_core::Permission::ManageTerritory)?;
        if !self.store.scim_sources(caller.territory).await?.iter().any(|s| s.id == id) {
            return Err(Error::NotFound);
        }
        let audit = audit::entry::<(), ()>(self.clock.now(), caller, "scim.source.revoke", format!("scim:{id}"), None, None, None);
        self.store.revoke_scim_source(id, &audit).await
    }

    /// The source of a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<ScimSource> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(Error::Unauthenticated("scim.token"));
        }
        self.store.scim_source_by_digest(&preau_identity::secrets::digest(token)).await?.ok_or(Error::Unauthenticated("scim.token"))
    }

    /// The UAI of each structure of the source.
    pub async fn scope(&self, src: &ScimSource) -> Result<Vec<(StructureId, String)>> {
        let mut out = vec![];
        for id in &src.structures {
            out.push((*id, self.store.structure(*id).await?.uai.to_string()));
        }
        Ok(out)
    }

    /// The structure of a UAI among the source's (`scope`, from [`Scim::scope`]).
    fn structure_of(scope: &[(StructureId, String)], uai: &str) -> Result<StructureId> {
        match scope.iter().find(|(_, u)| u.eq_ignore_ascii_case(uai.trim())) {
            Some((id, _)) => Ok(*id),
            // Another school of the territory, or none: either way not this source's to touch.
            None => Err(Error::Forbidden),
        }
    }

    // ----- Users -----

    pub async fn users(&self, src: &ScimSource) -> Result<Vec<User>> {
        self.store.scim_users(&src.owner()).await?.into_iter().map(user_of).collect()
    }

    pub async fn user(&self, src: &ScimSource, id: PersonId) -> Result<User> {
        user_of(self.store.scim_user(&src.owner(), id).await?.ok_or(Error::NotFound)?)
    }

    pub async fn create_user(&self, src: &ScimSource, data: UserData) -> Result<User> {
        let id = PersonId::new();
        let now = self.clock.now();
        self.write_user(src, id, data, now, "scim.user.create").await
    }

    pub async fn replace_user(&self, src: &ScimSource, id: PersonId, data: UserData) -> Result<User> {
        let old = self.user(src, id).await?;
        self.write_user(src, id, data, old.created, "scim.user.replace").await
    }

    pub async fn delete_user(&self, src: &ScimSource, id: PersonId) -> Result<()> {
        let audit = audit::entry::<(), ()>(self.clock.now(), &src.principal(), "scim.user.delete", format!("person:{id}"), None, None, None);
        if self.store.delete_scim_user(&src.owner(), id, &audit).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    async fn write_user(&self, src: &ScimSource, id: PersonId, data: UserData, created: i64, action: &str) -> Result<User> {
        let login = data.user_name.trim().to_lowercase();
        if login.is_empty() || login.chars().any(char::is_whitespace) {
            return Err(invalid("userName", "scim.invalid_value"));
        }
        check_text("userName", &data.user_name, 128)?;
        for (field, v) in [
            ("externalId", &data.external_id),
            ("name.givenName", &data.given_name),
            ("name.familyName", &data.family_name),
            ("displayName", &data.display_name),
        ] {
            check_text(field, v.as_deref().unwrap_or(""), 200)?;
        }
        for e in &data.emails {
            check_text("emails", &e.value, 254)?;
            if !e.value.contains('@') {
                return Err(invalid("emails", "scim.invalid_value"));
            }
        }
        if let Some(holder) = self.store.login_holder(src.territory, &login).await?
            && holder != id
        {
            return Err(Error::Conflict("scim.uniqueness"));
        }
        // One profile per structure: a later one for the same structure replaces the earlier.
        let mut data = data;
        let mut profiles: Vec<ProfileRef> = vec![];
        for p in data.profiles {
            match profiles.iter_mut().find(|q| q.structure.eq_ignore_ascii_case(&p.structure)) {
                Some(q) => *q = p,
                None => profiles.push(p),
            }
        }
        data.profiles = profiles;
        let scope = if data.profiles.is_empty() { vec![] } else { self.scope(src).await? };
        let mut memberships = vec![];
        for p in &data.profiles {
            let structure = Self::structure_of(&scope, &p.structure)?;
            let profile: Profile = p.profile.parse().map_err(|_| invalid("profiles", "scim.invalid_value"))?;
            if !memberships.contains(&(structure, profile)) {
                memberships.push((structure, profile));
            }
        }
        let email = data.emails.iter().find(|e| e.primary == Some(true)).or(data.emails.first()).map(|e| e.value.clone());
        let now = self.clock.now();
        let record = serde_json::to_string(&Record { data: &data, created, modified: now }).map_err(Error::internal)?;
        let given = data.given_name.clone().unwrap_or_default();
        let family = data.family_name.clone().or_else(|| data.display_name.clone()).unwrap_or_else(|| data.user_name.clone());
        let w = UserWrite {
            id,
            territory: src.territory,
            source: &src.owner(),
            login: &login,
            given_name: &given,
            family_name: &family,
            email: email.as_deref(),
            record: &record,
            memberships: &memberships,
            blocked: data.active == Some(false),
        };
        let audit = audit::entry::<(), _>(now, &src.principal(), action, format!("person:{id}"), memberships.first().map(|m| m.0), None, Some(&data));
        self.store.write_scim_user(&w, &audit).await?;
        self.user(src, id).await
    }

    // ----- Groups -----

    pub async fn groups(&self, src: &ScimSource) -> Result<Vec<Group>> {
        self.store.scim_groups(&src.owner()).await?.into_iter().map(group_of).collect()
    }

    pub async fn group(&self, src: &ScimSource, id: GroupId) -> Result<Group> {
        group_of(self.store.scim_group(&src.owner(), id).await?.ok_or(Error::NotFound)?)
    }

    pub async fn create_group(&self, src: &ScimSource, data: GroupData) -> Result<Group> {
        self.write_group(src, GroupId::new(), data, self.clock.now(), "scim.group.create").await
    }

    pub async fn replace_group(&self, src: &ScimSource, id: GroupId, data: GroupData) -> Result<Group> {
        let old = self.group(src, id).await?;
        self.write_group(src, id, data, old.created, "scim.group.replace").await
    }

    pub async fn delete_group(&self, src: &ScimSource, id: GroupId) -> Result<()> {
        let audit = audit::entry::<(), ()>(self.clock.now(), &src.principal(), "scim.group.delete", format!("group:{id}"), None, None, None);
        if self.store.delete_scim_group(&src.owner(), id, &audit).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    async fn write_group(&self, src: &ScimSource, id: GroupId, data: GroupData, created: i64, action: &str) -> Result<Group> {
        if data.display_name.trim().is_empty() {
            return Err(invalid("displayName", "field.required"));
        }
        check_text("displayName", &data.display_name, 200)?;
        let structure = match data.structure.as_deref() {
            Some(uai) => Self::structure_of(&self.scope(src).await?, uai)?,
            None => match src.structures.as_slice() {
                [only] => *only,
                _ => return Err(invalid("structure", "scim.structure_required")),
            },
        };
        let kind = match data.kind.as_deref() {
            Some("class") => GroupKind::Class,
            None | Some("group") => GroupKind::Functional,
            Some(_) => return Err(invalid("kind", "scim.invalid_value")),
        };
        let owner = src.owner();
        let own: std::collections::HashSet<PersonId> =
            if data.members.is_empty() { Default::default() } else { self.store.scim_user_ids(&owner).await?.into_iter().collect() };
        let mut members = vec![];
        for m in &data.members {
            let person: PersonId = m.value.parse().map_err(|_| invalid("members", "scim.invalid_value"))?;
            // Only the source's own people: another school's pupils are not its to group.
            if !own.contains(&person) {
                return Err(invalid("members", "scim.invalid_value"));
            }
            if !members.contains(&person) {
                members.push(person);
            }
        }
        let now = self.clock.now();
        let record = serde_json::to_string(&Record { data: &data, created, modified: now }).map_err(Error::internal)?;
        let w = GroupWrite { id, source: &owner, structure, kind: kind.code(), name: &data.display_name, record: &record, members: &members };
        let audit = audit::entry::<(), _>(now, &src.principal(), action, format!("group:{id}"), Some(structure), None, Some(&data));
        self.store.write_scim_group(&w, &audit).await?;
        self.group(src, id).await
    }
}

fn uuid_like(rng: &dyn Random) -> String {
    let mut b = [0u8; 16];
    rng.fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}
