//! Communication on the web: the structure's rules (console and API), the recipient picker, and
//! messaging (pages and API).

pub mod api;
pub mod live;
pub mod moderation_page;
pub mod news_pages;
pub mod notifications_page;
pub mod pages;
pub mod rules_page;

use crate::state::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(rules_page::routes())
        .merge(notifications_page::routes())
        .merge(news_pages::routes())
        .merge(moderation_page::routes())
}
