//! Federation: logging in through an outside identity provider the territory trusts (the
//! national pupil/parent login, the staff login). The provider says who the person is; a
//! matching rule finds their local account from one of its claims — the académie identifier
//! (`{AAF}`-prefixed, as the national login sends it) or the e-mail address. The first login
//! links the provider's subject to the account (asking the person to choose when the claim
//! matches several accounts: a parent who is also a teacher); later logins follow the link.
//! The session opened is an ordinary one: a second factor still applies to administrators.

use crate::IdentityStore;
use crate::accounts::{Accounts, Opened, Origin};
use preau_core::{Error, Permission, PersonId, Principal, Result, TerritoryId};
use preau_directory::{DirectoryStore, Person, audit};
use serde::{Deserialize, Serialize};

/// How a claim of the provider finds the local account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// The académie's identifier of the person (the directory feed's), `{AAF}` prefix removed.
    Aaf,
    /// The e-mail address (case-insensitive).
    Email,
}

impl MatchRule {
    pub fn code(self) -> &'static str {
        match self {
            MatchRule::Aaf => "aaf",
            MatchRule::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<MatchRule> {
        [MatchRule::Aaf, MatchRule::Email].into_iter().find(|r| r.code() == s)
    }

    /// The value to look up, from the claim as the provider sent it.
    pub fn key(self, claim: &str) -> Option<String> {
        let v = claim.trim();
        let v = match self {
            MatchRule::Aaf => v.strip_prefix("{AAF}").unwrap_or(v).trim().to_owned(),
            MatchRule::Email => v.to_lowercase(),
        };
        (!v.is_empty() && v.len() <= 200).then_some(v)
    }
}

/// An outside OpenID Connect provider the territory trusts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upstream {
    pub id: String,
    pub territory: TerritoryId,
    /// Shown on the login page: "Se connecter avec …".
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    #[serde(skip_serializing, default)]
    pub client_secret: String,
    pub scopes: String,
    /// The claim that carries the matching value (`FrEduCtRefId`, `email`…).
    pub match_claim: String,
    pub match_rule: MatchRule,
    pub created_at: i64,
    /// A SAML 2.0 identity provider (then `issuer` is its entity ID) rather than OpenID Connect.
    #[serde(default)]
    pub saml: bool,
    /// SAML: where its single sign-on service takes requests (HTTP-Redirect).
    #[serde(default)]
    pub sso_url: String,
    /// SAML: its signing certificate (DER, base64).
    #[serde(default)]
    pub certificate: String,
}

/// What an admin submits.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpstreamInput {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub scopes: String,
    pub match_claim: String,
    pub match_rule: String,
    /// `oidc` (default) or `saml`.
    #[serde(default)]
    pub kind: String,
    /// SAML: the single sign-on address.
    #[serde(default)]
    pub sso_url: String,
    /// SAML: the signing certificate (base64 DER or PEM).
    #[serde(default)]
    pub certificate: String,
}

/// Where a federated login lands.
pub enum Federated {
    Opened(Opened),
    /// The claim matches several accounts: the person chooses one.
    Choose(Vec<Person>),
}

impl<S: DirectoryStore + IdentityStore> Accounts<S> {
    /// Registers a provider (territory admins).
    pub async fn add_upstream(&self, caller: &Principal, input: &UpstreamInput) -> Result<Upstream> {
        caller.require_territory(Permission::ManageTerritory)?;
        let mut v = preau_core::error::Validator::new();
        let web = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        v.check(!input.name.trim().is_empty() && input.name.len() <= 80, "name", "field.required");
        let saml = input.kind == "saml";
        v.check(input.kind.is_empty() || saml || input.kind == "oidc", "kind", "federation.kind");
        let certificate: String =
            input.certificate.lines().filter(|l| !l.starts_with("-----")).collect::<String>().chars().filter(|c| !c.is_whitespace()).collect();
        if saml {
            v.check(!input.issuer.trim().is_empty(), "issuer", "field.required");
            v.check(web(input.sso_url.trim()), "sso_url", "service.url");
            // Read for real when its first response is checked; here: base64 of something.
            let readable = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &certificate).is_ok_and(|der| der.len() > 100);
            v.check(readable, "certificate", "connector.sp_certificate");
        } else {
            v.check(web(input.issuer.trim()), "issuer", "service.url");
            v.check(!input.client_id.trim().is_empty(), "client_id", "field.required");
        }
        v.check(!input.match_claim.trim().is_empty(), "match_claim", "field.required");
        let rule = MatchRule::parse(&input.match_rule);
        v.check(rule.is_some(), "match_rule", "federation.rule");
        v.finish()?;
        let u = Upstream {
            id: crate::secrets::token(&*self.rng)[..16].to_owned(),
            territory: caller.territory,
            name: input.name.trim().to_owned(),
            issuer: input.issuer.trim().trim_end_matches('/').to_owned(),
            client_id: input.client_id.trim().to_owned(),
            client_secret: input.client_secret.clone(),
            scopes: if input.scopes.trim().is_empty() { "openid".to_owned() } else { input.scopes.trim().to_owned() },
            match_claim: input.match_claim.trim().to_owned(),
            match_rule: rule.unwrap_or(MatchRule::Email),
            created_at: self.clock.now(),
            saml,
            sso_url: if saml { input.sso_url.trim().to_owned() } else { String::new() },
            certificate: if saml { certificate } else { String::new() },
        };
        let audit = audit::entry::<(), _>(self.clock.now(), caller, "federation.add", format!("upstream:{}", u.id), None, None, Some(&u));
        self.store.insert_upstream(&u, &audit).await?;
        Ok(u)
    }

    /// The providers as the territory admins manage them.
    pub async fn managed_upstreams(&self, caller: &Principal) -> Result<Vec<Upstream>> {
        caller.require_territory(Permission::ManageTerritory)?;
        self.store.upstreams(caller.territory).await
    }

    /// The territory's providers (their names are shown on the login page to everyone).
    pub async fn upstreams(&self, territory: TerritoryId) -> Result<Vec<Upstream>> {
        self.store.upstreams(territory).await
    }

    /// Logs in the person the provider vouched for: `subject` at the provider (none when the
    /// provider names them for this login only: nothing is linked, the claim decides each
    /// time), and the value of its matching claim.
    pub async fn federated_login(&self, u: &Upstream, subject: Option<&str>, claim: Option<&str>, origin: &Origin) -> Result<Federated> {
        if let Some(subject) = subject
            && let Some(person) = self.store.upstream_link(&u.id, subject).await?
        {
            return Ok(Federated::Opened(self.open_linked(person, origin).await?));
        }
        let key = claim.and_then(|c| u.match_rule.key(c)).ok_or(Error::Unauthenticated("federation.no_match"))?;
        let people = self.store.people_matching(u.territory, u.match_rule, &key).await?;
        match people.len() {
            0 => Err(Error::Unauthenticated("federation.no_match")),
            1 => {
                if let Some(subject) = subject {
                    self.store.link_upstream(&u.id, subject, people[0].id, self.clock.now()).await?;
                }
                Ok(Federated::Opened(self.open_linked(people[0].id, origin).await?))
            }
            _ => Ok(Federated::Choose(people)),
        }
    }

    /// The person chose one of the accounts the claim matched: links it and logs in.
    pub async fn federated_choice(&self, u: &Upstream, subject: Option<&str>, claim: &str, chosen: PersonId, origin: &Origin) -> Result<Opened> {
        let key = u.match_rule.key(claim).ok_or(Error::Unauthenticated("federation.no_match"))?;
        let people = self.store.people_matching(u.territory, u.match_rule, &key).await?;
        if !people.iter().any(|p| p.id == chosen) {
            return Err(Error::Forbidden);
        }
        if let Some(subject) = subject {
            self.store.link_upstream(&u.id, subject, chosen, self.clock.now()).await?;
        }
        self.open_linked(chosen, origin).await
    }

    async fn open_linked(&self, person: PersonId, origin: &Origin) -> Result<Opened> {
        if self.store.credential(person).await?.blocked {
            return Err(Error::Unauthenticated("login.blocked"));
        }
        let p = self.store.person(person).await?;
        self.open_session(&p, origin).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_national_identifier_loses_its_prefix_and_emails_their_case() {
        assert_eq!(MatchRule::Aaf.key("{AAF}1234567").as_deref(), Some("1234567"));
        assert_eq!(MatchRule::Aaf.key("1234567").as_deref(), Some("1234567"));
        assert_eq!(MatchRule::Email.key(" Anne.Martin@Example.org ").as_deref(), Some("anne.martin@example.org"));
        assert_eq!(MatchRule::Aaf.key("{AAF}"), None);
    }
}
