//! The portal: the bouquet of the structure and profile the person acts in, favourites, the
//! structure/profile switcher, the child picker of parents, and the notifications area.

use super::render;
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_core::{Error, Profile, StructureId};
use preau_directory::portal::PortalView;
use serde::Deserialize;
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(portal))
        .route("/portal/switch", post(switch))
        .route("/portal/child", post(pick_child))
        .route("/portal/favourite", post(toggle_favourite))
        .route("/launch/{service}", get(launch))
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    view: Arc<PortalView>,
    /// Messages waiting unread.
    unread: i64,
    /// Whether they moderate some structure (a link to the reports).
    moderator: bool,
}

impl PortalPage {
    fn is_favourite(&self, id: &preau_core::ServiceId) -> bool {
        self.view.favourites.iter().any(|f| f.id == *id)
    }
}

async fn portal(State(state): State<AppState>, authed: Authed) -> Result<Response, PageError> {
    let view = state.portal(&authed.principal, authed.session.acting).await.map_err(|e| authed.fail(e))?;
    let unread = state.communication.unread(&authed.principal).await.map_err(|e| authed.fail(e))?;
    let moderator = state.communication.may_moderate(&authed.principal);
    Ok(render(&PortalPage { tr: Tr(authed.lang), user: Some(view.person.display_name()), csrf: authed.session.csrf.to_string(), view, unread, moderator }))
}

/// A tile of an outside service: the launch is checked and counted, then the browser goes there.
async fn launch(
    State(state): State<AppState>,
    authed: Authed,
    axum::extract::Path(service): axum::extract::Path<preau_core::ServiceId>,
) -> Result<Response, PageError> {
    let url = state.sso.launch(&authed.principal, service, authed.session.acting).await.map_err(|e| authed.fail(e))?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Deserialize)]
struct SwitchForm {
    csrf: String,
    context: String,
}

/// Parses `structure-id:PROFILE` as sent by the switcher.
pub fn parse_context(s: &str) -> Option<(StructureId, Profile)> {
    let (st, p) = s.split_once(':')?;
    Some((st.parse().ok()?, p.parse().ok()?))
}

async fn switch(State(state): State<AppState>, authed: Authed, Form(f): Form<SwitchForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    let wanted = parse_context(&f.context).ok_or(Error::invalid("context", "profile.unknown")).map_err(|e| authed.fail(e))?;
    if !authed.principal.memberships.contains(&wanted) {
        return Err(authed.fail(Error::Forbidden));
    }
    state.accounts.sessions.update(&authed.session.digest, |s| s.acting = Some(wanted));
    Ok(Redirect::to("/portal").into_response())
}

#[derive(Deserialize)]
struct ChildForm {
    csrf: String,
    child: preau_core::PersonId,
}

/// The child picker: acts as the parent in the chosen child's school.
async fn pick_child(State(state): State<AppState>, authed: Authed, Form(f): Form<ChildForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    let context = state.directory.context_for_child(&authed.principal, f.child).await.map_err(|e| authed.fail(e))?;
    state.accounts.sessions.update(&authed.session.digest, |s| s.acting = Some(context));
    Ok(Redirect::to("/portal").into_response())
}

#[derive(Deserialize)]
struct FavouriteForm {
    csrf: String,
    service: preau_core::ServiceId,
}

async fn toggle_favourite(State(state): State<AppState>, authed: Authed, Form(f): Form<FavouriteForm>) -> Result<Response, PageError> {
    authed.check_csrf(&f.csrf)?;
    state.directory.toggle_favourite(&authed.principal, f.service).await.map_err(|e| authed.fail(e))?;
    Ok(Redirect::to("/portal").into_response())
}
