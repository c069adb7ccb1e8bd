//! The OpenID Connect provider: the authorization request and its decision (this file), codes
//! and tokens (`tokens.rs`), the claims a token carries (`claims.rs`) and logout (`logout.rs`).
//!
//! A connector with protocol `oidc` is a client: its id is the connector's id, its redirect
//! URIs are its registered service URLs, matched exactly. Authorization codes (60 s, single use,
//! bound to the client, the redirect URI and the PKCE challenge) and access tokens (15 min) live
//! in memory, like CAS tickets; refresh tokens (only with `offline_access`) live in the database,
//! rotate at each use, and a reused one revokes its whole grant. Consents are kept per person
//! and connector unless the territory pre-approved the connector.

pub mod claims;
pub mod logout;
pub mod tokens;

use crate::connectors::{Connector, Protocol};
use crate::{Sso, SsoStore};
use preau_core::{Error, PersonId, Principal, Result, ServiceId, TerritoryId};
use std::collections::HashMap;
use std::sync::Mutex;

/// How long an authorization code waits for its exchange.
pub const CODE_SECS: i64 = 60;
/// How long an access token is good for.
pub const ACCESS_SECS: i64 = 15 * 60;
/// How long an ID token is good for.
pub const ID_TOKEN_SECS: i64 = 10 * 60;
/// How long a refresh token is good for (each use makes a new one).
pub const REFRESH_SECS: i64 = 30 * 24 * 3600;
/// How long a pending authorization request (waiting for login or consent) is kept.
const PENDING_SECS: i64 = 30 * 60;

/// The scopes this provider knows; others are ignored, as the specification asks.
pub const SCOPES: [&str; 7] = ["openid", "profile", "email", "profiles", "structures", "classes", "offline_access"];

/// A refusal in OAuth's terms: an error code and a description for the client's developer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

pub fn oauth(code: &'static str, description: &str) -> OAuthError {
    OAuthError { code, description: description.to_owned() }
}

/// An authorization request as received (`/oidc/authorize`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub nonce: String,
    #[serde(default)]
    pub code_challenge: String,
    #[serde(default)]
    pub code_challenge_method: String,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub max_age: Option<i64>,
    #[serde(default)]
    pub response_mode: String,
    #[serde(default)]
    pub request: Option<String>,
    #[serde(default)]
    pub request_uri: Option<String>,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub connector: ServiceId,
    pub connector_name: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    pub prompt_none: bool,
    pub max_age: Option<i64>,
    /// Set when the person was sent to log in: a session opened before this does not count.
    pub login_after: Option<i64>,
}

/// Where an authorization request goes next.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Back to the client with a code.
    Code(String),
    /// The person must log in (again) first.
    Login,
    /// The person must agree to release these (claim names) to the client.
    Consent(Vec<String>),
}

/// A redirect to the client: its URI, and the parameters to append.
#[derive(Debug, Clone)]
pub struct ClientRedirect {
    pub uri: String,
    pub params: Vec<(&'static str, String)>,
}

impl ClientRedirect {
    pub fn error(req: &AuthRequest, e: &OAuthError) -> ClientRedirect {
        let mut params = vec![("error", e.code.to_owned()), ("error_description", e.description.clone())];
        if !req.state.is_empty() {
            params.push(("state", req.state.clone()));
        }
        ClientRedirect { uri: req.redirect_uri.clone(), params }
    }

    pub fn code(req: &AuthRequest, code: String) -> ClientRedirect {
        let mut params = vec![("code", code)];
        if !req.state.is_empty() {
            params.push(("state", req.state.clone()));
        }
        ClientRedirect { uri: req.redirect_uri.clone(), params }
    }
}

pub(crate) struct Code {
    pub connector: ServiceId,
    pub person: PersonId,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: String,
    pub code_challenge: String,
    pub auth_time: i64,
    pub session: String,
    pub expires: i64,
}

#[derive(Clone)]
pub(crate) struct Access {
    pub connector: ServiceId,
    pub person: PersonId,
    pub subject: String,
    pub scopes: Vec<String>,
    /// The refresh grant it came from, if any: revoking the grant revokes it.
    pub grant: Option<String>,
    /// The portal session it came from: ending the session revokes it.
    pub session: String,
    pub issued: i64,
    pub expires: i64,
}

/// What one portal session signed in to, for back-channel logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClient {
    pub connector: ServiceId,
    pub subject: String,
    pub sid: String,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub pending: HashMap<String, (AuthRequest, i64)>,
    pub codes: HashMap<String, Code>,
    /// Codes already exchanged, with the access token (digest) and grant they produced: a
    /// second exchange revokes them.
    pub used_codes: HashMap<String, (String, Option<String>, i64)>,
    pub access: HashMap<String, Access>,
    pub sessions: HashMap<String, Vec<SessionClient>>,
    /// Transient subjects fixed per (connector, person, session).
    pub transient: HashMap<(ServiceId, PersonId, String), (String, i64)>,
    issued: u64,
}

impl Inner {
    /// Drops what has expired, every 1,024 issues.
    pub fn sweep(&mut self, now: i64) {
        self.issued += 1;
        if !self.issued.is_multiple_of(1024) {
            return;
        }
        self.pending.retain(|_, (_, exp)| *exp > now);
        self.codes.retain(|_, c| c.expires > now);
        self.used_codes.retain(|_, (_, _, exp)| *exp > now);
        self.access.retain(|_, a| a.expires > now);
        self.transient.retain(|_, (_, at)| *at + 24 * 3600 > now);
        self.sessions.retain(|_, v| !v.is_empty());
    }
}

/// The provider's memory, shared by clones of [`Sso`].
#[derive(Default)]
pub struct OidcState(pub(crate) Mutex<Inner>);

impl OidcState {
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        self.0.lock().ok().map(|mut i| f(&mut i))
    }
}

pub(crate) fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for w in s.split_ascii_whitespace() {
        if !out.iter().any(|o| o == w) {
            out.push(w.to_owned());
        }
    }
    out
}

impl<S: SsoStore> Sso<S> {
    /// The OIDC connector whose client id is `client_id`.
    pub async fn oidc_client(&self, territory: TerritoryId, client_id: &str) -> Option<Connector> {
        let id: ServiceId = client_id.parse().ok()?;
        self.cached_connector(territory, id).await.ok().flatten().filter(|c| c.protocol == Protocol::Oidc)
    }

    /// Checks an authorization request. An unknown client or an unregistered redirect URI is an
    /// error for the person's browser (never a redirect); anything else wrong goes back to the
    /// client as an error redirect.
    pub async fn oidc_authorize_request(&self, territory: TerritoryId, p: &AuthorizeParams) -> Result<std::result::Result<AuthRequest, ClientRedirect>> {
        let c = self.oidc_client(territory, &p.client_id).await.ok_or_else(|| Error::invalid("client_id", "oidc.client_unknown"))?;
        if p.redirect_uri.is_empty() || !c.service_urls.iter().any(|r| crate::connectors::redirect_matches(r, &p.redirect_uri)) {
            return Err(Error::invalid("redirect_uri", "oidc.redirect_unknown"));
        }
        let prompts = words(&p.prompt);
        let req = AuthRequest {
            connector: c.service,
            connector_name: c.name.clone(),
            redirect_uri: p.redirect_uri.clone(),
            scopes: words(&p.scope).into_iter().filter(|s| SCOPES.contains(&s.as_str())).collect(),
            state: p.state.clone(),
            nonce: p.nonce.clone(),
            code_challenge: p.code_challenge.clone(),
            prompt_login: prompts.iter().any(|w| w == "login"),
            prompt_consent: prompts.iter().any(|w| w == "consent"),
            prompt_none: prompts.iter().any(|w| w == "none"),
            max_age: p.max_age,
            login_after: None,
        };
        let refuse = |code, text: &str| Ok(Err(ClientRedirect::error(&req, &oauth(code, text))));
        if p.response_type != "code" {
            return refuse("unsupported_response_type", "only the authorization code flow (response_type=code) is supported");
        }
        if !req.scopes.iter().any(|s| s == "openid") {
            return refuse("invalid_scope", "the openid scope is required");
        }
        if p.request.is_some() || p.request_uri.is_some() {
            return refuse("request_not_supported", "request objects are not supported");
        }
        if !p.response_mode.is_empty() && p.response_mode != "query" {
            return refuse("invalid_request", "only response_mode=query is supported");
        }
        if req.prompt_none && prompts.len() > 1 {
            return refuse("invalid_request", "prompt=none cannot be combined with another prompt");
        }
        if p.code_challenge.is_empty() && c.oidc.public_client {
            return refuse("invalid_request", "a public client must use PKCE (code_challenge with S256)");
        }
        if !p.code_challenge.is_empty() && p.code_challenge_method != "S256" {
            return refuse("invalid_request", "code_challenge_method must be S256");
        }
        if !p.code_challenge.is_empty() && !(43..=128).contains(&p.code_challenge.len()) {
            return refuse("invalid_request", "code_challenge must be a base64url SHA-256 digest");
        }
        Ok(Ok(req))
    }

    /// Keeps a request while the person logs in or consents; returns its handle.
    pub fn oidc_keep_pending(&self, mut req: AuthRequest, login: bool) -> String {
        let now = self.clock.now();
        if login {
            req.login_after = Some(now);
        }
        let id = preau_identity::secrets::token(&*self.rng);
        self.oidc.with(|i| {
            i.sweep(now);
            i.pending.insert(id.clone(), (req, now + PENDING_SECS));
        });
        id
    }

    /// A request kept by [`Self::oidc_keep_pending`].
    pub fn oidc_pending(&self, id: &str) -> Option<AuthRequest> {
        let now = self.clock.now();
        self.oidc.with(|i| i.pending.get(id).filter(|(_, exp)| *exp > now).map(|(r, _)| r.clone())).flatten()
    }

    pub fn oidc_drop_pending(&self, id: &str) {
        self.oidc.with(|i| i.pending.remove(id));
    }

    /// Decides a request for the caller (`auth_time`: when their session was opened).
    pub async fn oidc_decide(&self, caller: &Principal, session: &str, auth_time: i64, req: &AuthRequest) -> std::result::Result<Decision, OAuthError> {
        let now = self.clock.now();
        let stale = req.max_age.is_some_and(|m| now - auth_time > m.max(0));
        let fresh_enough = req.login_after.is_none_or(|t| auth_time >= t);
        if !fresh_enough || (req.login_after.is_none() && (req.prompt_login || stale)) {
            if req.prompt_none {
                return Err(oauth("login_required", "the person must log in again"));
            }
            return Ok(Decision::Login);
        }
        let me = caller.person_id().ok_or_else(|| oauth("access_denied", "only a person can sign in"))?;
        let internal = |_| oauth("server_error", "the directory could not be read");
        let c = self
            .cached_connector(caller.territory, req.connector)
            .await
            .map_err(internal)?
            .ok_or_else(|| oauth("unauthorized_client", "the client is no longer registered"))?;
        let reach = self.reach(&c, me).await.map_err(internal)?;
        let Some((structure, profile)) = reach.first() else {
            return Err(oauth("access_denied", "this service is not offered to this person"));
        };
        let asked = claims::consent_items(&c, &req.scopes);
        let covered = c.oidc.preapproved || {
            let consented = self.store.oidc_consent(me, c.service).await.map_err(internal)?;
            consented.is_some_and(|given| req.scopes.iter().all(|s| given.contains(s)))
        };
        if !covered || (req.prompt_consent && !c.oidc.preapproved) {
            if req.prompt_none {
                return Err(oauth("consent_required", "the person has not agreed to this release"));
            }
            return Ok(Decision::Consent(asked));
        }
        self.count_launch(c.service, structure.id, *profile);
        Ok(Decision::Code(self.oidc_issue_code(me, session, auth_time, req)))
    }

    /// Records the caller's consent to the request's scopes, then decides again.
    pub async fn oidc_consent(&self, caller: &Principal, session: &str, auth_time: i64, req: &AuthRequest) -> std::result::Result<Decision, OAuthError> {
        let me = caller.person_id().ok_or_else(|| oauth("access_denied", "only a person can sign in"))?;
        let mut scopes = self.store.oidc_consent(me, req.connector).await.ok().flatten().unwrap_or_default();
        for s in &req.scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        self.store
            .set_oidc_consent(me, req.connector, &scopes, self.clock.now())
            .await
            .map_err(|_| oauth("server_error", "the consent could not be recorded"))?;
        let req = AuthRequest { prompt_consent: false, ..req.clone() };
        self.oidc_decide(caller, session, auth_time, &req).await
    }

    fn oidc_issue_code(&self, person: PersonId, session: &str, auth_time: i64, req: &AuthRequest) -> String {
        let now = self.clock.now();
        let code = preau_identity::secrets::token(&*self.rng);
        let entry = Code {
            connector: req.connector,
            person,
            redirect_uri: req.redirect_uri.clone(),
            scopes: req.scopes.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth_time,
            session: session.to_owned(),
            expires: now + CODE_SECS,
        };
        self.oidc.with(|i| {
            i.sweep(now);
            i.codes.insert(code.clone(), entry);
        });
        code
    }
}
