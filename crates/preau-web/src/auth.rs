//! Who is calling: the session cookie (pages and API) or an API key (API), the CSRF token of
//! cookie-authenticated writes, the language preference, and a cache of principals that is
//! dropped whenever the directory changes.

use crate::error::{ApiError, PageError};
use crate::i18n::Lang;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use preau_core::{Error, PersonId, Principal, Result};
use preau_directory::portal::PortalView;
use preau_identity::Session;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, RwLock};

pub const SESSION_COOKIE: &str = "preau_session";
pub const LANG_COOKIE: &str = "preau_lang";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE).map(Lang::parse).unwrap_or_default()
}

pub fn session_cookie(token: &str, secure: bool, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}", if secure { "; Secure" } else { "" })
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", secure, 0)
}

/// The client address: the socket peer (a reverse proxy must be configured to pass it).
pub fn client_address(parts: &Parts) -> IpAddr {
    parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// Values computed from the directory, kept until the directory's generation changes (every
/// directory write bumps it). Bounded: cleared when it holds too many entries.
pub struct GenerationCache<K, V>(RwLock<HashMap<K, (u64, V)>>);

impl<K, V> Default for GenerationCache<K, V> {
    fn default() -> Self {
        Self(RwLock::new(HashMap::new()))
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> GenerationCache<K, V> {
    const MAX_ENTRIES: usize = 50_000;

    fn get(&self, key: &K, generation: u64) -> Option<V> {
        let m = self.0.read().ok()?;
        m.get(key).filter(|(g, _)| *g == generation).map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, generation: u64, value: V) {
        if let Ok(mut m) = self.0.write() {
            if m.len() > Self::MAX_ENTRIES {
                m.clear();
            }
            m.insert(key, (generation, value));
        }
    }
}

/// Principals by person.
pub type PrincipalCache = GenerationCache<PersonId, Principal>;

/// Portal views by person and acting context: the portal is the most read page, and it only
/// changes when the directory does.
pub type PortalCache = GenerationCache<(PersonId, Option<(preau_core::StructureId, preau_core::Profile)>), Arc<PortalView>>;

impl AppState {
    fn generation(&self) -> u64 {
        preau_directory::DirectoryStore::generation(&*self.store)
    }

    pub async fn principal(&self, session: &Session) -> Result<Principal> {
        // A session still waiting for its second factor is nobody yet.
        if session.mfa_pending {
            return Err(Error::Unauthenticated("mfa.required"));
        }
        self.principal_of(session.territory, session.person).await
    }

    /// A person's principal, kept until the directory changes (sessions, WebDAV clients and
    /// calendar feeds read it on every request).
    pub async fn principal_of(&self, territory: preau_core::TerritoryId, person: PersonId) -> Result<Principal> {
        let generation = self.generation();
        if let Some(p) = self.cache.get(&person, generation) {
            return Ok(p);
        }
        let p = self.directory.principal_for(territory, person).await?;
        self.cache.put(person, generation, p.clone());
        Ok(p)
    }

    /// The portal of the caller, from the cache when the directory has not changed since.
    pub async fn portal(&self, principal: &Principal, acting: Option<(preau_core::StructureId, preau_core::Profile)>) -> Result<Arc<PortalView>> {
        let key = (principal.person_id().ok_or(Error::Forbidden)?, acting);
        let generation = self.generation();
        if let Some(v) = self.portal_cache.get(&key, generation) {
            return Ok(v);
        }
        let view = Arc::new(self.directory.portal(principal, acting).await?);
        self.portal_cache.put(key, generation, view.clone());
        Ok(view)
    }

    pub async fn session_of(&self, headers: &HeaderMap) -> Option<Session> {
        let token = cookie(headers, SESSION_COOKIE)?;
        if token.is_empty() {
            return None;
        }
        self.accounts.sessions.resolve(&*self.store, token, self.clock.now()).await
    }
}

/// The login and password of an HTTP Basic `Authorization` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let v = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let text = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (login, secret) = text.split_once(':')?;
    Some((login.to_owned(), secret.to_owned()))
}

/// A logged-in person on a page. Anonymous visitors are sent to the login page, and people with
/// a charter to accept are sent to it first.
pub struct Authed {
    pub session: Session,
    pub principal: Principal,
    pub lang: Lang,
}

impl Authed {
    /// Checks the CSRF token of a form against the session's.
    pub fn check_csrf(&self, token: &str) -> std::result::Result<(), PageError> {
        if self.session.csrf.matches(token) { Ok(()) } else { Err(PageError::new(Error::Forbidden, self.lang)) }
    }

    pub fn fail(&self, e: Error) -> PageError {
        PageError::new(e, self.lang)
    }
}

/// The charter page itself must be reachable while the charter is pending.
const CHARTER_PATHS: &[&str] = &["/charter", "/logout", "/lang"];

impl FromRequestParts<AppState> for Authed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let Some(session) = state.session_of(&parts.headers).await else {
            return Err(Redirect::to("/").into_response());
        };
        if session.mfa_pending {
            return Err(Redirect::to(&crate::pages::mfa::to_second_factor(&parts.uri.to_string())).into_response());
        }
        if session.charter_pending && !CHARTER_PATHS.contains(&parts.uri.path()) {
            return Err(Redirect::to("/charter").into_response());
        }
        let principal = state.principal(&session).await.map_err(|e| PageError::new(e, lang).into_response())?;
        Ok(Authed { session, principal, lang })
    }
}

/// A session, whatever it still waits for (second factor, charter): for the pages that complete
/// it, and logout. Anonymous visitors are sent to the login page.
pub struct SessionOnly(pub Session);

impl FromRequestParts<AppState> for SessionOnly {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        state.session_of(&parts.headers).await.map(SessionOnly).ok_or_else(|| Redirect::to("/").into_response())
    }
}

/// The caller of the JSON API: an API key (`Authorization: Bearer preau_…`) or a session cookie,
/// in which case writes must carry the session's CSRF token in `X-CSRF-Token`.
pub struct ApiCaller {
    pub principal: Principal,
    pub session: Option<Session>,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> std::result::Result<Self, Self::Rejection> {
        if let Some(bearer) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")) {
            let principal = state.accounts.principal_for_api_key(bearer.trim()).await?;
            return Ok(ApiCaller { principal, session: None });
        }
        let session = state.session_of(&parts.headers).await.ok_or(Error::Unauthenticated("login.required"))?;
        if session.mfa_pending {
            return Err(ApiError(Error::Unauthenticated("mfa.required")));
        }
        if session.charter_pending {
            return Err(ApiError(Error::Unauthenticated("charter.required")));
        }
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let token = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !session.csrf.matches(token) {
                return Err(ApiError(Error::Forbidden));
            }
        }
        let principal = state.principal(&session).await?;
        Ok(ApiCaller { principal, session: Some(session) })
    }
}
