//! Public links on the web: made and revoked on a file's page or through the API, and opened
//! by anyone at `/p/<token>` — a page naming the file with its download (behind the password
//! when there is one). The token is shown once; only its digest is kept.

use crate::auth::{ApiCaller, Authed};
use crate::error::{ApiError, PageError, message};
use crate::i18n::{Lang, Tr};
use crate::pages::{fmt_size, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use preau_core::{DocumentId, Error, Result};
use preau_identity::secrets;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/documents/nodes/{id}/links", get(list_api).post(create_api))
        .route("/api/v1/documents/nodes/{id}/links/{link}", delete(revoke_api))
        .route("/documents/nodes/{id}/links", post(create_page))
        .route("/documents/nodes/{id}/links/{link}/revoke", post(revoke_page))
        .route("/p/{token}", get(public_page).post(unlock))
        .route("/p/{token}/download", get(public_download).post(public_download_with_password))
        .route("/p/{token}/files/{id}", get(public_file))
        .route("/p/{token}/zip", get(public_zip))
}

#[derive(Deserialize)]
struct NewLink {
    days: i64,
    #[serde(default)]
    password: String,
}

/// Makes a link; returns it with its address (the only time the token is seen).
async fn make(state: &AppState, caller: &preau_core::Principal, id: DocumentId, l: &NewLink) -> Result<(preau_documents::links::Link, String)> {
    let token = secrets::token(&*state.rng);
    let password = l.password.trim();
    let hash = async || if password.is_empty() { Ok(None) } else { state.accounts.hasher.hash(password).await.map(Some) };
    let link = state.documents.create_link(caller, id, l.days, secrets::digest(&token), hash).await?;
    Ok((link, format!("{}/p/{token}", state.config.base_url)))
}

async fn create_api(
    State(state): State<AppState>,
    c: ApiCaller,
    Path(id): Path<DocumentId>,
    Json(l): Json<NewLink>,
) -> std::result::Result<Response, ApiError> {
    let (link, url) = make(&state, &c.principal, id, &l).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"link": link, "url": url}))).into_response())
}

async fn list_api(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> std::result::Result<Response, ApiError> {
    Ok(Json(state.documents.links(&c.principal, id).await?).into_response())
}

async fn revoke_api(State(state): State<AppState>, c: ApiCaller, Path((id, link)): Path<(DocumentId, String)>) -> std::result::Result<Response, ApiError> {
    state.documents.revoke_link(&c.principal, id, &link).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct LinkForm {
    csrf: String,
    days: i64,
    #[serde(default)]
    password: String,
}

async fn create_page(
    State(state): State<AppState>,
    a: Authed,
    Path(id): Path<DocumentId>,
    Form(f): Form<LinkForm>,
) -> std::result::Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    match make(&state, &a.principal, id, &NewLink { days: f.days, password: f.password }).await {
        Ok((_, url)) => Ok(Redirect::to(&format!("/documents/nodes/{id}?done=link&url={}", preau_core::text::url_escape(&url))).into_response()),
        Err(e) => match super::pages::code_of(&e) {
            Some(code) => Ok(Redirect::to(&format!("/documents/nodes/{id}?error={code}")).into_response()),
            None => Err(a.fail(e)),
        },
    }
}

async fn revoke_page(
    State(state): State<AppState>,
    a: Authed,
    Path((id, link)): Path<(DocumentId, String)>,
    Form(f): Form<crate::pages::CsrfForm>,
) -> std::result::Result<Response, PageError> {
    a.check_csrf(&f.csrf)?;
    state.documents.revoke_link(&a.principal, id, &link).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to(&format!("/documents/nodes/{id}?done=link_revoked")).into_response())
}

#[derive(Template)]
#[template(path = "public_link.html")]
struct PublicPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    token: String,
    name: String,
    size: String,
    until: String,
    protected: bool,
    error: Option<String>,
    /// A folder's link: its files (href, path, size), shown once unlocked.
    folder: bool,
    unlocked: bool,
    files: Vec<(String, String, String)>,
}

impl PublicPage {
    fn of(lang: Lang, token: String, link: &preau_documents::links::StoredLink, node: preau_documents::Node, error: Option<String>) -> PublicPage {
        PublicPage {
            tr: Tr(lang),
            user: None,
            csrf: String::new(),
            token,
            name: node.name,
            size: fmt_size(node.size),
            until: fmt_time(link.link.expires_at),
            protected: link.link.protected,
            error,
            folder: false,
            unlocked: false,
            files: vec![],
        }
    }
}

/// The cookie that says a folder's link was unlocked with its password in this browser: a
/// digest of the token and the password's hash, which only the server can make.
fn unlock_proof(token: &str, link: &preau_documents::links::StoredLink) -> Option<String> {
    link.password_hash.as_ref().map(|h| secrets::digest(&format!("{token}|{h}")))
}

/// Whether this request may see a link's node: it has no password, or the browser unlocked it.
fn unlocked(headers: &HeaderMap, token: &str, link: &preau_documents::links::StoredLink) -> bool {
    match unlock_proof(token, link) {
        None => true,
        Some(proof) => crate::auth::cookie(headers, "preau_link") == Some(proof.as_str()),
    }
}

async fn public_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> std::result::Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let (link, node) = state.documents.open_link(&secrets::digest(&token)).await.map_err(|e| PageError::new(e, lang))?;
    let is_folder = node.folder;
    let open = unlocked(&headers, &token, &link);
    let files = if is_folder && open {
        state
            .documents
            .link_files(&node)
            .await
            .map_err(|e| PageError::new(e, lang))?
            .into_iter()
            .map(|(path, n)| (format!("/p/{token}/files/{}", n.id), path, fmt_size(n.size)))
            .collect()
    } else {
        vec![]
    };
    Ok(render(&PublicPage { folder: is_folder, unlocked: open, files, ..PublicPage::of(lang, token, &link, node, None) }))
}

/// A folder link's password: right, the browser is given the proof and goes back to the list.
async fn unlock(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> std::result::Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let (link, node) = state.documents.open_link(&secrets::digest(&token)).await.map_err(|e| PageError::new(e, lang))?;
    let Some(hash) = link.password_hash.clone() else { return Ok(Redirect::to(&format!("/p/{token}")).into_response()) };
    if !state.accounts.hasher.verify(Some(hash), &f.password).await.map_err(|e| PageError::new(e, lang))? {
        let error = Some(message(&Error::invalid("password", "document.link_password"), lang));
        let mut r = render(&PublicPage { folder: node.folder, ..PublicPage::of(lang, token, &link, node, error) });
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    }
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let cookie = format!("preau_link={}; Path=/p/{token}; HttpOnly; SameSite=Lax{secure}", unlock_proof(&token, &link).unwrap_or_default());
    let mut r = Redirect::to(&format!("/p/{token}")).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(axum::http::header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The folder a link opens, for a request allowed to see it.
async fn open_folder(state: &AppState, headers: &HeaderMap, token: &str) -> Result<preau_documents::Node> {
    let (link, node) = state.documents.open_link(&secrets::digest(token)).await?;
    if !node.folder || !unlocked(headers, token, &link) {
        return Err(Error::NotFound);
    }
    Ok(node)
}

async fn public_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, id)): Path<(String, DocumentId)>,
) -> std::result::Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let served = async {
        let folder = open_folder(&state, &headers, &token).await?;
        let file = state.documents.link_file(&folder, id).await?;
        super::serve_node(&state, &headers, &file, false).await
    };
    served.await.map_err(|e| PageError::new(e, lang))
}

async fn public_zip(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> std::result::Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let served = async {
        let folder = open_folder(&state, &headers, &token).await?;
        let files = state.documents.link_files(&folder).await?;
        Ok::<_, Error>(super::zip_response(&state, &folder.name, files))
    };
    served.await.map_err(|e| PageError::new(e, lang))
}

async fn public_download(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> std::result::Result<Response, PageError> {
    let lang = crate::auth::lang_of(&headers);
    let (link, node) = state.documents.open_link(&secrets::digest(&token)).await.map_err(|e| PageError::new(e, lang))?;
    if link.password_hash.is_some() || node.folder {
        return Ok(Redirect::to(&format!("/p/{token}")).into_response());
    }
    super::serve_node(&state, &headers, &node, false).await.map_err(|e| PageError::new(e, lang))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn public_download_with_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<PasswordForm>,
) -> std::result::Result<Response, PageError> {
    let lang: Lang = crate::auth::lang_of(&headers);
    let (link, node) = state.documents.open_link(&secrets::digest(&token)).await.map_err(|e| PageError::new(e, lang))?;
    let ok = match link.password_hash.clone() {
        Some(hash) => state.accounts.hasher.verify(Some(hash), &f.password).await.map_err(|e| PageError::new(e, lang))?,
        None => true,
    };
    if !ok {
        let error = Some(message(&Error::invalid("password", "document.link_password"), lang));
        let mut r = render(&PublicPage::of(lang, token, &link, node, error));
        *r.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(r);
    }
    super::serve_node(&state, &headers, &node, false).await.map_err(|e| PageError::new(e, lang))
}
