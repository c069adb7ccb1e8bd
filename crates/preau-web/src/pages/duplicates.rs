//! Probable duplicates in the console: a territory admin sees each pair (an account created by
//! hand and one created by a feed, same names and birth date) and merges it or says they are
//! two people.

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
use preau_core::PersonId;
use preau_feeds::duplicates::{self, Duplicate};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/duplicates", get(list)).route("/admin/duplicates/{manual}/{fed}/{decision}", post(decide))
}

#[derive(Template)]
#[template(path = "admin/duplicates.html")]
struct DuplicatesPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    pairs: Vec<Duplicate>,
}

async fn list(State(state): State<AppState>, a: Authed) -> Result<Response, PageError> {
    let pairs = duplicates::probable_duplicates(&*state.store, &a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&DuplicatesPage { tr: Tr(a.lang), user: Some(a.principal.label()), csrf: a.session.csrf.to_string(), pairs }))
}

async fn decide(
    State(state): State<AppState>,
    a: Authed,
    Path((manual, fed, decision)): Path<(PersonId, PersonId, String)>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    let now = state.clock.now();
    let result = match decision.as_str() {
        "merge" => duplicates::merge(&*state.store, &a.principal, manual, fed, now).await,
        "reject" => duplicates::reject(&*state.store, &a.principal, manual, fed, now).await,
        _ => Err(preau_core::Error::NotFound),
    };
    result.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/admin/duplicates").into_response())
}
