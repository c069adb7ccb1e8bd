//! The OpenID Connect provider's HTTP side: discovery, JWKS, the authorization endpoint with
//! its login and consent pages, the token, userinfo, introspection (RFC 7662) and revocation
//! (RFC 7009) endpoints, RP-initiated logout and back-channel logout delivery. What is released
//! and to whom is decided in `preau-sso`; this module only speaks the protocol. An unknown
//! client or redirect URI gets an error page, never a redirect.

use crate::auth::{Authed, lang_of};
use crate::error::PageError;
use crate::i18n::{Lang, Tr};
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use preau_sso::oidc::tokens::{ClientAuth, TokenParams};
use preau_sso::oidc::{AuthRequest, AuthorizeParams, ClientRedirect, Decision, OAuthError, SCOPES};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize).post(authorize_post))
        .route("/oidc/continue", get(continue_pending))
        .route("/oidc/consent", post(consent))
        .route("/oidc/token", post(token).options(preflight))
        .route("/oidc/userinfo", get(userinfo).post(userinfo).options(preflight))
        .route("/oidc/introspect", post(introspect))
        .route("/oidc/revoke", post(revoke).options(preflight))
        .route("/oidc/logout", get(logout).post(logout_confirmed))
}

/// The endpoints a client calls without the person's cookies: cross-site writes are theirs.
pub fn cookieless(path: &str) -> bool {
    matches!(path, "/oidc/token" | "/oidc/userinfo" | "/oidc/introspect" | "/oidc/revoke")
}

/// The issuer: the public address of Préau, without a trailing slash.
pub fn issuer(state: &AppState) -> String {
    state.config.base_url.trim_end_matches('/').to_owned()
}

fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    r
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
    r
}

fn no_store(body: serde_json::Value, status: StatusCode) -> Response {
    cors((status, [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(body)).into_response())
}

fn oauth_error(e: &OAuthError, basic: bool) -> Response {
    let status = if e.code == "invalid_client" { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let mut r = no_store(json!({"error": e.code, "error_description": e.description}), status);
    if basic && status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"preau\""));
    }
    r
}

async fn discovery(State(state): State<AppState>) -> Response {
    let iss = issuer(&state);
    let claims: Vec<&str> =
        ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid"].into_iter().chain(preau_sso::Attribute::ALL.iter().map(|a| a.claim_name())).collect();
    cors(
        Json(json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/oidc/authorize"),
            "token_endpoint": format!("{iss}/oidc/token"),
            "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
            "jwks_uri": format!("{iss}/oidc/jwks"),
            "end_session_endpoint": format!("{iss}/oidc/logout"),
            "introspection_endpoint": format!("{iss}/oidc/introspect"),
            "revocation_endpoint": format!("{iss}/oidc/revoke"),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": claims,
            "prompt_values_supported": ["none", "login", "consent"],
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "ui_locales_supported": ["fr", "en"],
        }))
        .into_response(),
    )
}

async fn jwks(State(state): State<AppState>) -> Response {
    match state.sso.jwks().await {
        Ok(set) => cors(([(header::CACHE_CONTROL, "public, max-age=300")], Json(set)).into_response()),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

// ----- Authorization -----

/// `uri` with the parameters appended (and `iss`, RFC 9207).
fn client_redirect(state: &AppState, r: &ClientRedirect) -> Response {
    let mut url = r.uri.clone();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    let iss = issuer(state);
    for (k, v) in r.params.iter().map(|(k, v)| (*k, v.as_str())).chain([("iss", iss.as_str())]) {
        url.push(sep);
        url.push_str(k);
        url.push('=');
        url.push_str(&crate::cas::query_escape(v));
        sep = '&';
    }
    Redirect::to(&url).into_response()
}

#[derive(Template)]
#[template(path = "oidc_consent.html")]
struct ConsentPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    request: String,
    service: String,
    purpose: String,
    legal_basis: String,
    items: Vec<String>,
}

async fn authorize(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<AuthorizeParams>) -> Response {
    start(&state, &headers, p).await
}

async fn authorize_post(State(state): State<AppState>, headers: HeaderMap, Form(p): Form<AuthorizeParams>) -> Response {
    start(&state, &headers, p).await
}

async fn start(state: &AppState, headers: &HeaderMap, p: AuthorizeParams) -> Response {
    let lang = lang_of(headers);
    let req = match state.sso.oidc_authorize_request(state.config.territory, &p).await {
        Ok(Ok(r)) => r,
        Ok(Err(redirect)) => return client_redirect(state, &redirect),
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    proceed(state, headers, req, None).await
}

/// Goes on with a request: log in, accept the charter, consent, or back to the client.
async fn proceed(state: &AppState, headers: &HeaderMap, req: AuthRequest, pending: Option<String>) -> Response {
    let lang = lang_of(headers);
    let Some(session) = state.session_of(headers).await else {
        if req.prompt_none {
            return client_redirect(state, &ClientRedirect::error(&req, &preau_sso::oidc::oauth("login_required", "the person is not logged in")));
        }
        return to_login(state, lang, req, pending);
    };
    if session.mfa_pending {
        if req.prompt_none {
            return client_redirect(
                state,
                &ClientRedirect::error(&req, &preau_sso::oidc::oauth("interaction_required", "the person must give their second factor")),
            );
        }
        let id = pending.unwrap_or_else(|| state.sso.oidc_keep_pending(req, false));
        return Redirect::to(&crate::pages::mfa::to_second_factor(&continue_path(&id))).into_response();
    }
    if session.charter_pending {
        if req.prompt_none {
            return client_redirect(state, &ClientRedirect::error(&req, &preau_sso::oidc::oauth("interaction_required", "the person must accept the charter")));
        }
        let id = pending.unwrap_or_else(|| state.sso.oidc_keep_pending(req, false));
        return Redirect::to(&format!("/charter?next={}", crate::cas::query_escape(&continue_path(&id)))).into_response();
    }
    let principal = match state.principal(&session).await {
        Ok(p) => p,
        Err(e) => return PageError::new(e, lang).into_response(),
    };
    match state.sso.oidc_decide(&principal, &session.digest.to_string(), session.created_at, &req).await {
        Ok(Decision::Code(code)) => {
            if let Some(id) = pending {
                state.sso.oidc_drop_pending(&id);
            }
            client_redirect(state, &ClientRedirect::code(&req, code))
        }
        Ok(Decision::Login) => {
            // Kept anew: only a login after this moment will do.
            if let Some(id) = pending {
                state.sso.oidc_drop_pending(&id);
            }
            to_login(state, lang, req, None)
        }
        Ok(Decision::Consent(_)) => consent_page(state, lang, &session, req, pending).await,
        Err(e) => client_redirect(state, &ClientRedirect::error(&req, &e)),
    }
}

fn continue_path(id: &str) -> String {
    format!("/oidc/continue?req={}", crate::cas::query_escape(id))
}

/// The login form, which comes back to the request once the person has logged in.
fn to_login(state: &AppState, lang: Lang, req: AuthRequest, pending: Option<String>) -> Response {
    let name = req.connector_name.clone();
    let id = match pending {
        Some(id) => id,
        None => state.sso.oidc_keep_pending(req, true),
    };
    crate::pages::login_then(state, lang, &name, &continue_path(&id))
}

async fn consent_page(state: &AppState, lang: Lang, session: &preau_identity::Session, req: AuthRequest, pending: Option<String>) -> Response {
    let Some(c) = state.sso.oidc_client(state.config.territory, &req.connector.to_string()).await else {
        return PageError::new(preau_core::Error::NotFound, lang).into_response();
    };
    let items = preau_sso::oidc::claims::consent_items(&c, &req.scopes).iter().map(|code| lang.t(&format!("attr.{code}"))).collect();
    let id = pending.unwrap_or_else(|| state.sso.oidc_keep_pending(req, false));
    render(&ConsentPage {
        tr: Tr(lang),
        user: Some(String::new()),
        csrf: session.csrf.to_string(),
        request: id,
        service: c.name.clone(),
        purpose: c.purpose.clone(),
        legal_basis: c.legal_basis.clone(),
        items,
    })
}

#[derive(Deserialize)]
struct ContinueQuery {
    #[serde(default)]
    req: String,
}

async fn continue_pending(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ContinueQuery>) -> Response {
    let lang = lang_of(&headers);
    match state.sso.oidc_pending(&q.req) {
        Some(req) => proceed(&state, &headers, req, Some(q.req)).await,
        None => PageError::new(preau_core::Error::invalid("req", "oidc.request_expired"), lang).into_response(),
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    csrf: String,
    request: String,
    decision: String,
}

async fn consent(State(state): State<AppState>, authed: Authed, Form(f): Form<ConsentForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    let req = state.sso.oidc_pending(&f.request).ok_or_else(|| authed.fail(preau_core::Error::invalid("req", "oidc.request_expired")))?;
    state.sso.oidc_drop_pending(&f.request);
    if f.decision != "allow" {
        return Ok(client_redirect(&state, &ClientRedirect::error(&req, &preau_sso::oidc::oauth("access_denied", "the person refused"))));
    }
    let principal = state.principal(&authed.session).await.map_err(|e| authed.fail(e))?;
    Ok(match state.sso.oidc_consent(&principal, &authed.session.digest.to_string(), authed.session.created_at, &req).await {
        Ok(Decision::Code(code)) => client_redirect(&state, &ClientRedirect::code(&req, code)),
        Ok(_) => client_redirect(&state, &ClientRedirect::error(&req, &preau_sso::oidc::oauth("access_denied", "consent was not recorded"))),
        Err(e) => client_redirect(&state, &ClientRedirect::error(&req, &e)),
    })
}

// ----- Token, userinfo, introspection, revocation -----

/// The client's credentials: HTTP Basic (form-encoded id and secret) or form fields.
fn client_auth(headers: &HeaderMap, client_id: &str, client_secret: &str) -> (ClientAuth, bool) {
    if let Some((id, secret)) = crate::auth::basic_credentials(headers) {
        // RFC 6749 §2.3.1: both are form-encoded before going into the header.
        return (ClientAuth { client_id: preau_core::text::url_decode(&id), secret: Some(preau_core::text::url_decode(&secret)) }, true);
    }
    let secret = (!client_secret.is_empty()).then(|| client_secret.to_owned());
    (ClientAuth { client_id: client_id.to_owned(), secret }, false)
}

async fn token(State(state): State<AppState>, headers: HeaderMap, Form(p): Form<TokenParams>) -> Response {
    let (auth, basic) = client_auth(&headers, &p.client_id, &p.client_secret);
    match state.sso.oidc_token(state.config.territory, &issuer(&state), &auth, &p).await {
        Ok(t) => no_store(json!(t), StatusCode::OK),
        Err(e) => oauth_error(&e, basic),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let challenge = |e: &OAuthError| {
        let mut r = no_store(json!({"error": e.code, "error_description": e.description}), StatusCode::UNAUTHORIZED);
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer error=\"{}\"", e.code)) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r
    };
    let Some(token) = bearer(&headers) else {
        return challenge(&preau_sso::oidc::oauth("invalid_token", "a bearer access token is required"));
    };
    match state.sso.oidc_userinfo(state.config.territory, &token).await {
        Ok(claims) => no_store(serde_json::Value::Object(claims), StatusCode::OK),
        Err(e) if e.code == "server_error" => oauth_error(&e, false),
        Err(e) => challenge(&e),
    }
}

#[derive(Deserialize, Default)]
struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
}

async fn introspect(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let (auth, basic) = client_auth(&headers, &f.client_id, &f.client_secret);
    match state.sso.oidc_introspect(state.config.territory, &issuer(&state), &auth, &f.token).await {
        Ok(v) => no_store(v, StatusCode::OK),
        Err(e) => oauth_error(&e, basic),
    }
}

async fn revoke(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let (auth, basic) = client_auth(&headers, &f.client_id, &f.client_secret);
    match state.sso.oidc_revoke(state.config.territory, &auth, &f.token).await {
        Ok(()) => cors(StatusCode::OK.into_response()),
        Err(e) => oauth_error(&e, basic),
    }
}

// ----- Logout -----

#[derive(Deserialize, Default)]
struct LogoutQuery {
    #[serde(default)]
    id_token_hint: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    post_logout_redirect_uri: String,
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "oidc_logout.html")]
struct LogoutPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

/// Where to go after logout: the client's registered post-logout address, else the landing page.
async fn after_logout(state: &AppState, lang: Lang, client_id: &str, uri: &str, st: &str) -> Response {
    match state.sso.oidc_post_logout(state.config.territory, client_id, uri, st).await {
        Some(to) => Redirect::to(&to).into_response(),
        None => crate::pages::landing_with_notice(state, lang, lang.t("cas.logged_out")),
    }
}

async fn end_portal_session(state: &AppState, session: &preau_identity::Session) -> Result<(), preau_core::Error> {
    // Closing the session tells the services (`crate::slo`).
    state.accounts.sessions.close(&*state.store, &session.digest).await
}

fn clearing(state: &AppState, mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&crate::auth::clear_session_cookie(state.config.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LogoutQuery>) -> Response {
    let lang = lang_of(&headers);
    let hint = if q.id_token_hint.is_empty() { None } else { state.sso.oidc_hint(&q.id_token_hint).await };
    let client_id = hint.as_ref().map(|h| h.aud.clone()).unwrap_or(q.client_id.clone());
    let Some(session) = state.session_of(&headers).await else {
        return after_logout(&state, lang, &client_id, &q.post_logout_redirect_uri, &q.state).await;
    };
    // A hint from this very session is the person's own client asking: no need to ask again.
    let own = match &hint {
        Some(h) => state.sso.oidc_hint_matches(state.config.territory, h, &session.digest.to_string()).await,
        None => false,
    };
    if own {
        if let Err(e) = end_portal_session(&state, &session).await {
            return PageError::new(e, lang).into_response();
        }
        return clearing(&state, after_logout(&state, lang, &client_id, &q.post_logout_redirect_uri, &q.state).await);
    }
    render(&LogoutPage {
        tr: Tr(lang),
        user: Some(String::new()),
        csrf: session.csrf.to_string(),
        client_id,
        post_logout_redirect_uri: q.post_logout_redirect_uri,
        state: q.state,
    })
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    post_logout_redirect_uri: String,
    #[serde(default)]
    state: String,
}

async fn logout_confirmed(State(state): State<AppState>, authed: Authed, Form(f): Form<LogoutForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    end_portal_session(&state, &authed.session).await.map_err(|e| authed.fail(e))?;
    Ok(clearing(&state, after_logout(&state, authed.lang, &f.client_id, &f.post_logout_redirect_uri, &f.state).await))
}
