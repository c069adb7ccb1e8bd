//! The HTML pages: the territory landing with the login form, activation, forgotten password,
//! charter, the portal, my account, the public page of each structure, and the admin console.

mod account;
pub mod admin;
pub mod connectors;
pub mod duplicates;
pub mod imports;
pub(crate) mod login;
pub mod login_settings;
pub mod mfa;
mod portal;
mod public;
pub mod scim_sources;

pub use login::ClientOrigin;
pub(crate) use login::{cas_login_page, landing_with_error, landing_with_notice, login_then, opened};

use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(login::routes())
        .merge(portal::routes())
        .merge(account::routes())
        .merge(public::routes())
        .merge(admin::routes())
        .merge(imports::routes())
        .merge(scim_sources::routes())
        .merge(connectors::routes())
        .merge(duplicates::routes())
        .merge(mfa::routes())
        .merge(login_settings::routes())
        .route("/assets/style.css", get(style))
        .route("/assets/progress.js", get(progress_script))
        .route("/assets/live.js", get(live_script))
        .route("/assets/editor.js", get(editor_script))
}

async fn progress_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../../assets/progress.js"))
        .into_response()
}

async fn live_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../../assets/live.js"))
        .into_response()
}

async fn editor_script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../../assets/editor.js"))
        .into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], include_str!("../../assets/style.css"))
        .into_response()
}

/// A form that carries nothing but the session's CSRF token (buttons that act on the URL).
#[derive(serde::Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// The value of a field of a posted form read as pairs (repeated fields stay readable
/// through the pairs themselves); empty when absent.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
}

/// The values of a field repeated in a form (`name`), each read as a `T`: one that cannot be
/// read (a stale or altered form) is refused with `code`, never dropped.
pub fn ticked<T: std::str::FromStr>(pairs: &[(String, String)], name: &str, code: &str) -> preau_core::Result<Vec<T>> {
    pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.parse().map_err(|_| preau_core::Error::invalid(name, code))).collect()
}

/// The profiles ticked in a form (`name` repeated): an unknown code is refused, so that a rule
/// is not silently widened.
pub fn profiles_ticked(pairs: &[(String, String)], name: &str) -> preau_core::Result<Vec<preau_core::Profile>> {
    ticked(pairs, name, "profile.unknown")
}

/// A field that may be left empty (`None`); a value that cannot be read as a `T` (a stale or
/// altered form) is refused, never read as empty.
pub fn optional<T: std::str::FromStr>(pairs: &[(String, String)], name: &str) -> preau_core::Result<Option<T>> {
    match field(pairs, name).trim() {
        "" => Ok(None),
        value => value.parse().map(Some).map_err(|_| preau_core::Error::invalid(name, "form.invalid")),
    }
}

/// Renders a template; a rendering failure is an internal error page, never a panic.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::error::PageError::new(preau_core::Error::internal(e), crate::i18n::Lang::Fr).into_response(),
    }
}

/// One input of a simple form page.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub required: bool,
}

/// A size as people read it in French: "840 o", "12 Ko", "3,4 Mo".
pub fn fmt_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} o"),
        b if b < 1024 * 1024 => format!("{} Ko", (b + 1023) / 1024),
        b => format!("{:.1} Mo", b as f64 / (1024.0 * 1024.0)).replace('.', ","),
    }
}

/// A moment as people read it in France: Paris time, day first.
pub fn fmt_time(ts: i64) -> String {
    let local = preau_core::local_time::to_paris(ts);
    chrono::DateTime::from_timestamp(local, 0).map(|d| d.format("%d/%m/%Y %H:%M").to_string()).unwrap_or_default()
}
