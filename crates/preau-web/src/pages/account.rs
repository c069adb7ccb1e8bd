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
}

async fn page(state: &AppState, authed: &Authed, notice: Option<String>, error: Option<String>) -> Result<Response, PageError> {
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
    Ok(render(&AccountPage {
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
