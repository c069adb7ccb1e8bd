//! My account: my open sessions with "log out elsewhere", changing my password, and my second
//! factor (turn it on, renew the recovery codes, turn it off where it is not required).

use super::CsrfForm;
use super::{fmt_time, render};
use crate::auth::Authed;
use crate::error::{PageError, message};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::Error;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/sessions/close-others", post(close_others))
        .route("/account/password", post(change_password))
        .route("/account/mfa/codes", post(renew_codes))
        .route("/account/mfa/disable", post(disable_mfa))
        .route("/account/app-passwords", post(create_app_password))
        .route("/account/app-passwords/{id}/revoke", post(revoke_app_password))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    login: String,
    /// (opened, last seen, from, is this one)
    sessions: Vec<(String, String, String, bool)>,
    notice: Option<String>,
    error: Option<String>,
    mfa: preau_identity::mfa::MfaStatus,
    /// (id, label, created)
    app_passwords: Vec<(String, String, String)>,
    /// A password just made, shown this once.
    new_secret: Option<String>,
    /// The address to mount one's documents from.
    dav_url: String,
}

async fn page(state: &AppState, authed: &Authed, notice: Option<String>, error: Option<String>) -> Result<Response, PageError> {
    page_with(state, authed, notice, error, None).await
}

async fn page_with(
    state: &AppState,
    authed: &Authed,
    notice: Option<String>,
    error: Option<String>,
    new_secret: Option<String>,
) -> Result<Response, PageError> {
    let person = preau_directory::DirectoryStore::person(&*state.store, authed.session.person).await.map_err(|e| authed.fail(e))?;
    let now = state.clock.now();
    let current = authed.session.digest.to_string();
    let sessions = preau_identity::IdentityStore::sessions_of(&*state.store, authed.session.person)
        .await
        .map_err(|e| authed.fail(e))?
        .into_iter()
        .filter(|s| preau_identity::sessions::SessionKey::from_b64(&s.digest).is_some_and(|k| state.accounts.sessions.is_open(&k, now)))
        .map(|s| (fmt_time(s.created_at), fmt_time(s.last_seen), format!("{} – {}", s.address, s.user_agent), s.digest == current))
        .collect();
    let mfa = state.accounts.mfa_status(&authed.session).await.map_err(|e| authed.fail(e))?;
    let app_passwords = state.accounts.app_passwords(&authed.principal).await.map_err(|e| authed.fail(e))?;
    Ok(render(&AccountPage {
        app_passwords: app_passwords.into_iter().map(|p| (p.id, p.label, fmt_time(p.created_at))).collect(),
        new_secret,
        dav_url: format!("{}/dav/", state.config.base_url),
        tr: Tr(authed.lang),
        user: Some(person.display_name()),
        csrf: authed.session.csrf.to_string(),
        login: person.login,
        sessions,
        notice,
        error,
        mfa,
    }))
}

async fn account(State(state): State<AppState>, authed: Authed) -> Result<Response, PageError> {
    page(&state, &authed, None, None).await
}

async fn close_others(State(state): State<AppState>, authed: Authed, Form(f): Form<CsrfForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    state.accounts.sessions.close_all_of(&*state.store, authed.session.person, Some(&authed.session.digest)).await.map_err(|e| authed.fail(e))?;
    page(&state, &authed, Some(authed.lang.t("sessions.closed")), None).await
}

#[derive(Deserialize)]
struct PasswordForm {
    csrf: String,
    current: String,
    password: String,
    confirm: String,
}

async fn change_password(State(state): State<AppState>, authed: Authed, Form(f): Form<PasswordForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    match state.accounts.change_password(&authed.session, &f.current, &f.password, &f.confirm).await {
        Ok(()) => page(&state, &authed, Some(authed.lang.t("password.changed")), None).await,
        Err(e @ (Error::Invalid(_) | Error::Unauthenticated(_))) => {
            let mut r = page(&state, &authed, None, Some(message(&e, authed.lang))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(authed.fail(e)),
    }
}

#[derive(Deserialize)]
struct MfaForm {
    csrf: String,
    code: String,
}

async fn mfa_failure(state: &AppState, authed: &Authed, e: Error) -> Result<Response, PageError> {
    match e {
        Error::Invalid(_) => {
            let mut r = page(state, authed, None, Some(message(&e, authed.lang))).await?;
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        e => Err(authed.fail(e)),
    }
}

async fn renew_codes(State(state): State<AppState>, authed: Authed, Form(f): Form<MfaForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    match state.accounts.renew_recovery_codes(&authed.session, &f.code).await {
        Ok(codes) => Ok(render(&super::mfa::Codes {
            tr: Tr(authed.lang),
            user: Some(String::new()),
            csrf: authed.session.csrf.to_string(),
            codes,
            next: "/account".into(),
        })),
        Err(e) => mfa_failure(&state, &authed, e).await,
    }
}

async fn disable_mfa(State(state): State<AppState>, authed: Authed, Form(f): Form<MfaForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    match state.accounts.disable_mfa(&authed.session, &f.code).await {
        Ok(()) => page(&state, &authed, Some(authed.lang.t("mfa.disabled")), None).await,
        Err(e) => mfa_failure(&state, &authed, e).await,
    }
}

#[derive(Deserialize)]
struct AppPasswordForm {
    csrf: String,
    label: String,
}

/// Makes an application password and shows it, once.
async fn create_app_password(State(state): State<AppState>, authed: Authed, Form(f): Form<AppPasswordForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    match state.accounts.create_app_password(&authed.principal, &f.label).await {
        Ok((_, secret)) => page_with(&state, &authed, Some(authed.lang.t("app_password.created")), None, Some(secret)).await,
        Err(e @ Error::Invalid(_)) => page(&state, &authed, None, Some(message(&e, authed.lang))).await,
        Err(e) => Err(authed.fail(e)),
    }
}

async fn revoke_app_password(
    State(state): State<AppState>,
    authed: Authed,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    state.accounts.revoke_app_password(&authed.principal, &id).await.map_err(|e| authed.fail(e))?;
    page(&state, &authed, Some(authed.lang.t("app_password.revoked")), None).await
}
