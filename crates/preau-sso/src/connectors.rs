//! The connector registry. A connector is an outside service of the territory's catalogue (its
//! tile in the bouquets) with: the protocol it is reached by; the structures and profiles it is
//! offered to; its release policy (attributes, the names they are released under, and which
//! identifier the service sees); the purpose and legal basis of the processing; and who approved
//! it and when. A territory admin manages every connector; a local admin those owned by their
//! structure, which are offered in that structure only.

use crate::attributes::{Attribute, Subject};
use crate::{Sso, SsoStore};
use preau_core::error::Validator;
use preau_core::{Error, Permission, PersonId, Principal, Profile, Result, ServiceId, StructureId, TerritoryId};
use preau_directory::{Service, ServiceKind, audit};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// A plain link: nothing is released, the launch is counted.
    Link,
    /// CAS 3.0: the service validates a ticket and receives the released attributes.
    Cas,
}

impl Protocol {
    pub fn code(self) -> &'static str {
        match self {
            Protocol::Link => "link",
            Protocol::Cas => "cas",
        }
    }
}

/// Which identifier of the person the service sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// The login in Préau.
    Login,
    /// An opaque identifier, stable for this connector and different for every other one.
    Pairwise,
    /// A new opaque identifier at every sign-in.
    Transient,
}

impl SubjectKind {
    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Login => "login",
            SubjectKind::Pairwise => "pairwise",
            SubjectKind::Transient => "transient",
        }
    }
}

/// One released attribute and the name the service receives it under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub attribute: Attribute,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connector {
    /// The connector's tile in the catalogue.
    pub service: ServiceId,
    pub territory: TerritoryId,
    /// The structure whose local admins manage it; `None`: the territory's.
    pub owner: Option<StructureId>,
    pub code: String,
    pub name: String,
    pub icon: String,
    /// Where a launch from the portal goes.
    pub url: String,
    pub protocol: Protocol,
    /// CAS: the service URLs accepted, as prefixes (`https://host/path/`).
    pub service_urls: Vec<String>,
    /// The structures it is offered in; empty: every structure of the territory.
    pub structures: Vec<StructureId>,
    /// The profiles it is offered to.
    pub profiles: Vec<Profile>,
    pub release: Vec<Release>,
    pub subject: SubjectKind,
    /// Secret that derives pairwise identifiers; never shown.
    #[serde(skip_serializing, default)]
    pub salt: String,
    pub purpose: String,
    pub legal_basis: String,
    pub approved_by: String,
    pub approved_at: i64,
}

impl Connector {
    /// Whether it is offered to `profile` in `structure`.
    pub fn offered_to(&self, structure: StructureId, profile: Profile) -> bool {
        self.profiles.contains(&profile) && (self.structures.is_empty() || self.structures.contains(&structure))
    }
}

/// What an admin submits (JSON body or console form).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectorInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub icon: String,
    pub url: String,
    pub protocol: String,
    #[serde(default)]
    pub service_urls: Vec<String>,
    /// UAIs; empty: every structure (territory admins only).
    #[serde(default)]
    pub structures: Vec<String>,
    /// Profile codes (`ELV`, `ENS`…).
    #[serde(default)]
    pub profiles: Vec<String>,
    /// `attribute` or `attribute=released name`.
    #[serde(default)]
    pub release: Vec<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub legal_basis: String,
    /// UAI of the owning structure; empty: the territory.
    #[serde(default)]
    pub owner: String,
}

fn web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 500
        && !u.chars().any(char::is_whitespace)
        && u.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// Whether `url` is `prefix` or continues it at a path, query or fragment boundary: a prefix
/// `https://a.fr/app` does not accept `https://a.fr/application` nor `https://a.fr/app.evil.fr`.
pub fn url_matches(prefix: &str, url: &str) -> bool {
    match url.strip_prefix(prefix) {
        Some("") => true,
        Some(rest) => prefix.ends_with('/') || rest.starts_with(['/', '?', '#']),
        None => false,
    }
}

fn parse_release(lines: &[String], v: &mut Validator) -> Vec<Release> {
    let mut out: Vec<Release> = vec![];
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let (code, name) = line.split_once('=').map(|(a, n)| (a.trim(), n.trim())).unwrap_or((line, ""));
        match Attribute::parse(code) {
            Ok(a) => {
                let name = if name.is_empty() { a.default_name().to_owned() } else { name.to_owned() };
                // Released names become XML element names (CAS) and claim names: a letter, then
                // letters, digits, `_`, `-` or `.`.
                let ok = name.len() <= 80
                    && name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
                v.check(ok, "release", "connector.release_name");
                if !out.iter().any(|r| r.name == name) {
                    out.push(Release { attribute: a, name });
                }
            }
            Err(_) => {
                v.check(false, "release", "connector.attribute");
            }
        }
    }
    out
}

fn require_admin(caller: &Principal) -> Result<()> {
    if caller.is_admin() { Ok(()) } else { Err(Error::Forbidden) }
}

impl<S: SsoStore> Sso<S> {
    async fn structure_by_uai(&self, territory: TerritoryId, uai: &str, v: &mut Validator, field: &str) -> Option<StructureId> {
        match self.store.structure_by_uai(territory, uai.trim()).await {
            Ok(s) => Some(s.id),
            Err(_) => {
                v.check(false, field, "structure.unknown");
                None
            }
        }
    }

    /// Checks the caller manages connectors owned by `owner`.
    fn require_manage(caller: &Principal, owner: Option<StructureId>) -> Result<()> {
        match owner {
            None => caller.require_territory(Permission::ManageConnectors),
            Some(s) => caller.require_in(Permission::ManageConnectors, s),
        }
    }

    async fn parse(&self, caller: &Principal, input: &ConnectorInput, existing: Option<&Connector>) -> Result<Connector> {
        let mut v = Validator::new();
        let t = caller.territory;
        let owner = if input.owner.trim().is_empty() { None } else { self.structure_by_uai(t, &input.owner, &mut v, "owner").await };
        let protocol = match input.protocol.as_str() {
            "link" => Protocol::Link,
            "cas" => Protocol::Cas,
            _ => {
                v.check(false, "protocol", "connector.protocol");
                Protocol::Link
            }
        };
        let subject = match input.subject.as_str() {
            "" | "login" => SubjectKind::Login,
            "pairwise" => SubjectKind::Pairwise,
            "transient" => SubjectKind::Transient,
            _ => {
                v.check(false, "subject", "connector.subject");
                SubjectKind::Login
            }
        };
        let code = input.code.trim().to_lowercase();
        v.check(!code.is_empty() && code.len() <= 40 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "code", "service.code");
        v.check(!input.name.trim().is_empty() && input.name.len() <= 80, "name", "field.required");
        v.check(web_url(input.url.trim()), "url", "service.url");
        let icon = if input.icon.is_empty() { "link" } else { input.icon.as_str() };
        v.check(preau_directory::services::ICONS.contains(&icon), "icon", "service.icon");
        let service_urls: Vec<String> = input.service_urls.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
        v.check(service_urls.iter().all(|u| web_url(u)), "service_urls", "service.url");
        v.check(protocol != Protocol::Cas || !service_urls.is_empty(), "service_urls", "connector.service_urls");
        let mut structures = vec![];
        for uai in input.structures.iter().filter(|u| !u.trim().is_empty()) {
            if let Some(s) = self.structure_by_uai(t, uai, &mut v, "structures").await
                && !structures.contains(&s)
            {
                structures.push(s);
            }
        }
        if let Some(o) = owner {
            // A school's own connector is offered in that school only.
            v.check(structures.iter().all(|s| *s == o), "structures", "connector.outside_owner");
            structures = vec![o];
        }
        let mut profiles = vec![];
        for p in &input.profiles {
            match p.parse::<Profile>() {
                Ok(p) if !profiles.contains(&p) => profiles.push(p),
                Ok(_) => {}
                Err(_) => {
                    v.check(false, "profiles", "profile.unknown");
                }
            }
        }
        v.check(!profiles.is_empty(), "profiles", "connector.profiles");
        let release = parse_release(&input.release, &mut v);
        v.check(protocol == Protocol::Cas || release.is_empty(), "release", "connector.link_releases");
        v.check(!input.purpose.trim().is_empty() && input.purpose.len() <= 500, "purpose", "field.required");
        v.check(!input.legal_basis.trim().is_empty() && input.legal_basis.len() <= 200, "legal_basis", "field.required");
        v.finish()?;
        let salt = match existing {
            Some(c) => c.salt.clone(),
            None => preau_identity::secrets::token(&*self.rng),
        };
        Ok(Connector {
            service: existing.map(|c| c.service).unwrap_or_default(),
            territory: t,
            owner,
            code,
            name: input.name.trim().to_owned(),
            icon: icon.to_owned(),
            url: input.url.trim().to_owned(),
            protocol,
            service_urls,
            structures,
            profiles,
            release,
            subject,
            salt,
            purpose: input.purpose.trim().to_owned(),
            legal_basis: input.legal_basis.trim().to_owned(),
            approved_by: caller.label(),
            approved_at: self.clock.now(),
        })
    }

    fn tile(c: &Connector) -> Service {
        Service {
            id: c.service,
            territory: c.territory,
            code: c.code.clone(),
            name: c.name.clone(),
            kind: ServiceKind::Link,
            url: c.url.clone(),
            icon: c.icon.clone(),
        }
    }

    /// Registers a connector and its tile in the catalogue; the caller is recorded as approver.
    pub async fn create_connector(&self, caller: &Principal, input: &ConnectorInput) -> Result<Connector> {
        require_admin(caller)?;
        let c = self.parse(caller, input, None).await?;
        Self::require_manage(caller, c.owner)?;
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "connector.create", format!("service:{}", c.service), c.owner, None, Some(&c));
        self.store.insert_connector(&c, &Self::tile(&c), &audit).await?;
        Ok(c)
    }

    /// Changes a connector; the caller must manage it before and after the change.
    pub async fn update_connector(&self, caller: &Principal, id: ServiceId, input: &ConnectorInput) -> Result<Connector> {
        let before = self.connector(caller, id).await?;
        Self::require_manage(caller, before.owner)?;
        let c = self.parse(caller, input, Some(&before)).await?;
        Self::require_manage(caller, c.owner)?;
        let audit = audit::entry(self.clock.now(), caller, "connector.update", format!("service:{id}"), c.owner, Some(&before), Some(&c));
        self.store.update_connector(&c, &Self::tile(&c), &audit).await?;
        Ok(c)
    }

    /// One connector, for an admin of the territory (a local admin reads every connector, to
    /// see what their bouquets release; only managing is restricted).
    pub async fn connector(&self, caller: &Principal, id: ServiceId) -> Result<Connector> {
        require_admin(caller)?;
        let c = self.store.connector(id).await?;
        if c.territory != caller.territory {
            return Err(Error::NotFound);
        }
        Ok(c)
    }

    pub async fn connectors(&self, caller: &Principal) -> Result<Vec<Connector>> {
        require_admin(caller)?;
        self.store.connectors(caller.territory).await
    }

    /// Where `person` may use the connector: the (structure, profile) pairs they hold that it
    /// is offered to. Empty: the connector is not theirs.
    pub(crate) async fn reach(&self, c: &Connector, person: PersonId) -> Result<Vec<(preau_directory::Structure, Profile)>> {
        Ok(Self::reach_in(c, &self.facts(person).await?.memberships))
    }

    fn reach_in(c: &Connector, memberships: &[(preau_directory::Structure, Profile)]) -> Vec<(preau_directory::Structure, Profile)> {
        memberships.iter().filter(|(s, p)| c.offered_to(s.id, *p) && s.territory == c.territory).cloned().collect()
    }

    /// What the directory says of `person` for this connector, limited to where it reaches them.
    pub(crate) async fn subject(&self, c: &Connector, person: PersonId) -> Result<Subject> {
        let facts = self.facts(person).await?;
        let through = Self::reach_in(c, &facts.memberships);
        let groups = facts.groups.iter().filter(|g| through.iter().any(|(s, _)| s.id == g.structure)).cloned().collect();
        Ok(Subject { person: facts.person.clone(), through, groups })
    }

    /// The identifier the connector sees.
    pub(crate) fn subject_id(&self, c: &Connector, s: &Subject) -> String {
        match c.subject {
            SubjectKind::Login => s.person.login.clone(),
            SubjectKind::Pairwise => {
                let mut h = Sha256::new();
                h.update(c.salt.as_bytes());
                h.update(b":");
                h.update(s.person.id.to_string().as_bytes());
                let d = h.finalize();
                d[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            SubjectKind::Transient => format!("_{}", preau_identity::secrets::token(&*self.rng)),
        }
    }

    /// The released attributes, under their released names, in the policy's order; attributes
    /// without a value are left out.
    pub fn released(c: &Connector, s: &Subject) -> Vec<(String, Vec<String>)> {
        c.release.iter().map(|r| (r.name.clone(), s.values(r.attribute))).filter(|(_, v)| !v.is_empty()).collect()
    }
}

impl<S: SsoStore> Sso<S> {
    /// Sets a structure's bouquet for a profile (see `Directory::set_bouquet`), refusing a
    /// connector that is not offered to that profile in that structure: its tile would show
    /// and then refuse the person.
    pub async fn set_bouquet(&self, caller: &Principal, structure: StructureId, profile: Profile, services: &[ServiceId]) -> Result<()> {
        caller.require_in(Permission::ManageBouquet, structure)?;
        let connectors = self.all_connectors(caller.territory).await?;
        let mut v = Validator::new();
        for c in services.iter().filter_map(|id| connectors.iter().find(|c| c.service == *id)) {
            v.check(c.offered_to(structure, profile), "services", "connector.not_offered");
        }
        v.finish()?;
        preau_directory::Directory::new(self.store.clone(), self.clock.clone()).set_bouquet(caller, structure, profile, services).await
    }
}
