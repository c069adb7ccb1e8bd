//! The token endpoint (code and refresh grants), userinfo, introspection (RFC 7662) and
//! revocation (RFC 7009). A client authenticates with its secret (confidential) or only names
//! itself (public, which then had to use PKCE). Access tokens are opaque, random and held in
//! memory by their digest; refresh tokens are held in the database by their digest.

use super::Access;
use super::claims::released_claims;
use super::{ACCESS_SECS, ID_TOKEN_SECS, OAuthError, REFRESH_SECS, SessionClient, oauth};
use crate::connectors::{Connector, secret_digest};
use crate::{Sso, SsoStore};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use preau_core::{PersonId, ServiceId, TerritoryId};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// How the client presented itself: HTTP Basic or form fields.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: String,
    pub secret: Option<String>,
}

/// The form of a token request.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenParams {
    #[serde(default)]
    pub grant_type: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub code_verifier: String,
    #[serde(default)]
    pub refresh_token: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// A refresh token as the database keeps it (by digest).
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub digest: String,
    /// The grant: every token rotated from the same code shares it.
    pub grant: String,
    pub connector: ServiceId,
    pub person: PersonId,
    pub subject: String,
    pub scopes: Vec<String>,
    pub auth_time: i64,
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What marking a refresh token used found.
#[derive(Debug, Clone)]
pub enum RefreshUse {
    /// It was unused; it is now used.
    Fresh(RefreshRecord),
    /// It had been used already: someone replays it.
    Reused(RefreshRecord),
    Unknown,
}

/// What a token was issued from, to sign an ID token and hand out an access token.
struct Issue<'a> {
    c: &'a Connector,
    person: PersonId,
    subject: String,
    scopes: Vec<String>,
    auth_time: i64,
    nonce: String,
    session: String,
    grant: Option<String>,
}

fn eq_ct(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn pkce_ok(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len()) && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && eq_ct(&URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), challenge)
}

impl<S: SsoStore> Sso<S> {
    /// The client a request comes from; a confidential client must present its secret.
    pub async fn oidc_authenticate(&self, territory: TerritoryId, auth: &ClientAuth) -> Result<Connector, OAuthError> {
        let bad = || oauth("invalid_client", "client authentication failed");
        let c = self.oidc_client(territory, &auth.client_id).await.ok_or_else(bad)?;
        match (&auth.secret, c.oidc.public_client) {
            (None, true) => Ok(c),
            (Some(s), false) if eq_ct(&secret_digest(s), &c.oidc.secret_digest) => Ok(c),
            _ => Err(bad()),
        }
    }

    /// The token endpoint.
    pub async fn oidc_token(&self, territory: TerritoryId, issuer: &str, auth: &ClientAuth, p: &TokenParams) -> Result<TokenResponse, OAuthError> {
        let c = self.oidc_authenticate(territory, auth).await?;
        match p.grant_type.as_str() {
            "authorization_code" => self.exchange_code(issuer, &c, p).await,
            "refresh_token" => self.refresh(issuer, &c, p).await,
            "" => Err(oauth("invalid_request", "grant_type is required")),
            _ => Err(oauth("unsupported_grant_type", "only authorization_code and refresh_token are supported")),
        }
    }

    async fn exchange_code(&self, issuer: &str, c: &Connector, p: &TokenParams) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let invalid = |text: &str| oauth("invalid_grant", text);
        let taken = self.oidc.with(|i| i.codes.remove(&p.code)).flatten();
        let Some(code) = taken.filter(|k| k.expires > now) else {
            // A code used twice: whatever the first use obtained is revoked.
            if let Some((access, grant, _)) = self.oidc.with(|i| i.used_codes.remove(&p.code)).flatten() {
                self.oidc.with(|i| i.access.remove(&access));
                if let Some(g) = grant {
                    self.revoke_grant(&g).await;
                }
            }
            return Err(invalid("the code is unknown, expired or already used"));
        };
        if code.connector != c.service {
            return Err(invalid("the code was issued to another client"));
        }
        if code.redirect_uri != p.redirect_uri {
            return Err(invalid("redirect_uri differs from the authorization request"));
        }
        if !code.code_challenge.is_empty() && !pkce_ok(&p.code_verifier, &code.code_challenge) {
            return Err(invalid("the PKCE code_verifier does not match"));
        }
        let subject = self.subject(c, code.person).await.map_err(|_| oauth("server_error", "the directory could not be read"))?;
        if subject.through.is_empty() {
            return Err(invalid("the service is no longer offered to this person"));
        }
        let sub = self.oidc_subject_id(c, &subject, &code.session);
        let grant = code.scopes.iter().any(|s| s == "offline_access").then(|| preau_identity::secrets::token(&*self.rng));
        let issue =
            Issue { c, person: code.person, subject: sub, scopes: code.scopes, auth_time: code.auth_time, nonce: code.nonce, session: code.session, grant };
        let (response, access_digest) = self.issue_tokens(issuer, &issue, &subject).await?;
        let sid = Self::oidc_sid(c, &issue.session);
        self.oidc.with(|i| {
            i.used_codes.insert(p.code.clone(), (access_digest, issue.grant.clone(), now + super::CODE_SECS));
            let clients = i.sessions.entry(issue.session.clone()).or_default();
            if !clients.iter().any(|k| k.connector == c.service) {
                clients.push(SessionClient { connector: c.service, subject: issue.subject.clone(), sid });
            }
        });
        Ok(response)
    }

    async fn refresh(&self, issuer: &str, c: &Connector, p: &TokenParams) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let invalid = |text: &str| oauth("invalid_grant", text);
        let server = |_| oauth("server_error", "the token store could not be read");
        let record = match self.store.use_refresh(&secret_digest(&p.refresh_token), now).await.map_err(server)? {
            super::tokens::RefreshUse::Fresh(r) => r,
            super::tokens::RefreshUse::Reused(r) => {
                // Rotation makes every refresh token single-use: a second use means it leaked.
                self.revoke_grant(&r.grant).await;
                return Err(invalid("the refresh token was already used; its grant is revoked"));
            }
            super::tokens::RefreshUse::Unknown => return Err(invalid("the refresh token is unknown")),
        };
        if record.connector != c.service {
            return Err(invalid("the refresh token was issued to another client"));
        }
        if record.expires_at <= now {
            return Err(invalid("the refresh token has expired"));
        }
        if self.store.credential(record.person).await.map_err(server)?.blocked {
            self.revoke_grant(&record.grant).await;
            return Err(invalid("the account is blocked"));
        }
        let asked: Vec<String> = super::words(&p.scope);
        if asked.iter().any(|s| !record.scopes.contains(s)) {
            return Err(oauth("invalid_scope", "a refresh cannot widen the scopes granted"));
        }
        let scopes = if asked.is_empty() { record.scopes.clone() } else { asked };
        let subject = self.subject(c, record.person).await.map_err(|_| oauth("server_error", "the directory could not be read"))?;
        if subject.through.is_empty() {
            self.revoke_grant(&record.grant).await;
            return Err(invalid("the service is no longer offered to this person"));
        }
        let mut scopes_kept = scopes;
        if !scopes_kept.iter().any(|s| s == "offline_access") {
            // A narrower refresh still keeps the grant alive.
            scopes_kept.push("offline_access".to_owned());
        }
        let issue = Issue {
            c,
            person: record.person,
            subject: record.subject.clone(),
            scopes: scopes_kept,
            auth_time: record.auth_time,
            nonce: String::new(),
            session: String::new(),
            grant: Some(record.grant.clone()),
        };
        Ok(self.issue_tokens(issuer, &issue, &subject).await?.0)
    }

    /// Mints an access token, an ID token and (for an offline grant) a refresh token.
    async fn issue_tokens(&self, issuer: &str, t: &Issue<'_>, subject: &crate::attributes::Subject) -> Result<(TokenResponse, String), OAuthError> {
        let now = self.clock.now();
        let server = |_| oauth("server_error", "the token could not be issued");
        let access_token = preau_identity::secrets::token(&*self.rng);
        let access_digest = secret_digest(&access_token);
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(issuer));
        claims.insert("sub".into(), json!(t.subject));
        claims.insert("aud".into(), json!(t.c.service.to_string()));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ID_TOKEN_SECS));
        claims.insert("auth_time".into(), json!(t.auth_time));
        if !t.nonce.is_empty() {
            claims.insert("nonce".into(), json!(t.nonce));
        }
        if !t.session.is_empty() {
            claims.insert("sid".into(), json!(Self::oidc_sid(t.c, &t.session)));
        }
        for (k, v) in released_claims(t.c, subject, &t.scopes) {
            claims.insert(k, v);
        }
        let id_token = self.sign(t.c.oidc.signing_alg, "JWT", &claims).await.map_err(server)?;
        let refresh_token = match &t.grant {
            Some(grant) => {
                let token = preau_identity::secrets::token(&*self.rng);
                let r = RefreshRecord {
                    digest: secret_digest(&token),
                    grant: grant.clone(),
                    connector: t.c.service,
                    person: t.person,
                    subject: t.subject.clone(),
                    scopes: t.scopes.clone(),
                    auth_time: t.auth_time,
                    issued_at: now,
                    expires_at: now + REFRESH_SECS,
                };
                self.store.insert_refresh(&r).await.map_err(server)?;
                Some(token)
            }
            None => None,
        };
        let access = Access {
            connector: t.c.service,
            person: t.person,
            subject: t.subject.clone(),
            scopes: t.scopes.clone(),
            grant: t.grant.clone(),
            session: t.session.clone(),
            issued: now,
            expires: now + ACCESS_SECS,
        };
        self.oidc.with(|i| {
            i.sweep(now);
            i.access.insert(access_digest.clone(), access);
        });
        let response = TokenResponse { access_token, token_type: "Bearer", expires_in: ACCESS_SECS, id_token, refresh_token, scope: t.scopes.join(" ") };
        Ok((response, access_digest))
    }

    /// Revokes a grant: its refresh tokens in the database and its access tokens in memory.
    pub(crate) async fn revoke_grant(&self, grant: &str) {
        self.oidc.with(|i| i.access.retain(|_, a| a.grant.as_deref() != Some(grant)));
        // A failed delete leaves tokens that rotation and expiry still bound.
        let _ = self.store.revoke_refresh_grant(grant).await;
    }

    /// The unexpired access token, with its digest.
    fn live_access(&self, token: &str) -> Option<(String, Access)> {
        let now = self.clock.now();
        let digest = secret_digest(token);
        self.oidc.with(|i| i.access.get(&digest).filter(|a| a.expires > now).cloned()).flatten().map(|a| (digest, a))
    }

    /// The userinfo endpoint: the claims of the access token's scopes, read now.
    pub async fn oidc_userinfo(&self, territory: TerritoryId, token: &str) -> Result<Map<String, Value>, OAuthError> {
        let invalid = || oauth("invalid_token", "the access token is unknown or expired");
        let (_, a) = self.live_access(token).ok_or_else(invalid)?;
        let c = self.cached_connector(territory, a.connector).await.ok().flatten().ok_or_else(invalid)?;
        let subject = self.subject(&c, a.person).await.map_err(|_| oauth("server_error", "the directory could not be read"))?;
        if subject.through.is_empty() {
            return Err(invalid());
        }
        let mut out = Map::new();
        out.insert("sub".into(), json!(a.subject));
        out.extend(released_claims(&c, &subject, &a.scopes));
        Ok(out)
    }

    /// Token introspection (RFC 7662): only the client a token was issued to learns about it.
    pub async fn oidc_introspect(&self, territory: TerritoryId, issuer: &str, auth: &ClientAuth, token: &str) -> Result<Value, OAuthError> {
        let c = self.oidc_authenticate(territory, auth).await?;
        if c.oidc.public_client {
            return Err(oauth("invalid_client", "a public client cannot introspect"));
        }
        let now = self.clock.now();
        if let Some((_, a)) = self.live_access(token)
            && a.connector == c.service
        {
            return Ok(
                json!({"active": true, "scope": a.scopes.join(" "), "client_id": c.service.to_string(), "sub": a.subject, "aud": c.service.to_string(), "iss": issuer, "exp": a.expires, "iat": a.issued, "token_type": "Bearer"}),
            );
        }
        if let Ok(Some(r)) = self.store.live_refresh(&secret_digest(token), now).await
            && r.connector == c.service
        {
            return Ok(
                json!({"active": true, "scope": r.scopes.join(" "), "client_id": c.service.to_string(), "sub": r.subject, "aud": c.service.to_string(), "iss": issuer, "exp": r.expires_at, "iat": r.issued_at, "token_type": "refresh_token"}),
            );
        }
        Ok(json!({"active": false}))
    }

    /// Token revocation (RFC 7009): a token of another client, or an unknown one, is ignored.
    pub async fn oidc_revoke(&self, territory: TerritoryId, auth: &ClientAuth, token: &str) -> Result<(), OAuthError> {
        let c = self.oidc_authenticate(territory, auth).await?;
        if let Some((digest, a)) = self.live_access(token)
            && a.connector == c.service
        {
            self.oidc.with(|i| i.access.remove(&digest));
            return Ok(());
        }
        let now = self.clock.now();
        match self.store.live_refresh(&secret_digest(token), now).await {
            Ok(Some(r)) if r.connector == c.service => {
                self.revoke_grant(&r.grant).await;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(_) => Err(oauth("server_error", "the token store could not be read")),
        }
    }
}
