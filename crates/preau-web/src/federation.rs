//! Logging in through an outside provider ("Se connecter avec …"). With OpenID Connect Préau is
//! its relying party — code flow with PKCE, state and nonce, the ID token verified against the
//! provider's published keys (issuer, audience, expiry, nonce); with SAML 2.0 its service
//! provider (the response checked in `preau_sso::saml::sp`, each assertion accepted once).
//! A login is tied to the browser that started it by a cookie (so nobody can log someone else
//! into the attacker's account); as the SAML response arrives by a cross-site POST, which does
//! not carry that cookie, it is checked there and the login finishes on a same-site redirect
//! that does. Who the person is locally is decided in `preau-identity` (`federation.rs`); this
//! module speaks the protocols, offers the chooser when a claim matches several accounts, and
//! the providers' API. What waits in memory is bounded.

use crate::auth::{ApiCaller, lang_of};
use crate::error::{ApiError, PageError};
use crate::i18n::Tr;
use crate::pages::{ClientOrigin, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use preau_core::{Error, PersonId};
use preau_identity::federation::{Federated, Upstream, UpstreamInput};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/federation/{id}/start", get(start))
        .route("/federation/{id}/callback", get(callback))
        .route("/federation/choose", post(choose))
        .route("/federation/saml/acs", post(saml_acs))
        .route("/federation/saml/finish", get(saml_finish))
        .route("/federation/saml/metadata", get(sp_metadata))
        .route("/api/v1/identity-providers", get(list).post(add))
}

/// How long a login may stay at the provider, and a choice on the chooser.
const PENDING_SECS: i64 = 15 * 60;
/// At most this many of each kind wait in memory: a flood of starts is refused, not stored.
const MAX_PENDING: usize = 50_000;
/// The cookie that ties a login in progress to its browser.
const BINDING_COOKIE: &str = "preau_fed";

struct Started {
    provider: String,
    nonce: String,
    verifier: String,
    next: String,
    binding: String,
    expires: i64,
}

/// A provider's answer, verified, for the browser that holds `binding`.
struct Choice {
    provider: String,
    subject: Option<String>,
    claim: Option<String>,
    next: String,
    binding: String,
    expires: i64,
}

/// Logins in progress at a provider (by `state` or SAML request ID), SAML answers checked and
/// waiting for their browser, choices waiting on the chooser, and the SAML assertions already
/// accepted (until they expire).
#[derive(Default)]
pub struct Pending {
    started: Mutex<HashMap<String, Started>>,
    verified: Mutex<HashMap<String, Choice>>,
    choices: Mutex<HashMap<String, Choice>>,
    seen_assertions: Mutex<HashMap<String, i64>>,
}

trait Expiring {
    fn expires(&self) -> i64;
}

impl Expiring for Started {
    fn expires(&self) -> i64 {
        self.expires
    }
}

impl Expiring for Choice {
    fn expires(&self) -> i64 {
        self.expires
    }
}

impl Expiring for i64 {
    fn expires(&self) -> i64 {
        *self
    }
}

/// Keeps `value` under `key`, the expired ones dropped first; refused when full or when the
/// key is already there (`fresh`: an assertion seen before).
fn keep<T: Expiring>(map: &Mutex<HashMap<String, T>>, now: i64, key: String, value: T) -> Result<(), Error> {
    let mut m = map.lock().map_err(|_| Error::internal("federation state poisoned"))?;
    if m.len() >= MAX_PENDING / 2 {
        m.retain(|_, v| v.expires() > now);
    }
    if m.len() >= MAX_PENDING {
        return Err(Error::Overloaded(60));
    }
    if m.contains_key(&key) {
        return Err(Error::Unauthenticated("federation.refused"));
    }
    m.insert(key, value);
    Ok(())
}

/// Takes what waits under `key`, if still valid.
fn take<T: Expiring>(map: &Mutex<HashMap<String, T>>, now: i64, key: &str) -> Option<T> {
    map.lock().ok().and_then(|mut m| m.remove(key)).filter(|v| v.expires() > now)
}

/// The browser's binding, if it sent one.
fn binding_of(headers: &HeaderMap) -> Option<&str> {
    crate::auth::cookie(headers, BINDING_COOKIE)
        .filter(|b| b.len() >= 32 && b.len() <= 64 && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
}

/// Whether this browser is the one that started the login (digests compared, so the time
/// taken says nothing about the value).
fn same_browser(headers: &HeaderMap, binding: &str) -> bool {
    binding_of(headers).is_some_and(|b| Sha256::digest(b.as_bytes()) == Sha256::digest(binding.as_bytes()))
}

fn redirect_uri(state: &AppState, id: &str) -> String {
    format!("{}/federation/{}/callback", crate::oidc::issuer(state), crate::cas::query_escape(id))
}

async fn provider(state: &AppState, id: &str) -> Result<Upstream, Error> {
    state.accounts.upstreams(state.config.territory).await?.into_iter().find(|u| u.id == id).ok_or(Error::NotFound)
}

/// A JSON answer of the provider (bounded: 1 MiB).
async fn json_of(r: reqwest::Response) -> Result<Value, Error> {
    let body = r.bytes().await.map_err(Error::internal)?;
    if body.len() > 1 << 20 {
        return Err(Error::internal("the provider's answer is too large"));
    }
    serde_json::from_slice(&body).map_err(Error::internal)
}

/// The provider's discovery document.
async fn discover(state: &AppState, u: &Upstream) -> Result<Value, Error> {
    let url = format!("{}/.well-known/openid-configuration", u.issuer);
    let doc: Value = json_of(state.http.get(&url).send().await.map_err(Error::internal)?).await?;
    if doc["issuer"].as_str().map(|s| s.trim_end_matches('/')) != Some(u.issuer.as_str()) {
        return Err(Error::internal("the provider's discovery names another issuer"));
    }
    Ok(doc)
}

/// Préau's entity ID as a SAML service provider, and its assertion consumer service.
fn sp_entity(state: &AppState) -> String {
    format!("{}/federation/saml/metadata", crate::oidc::issuer(state))
}

fn sp_acs(state: &AppState) -> String {
    format!("{}/federation/saml/acs", crate::oidc::issuer(state))
}

/// The service provider's metadata, to give the outside SAML identity providers.
async fn sp_metadata(State(state): State<AppState>) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\"><md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}\" index=\"0\"></md:AssertionConsumerService></md:SPSSODescriptor></md:EntityDescriptor>\n",
        preau_sso::saml::xml::attr(&sp_entity(&state)),
        preau_sso::saml::xml::attr(&sp_acs(&state))
    );
    ([(axum::http::header::CONTENT_TYPE, "application/samlmetadata+xml")], body).into_response()
}

#[derive(Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    response: String,
}

/// The outside SAML provider's response, POSTed by the browser from its site: checked here,
/// then the browser is sent on to `saml_finish`, which sees the binding cookie.
async fn saml_acs(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<AcsForm>) -> Response {
    let lang = lang_of(&headers);
    let xml = base64::engine::general_purpose::STANDARD
        .decode(f.response.split_whitespace().collect::<String>())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    // The request it answers must be one Préau sent and still waits for: taken, so a replay finds nothing.
    let request = preau_sso::saml::sp::in_response_to(&xml).unwrap_or_default();
    let Some(s) = take(&state.federation.started, state.clock.now(), &request) else {
        return crate::pages::landing_with_error(&state, lang, &Error::Unauthenticated("federation.refused"));
    };
    let result = async {
        let u = provider(&state, &s.provider).await?;
        if !u.saml {
            return Err(Error::Unauthenticated("federation.refused"));
        }
        let expected = preau_sso::saml::sp::Expected {
            idp_entity: &u.issuer,
            certificate: &u.certificate,
            sp_entity: &sp_entity(&state),
            acs: &sp_acs(&state),
            request_id: &request,
            now: state.clock.now(),
            match_claim: &u.match_claim,
        };
        let a = preau_sso::saml::sp::check_response(&xml, &expected)?;
        // Each assertion is accepted once, even for another request.
        keep(&state.federation.seen_assertions, state.clock.now(), format!("{}|{}", u.id, a.assertion_id), a.valid_until)?;
        let token = preau_identity::secrets::token(&*state.rng);
        let verified = Choice { provider: u.id, subject: a.subject, claim: a.claim, next: s.next, binding: s.binding, expires: state.clock.now() + 60 };
        keep(&state.federation.verified, state.clock.now(), token.clone(), verified)?;
        Ok::<_, Error>(token)
    }
    .await;
    match result {
        Ok(token) => Redirect::to(&format!("/federation/saml/finish?t={token}")).into_response(),
        Err(e @ Error::Unauthenticated(_)) => crate::pages::landing_with_error(&state, lang, &e),
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct FinishQuery {
    #[serde(default)]
    t: String,
}

/// The verified SAML login, finished in the browser that started it.
async fn saml_finish(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Query(q): Query<FinishQuery>) -> Response {
    let lang = lang_of(&headers);
    let Some(v) = take(&state.federation.verified, state.clock.now(), &q.t).filter(|v| same_browser(&headers, &v.binding)) else {
        return crate::pages::landing_with_error(&state, lang, &Error::Unauthenticated("federation.refused"));
    };
    let result = async {
        let u = provider(&state, &v.provider).await?;
        let outcome = state.accounts.federated_login(&u, v.subject.as_deref(), v.claim.as_deref(), &origin).await?;
        Ok::<_, Error>((u, v.subject, v.claim, outcome))
    }
    .await;
    finish(&state, lang, result, v.next, v.binding).await
}

#[derive(Deserialize, Default)]
struct StartQuery {
    #[serde(default)]
    next: String,
}

async fn start(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<StartQuery>) -> Response {
    let lang = lang_of(&headers);
    // One binding per browser: several tabs may log in at once.
    let binding = binding_of(&headers).map(str::to_owned).unwrap_or_else(|| preau_identity::secrets::token(&*state.rng));
    let now = state.clock.now();
    let result = async {
        let u = provider(&state, &id).await?;
        let next = crate::pages::login::local_path(&q.next).unwrap_or("").to_owned();
        let binding = binding.clone();
        if u.saml {
            let request = preau_sso::saml::response::new_id(&*state.rng);
            let s = Started { provider: u.id.clone(), nonce: request.clone(), verifier: String::new(), next, binding, expires: now + PENDING_SECS };
            keep(&state.federation.started, now, request.clone(), s)?;
            return preau_sso::saml::sp::authn_request_url(&sp_entity(&state), &sp_acs(&state), &u.sso_url, &request, now);
        }
        let doc = discover(&state, &u).await?;
        let endpoint = doc["authorization_endpoint"].as_str().ok_or_else(|| Error::internal("no authorization endpoint"))?.to_owned();
        let token = |_: ()| preau_identity::secrets::token(&*state.rng);
        let (st, nonce, verifier) = (token(()), token(()), format!("{}{}", token(()), token(())));
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        keep(&state.federation.started, now, st.clone(), Started { provider: u.id.clone(), nonce: nonce.clone(), verifier, next, binding, expires: now + PENDING_SECS })?;
        let e = crate::cas::query_escape;
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        Ok::<_, Error>(format!(
            "{endpoint}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={st}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
            e(&u.client_id),
            e(&redirect_uri(&state, &u.id)),
            e(&u.scopes)
        ))
    }
    .await;
    match result {
        Ok(url) => {
            let secure = if state.config.secure_cookies { "; Secure" } else { "" };
            let cookie = format!("{BINDING_COOKIE}={binding}; Path=/federation; HttpOnly; SameSite=Lax; Max-Age={PENDING_SECS}{secure}");
            ([(axum::http::header::SET_COOKIE, cookie)], Redirect::to(&url)).into_response()
        }
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

/// The code exchanged, the ID token verified: its subject and the matching claim.
async fn verified_identity(state: &AppState, u: &Upstream, code: &str, s: &Started) -> Result<(String, Option<String>), Error> {
    let doc = discover(state, u).await?;
    let token_endpoint = doc["token_endpoint"].as_str().ok_or_else(|| Error::internal("no token endpoint"))?;
    let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &redirect_uri(state, &u.id)), ("code_verifier", &s.verifier)];
    let tokens: Value =
        json_of(state.http.post(token_endpoint).basic_auth(&u.client_id, Some(&u.client_secret)).form(&form).send().await.map_err(Error::internal)?).await?;
    let id_token = tokens["id_token"].as_str().ok_or(Error::Unauthenticated("federation.refused"))?;
    let jwks_uri = doc["jwks_uri"].as_str().ok_or_else(|| Error::internal("no JWKS"))?;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(json_of(state.http.get(jwks_uri).send().await.map_err(Error::internal)?).await?).map_err(Error::internal)?;
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| Error::Unauthenticated("federation.refused"))?;
    if !matches!(header.alg, jsonwebtoken::Algorithm::RS256 | jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::PS256) {
        return Err(Error::Unauthenticated("federation.refused"));
    }
    let jwk = match header.kid.as_deref() {
        Some(kid) => jwks.find(kid),
        None => jwks.keys.first(),
    }
    .ok_or(Error::Unauthenticated("federation.refused"))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| Error::Unauthenticated("federation.refused"))?;
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_issuer(&[u.issuer.as_str(), &format!("{}/", u.issuer)]);
    v.set_audience(&[u.client_id.as_str()]);
    let claims: Value = jsonwebtoken::decode::<Value>(id_token, &key, &v).map_err(|_| Error::Unauthenticated("federation.refused"))?.claims;
    if claims["nonce"].as_str() != Some(s.nonce.as_str()) {
        return Err(Error::Unauthenticated("federation.refused"));
    }
    let subject = claims["sub"].as_str().ok_or(Error::Unauthenticated("federation.refused"))?.to_owned();
    let mut claim = claim_of(&claims, &u.match_claim);
    // Providers that keep most claims for userinfo: ask it, for the same subject.
    if claim.is_none()
        && let (Some(endpoint), Some(access)) = (doc["userinfo_endpoint"].as_str(), tokens["access_token"].as_str())
    {
        let info = json_of(state.http.get(endpoint).bearer_auth(access).send().await.map_err(Error::internal)?).await?;
        if info["sub"].as_str() == Some(subject.as_str()) {
            claim = claim_of(&info, &u.match_claim);
        }
    }
    Ok((subject, claim))
}

/// A claim's value: a string, or the first string of a list.
fn claim_of(claims: &Value, name: &str) -> Option<String> {
    match &claims[name] {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(|x| x.as_str().map(str::to_owned)),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "federation_choose.html")]
struct ChoosePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    token: String,
    provider: String,
    /// (person id, login, name)
    people: Vec<(String, String, String)>,
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientOrigin(origin): ClientOrigin,
    Path(id): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let lang = lang_of(&headers);
    let started = take(&state.federation.started, state.clock.now(), &q.state).filter(|s| s.provider == id && same_browser(&headers, &s.binding));
    let Some(s) = started else {
        return PageError::new(Error::invalid("state", "oidc.request_expired"), lang).into_response();
    };
    if !q.error.is_empty() || q.code.is_empty() {
        return PageError::new(Error::Unauthenticated("federation.refused"), lang).into_response();
    }
    let result = async {
        let u = provider(&state, &id).await?;
        let (subject, claim) = verified_identity(&state, &u, &q.code, &s).await?;
        let outcome = state.accounts.federated_login(&u, Some(&subject), claim.as_deref(), &origin).await?;
        Ok::<_, Error>((u, Some(subject), claim, outcome))
    }
    .await;
    finish(&state, lang, result, s.next, s.binding).await
}

/// Where a verified federated login lands: the portal (or `next`), the chooser, or the login
/// page with the reason.
async fn finish(
    state: &AppState,
    lang: crate::i18n::Lang,
    result: Result<(Upstream, Option<String>, Option<String>, Federated), Error>,
    next: String,
    binding: String,
) -> Response {
    match result {
        Ok((_, _, _, Federated::Opened(o))) => crate::pages::login::opened_to(state, o, &next).await,
        Ok((u, subject, claim, Federated::Choose(people))) => {
            let token = preau_identity::secrets::token(&*state.rng);
            let choice = Choice { provider: u.id, subject, claim, next, binding, expires: state.clock.now() + PENDING_SECS };
            if let Err(e) = keep(&state.federation.choices, state.clock.now(), token.clone(), choice) {
                return PageError::new(e, lang).into_response();
            }
            let people = people.into_iter().map(|p| (p.id.to_string(), p.login.clone(), p.display_name())).collect();
            render(&ChoosePage { tr: Tr(lang), user: None, csrf: String::new(), token, provider: u.name, people })
        }
        Err(e @ Error::Unauthenticated(_)) => crate::pages::landing_with_error(state, lang, &e),
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

#[derive(Deserialize)]
struct ChooseForm {
    token: String,
    person: PersonId,
}

async fn choose(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<ChooseForm>) -> Response {
    let lang = lang_of(&headers);
    let choice = take(&state.federation.choices, state.clock.now(), &f.token).filter(|c| same_browser(&headers, &c.binding));
    let Some(c) = choice else {
        return PageError::new(Error::invalid("token", "oidc.request_expired"), lang).into_response();
    };
    let result = async {
        let u = provider(&state, &c.provider).await?;
        state.accounts.federated_choice(&u, c.subject.as_deref(), c.claim.as_deref().unwrap_or_default(), f.person, &origin).await
    }
    .await;
    match result {
        Ok(o) => crate::pages::login::opened_to(&state, o, &c.next).await,
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

type ApiResult = Result<Response, ApiError>;

async fn list(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.accounts.managed_upstreams(&c.principal).await?).into_response())
}

async fn add(State(state): State<AppState>, c: ApiCaller, Json(b): Json<UpstreamInput>) -> ApiResult {
    let u = state.accounts.add_upstream(&c.principal, &b).await?;
    state.refresh_providers().await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}
