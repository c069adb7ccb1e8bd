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
    /// OpenID Connect: the service exchanges a code for tokens; claims follow the policy.
    Oidc,
    /// SAML 2.0: the service provider receives a signed assertion with the released attributes.
    Saml,
}

impl Protocol {
    pub fn code(self) -> &'static str {
        match self {
            Protocol::Link => "link",
            Protocol::Cas => "cas",
            Protocol::Oidc => "oidc",
            Protocol::Saml => "saml",
        }
    }

    pub fn parse(s: &str) -> Option<Protocol> {
        [Protocol::Link, Protocol::Cas, Protocol::Oidc, Protocol::Saml].into_iter().find(|p| p.code() == s)
    }
}

/// How a SAML 2.0 service provider is reached. Its assertion consumer services are the
/// connector's `service_urls`, matched exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlSettings {
    /// The service provider's entity ID (the `Issuer` of its requests, the `Audience` of ours).
    pub entity_id: String,
    /// When set, released as `idEnt` (the identifier the GAR gave this ENT).
    #[serde(default)]
    pub ent_id: String,
    /// Its single logout service for the SOAP binding: where a signed `LogoutRequest` goes when
    /// the portal session ends. Empty: none.
    #[serde(default)]
    pub slo_url: String,
    /// The service provider's signing certificate (DER, base64), from its metadata: checks the
    /// logout requests it sends. Empty: it cannot start a logout.
    #[serde(default)]
    pub sp_certificate: String,
}

/// How an OpenID Connect connector is reached. Its client id is the connector's id; its
/// redirect URIs are its `service_urls`, matched exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    /// A public client (an app on a phone, a single-page app) has no secret and must use PKCE.
    pub public_client: bool,
    /// SHA-256 of the client secret (hex); never shown.
    #[serde(skip_serializing, default)]
    pub secret_digest: String,
    /// Where RP-initiated logout may send the person back (exact match).
    #[serde(default)]
    pub post_logout_uris: Vec<String>,
    /// Where a logout token is POSTed when the person's portal session ends; empty: none.
    #[serde(default)]
    pub backchannel_logout_uri: String,
    /// How its ID tokens are signed.
    #[serde(default)]
    pub signing_alg: crate::keys::SigningAlg,
    /// The territory approved the release for everyone: no consent screen.
    #[serde(default)]
    pub preapproved: bool,
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
    /// OpenID Connect settings (protocol `oidc` only).
    #[serde(default)]
    pub oidc: OidcSettings,
    /// SAML settings (protocol `saml` only).
    #[serde(default)]
    pub saml: SamlSettings,
    /// A client secret just made (at creation or renewal): shown once, never stored.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_secret: Option<String>,
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
    /// OIDC: `confidential` (default, with a secret) or `public` (PKCE, no secret).
    #[serde(default)]
    pub client_type: String,
    #[serde(default)]
    pub post_logout_uris: Vec<String>,
    #[serde(default)]
    pub backchannel_logout_uri: String,
    /// OIDC: `RS256` (default) or `ES256`.
    #[serde(default)]
    pub signing_alg: String,
    /// OIDC: skip the consent screen (territory admins only).
    #[serde(default)]
    pub preapproved: bool,
    /// SAML: the service provider's entity ID.
    #[serde(default)]
    pub entity_id: String,
    /// SAML: the `idEnt` to release (GAR), if any.
    #[serde(default)]
    pub ent_id: String,
    /// SAML: the single logout service (SOAP binding), if any.
    #[serde(default)]
    pub slo_url: String,
    /// SAML: the service provider's signing certificate (base64 DER or PEM), if any.
    #[serde(default)]
    pub sp_certificate: String,
}

fn web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() <= 500
        && !u.chars().any(char::is_whitespace)
        && u.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}

/// A native app's redirect URI (RFC 8252): a private-use scheme named after a domain the vendor
/// owns (`fr.example.app:/callback`), or the loopback interface over plain HTTP.
pub fn native_redirect(u: &str) -> bool {
    let Some((scheme, rest)) = u.split_once(':') else { return false };
    let private = scheme.contains('.')
        && scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+.-".contains(c))
        && rest.starts_with('/');
    let loopback = ["http://127.0.0.1", "http://[::1]"].iter().any(|h| u.strip_prefix(h).is_some_and(|rest| rest.starts_with([':', '/'])));
    (private || loopback) && u.len() <= 500 && !u.chars().any(char::is_whitespace) && !u.contains('#')
}

/// Whether a redirect URI given at authorization is the registered one: the same string, or,
/// for loopback, the same but for the port, which the app picks when it starts (RFC 8252 §7.3).
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let without_port = |u: &str| -> Option<String> {
        let host = ["http://127.0.0.1", "http://[::1]"].into_iter().find(|h| u.starts_with(h))?;
        let rest = &u[host.len()..];
        let rest = match rest.strip_prefix(':') {
            Some(r) => {
                let digits = r.bytes().take_while(u8::is_ascii_digit).count();
                if digits == 0 {
                    return None;
                }
                &r[digits..]
            }
            None => rest,
        };
        Some(format!("{host}{rest}"))
    };
    matches!((without_port(registered), without_port(given)), (Some(a), Some(b)) if a == b)
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

/// The opaque identifier of a person for one connector: stable, and unlinkable to the one any
/// other connector receives.
pub fn pairwise_id(c: &Connector, person: PersonId) -> String {
    let mut h = Sha256::new();
    h.update(c.salt.as_bytes());
    h.update(b":");
    h.update(person.to_string().as_bytes());
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The values of one attribute for this connector.
pub fn attribute_values(c: &Connector, s: &Subject, a: Attribute) -> Vec<String> {
    match a {
        Attribute::PersonId => vec![pairwise_id(c, s.person.id)],
        _ => s.values(a),
    }
}

/// The SHA-256 digest (hex) a client secret is kept as.
pub fn secret_digest(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    Sha256::digest(secret.as_bytes()).iter().flat_map(|b| [HEX[usize::from(b >> 4)] as char, HEX[usize::from(b & 15)] as char]).collect()
}

/// Claims an OpenID Connect token carries for itself, which no released attribute may take.
const RESERVED_CLAIMS: [&str; 14] = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "nonce", "auth_time", "sid", "azp", "at_hash", "acr", "amr"];

fn parse_release(lines: &[String], protocol: Protocol, v: &mut Validator) -> Vec<Release> {
    let mut out: Vec<Release> = vec![];
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        let (code, name) = line.split_once('=').map(|(a, n)| (a.trim(), n.trim())).unwrap_or((line, ""));
        match Attribute::parse(code) {
            Ok(a) => {
                let default = if protocol == Protocol::Oidc { a.claim_name() } else { a.default_name() };
                let name = if name.is_empty() { default.to_owned() } else { name.to_owned() };
                // Released names become XML element names (CAS) and claim names: a letter, then
                // letters, digits, `_`, `-` or `.`.
                let ok = name.len() <= 80
                    && name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
                v.check(ok && !(protocol == Protocol::Oidc && RESERVED_CLAIMS.contains(&name.as_str())), "release", "connector.release_name");
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
        let protocol = Protocol::parse(&input.protocol).unwrap_or_else(|| {
            v.check(false, "protocol", "connector.protocol");
            Protocol::Link
        });
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
        // A phone app (a public OIDC client) comes back to a scheme of its own or to loopback
        // (RFC 8252); everything else is a web address.
        let native_ok = protocol == Protocol::Oidc && input.client_type == "public";
        v.check(service_urls.iter().all(|u| web_url(u) || (native_ok && native_redirect(u))), "service_urls", "service.url");
        v.check(protocol == Protocol::Link || !service_urls.is_empty(), "service_urls", "connector.service_urls");
        let oidc = self.parse_oidc(caller, input, protocol, existing, &mut v);
        let saml = if protocol == Protocol::Saml {
            let entity_id = input.entity_id.trim().to_owned();
            v.check(!entity_id.is_empty() && entity_id.len() <= 500 && !entity_id.chars().any(char::is_whitespace), "entity_id", "connector.entity_id");
            let ent_id = input.ent_id.trim().to_owned();
            v.check(ent_id.len() <= 100, "ent_id", "connector.ent_id");
            let slo_url = input.slo_url.trim().to_owned();
            v.check(slo_url.is_empty() || web_url(&slo_url), "slo_url", "service.url");
            let sp_certificate: String =
                input.sp_certificate.lines().filter(|l| !l.starts_with("-----")).collect::<String>().chars().filter(|c| !c.is_whitespace()).collect();
            v.check(sp_certificate.is_empty() || crate::saml::logout::certificate_ok(&sp_certificate), "sp_certificate", "connector.sp_certificate");
            SamlSettings { entity_id, ent_id, slo_url, sp_certificate }
        } else {
            SamlSettings::default()
        };
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
        let release = parse_release(&input.release, protocol, &mut v);
        v.check(protocol != Protocol::Link || release.is_empty(), "release", "connector.link_releases");
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
            oidc,
            saml,
            client_secret: None,
        })
    }

    /// The OpenID Connect settings of the input; the secret is kept from `existing`.
    fn parse_oidc(&self, caller: &Principal, input: &ConnectorInput, protocol: Protocol, existing: Option<&Connector>, v: &mut Validator) -> OidcSettings {
        if protocol != Protocol::Oidc {
            return OidcSettings::default();
        }
        let public_client = match input.client_type.as_str() {
            "" | "confidential" => false,
            "public" => true,
            _ => {
                v.check(false, "client_type", "connector.client_type");
                false
            }
        };
        let signing_alg = if input.signing_alg.is_empty() {
            crate::keys::SigningAlg::default()
        } else {
            crate::keys::SigningAlg::parse(&input.signing_alg).unwrap_or_else(|| {
                v.check(false, "signing_alg", "connector.signing_alg");
                crate::keys::SigningAlg::default()
            })
        };
        let post_logout_uris: Vec<String> = input.post_logout_uris.iter().map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()).collect();
        v.check(post_logout_uris.iter().all(|u| web_url(u)), "post_logout_uris", "service.url");
        let backchannel_logout_uri = input.backchannel_logout_uri.trim().to_owned();
        v.check(backchannel_logout_uri.is_empty() || web_url(&backchannel_logout_uri), "backchannel_logout_uri", "service.url");
        // Redirect URIs are matched exactly, so a fragment could never match.
        v.check(input.service_urls.iter().all(|u| !u.contains('#')), "service_urls", "connector.redirect_fragment");
        // Skipping consent is the territory's decision.
        let territory_wide = caller.require_territory(Permission::ManageConnectors).is_ok();
        v.check(!input.preapproved || territory_wide, "preapproved", "connector.preapproved");
        OidcSettings {
            public_client,
            secret_digest: existing.map(|c| c.oidc.secret_digest.clone()).unwrap_or_default(),
            post_logout_uris,
            backchannel_logout_uri,
            signing_alg,
            preapproved: input.preapproved && territory_wide,
        }
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
        let mut c = self.parse(caller, input, None).await?;
        Self::require_manage(caller, c.owner)?;
        let secret = self.new_client_secret(&mut c);
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "connector.create", format!("service:{}", c.service), c.owner, None, Some(&c));
        self.store.insert_connector(&c, &Self::tile(&c), &audit).await?;
        c.client_secret = secret;
        Ok(c)
    }

    /// A confidential OIDC client gets a new secret, kept as its digest; returns it.
    fn new_client_secret(&self, c: &mut Connector) -> Option<String> {
        if c.protocol != Protocol::Oidc || c.oidc.public_client {
            c.oidc.secret_digest.clear();
            return None;
        }
        let secret = preau_identity::secrets::token(&*self.rng);
        c.oidc.secret_digest = secret_digest(&secret);
        Some(secret)
    }

    /// Replaces a confidential OIDC client's secret; the new one is returned once.
    pub async fn renew_client_secret(&self, caller: &Principal, id: ServiceId) -> Result<Connector> {
        let before = self.connector(caller, id).await?;
        Self::require_manage(caller, before.owner)?;
        let mut c = before.clone();
        let secret = self.new_client_secret(&mut c).ok_or_else(|| Error::invalid("client_type", "connector.no_secret"))?;
        let audit = audit::entry(self.clock.now(), caller, "connector.secret_renew", format!("service:{id}"), c.owner, Some(&before), Some(&c));
        self.store.update_connector(&c, &Self::tile(&c), &audit).await?;
        c.client_secret = Some(secret);
        Ok(c)
    }

    /// Changes a connector; the caller must manage it before and after the change.
    pub async fn update_connector(&self, caller: &Principal, id: ServiceId, input: &ConnectorInput) -> Result<Connector> {
        let before = self.connector(caller, id).await?;
        Self::require_manage(caller, before.owner)?;
        let mut c = self.parse(caller, input, Some(&before)).await?;
        Self::require_manage(caller, c.owner)?;
        // A client that becomes confidential gets its first secret.
        let secret =
            if c.protocol == Protocol::Oidc && !c.oidc.public_client && c.oidc.secret_digest.is_empty() { self.new_client_secret(&mut c) } else { None };
        if c.oidc.public_client {
            c.oidc.secret_digest.clear();
        }
        let audit = audit::entry(self.clock.now(), caller, "connector.update", format!("service:{id}"), c.owner, Some(&before), Some(&c));
        self.store.update_connector(&c, &Self::tile(&c), &audit).await?;
        c.client_secret = secret;
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
            SubjectKind::Pairwise => pairwise_id(c, s.person.id),
            SubjectKind::Transient => format!("_{}", preau_identity::secrets::token(&*self.rng)),
        }
    }

    /// The released attributes, under their released names, in the policy's order; attributes
    /// without a value are left out.
    pub fn released(c: &Connector, s: &Subject) -> Vec<(String, Vec<String>)> {
        c.release.iter().map(|r| (r.name.clone(), attribute_values(c, s, r.attribute))).filter(|(_, v)| !v.is_empty()).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_apps_come_back_to_their_own_scheme_or_to_loopback_on_any_port() {
        assert!(native_redirect("fr.example.app:/callback"));
        assert!(native_redirect("http://127.0.0.1/callback"));
        assert!(!native_redirect("myapp:/callback"), "a private scheme is named after a domain");
        assert!(!native_redirect("javascript:alert(1)"));
        assert!(!native_redirect("https://evil.example.net/"), "a web address is not a native one");
        assert!(!native_redirect("http://127.0.0.1.evil.net/cb"));
        assert!(redirect_matches("http://127.0.0.1/cb", "http://127.0.0.1:53123/cb"));
        assert!(redirect_matches("http://[::1]:8080/cb", "http://[::1]:9/cb"));
        assert!(!redirect_matches("http://127.0.0.1/cb", "http://127.0.0.1:53123/other"));
        assert!(!redirect_matches("http://127.0.0.1/cb", "http://127.0.0.1.evil.net/cb"));
        assert!(!redirect_matches("https://rp.example.org/cb", "https://rp.example.org:444/cb"), "only loopback may change its port");
    }
}
