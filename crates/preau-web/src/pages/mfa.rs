//! The second factor's pages: the code asked after the password (`/mfa`), enrolment with a QR
//! code (forced for those who must have one, offered from the account page), the recovery codes
//! shown once, and turning it off or renewing the codes from the account page. These pages take
//! a session still waiting for its second factor; every other page sends such a session here.

use super::render;
use crate::auth::{SessionOnly, lang_of};
use crate::error::{PageError, message};
use crate::i18n::{Lang, Tr};
use crate::pages::login::local_path;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::Error;
use preau_identity::Session;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/mfa", get(second_factor)).route("/mfa/verify", post(verify)).route("/mfa/setup", get(setup)).route("/mfa/enrol", post(enrol))
}

/// The cookie that remembers a device for the second factor.
pub const DEVICE_COOKIE: &str = "preau_device";

/// Where a login waiting for its second factor goes: `/mfa`, then on to `next`.
pub fn to_second_factor(next: &str) -> String {
    match local_path(next) {
        Some(n) => format!("/mfa?next={}", crate::cas::query_escape(n)),
        None => "/mfa".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "mfa_challenge.html")]
struct Challenge {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct Enrol {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    next: String,
    error: Option<String>,
    required: bool,
    secret: String,
    qr: String,
}

#[derive(Template)]
#[template(path = "mfa_codes.html")]
pub(crate) struct Codes {
    pub tr: Tr,
    pub user: Option<String>,
    pub csrf: String,
    pub codes: Vec<String>,
    pub next: String,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

/// The secret as a QR code, an inline SVG image with its text alternative.
fn qr_svg(uri: &str, lang: Lang) -> String {
    let Ok(code) = qrcode::QrCode::new(uri.as_bytes()) else { return String::new() };
    let svg = code.render::<qrcode::render::svg::Color>().min_dimensions(200, 200).build();
    svg.split_once("<svg").map(|(_, rest)| format!("<svg role=\"img\" aria-label=\"{}\"{rest}", lang.t("mfa.qr_label"))).unwrap_or_default()
}

fn next_of(next: &str) -> String {
    local_path(next).unwrap_or("/portal").to_owned()
}

async fn enrol_page(state: &AppState, s: &Session, lang: Lang, next: &str, error: Option<String>) -> Result<Response, PageError> {
    let fail = |e| PageError::new(e, lang);
    let issuer = state.config.territory_name.clone();
    let login = preau_directory::DirectoryStore::person(&*state.store, s.person).await.map_err(fail)?.login;
    let enrolment = match state.accounts.pending_enrolment(s, &issuer, &login) {
        Some(e) => e,
        None => state.accounts.start_enrolment(s, &issuer).await.map_err(fail)?,
    };
    let required = state.accounts.mfa_required(s.person, s.territory).await.map_err(fail)?;
    let grouped = enrolment.secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
    Ok(render(&Enrol {
        tr: Tr(lang),
        user: Some(String::new()),
        csrf: s.csrf.to_string(),
        next: next.to_owned(),
        error,
        required,
        secret: grouped,
        qr: qr_svg(&enrolment.uri, lang),
    }))
}

/// After the password: the code, or enrolment for a person who has no second factor yet.
async fn second_factor(
    State(state): State<AppState>,
    SessionOnly(s): SessionOnly,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    if !s.mfa_pending {
        return Ok(Redirect::to(&next_of(&q.next)).into_response());
    }
    let status = state.accounts.mfa_status(&s).await.map_err(|e| PageError::new(e, lang))?;
    if !status.enrolled {
        return enrol_page(&state, &s, lang, &q.next, None).await;
    }
    Ok(render(&Challenge { tr: Tr(lang), user: Some(String::new()), csrf: s.csrf.to_string(), next: q.next, error: None }))
}

/// Enrolment offered from the account page to a person who has no second factor.
async fn setup(State(state): State<AppState>, SessionOnly(s): SessionOnly, headers: HeaderMap) -> Result<Response, PageError> {
    enrol_page(&state, &s, lang_of(&headers), "/account", None).await
}

#[derive(Deserialize)]
struct CodeForm {
    csrf: String,
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    remember: Option<String>,
}

fn device_cookie(state: &AppState, token: &str) -> Option<HeaderValue> {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", preau_identity::mfa::DEVICE_SECS)).ok()
}

async fn verify(State(state): State<AppState>, SessionOnly(s): SessionOnly, headers: HeaderMap, Form(f): Form<CodeForm>) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    if !s.csrf.matches(&f.csrf) {
        return Err(PageError::new(Error::Forbidden, lang));
    }
    let label = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(200).collect::<String>();
    match state.accounts.verify_second_factor(&s, &f.code, f.remember.is_some(), &label).await {
        Ok(passed) => {
            let mut r = Redirect::to(&next_of(&f.next)).into_response();
            if let Some(v) = passed.device.as_deref().and_then(|t| device_cookie(&state, t)) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e @ Error::Invalid(_)) => {
            let mut r = render(&Challenge { tr: Tr(lang), user: Some(String::new()), csrf: s.csrf.to_string(), next: f.next, error: Some(message(&e, lang)) });
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e @ Error::Unauthenticated(_)) => {
            let mut r = crate::pages::landing_with_notice(&state, lang, message(&e, lang));
            if let Ok(v) = HeaderValue::from_str(&crate::auth::clear_session_cookie(state.config.secure_cookies)) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(r)
        }
        Err(e) => Err(PageError::new(e, lang)),
    }
}

async fn enrol(State(state): State<AppState>, SessionOnly(s): SessionOnly, headers: HeaderMap, Form(f): Form<CodeForm>) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    if !s.csrf.matches(&f.csrf) {
        return Err(PageError::new(Error::Forbidden, lang));
    }
    match state.accounts.confirm_enrolment(&s, &f.code).await {
        Ok(codes) => Ok(render(&Codes { tr: Tr(lang), user: Some(String::new()), csrf: s.csrf.to_string(), codes, next: next_of(&f.next) })),
        Err(e @ Error::Invalid(_)) => {
            let mut r = enrol_page(&state, &s, lang, &f.next, Some(message(&e, lang))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(PageError::new(e, lang)),
    }
}
