//! SCIM provisioning sources in the console: a territory admin registers a source for some
//! structures (its token is shown once), sees the sources and revokes one.

use super::CsrfForm;
use super::render;
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use preau_feeds::scim::ScimSource;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/scim", get(list).post(create)).route("/admin/scim/{id}/revoke", post(revoke))
}

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "admin/scim.html")]
struct ScimPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    endpoint: String,
    /// (source, its structures' UAIs)
    sources: Vec<(ScimSource, String)>,
    new_token: Option<String>,
    error: Option<String>,
}

async fn page(state: &AppState, a: &Authed, new_token: Option<String>, error: Option<String>) -> PageResult {
    let mut sources = vec![];
    for s in state.scim.sources(&a.principal).await.map_err(|e| a.fail(e))? {
        let uais: Vec<String> = state.scim.scope(&s).await.map_err(|e| a.fail(e))?.into_iter().map(|(_, uai)| uai).collect();
        sources.push((s, uais.join(", ")));
    }
    let endpoint = format!("{}/scim/v2", state.accounts.base_url.trim_end_matches('/'));
    Ok(render(&ScimPage { tr: Tr(a.lang), user: Some(a.principal.label()), csrf: a.session.csrf.to_string(), endpoint, sources, new_token, error }))
}

async fn list(State(state): State<AppState>, a: Authed) -> PageResult {
    page(&state, &a, None, None).await
}

#[derive(Deserialize)]
struct SourceForm {
    csrf: String,
    name: String,
    uais: String,
}

async fn create(State(state): State<AppState>, a: Authed, Form(f): Form<SourceForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let uais: Vec<String> = f.uais.split([',', ' ', ';']).map(str::to_owned).collect();
    match state.scim.create_source(&a.principal, &f.name, &uais).await {
        Ok((_, token)) => page(&state, &a, Some(token), None).await,
        Err(preau_core::Error::Invalid(fields)) => {
            let msg = crate::error::message(&preau_core::Error::Invalid(fields), a.lang);
            page(&state, &a, None, Some(msg)).await
        }
        Err(e) => Err(a.fail(e)),
    }
}

async fn revoke(State(state): State<AppState>, a: Authed, Path(id): Path<String>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.scim.revoke_source(&a.principal, &id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/scim").into_response())
}
