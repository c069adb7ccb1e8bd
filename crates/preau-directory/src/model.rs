//! The records of the territory model, as the domain sees them.

use preau_core::{AssignmentId, GroupId, PersonId, Profile, Role, Scope, ServiceId, StructureId, TerritoryId, Uai};
use serde::Serialize;
use std::str::FromStr;

#[derive(Debug, Clone, Serialize)]
pub struct Territory {
    pub id: TerritoryId,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    Ecole,
    College,
    Lycee,
    LyceeAgricole,
    Other,
}

impl StructureKind {
    pub const ALL: [StructureKind; 5] =
        [StructureKind::Ecole, StructureKind::College, StructureKind::Lycee, StructureKind::LyceeAgricole, StructureKind::Other];

    pub fn code(self) -> &'static str {
        match self {
            StructureKind::Ecole => "ecole",
            StructureKind::College => "college",
            StructureKind::Lycee => "lycee",
            StructureKind::LyceeAgricole => "lycee_agricole",
            StructureKind::Other => "other",
        }
    }

    /// The degree a kind of school belongs to (1 = primary, 2 = secondary, 0 = neither).
    pub fn default_degree(self) -> i64 {
        match self {
            StructureKind::Ecole => 1,
            StructureKind::Other => 0,
            _ => 2,
        }
    }
}

impl FromStr for StructureKind {
    type Err = preau_core::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StructureKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| preau_core::Error::invalid("kind", "structure.kind"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Structure {
    pub id: StructureId,
    pub territory: TerritoryId,
    pub uai: Uai,
    pub name: String,
    pub kind: StructureKind,
    pub degree: i64,
    pub academie: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub phone: String,
    pub email: String,
    pub parent: Option<StructureId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Class,
    Teaching,
    Functional,
    Manual,
}

impl GroupKind {
    pub const ALL: [GroupKind; 4] = [GroupKind::Class, GroupKind::Teaching, GroupKind::Functional, GroupKind::Manual];

    pub fn code(self) -> &'static str {
        match self {
            GroupKind::Class => "class",
            GroupKind::Teaching => "teaching",
            GroupKind::Functional => "functional",
            GroupKind::Manual => "manual",
        }
    }
}

impl FromStr for GroupKind {
    type Err = preau_core::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GroupKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| preau_core::Error::invalid("kind", "group.kind"))
    }
}

/// A class or group. A group belongs to a home structure and may span others (an inter-school
/// project).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub structure: StructureId,
    pub kind: GroupKind,
    pub code: String,
    pub name: String,
    pub also_in: Vec<StructureId>,
    /// The school year (`2025-2026`) a class or group belonged to, once that year is closed:
    /// it is then kept for history and read-only.
    pub archived_year: Option<String>,
}

/// Where a person's account comes from. Feeds never touch manual accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    Demo,
    Feed,
    /// Pushed by a SCIM provisioning source (stored as `scim:<source id>`).
    Scim,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::Demo => "demo",
            Source::Feed => "feed",
            Source::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Source {
        match s {
            "demo" => Source::Demo,
            "feed" => Source::Feed,
            s if s.starts_with("scim:") => Source::Scim,
            _ => Source::Manual,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: PersonId,
    pub territory: TerritoryId,
    pub login: String,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`, when known.
    pub birth_date: Option<String>,
    pub email: Option<String>,
    pub source: Source,
}

impl Person {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub person: PersonId,
    pub structure: StructureId,
    pub profile: Profile,
}

/// A job in one school, as the directory feed gives it (`ENS` + discipline, `DIR`, `DOC`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Function {
    pub person: PersonId,
    pub structure: StructureId,
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParentLink {
    pub parent: PersonId,
    pub child: PersonId,
    pub legal_guardian: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    pub code: String,
    pub label: String,
}

/// Who teaches which subject to which class or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Teaching {
    pub teacher: PersonId,
    pub group: GroupId,
    pub subject_code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Grantee {
    Person(PersonId),
    Group(GroupId),
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    pub id: AssignmentId,
    pub role: Role,
    pub grantee: Grantee,
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// A service of Préau itself, reached at its path.
    Internal,
    /// A link to an outside service.
    Link,
}

impl ServiceKind {
    pub fn code(self) -> &'static str {
        match self {
            ServiceKind::Internal => "internal",
            ServiceKind::Link => "link",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub id: ServiceId,
    pub territory: TerritoryId,
    pub code: String,
    pub name: String,
    pub kind: ServiceKind,
    pub url: String,
    /// The name of an icon of the built-in set.
    pub icon: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: i64,
    pub territory: TerritoryId,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub structure: Option<StructureId>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}
