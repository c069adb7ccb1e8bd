//! The SAML 2.0 identity provider's HTTP side: metadata, single sign-on with the HTTP-Redirect
//! and HTTP-POST bindings (`/saml/sso`), through the portal session, login, second factor and
//! charter, and the signed response POSTed to the service provider by the browser. Which
//! service providers exist and what they receive is decided in `preau-sso`. An unknown service
//! provider or assertion consumer address gets an error page, never a redirect.

use crate::auth::lang_of;
use crate::error::PageError;
use crate::i18n::{Lang, Tr};
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use base64::Engine;
use preau_sso::saml::AuthnRequest;
use preau_sso::saml::xml::{NS_DS, NS_MD, attr};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/saml/metadata", get(metadata))
        .route("/saml/sso", get(sso_redirect).post(sso_post))
        .route("/saml/continue", get(continue_pending))
        .route("/saml/slo", get(single_logout))
        .route("/assets/saml-post.js", get(post_script))
}

/// The endpoint a service provider's page POSTs to from its own site.
pub fn cross_site_allowed(path: &str) -> bool {
    path == "/saml/sso"
}

/// This identity provider's entity ID.
pub fn entity_id(state: &AppState) -> String {
    format!("{}/saml/metadata", crate::oidc::issuer(state))
}

fn sso_url(state: &AppState) -> String {
    format!("{}/saml/sso", crate::oidc::issuer(state))
}

async fn metadata(State(state): State<AppState>) -> Response {
    let (_, cert) = match state.sso.saml_key().await {
        Ok(k) => k,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let sso = attr(&sso_url(&state));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"{NS_MD}\" entityID=\"{}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"{NS_DS}\"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleLogoutService Binding=\"{}\" Location=\"{}\"></md:SingleLogoutService><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:SingleSignOnService Binding=\"{}\" Location=\"{sso}\"></md:SingleSignOnService><md:SingleSignOnService Binding=\"{}\" Location=\"{sso}\"></md:SingleSignOnService></md:IDPSSODescriptor></md:EntityDescriptor>\n",
        attr(&entity_id(&state)),
        preau_sso::saml::BINDING_REDIRECT,
        attr(&format!("{}/saml/slo", crate::oidc::issuer(&state))),
        preau_sso::saml::BINDING_REDIRECT,
        preau_sso::saml::BINDING_POST,
    );
    ([(header::CONTENT_TYPE, "application/samlmetadata+xml")], body).into_response()
}

#[derive(Deserialize, Default)]
struct SsoParams {
    #[serde(default, rename = "SAMLRequest")]
    request: String,
    #[serde(default, rename = "RelayState")]
    relay_state: String,
}

async fn read_request(state: &AppState, p: &SsoParams, deflated: bool) -> Result<AuthnRequest, preau_core::Error> {
    let xml = preau_sso::saml::decode_request(&p.request, deflated)?;
    state.sso.saml_authn_request(state.config.territory, &xml, &p.relay_state, &sso_url(state)).await
}

/// HTTP-Redirect binding: a top-level navigation, which carries the portal session.
async fn sso_redirect(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<SsoParams>) -> Response {
    let lang = lang_of(&headers);
    match read_request(&state, &p, true).await {
        Ok(req) => proceed(&state, &headers, req).await,
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

/// HTTP-POST binding: a POST from the service provider's site carries no `SameSite=Lax`
/// cookie, so the request is kept and the browser comes back with a GET, which does.
async fn sso_post(State(state): State<AppState>, headers: HeaderMap, Form(p): Form<SsoParams>) -> Response {
    let lang = lang_of(&headers);
    match read_request(&state, &p, false).await {
        Ok(req) => Redirect::to(&continue_path(&state.sso.saml_keep_pending(req, false))).into_response(),
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

fn continue_path(id: &str) -> String {
    format!("/saml/continue?req={}", crate::cas::query_escape(id))
}

#[derive(Deserialize)]
struct ContinueQuery {
    #[serde(default)]
    req: String,
}

async fn continue_pending(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ContinueQuery>) -> Response {
    match state.sso.saml_take_pending(&q.req) {
        Some(req) => proceed(&state, &headers, req).await,
        None => PageError::new(preau_core::Error::invalid("req", "oidc.request_expired"), lang_of(&headers)).into_response(),
    }
}

/// Goes on with a request: log in, second factor, charter, then the response to the SP.
async fn proceed(state: &AppState, headers: &HeaderMap, req: AuthnRequest) -> Response {
    let lang = lang_of(headers);
    let session = match state.session_of(headers).await {
        Some(s) if !preau_sso::Sso::<preau_store::Store>::saml_needs_login(&req, s.created_at) => s,
        _ => {
            let name = req.connector_name.clone();
            let id = state.sso.saml_keep_pending(req, true);
            return crate::pages::login_then(state, lang, &name, &continue_path(&id));
        }
    };
    if session.mfa_pending {
        let id = state.sso.saml_keep_pending(req, false);
        return Redirect::to(&crate::pages::mfa::to_second_factor(&continue_path(&id))).into_response();
    }
    if session.charter_pending {
        let id = state.sso.saml_keep_pending(req, false);
        return Redirect::to(&format!("/charter?next={}", crate::cas::query_escape(&continue_path(&id)))).into_response();
    }
    let principal = match state.principal(&session).await {
        Ok(p) => p,
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    match state.sso.saml_respond(&principal, &session.digest.to_string(), session.created_at, &req, &entity_id(state)).await {
        Ok(xml) => post_page(lang, &req, &base64::engine::general_purpose::STANDARD.encode(xml)),
        Err(e) => PageError::new(e, lang).into_response(),
    }
}

#[derive(Template)]
#[template(path = "saml_post.html")]
struct PostPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    acs: String,
    response: String,
    relay_state: String,
}

/// The page that POSTs the response to the service provider: at once with the one script,
/// or with the button without it. Its policy lets the form go to that address only.
fn post_page(lang: Lang, req: &AuthnRequest, response: &str) -> Response {
    let mut r = render(&PostPage {
        tr: Tr(lang),
        user: None,
        csrf: String::new(),
        acs: req.acs.clone(),
        response: response.to_owned(),
        relay_state: req.relay_state.clone(),
    });
    let origin: String = req.acs.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let policy =
        format!("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action {origin}; base-uri 'none'");
    if let Ok(v) = HeaderValue::from_str(&policy) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn post_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../assets/saml-post.js"))
        .into_response()
}

/// Single logout started by a service provider (HTTP-Redirect binding, signed query): ends the
/// portal session it names, then answers its logout service.
async fn single_logout(State(state): State<AppState>, headers: HeaderMap, axum::extract::RawQuery(raw): axum::extract::RawQuery) -> Response {
    let lang = lang_of(&headers);
    let raw = raw.unwrap_or_default();
    let pick = |name: &str| raw.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).map(str::to_owned);
    let (Some(request), Some(sig_alg), Some(signature)) = (pick("SAMLRequest"), pick("SigAlg"), pick("Signature")) else {
        return PageError::new(preau_core::Error::invalid("SAMLRequest", "saml.request_invalid"), lang).into_response();
    };
    let relay = pick("RelayState");
    // What was signed: the three parameters as they came, in this order.
    let mut signed = format!("SAMLRequest={request}");
    if let Some(r) = &relay {
        signed.push_str(&format!("&RelayState={r}"));
    }
    signed.push_str(&format!("&SigAlg={sig_alg}"));
    let relay = relay.map(|r| preau_core::text::url_decode(&r));
    let (request, sig_alg, signature) =
        (preau_core::text::url_decode(&request), preau_core::text::url_decode(&sig_alg), preau_core::text::url_decode(&signature));
    let message = preau_sso::saml::logout::RedirectMessage {
        message: &request,
        relay_state: relay.as_deref(),
        sig_alg: &sig_alg,
        signature: &signature,
        signed: &signed,
    };
    let result = state.sso.saml_sp_logout(state.config.territory, &entity_id(&state), &message).await;
    match result {
        Ok(out) => {
            if let Some(key) = out.session.as_deref().and_then(preau_identity::sessions::SessionKey::from_b64)
                && let Err(e) = state.accounts.sessions.close(&*state.store, &key).await
            {
                return PageError::new(e, lang).into_response();
            }
            let sep = if out.slo_url.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{}{sep}{}", out.slo_url, out.response_query)).into_response()
        }
        Err(e) => PageError::new(e, lang).into_response(),
    }
}
