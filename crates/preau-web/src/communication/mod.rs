//! Communication on the web: the structure's rules (console and API), the recipient picker, and
//! messaging (pages and API).

pub mod api;
pub mod attachments;
pub mod live;
pub mod moderation_page;
pub mod news_pages;
pub mod notifications_page;
pub mod pages;
pub mod rules_page;

use crate::auth::Authed;
use crate::error::PageError;
use crate::state::AppState;
use axum::Router;

/// The logged-in person's name, for the header of every page.
pub(crate) async fn user_name(state: &AppState, a: &Authed) -> Result<String, PageError> {
    Ok(preau_directory::DirectoryStore::person(&*state.store, a.session.person).await.map_err(|e| a.fail(e))?.display_name())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(attachments::routes())
        .merge(pages::routes())
        .merge(rules_page::routes())
        .merge(notifications_page::routes())
        .merge(news_pages::routes())
        .merge(moderation_page::routes())
}
