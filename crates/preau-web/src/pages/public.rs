//! The public page of each structure at `/s/<uai>`: name, address, contact.

use super::render;
use crate::auth::lang_of;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use preau_directory::Structure;

pub fn routes() -> Router<AppState> {
    Router::new().route("/s/{uai}", get(public_structure))
}

#[derive(Template)]
#[template(path = "public_structure.html")]
struct PublicPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    s: Structure,
    kind_key: String,
    /// (id, title, date, body) of its public news.
    news: Vec<(String, String, String, String)>,
}

async fn public_structure(State(state): State<AppState>, headers: HeaderMap, Path(uai): Path<String>) -> Result<Response, PageError> {
    let lang = lang_of(&headers);
    let s = state.directory.public_structure(&uai).await.map_err(|e| PageError::new(e, lang))?;
    let kind_key = format!("kind.{}", s.kind.code());
    let news = state
        .communication
        .public_news(s.id)
        .await
        .map_err(|e| PageError::new(e, lang))?
        .into_iter()
        .map(|n| (n.id.to_string(), n.title, super::fmt_time(n.published_at.unwrap_or(n.created_at)), n.body))
        .collect();
    Ok(render(&PublicPage { tr: Tr(lang), user: None, csrf: String::new(), s, kind_key, news }))
}
