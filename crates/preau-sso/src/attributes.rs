//! The attributes a connector may receive, computed from the directory for one person and
//! limited to the structures and profiles through which the connector is offered to them. Each
//! has a default released name (the SDET name, or Pronote's for `categories`); a connector may
//! release it under another.

use preau_core::{Error, Profile};
use preau_directory::{Group, GroupKind, Person, Structure};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribute {
    /// The login in Préau.
    Login,
    GivenName,
    FamilyName,
    DisplayName,
    Email,
    /// `dd/MM/yyyy`.
    BirthDate,
    /// SDET profile codes (`National_ELV`…), one per profile.
    Profiles,
    /// The older numeric profile codes (`National_1`…) that Pronote reads, joined by `;`.
    Categories,
    /// UAIs of the structures.
    Structures,
    /// Classes, as `UAI$code`.
    Classes,
    /// Teaching groups, as `UAI$code`.
    Groups,
    /// Postal codes of the structures.
    PostalCode,
    /// An opaque identifier of the person, stable for this connector and different for every
    /// other one (the GAR's `GARPersonIdentifiant`).
    PersonId,
}

impl Attribute {
    pub const ALL: [Attribute; 13] = [
        Attribute::Login,
        Attribute::GivenName,
        Attribute::FamilyName,
        Attribute::DisplayName,
        Attribute::Email,
        Attribute::BirthDate,
        Attribute::Profiles,
        Attribute::Categories,
        Attribute::Structures,
        Attribute::Classes,
        Attribute::Groups,
        Attribute::PostalCode,
        Attribute::PersonId,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Attribute::Login => "login",
            Attribute::GivenName => "given_name",
            Attribute::FamilyName => "family_name",
            Attribute::DisplayName => "display_name",
            Attribute::Email => "email",
            Attribute::BirthDate => "birth_date",
            Attribute::Profiles => "profiles",
            Attribute::Categories => "categories",
            Attribute::Structures => "structures",
            Attribute::Classes => "classes",
            Attribute::Groups => "groups",
            Attribute::PostalCode => "postal_code",
            Attribute::PersonId => "person_id",
        }
    }

    /// The name it is released under unless the connector says otherwise.
    pub fn default_name(self) -> &'static str {
        match self {
            Attribute::Login => "ENTPersonLogin",
            Attribute::GivenName => "ENTPersonPrenom",
            Attribute::FamilyName => "ENTPersonNom",
            Attribute::DisplayName => "displayName",
            Attribute::Email => "mail",
            Attribute::BirthDate => "ENTPersonDateNaissance",
            Attribute::Profiles => "ENTPersonProfils",
            Attribute::Categories => "categories",
            Attribute::Structures => "ENTPersonStructRattachUAI",
            Attribute::Classes => "ENTEleveClasses",
            Attribute::Groups => "ENTEleveGroupes",
            Attribute::PostalCode => "codePostal",
            Attribute::PersonId => "GARPersonIdentifiant",
        }
    }

    /// The claim name it is released under to an OpenID Connect service unless the connector
    /// says otherwise: the standard claim where there is one.
    pub fn claim_name(self) -> &'static str {
        match self {
            Attribute::Login => "preferred_username",
            Attribute::DisplayName => "name",
            Attribute::BirthDate => "birthdate",
            Attribute::Profiles => "profiles",
            Attribute::Structures => "structures",
            Attribute::Classes => "classes",
            Attribute::Groups => "groups",
            other => other.code(),
        }
    }

    /// The OpenID Connect scope a service must ask for to receive it.
    pub fn scope(self) -> &'static str {
        match self {
            Attribute::Login | Attribute::GivenName | Attribute::FamilyName | Attribute::DisplayName | Attribute::BirthDate => "profile",
            Attribute::Email => "email",
            Attribute::PersonId => "openid",
            Attribute::Profiles | Attribute::Categories => "profiles",
            Attribute::Structures | Attribute::PostalCode => "structures",
            Attribute::Classes | Attribute::Groups => "classes",
        }
    }

    /// Whether it holds one value (a JSON string in a claim) rather than a list.
    pub fn single_valued(self) -> bool {
        !matches!(self, Attribute::Profiles | Attribute::Structures | Attribute::PostalCode | Attribute::Classes | Attribute::Groups)
    }

    pub fn parse(code: &str) -> Result<Attribute, Error> {
        Attribute::ALL.into_iter().find(|a| a.code() == code.trim()).ok_or_else(|| Error::invalid("release", "connector.attribute"))
    }
}

/// The older numeric code of a profile (`National_1` for pupils…), for services that still read it.
fn category(p: Profile) -> Option<&'static str> {
    match p {
        Profile::Pupil => Some("National_1"),
        Profile::Parent => Some("National_2"),
        Profile::Teacher => Some("National_3"),
        Profile::Direction => Some("National_4"),
        Profile::SchoolLife => Some("National_5"),
        Profile::Staff => Some("National_6"),
        Profile::Academy => Some("National_7"),
        _ => None,
    }
}

/// What the directory says of a person, already limited to where the connector is offered to them.
#[derive(Debug, Clone)]
pub struct Subject {
    pub person: Person,
    /// (structure, profile) pairs through which the connector reaches the person.
    pub through: Vec<(Structure, Profile)>,
    /// Their current classes and groups in those structures.
    pub groups: Vec<Group>,
}

fn push_unique(out: &mut Vec<String>, v: String) {
    if !v.is_empty() && !out.contains(&v) {
        out.push(v);
    }
}

impl Subject {
    fn uai_of(&self, g: &Group) -> Option<String> {
        self.through.iter().find(|(s, _)| s.id == g.structure).map(|(s, _)| s.uai.to_string())
    }

    fn groups_of(&self, kind: GroupKind) -> Vec<String> {
        let mut out = vec![];
        for g in self.groups.iter().filter(|g| g.kind == kind && g.archived_year.is_none()) {
            if let Some(uai) = self.uai_of(g) {
                push_unique(&mut out, format!("{uai}${}", g.code));
            }
        }
        out
    }

    /// The values of one attribute; empty when the person has none (it is then not released).
    pub fn values(&self, a: Attribute) -> Vec<String> {
        let p = &self.person;
        let mut out = vec![];
        match a {
            Attribute::Login => push_unique(&mut out, p.login.clone()),
            Attribute::GivenName => push_unique(&mut out, p.given_name.clone()),
            Attribute::FamilyName => push_unique(&mut out, p.family_name.clone()),
            Attribute::DisplayName => push_unique(&mut out, p.display_name()),
            Attribute::Email => push_unique(&mut out, p.email.clone().unwrap_or_default()),
            Attribute::BirthDate => {
                if let Some(d) = &p.birth_date
                    && let [y, m, day] = d.split('-').collect::<Vec<_>>()[..]
                {
                    push_unique(&mut out, format!("{day}/{m}/{y}"));
                }
            }
            Attribute::Profiles => self.through.iter().for_each(|(_, pr)| push_unique(&mut out, pr.sdet_code().to_owned())),
            Attribute::Categories => {
                let mut cats = vec![];
                self.through.iter().filter_map(|(_, pr)| category(*pr)).for_each(|c| push_unique(&mut cats, c.to_owned()));
                push_unique(&mut out, cats.join(";"));
            }
            Attribute::Structures => self.through.iter().for_each(|(s, _)| push_unique(&mut out, s.uai.to_string())),
            Attribute::Classes => out = self.groups_of(GroupKind::Class),
            Attribute::Groups => out = self.groups_of(GroupKind::Teaching),
            Attribute::PostalCode => self.through.iter().for_each(|(s, _)| push_unique(&mut out, s.postal_code.clone())),
            // Depends on the connector: see `Sso::released`.
            Attribute::PersonId => {}
        }
        out
    }
}
