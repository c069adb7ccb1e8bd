//! The territory landing page with the login form, logging out, activation with a code, the
//! forgotten-password flow, the charter, and the language switch.

use super::{Field, render};
use crate::auth::{Authed, LANG_COOKIE, clear_session_cookie, client_address, lang_of, session_cookie};
use crate::error::{PageError, message};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::Error;
use preau_identity::accounts::{Opened, Origin};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(landing))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/activate", get(activate_form).post(activate))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset", get(reset_form).post(reset))
        .route("/charter", get(charter_form).post(charter_accept))
        .route("/lang", post(set_lang))
}

/// Where the request comes from, for throttling and the sessions page.
pub struct ClientOrigin(pub Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let user_agent = parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let device = crate::auth::cookie(&parts.headers, crate::pages::mfa::DEVICE_COOKIE).map(str::to_owned);
        Ok(ClientOrigin(Origin { address: client_address(parts), user_agent, device }))
    }
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    territory: String,
    login: String,
    error: Option<String>,
    notice: Option<String>,
    /// Signing in to a CAS service: its URL (the form then posts to `/cas/login`) and name.
    service: String,
    service_name: String,
    renew: bool,
    /// A local path to go on to once logged in (an OpenID Connect sign-in).
    next: String,
    /// The outside identity providers to log in with: (link, name).
    providers: Vec<(String, String)>,
}

fn landing_page(state: &AppState, lang: Lang, login: String, error: Option<String>, notice: Option<String>) -> Landing {
    Landing {
        tr: Tr(lang),
        user: None,
        csrf: String::new(),
        territory: state.config.territory_name.clone(),
        login,
        error,
        notice,
        service: String::new(),
        service_name: String::new(),
        renew: false,
        next: String::new(),
        providers: providers_for(state, ""),
    }
}

/// The links that log in through each outside identity provider, then go on to `next`.
fn providers_for(state: &AppState, next: &str) -> Vec<(String, String)> {
    let list = state.providers.read().map(|p| p.clone()).unwrap_or_default();
    let query = local_path(next).map(|n| format!("?next={}", crate::cas::query_escape(n))).unwrap_or_default();
    list.into_iter().map(|(id, name)| (format!("/federation/{}/start{query}", crate::cas::query_escape(&id)), name)).collect()
}

/// A path of this site (not `//host`, which browsers read as another site).
pub(crate) fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.contains(['\\', '\r', '\n']) && next.len() <= 2000;
    ok.then_some(next)
}

/// The login form for a sign-in to the service `name`, going on to `next` once logged in.
pub(crate) fn login_then(state: &AppState, lang: Lang, name: &str, next: &str) -> Response {
    render(&Landing {
        service_name: name.to_owned(),
        next: next.to_owned(),
        providers: providers_for(state, next),
        ..landing_page(state, lang, String::new(), None, None)
    })
}

/// The login form of a CAS sign-in to `service` (named `name`).
pub(crate) fn cas_login_page(state: &AppState, lang: Lang, login: String, error: Option<String>, service: &str, name: &str, renew: bool) -> Response {
    let page = Landing { service: service.to_owned(), service_name: name.to_owned(), renew, ..landing_page(state, lang, login, error, None) };
    render(&page)
}

/// The landing page with an error (a login through an outside provider that failed).
pub(crate) fn landing_with_error(state: &AppState, lang: Lang, e: &Error) -> Response {
    let mut r = render(&landing_page(state, lang, String::new(), Some(message(e, lang)), None));
    *r.status_mut() = crate::error::status_of(e);
    r
}

/// The landing page with a notice (after a CAS logout).
pub(crate) fn landing_with_notice(state: &AppState, lang: Lang, notice: String) -> Response {
    render(&landing_page(state, lang, String::new(), None, Some(notice)))
}

async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.session_of(&headers).await.is_some() {
        return Redirect::to("/portal").into_response();
    }
    render(&landing_page(&state, lang_of(&headers), String::new(), None, None))
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    service_name: String,
}

/// Sets the session cookie (and the language the person chose before, on any device) and goes
/// to the portal, or to the charter when a new version awaits acceptance.
pub(crate) async fn opened(state: &AppState, o: Opened) -> Response {
    opened_to(state, o, "").await
}

/// As [`opened`], going on to `next` (a local path) instead of the portal.
pub(crate) async fn opened_to(state: &AppState, o: Opened, next: &str) -> Response {
    let to = match (o.session.charter_pending, local_path(next)) {
        _ if o.session.mfa_pending => crate::pages::mfa::to_second_factor(next),
        (true, Some(n)) => format!("/charter?next={}", crate::cas::query_escape(n)),
        (true, None) => "/charter".to_owned(),
        (false, Some(n)) => n.to_owned(),
        (false, None) => "/portal".to_owned(),
    };
    let to = to.as_str();
    let cookie = session_cookie(&o.token, state.config.secure_cookies, state.accounts.sessions.policy.absolute_secs);
    let mut r = ([(header::SET_COOKIE, cookie)], Redirect::to(to)).into_response();
    if let Ok(cred) = preau_identity::IdentityStore::credential(&*state.store, o.session.person).await
        && let Some(lang) = cred.lang
        && let Ok(v) = axum::http::HeaderValue::from_str(&format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", Lang::parse(&lang).code()))
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<LoginForm>) -> Response {
    let lang = lang_of(&headers);
    let result = state.accounts.login(state.config.territory, &f.login, &f.password, &origin).await;
    state.metrics.login_result(&result);
    match result {
        Ok(o) => opened_to(&state, o, &f.next).await,
        Err(e @ (Error::Overloaded(_) | Error::Internal(_))) => PageError::new(e, lang).into_response(),
        Err(e) => {
            let status = crate::error::status_of(&e);
            let next = local_path(&f.next).unwrap_or_default().to_owned();
            let page = Landing {
                providers: providers_for(&state, &next),
                next,
                service_name: f.service_name,
                ..landing_page(&state, lang, f.login, Some(message(&e, lang)), None)
            };
            let mut r = render(&page);
            *r.status_mut() = status;
            r
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::auth::SessionOnly(session): crate::auth::SessionOnly,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    if !session.csrf.matches(&f.csrf) {
        return Err(PageError::new(Error::Forbidden, lang));
    }
    // Closing the session tells the services it signed in to (`crate::slo`).
    state.accounts.sessions.close(&*state.store, &session.digest).await.map_err(|e| PageError::new(e, lang))?;
    Ok(([(header::SET_COOKIE, clear_session_cookie(state.config.secure_cookies))], Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "activate.html")]
struct Activate {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    login: String,
    errors: Vec<String>,
    charter: String,
}

async fn charter_text(state: &AppState, lang: Lang) -> String {
    match preau_identity::IdentityStore::charter(&*state.store, state.config.territory).await {
        Ok(Some(c)) => c.text,
        _ => lang.t("charter.none"),
    }
}

async fn activate_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    render(&Activate { tr: Tr(lang), user: None, csrf: String::new(), login: String::new(), errors: vec![], charter: charter_text(&state, lang).await })
}

#[derive(Deserialize)]
struct ActivateForm {
    login: String,
    code: String,
    password: String,
    confirm: String,
    #[serde(default)]
    accept: Option<String>,
}

async fn activate(State(state): State<AppState>, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<ActivateForm>) -> Response {
    let lang = lang_of(&headers);
    let accepted = f.accept.as_deref() == Some("on");
    let form = preau_identity::accounts::Activation { login: &f.login, code: &f.code, password: &f.password, confirm: &f.confirm, accept_charter: accepted };
    match state.accounts.activate(state.config.territory, &form, &origin).await {
        Ok(o) => opened(&state, o).await,
        Err(e @ (Error::Overloaded(_) | Error::Internal(_))) => PageError::new(e, lang).into_response(),
        Err(e) => {
            let errors = match &e {
                Error::Invalid(fields) => fields.iter().map(|x| lang.t(&x.code)).collect(),
                other => vec![message(other, lang)],
            };
            let mut r = render(&Activate { tr: Tr(lang), user: None, csrf: String::new(), login: f.login, errors, charter: charter_text(&state, lang).await });
            *r.status_mut() = crate::error::status_of(&e);
            r
        }
    }
}

#[derive(Template)]
#[template(path = "simple_form.html")]
pub struct SimpleForm {
    pub tr: Tr,
    pub user: Option<String>,
    pub csrf: String,
    pub title: String,
    pub help: String,
    pub action: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

fn forgot_page(lang: Lang, notice: Option<String>) -> SimpleForm {
    SimpleForm {
        tr: Tr(lang),
        user: None,
        csrf: String::new(),
        title: lang.t("forgot.title"),
        help: lang.t("forgot.help"),
        action: "/password/forgot".into(),
        fields: vec![Field { name: "login", label: lang.t("login.login"), kind: "text", value: String::new(), autocomplete: "username", required: true }],
        submit: lang.t("forgot.submit"),
        error: None,
        notice,
    }
}

async fn forgot_form(headers: HeaderMap) -> Response {
    render(&forgot_page(lang_of(&headers), None))
}

#[derive(Deserialize)]
struct ForgotForm {
    login: String,
}

async fn forgot(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<ForgotForm>) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    state.accounts.request_reset(state.config.territory, &f.login).await.map_err(|e| PageError::new(e, lang))?;
    Ok(render(&forgot_page(lang, Some(lang.t("forgot.sent")))))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn reset_page(lang: Lang, token: &str, error: Option<String>, notice: Option<String>) -> SimpleForm {
    let pw = |name, label| Field { name, label, kind: "password", value: String::new(), autocomplete: "new-password", required: true };
    SimpleForm {
        tr: Tr(lang),
        user: None,
        csrf: String::new(),
        title: lang.t("reset.title"),
        help: String::new(),
        action: format!("/password/reset?token={}", token.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect::<String>()),
        fields: if notice.is_some() { vec![] } else { vec![pw("password", lang.t("activate.new_password")), pw("confirm", lang.t("activate.confirm"))] },
        submit: lang.t("account.save"),
        error,
        notice,
    }
}

async fn reset_form(headers: HeaderMap, Query(q): Query<TokenQuery>) -> Response {
    render(&reset_page(lang_of(&headers), &q.token, None, None))
}

#[derive(Deserialize)]
struct ResetForm {
    password: String,
    confirm: String,
}

async fn reset(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<TokenQuery>, Form(f): Form<ResetForm>) -> Response {
    let lang = lang_of(&headers);
    match state.accounts.reset_password(&q.token, &f.password, &f.confirm).await {
        Ok(()) => render(&reset_page(lang, &q.token, None, Some(lang.t("reset.done")))),
        Err(e @ (Error::Overloaded(_) | Error::Internal(_))) => PageError::new(e, lang).into_response(),
        Err(e) => {
            let mut r = render(&reset_page(lang, &q.token, Some(message(&e, lang)), None));
            *r.status_mut() = crate::error::status_of(&e);
            r
        }
    }
}

#[derive(Template)]
#[template(path = "charter.html")]
struct CharterPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    text: String,
    /// A CAS service the person was signing in to: they go on to it once the charter is accepted.
    service: String,
    /// Or a local path to go on to (an OpenID Connect sign-in).
    next: String,
}

#[derive(Deserialize)]
struct CharterQuery {
    #[serde(default)]
    service: String,
    #[serde(default)]
    next: String,
}

async fn charter_form(State(state): State<AppState>, authed: Authed, Query(q): Query<CharterQuery>) -> Response {
    let text = charter_text(&state, authed.lang).await;
    render(&CharterPage {
        tr: Tr(authed.lang),
        user: Some(String::new()),
        csrf: authed.session.csrf.to_string(),
        text,
        service: q.service,
        next: local_path(&q.next).unwrap_or_default().to_owned(),
    })
}

#[derive(Deserialize)]
struct CharterForm {
    csrf: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    next: String,
}

/// Accepts the charter; goes on to the CAS sign-in that was interrupted (which refuses a service
/// no connector registers), else to the portal.
async fn charter_accept(State(state): State<AppState>, authed: Authed, Form(f): Form<CharterForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    state.accounts.accept_charter(&authed.session).await.map_err(|e| authed.fail(e))?;
    if f.service.is_empty() {
        return Ok(Redirect::to(local_path(&f.next).unwrap_or("/portal")).into_response());
    }
    Ok(Redirect::to(&format!("/cas/login?service={}", crate::cas::query_escape(&f.service))).into_response())
}

#[derive(Deserialize)]
struct LangForm {
    to: String,
    #[serde(default)]
    csrf: String,
}

/// Switches the language; remembered in a cookie, and on the account when logged in.
async fn set_lang(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<LangForm>) -> Response {
    let lang = Lang::parse(&f.to);
    if let Some(session) = state.session_of(&headers).await
        && session.csrf.matches(&f.csrf)
    {
        let _ = preau_identity::IdentityStore::set_lang(&*state.store, session.person, lang.code()).await;
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax", lang.code());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}
