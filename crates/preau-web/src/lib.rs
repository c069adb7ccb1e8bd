//! The only crate of Préau that knows HTTP, HTML and JSON.
//!
//! Handlers are thin: they extract the caller and the input, call one domain operation, and
//! render a page or serialize JSON. Pages (`pages`) and the JSON API (`api`) call the same
//! operations. Domain errors become HTTP responses in one place ([`error`]).

pub mod api;
pub mod auth;
pub mod cas;
pub mod communication;
pub mod documents;
pub mod error;
pub mod federation;
pub mod i18n;
pub mod mail;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod saml;
pub mod scim;
pub mod slo;
pub mod state;
pub mod timetable;

pub use state::{AppState, WebConfig};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::limit::RequestBodyLimitLayer;

/// Largest request body accepted anywhere (forms and JSON): 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Largest upload of directory-feed files: 4 GiB, streamed to disk.
pub const UPLOAD_LIMIT: usize = 4 * 1024 * 1024 * 1024;
/// The largest body of an upload of attachments (one file through the API, or the compose
/// form with its files): a message's 25 MiB with room for its text. Within it, the limits of
/// attachments answer with their own clear reasons.
pub const ATTACHMENTS_LIMIT: usize = 30 * 1024 * 1024;

/// The whole application: pages, API, operations endpoints, static assets.
pub fn router(state: AppState) -> Router {
    let limited = Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(scim::routes())
        .merge(cas::routes())
        .merge(oidc::routes())
        .merge(saml::routes())
        .merge(federation::routes())
        .merge(communication::routes())
        .merge(documents::routes())
        .merge(timetable::routes())
        .merge(ops::routes())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    let uploads = pages::imports::upload_routes().layer(RequestBodyLimitLayer::new(UPLOAD_LIMIT));
    let attachments = communication::attachments::upload_routes().layer(RequestBodyLimitLayer::new(ATTACHMENTS_LIMIT));
    let documents = documents::upload_routes().layer(RequestBodyLimitLayer::new(documents::UPLOAD_LIMIT));
    Router::new()
        .merge(limited)
        .merge(uploads)
        .merge(attachments)
        .merge(documents)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::observe))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}
