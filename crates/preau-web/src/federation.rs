//! Logging in through an outside OpenID Connect provider ("Se connecter avec …"): Préau is its
//! relying party — code flow with PKCE, state and nonce, the ID token verified against the
//! provider's published keys (issuer, audience, expiry, nonce). Who the person is locally is
//! decided in `preau-identity` (`federation.rs`); this module speaks the protocol, offers the
//! chooser when a claim matches several accounts, and the providers' API.

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
        .route("/federation/saml/metadata", get(sp_metadata))
        .route("/api/v1/identity-providers", get(list).post(add))
}

/// How long a login may stay at the provider, and a choice on the chooser.
const PENDING_SECS: i64 = 15 * 60;

struct Started {
    provider: String,
    nonce: String,
    verifier: String,
    next: String,
    expires: i64,
}

struct Choice {
    provider: String,
    subject: String,
    claim: String,
    next: String,
    expires: i64,
}

/// Logins in progress at a provider (by `state`) and choices waiting on the chooser.
#[derive(Default)]
pub struct Pending {
    started: Mutex<HashMap<String, Started>>,
    choices: Mutex<HashMap<String, Choice>>,
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

fn keep_started(state: &AppState, key: String, s: Started) {
    if let Ok(mut m) = state.federation.started.lock() {
        let now = state.clock.now();
        m.retain(|_, s| s.expires > now);
        m.insert(key, s);
    }
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

/// The outside SAML provider's response, POSTed by the browser from its site.
async fn saml_acs(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<AcsForm>) -> Response {
    let lang = lang_of(&headers);
    let xml = base64::engine::general_purpose::STANDARD
        .decode(f.response.split_whitespace().collect::<String>())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    // The request it answers must be one Préau sent and still waits for: taken, so a replay finds nothing.
    let request = preau_sso::saml::sp::in_response_to(&xml).unwrap_or_default();
    let started = state.federation.started.lock().ok().and_then(|mut m| m.remove(&request)).filter(|s| s.expires > state.clock.now());
    let Some(s) = started else {
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
        let asserted = preau_sso::saml::sp::check_response(&xml, &expected)?;
        let outcome = state.accounts.federated_login(&u, &asserted.subject, asserted.claim.as_deref(), &origin).await?;
        Ok::<_, Error>((u, asserted.subject, asserted.claim, outcome))
    }
    .await;
    finish(&state, lang, result, s.next).await
}

#[derive(Deserialize, Default)]
struct StartQuery {
    #[serde(default)]
    next: String,
}

async fn start(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<StartQuery>) -> Response {
    let lang = lang_of(&headers);
    let result = async {
        let u = provider(&state, &id).await?;
        let next = crate::pages::login::local_path(&q.next).unwrap_or("").to_owned();
        if u.saml {
            let request = preau_sso::saml::response::new_id(&*state.rng);
            keep_started(&state, request.clone(), Started { provider: u.id.clone(), nonce: request.clone(), verifier: String::new(), next, expires: state.clock.now() + PENDING_SECS });
            return preau_sso::saml::sp::authn_request_url(&sp_entity(&state), &sp_acs(&state), &u.sso_url, &request, state.clock.now());
        }
        let doc = discover(&state, &u).await?;
        let endpoint = doc["authorization_endpoint"].as_str().ok_or_else(|| Error::internal("no authorization endpoint"))?.to_owned();
        let token = |_: ()| preau_identity::secrets::token(&*state.rng);
        let (st, nonce, verifier) = (token(()), token(()), format!("{}{}", token(()), token(())));
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        keep_started(&state, st.clone(), Started { provider: u.id.clone(), nonce: nonce.clone(), verifier, next, expires: state.clock.now() + PENDING_SECS });
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
        Ok(url) => Redirect::to(&url).into_response(),
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
    let started = state.federation.started.lock().ok().and_then(|mut m| m.remove(&q.state)).filter(|s| s.provider == id && s.expires > state.clock.now());
    let Some(s) = started else {
        return PageError::new(Error::invalid("state", "oidc.request_expired"), lang).into_response();
    };
    if !q.error.is_empty() || q.code.is_empty() {
        return PageError::new(Error::Unauthenticated("federation.refused"), lang).into_response();
    }
    let result = async {
        let u = provider(&state, &id).await?;
        let (subject, claim) = verified_identity(&state, &u, &q.code, &s).await?;
        let outcome = state.accounts.federated_login(&u, &subject, claim.as_deref(), &origin).await?;
        Ok::<_, Error>((u, subject, claim, outcome))
    }
    .await;
    finish(&state, lang, result, s.next).await
}

/// Where a verified federated login lands: the portal (or `next`), the chooser, or the login
/// page with the reason.
async fn finish(state: &AppState, lang: crate::i18n::Lang, result: Result<(Upstream, String, Option<String>, Federated), Error>, next: String) -> Response {
    match result {
        Ok((_, _, _, Federated::Opened(o))) => crate::pages::login::opened_to(state, o, &next).await,
        Ok((u, subject, claim, Federated::Choose(people))) => {
            let token = preau_identity::secrets::token(&*state.rng);
            if let Ok(mut m) = state.federation.choices.lock() {
                m.insert(token.clone(), Choice { provider: u.id, subject, claim: claim.unwrap_or_default(), next, expires: state.clock.now() + PENDING_SECS });
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
    let choice = state.federation.choices.lock().ok().and_then(|mut m| m.remove(&f.token)).filter(|c| c.expires > state.clock.now());
    let Some(c) = choice else {
        return PageError::new(Error::invalid("token", "oidc.request_expired"), lang).into_response();
    };
    let result = async {
        let u = provider(&state, &c.provider).await?;
        state.accounts.federated_choice(&u, &c.subject, &c.claim, f.person, &origin).await
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
