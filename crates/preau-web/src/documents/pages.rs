//! The documents pages: a space's folder with its files (upload, new folder), a file or
//! folder's own page (download, preview, versions, rename, delete, shares), what others shared
//! with me, and the trash. Every action posts a form and calls one domain operation.

use super::api::space_of;
use crate::auth::Authed;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::pages::{CsrfForm, fmt_size, fmt_time, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use preau_communication::Target;
use preau_core::{DocumentId, Error};
use preau_documents::access::Place;
use preau_documents::{Level, Node, Space};
use serde::Deserialize;
use std::collections::HashMap;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/documents", get(home))
        .route("/documents/spaces/{space}", get(folder_page))
        .route("/documents/spaces/{space}/folders", post(create_folder))
        .route("/documents/nodes/{id}", get(node_page))
        .route("/documents/nodes/{id}/download", get(download))
        .route("/documents/nodes/{id}/zip", get(download_zip))
        .route("/documents/nodes/{id}/thumbnail", get(thumbnail))
        .route("/documents/nodes/{id}/versions/{version}", get(download_version))
        .route("/documents/nodes/{id}/rename", post(rename))
        .route("/documents/nodes/{id}/delete", post(delete))
        .route("/documents/nodes/{id}/move", post(move_node))
        .route("/documents/nodes/{id}/copy", post(copy_node))
        .route("/documents/nodes/{id}/share", post(share))
        .route("/documents/nodes/{id}/revoke", post(revoke))
        .route("/documents/shared", get(shared_page))
        .route("/documents/trash", get(trash_page))
        .route("/documents/trash/{id}/restore", post(restore))
        .route("/documents/trash/{id}/destroy", post(destroy))
}

/// The form that takes files, under the documents' body limit.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/documents/spaces/{space}/upload", post(upload))
}

/// A link of the documents' side menu.
struct SpaceLink {
    href: String,
    label: String,
    current: bool,
}

/// What every documents page shows around its content.
struct Frame {
    spaces: Vec<SpaceLink>,
    usage: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn frame(state: &AppState, a: &Authed, current: &str, q: &HashMap<String, String>) -> Result<Frame, PageError> {
    let tr = Tr(a.lang);
    let mut spaces = vec![];
    for s in state.documents.spaces(&a.principal).await.map_err(|e| a.fail(e))? {
        let href = format!("/documents/spaces/{}", s.space.code());
        let label = if s.name.is_empty() { tr.t("documents.mine") } else { s.name };
        spaces.push(SpaceLink { current: href == current, href, label });
    }
    for (href, key) in [("/documents/shared", "documents.shared"), ("/documents/trash", "documents.trash")] {
        spaces.push(SpaceLink { href: href.into(), label: tr.t(key), current: href == current });
    }
    let u = state.documents.my_usage(&a.principal).await.map_err(|e| a.fail(e))?;
    let done = |k: &str| q.get(k).map(|d| d.chars().filter(|c| c.is_ascii_alphabetic() || *c == '_').collect::<String>());
    Ok(Frame {
        spaces,
        usage: format!("{} / {}", fmt_size(u.used), fmt_size(u.quota)),
        notice: done("done").map(|d| tr.t(&format!("documents.done.{d}"))),
        error: done("error").map(|d| tr.t(&format!("document.{d}"))),
    })
}

/// A node as a row of a folder.
struct Row {
    id: String,
    name: String,
    folder: bool,
    size: String,
    modified: String,
    /// Where its name leads: a folder's contents, a file's page.
    href: String,
    /// An image with a thumbnail.
    image: bool,
}

fn row(n: &Node) -> Row {
    let href = if n.folder { format!("/documents/spaces/{}?folder={}", n.space.code(), n.id) } else { format!("/documents/nodes/{}", n.id) };
    Row {
        id: n.id.to_string(),
        name: n.name.clone(),
        folder: n.folder,
        size: if n.folder { String::new() } else { fmt_size(n.size) },
        modified: fmt_time(n.modified_at),
        href,
        image: super::thumbnails::thumbnailable(n),
    }
}

async fn home(a: Authed) -> PageResult {
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    Ok(Redirect::to(&format!("/documents/spaces/{}", Space::Personal { person: me }.code())).into_response())
}

#[derive(Template)]
#[template(path = "documents.html")]
struct FolderPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    f: Frame,
    title: String,
    space: String,
    folder: String,
    /// (href, name) from the top of the space.
    trail: Vec<(String, String)>,
    can_add: bool,
    rows: Vec<Row>,
    /// What the school's shared spaces hold, for those who manage the school's space.
    school_usage: Option<String>,
}

async fn folder_page(State(state): State<AppState>, a: Authed, Path(space): Path<String>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let place = Place { space: space_of(&space).map_err(|e| a.fail(e))?, folder: q.get("folder").and_then(|f| f.parse().ok()) };
    let listing = state.documents.list(&a.principal, place).await.map_err(|e| a.fail(e))?;
    let base = format!("/documents/spaces/{space}");
    let f = frame(&state, &a, &base, &q).await?;
    let title = f.spaces.iter().find(|s| s.current).map(|s| s.label.clone()).unwrap_or_else(|| Tr(a.lang).t("documents.title"));
    let school_usage = match place.space {
        Space::Structure { structure } if listing.level == Level::Manage => {
            let u = state.documents.structure_usage(&a.principal, structure).await.map_err(|e| a.fail(e))?;
            Some(format!("{} / {}", fmt_size(u.used), fmt_size(u.quota)))
        }
        _ => None,
    };
    let mut trail = vec![(base.clone(), title.clone())];
    trail.extend(listing.trail.iter().map(|(id, name)| (format!("{base}?folder={id}"), name.clone())));
    Ok(render(&FolderPage {
        tr: Tr(a.lang),
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        f,
        title,
        space,
        folder: listing.folder.map(|f| f.to_string()).unwrap_or_default(),
        trail,
        can_add: listing.level >= Level::Contribute,
        rows: listing.items.iter().map(row).collect(),
        school_usage,
    }))
}

/// Back to a folder with a notice or an error.
fn back_to(space: &str, folder: &str, key: &str, value: &str) -> Response {
    let folder = if folder.is_empty() { String::new() } else { format!("folder={folder}&") };
    Redirect::to(&format!("/documents/spaces/{space}?{folder}{key}={value}")).into_response()
}

/// The code of an invalid-input error, for the page to say it (`document.over_quota` → `over_quota`).
pub(crate) fn code_of(e: &Error) -> Option<String> {
    match e {
        Error::Invalid(fields) => fields.first().map(|f| f.code.trim_start_matches("document.").to_owned()),
        _ => None,
    }
}

/// The upload form: `csrf` and `folder` first, then the files.
async fn upload(State(state): State<AppState>, a: Authed, Path(space): Path<String>, req: Request) -> PageResult {
    let s = space_of(&space).map_err(|e| a.fail(e))?;
    let mut form = Multipart::from_request(req, &state).await.map_err(|_| a.fail(Error::invalid("body", "form.invalid")))?;
    let (mut checked, mut folder, mut count) = (false, String::new(), 0);
    while let Some(field) = form.next_field().await.map_err(|_| a.fail(Error::invalid("file", "document.interrupted")))? {
        let name = field.name().unwrap_or("").to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file) if name == "files" => {
                if !checked {
                    return Err(a.fail(Error::Forbidden));
                }
                if file.is_empty() {
                    continue;
                }
                let place = Place { space: s, folder: folder.parse().ok() };
                match super::save(&state, &a.principal, place, &file, None, field).await {
                    Ok(_) => count += 1,
                    Err(e) => match code_of(&e) {
                        Some(code) => return Ok(back_to(&space, &folder, "error", &code)),
                        None => return Err(a.fail(e)),
                    },
                }
            }
            _ => {
                let value = field.text().await.map_err(|_| a.fail(Error::invalid("file", "document.interrupted")))?;
                match name.as_str() {
                    "csrf" => {
                        a.check_csrf(&value)?;
                        checked = true;
                    }
                    "folder" => folder = value,
                    _ => {}
                }
            }
        }
    }
    if !checked {
        return Err(a.fail(Error::Forbidden));
    }
    Ok(back_to(&space, &folder, "done", if count == 0 { "nothing" } else { "uploaded" }))
}

#[derive(Deserialize)]
struct FolderForm {
    csrf: String,
    #[serde(default)]
    folder: String,
    name: String,
}

async fn create_folder(State(state): State<AppState>, a: Authed, Path(space): Path<String>, Form(f): Form<FolderForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let place = Place { space: space_of(&space).map_err(|e| a.fail(e))?, folder: f.folder.parse().ok() };
    match state.documents.create_folder(&a.principal, place, &f.name).await {
        Ok(_) => Ok(back_to(&space, &f.folder, "done", "folder")),
        Err(e) => match code_of(&e) {
            Some(code) => Ok(back_to(&space, &f.folder, "error", &code)),
            None => Err(a.fail(e)),
        },
    }
}

#[derive(Template)]
#[template(path = "document.html")]
struct NodePage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    f: Frame,
    id: String,
    name: String,
    folder: bool,
    size: String,
    kind: String,
    version: i64,
    modified: String,
    /// Where it is: (href, label).
    up: (String, String),
    image: bool,
    pdf: bool,
    may_rename: bool,
    may_take: bool,
    manage: bool,
    /// (version, date, size, href)
    versions: Vec<(i64, String, String, String)>,
    /// (target code, name, level)
    shares: Vec<(String, String, String)>,
    search: String,
    /// (target code, name) the search found, to share with.
    found: Vec<(String, String)>,
    levels: Vec<(&'static str, String)>,
    /// Where it may be moved: (folder id, "" for the top of the space; path).
    destinations: Vec<(String, String)>,
    /// Public links may be made here.
    can_link: bool,
    /// (id, until, protected)
    links: Vec<(String, String, bool)>,
    /// The address of a link just made (shown this once).
    new_link: Option<String>,
}

async fn node_page(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let view = state.documents.node(&a.principal, id).await.map_err(|e| a.fail(e))?;
    let (node, tr) = (view.node, Tr(a.lang));
    let manage = view.level == Level::Manage;
    let versions = if node.folder { vec![] } else { state.documents.versions(&a.principal, id).await.map_err(|e| a.fail(e))? };
    let shares = if manage { state.documents.shares(&a.principal, id).await.map_err(|e| a.fail(e))? } else { vec![] };
    let search = q.get("q").cloned().unwrap_or_default();
    let found = if manage && !search.trim().is_empty() {
        let p = state.communication.picker(&a.principal, &search, 20).await.map_err(|e| a.fail(e))?;
        p.audiences.into_iter().chain(p.people).map(|n| (n.target.code(), n.name)).collect()
    } else {
        vec![]
    };
    let destinations = if view.may_take {
        let mut d = vec![(String::new(), tr.t("documents.top"))];
        d.extend(state.documents.destinations(&a.principal, id).await.map_err(|e| a.fail(e))?.into_iter().map(|(path, n)| (n.id.to_string(), path)));
        d
    } else {
        vec![]
    };
    let can_link = manage && state.documents.may_make_links(&a.principal).await.map_err(|e| a.fail(e))?;
    let links = if can_link { state.documents.links(&a.principal, id).await.map_err(|e| a.fail(e))? } else { vec![] };
    let space = node.space.code();
    let up = match node.parent {
        Some(p) => format!("/documents/spaces/{space}?folder={p}"),
        None => format!("/documents/spaces/{space}"),
    };
    Ok(render(&NodePage {
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        f: frame(&state, &a, "", &q).await?,
        id: id.to_string(),
        folder: node.folder,
        size: fmt_size(node.size),
        kind: node.content_type.clone(),
        version: node.version,
        modified: fmt_time(node.modified_at),
        up: (up, tr.t("documents.back")),
        image: node.content_type.starts_with("image/"),
        pdf: node.content_type == "application/pdf",
        may_rename: view.may_rename,
        may_take: view.may_take,
        manage,
        versions: versions
            .iter()
            .map(|v| (v.version, fmt_time(v.created_at), fmt_size(v.size), format!("/documents/nodes/{id}/versions/{}", v.version)))
            .collect(),
        shares: shares.iter().map(|s| (s.share.target.code(), s.name.clone(), tr.t(&format!("documents.level.{}", s.share.level.code())))).collect(),
        search,
        found,
        levels: Level::ALL.iter().map(|l| (l.code(), tr.t(&format!("documents.level.{}", l.code())))).collect(),
        destinations,
        can_link,
        links: links.iter().map(|l| (l.id.clone(), fmt_time(l.expires_at), l.protected)).collect(),
        new_link: q.get("url").filter(|u| u.starts_with(&state.config.base_url)).cloned(),
        name: node.name,
        tr,
    }))
}

async fn download(
    State(state): State<AppState>,
    a: Authed,
    Path(id): Path<DocumentId>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> PageResult {
    let node = state.documents.file(&a.principal, id).await.map_err(|e| a.fail(e))?;
    super::serve_node(&state, &headers, &node, q.contains_key("inline")).await.map_err(|e| a.fail(e))
}

async fn thumbnail(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, headers: HeaderMap) -> PageResult {
    let node = state.documents.file(&a.principal, id).await.map_err(|e| a.fail(e))?;
    super::thumbnails::serve_thumbnail(&state.blobs, &headers, &node).await.map_err(|e| a.fail(e))
}

async fn download_zip(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>) -> PageResult {
    super::serve_archive(&state, &a.principal, id).await.map_err(|e| a.fail(e))
}

async fn download_version(State(state): State<AppState>, a: Authed, Path((id, version)): Path<(DocumentId, i64)>, headers: HeaderMap) -> PageResult {
    let (node, v) = state.documents.version(&a.principal, id, version).await.map_err(|e| a.fail(e))?;
    super::serve_version(&state, &headers, &node, &v).await.map_err(|e| a.fail(e))
}

/// Back to a node's page with a notice or an error.
fn back_to_node(id: DocumentId, key: &str, value: &str) -> Response {
    Redirect::to(&format!("/documents/nodes/{id}?{key}={value}")).into_response()
}

/// What an operation on a node's page did: a notice, an error to show there, or a failure.
fn outcome(a: &Authed, id: DocumentId, done: &str, r: preau_core::Result<()>) -> PageResult {
    match r {
        Ok(()) => Ok(back_to_node(id, "done", done)),
        Err(e) => match code_of(&e) {
            Some(code) => Ok(back_to_node(id, "error", &code)),
            None => Err(a.fail(e)),
        },
    }
}

#[derive(Deserialize)]
struct NameForm {
    csrf: String,
    name: String,
}

async fn rename(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<NameForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    outcome(&a, id, "renamed", state.documents.rename(&a.principal, id, &f.name).await.map(|_| ()))
}

async fn delete(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let node = state.documents.delete(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(back_to(&node.space.code(), &node.parent.map(|p| p.to_string()).unwrap_or_default(), "done", "trashed"))
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: String,
    #[serde(default)]
    folder: String,
}

async fn move_node(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<MoveForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let to = Place { space: state.documents.node(&a.principal, id).await.map_err(|e| a.fail(e))?.node.space, folder: f.folder.parse().ok() };
    outcome(&a, id, "moved", state.documents.move_to(&a.principal, id, to).await.map(|_| ()))
}

/// A copy into the caller's own space, at its top.
async fn copy_node(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let me = a.principal.person_id().ok_or_else(|| a.fail(Error::Forbidden))?;
    let to = Place { space: Space::Personal { person: me }, folder: None };
    match super::copy(&state, &a.principal, id, to, None).await {
        Ok(copy) => Ok(back_to_node(copy.id, "done", "copied")),
        Err(e) => match code_of(&e) {
            Some(code) => Ok(back_to_node(id, "error", &code)),
            None => Err(a.fail(e)),
        },
    }
}

async fn share(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    a.check_csrf(pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or(""))?;
    let targets: Vec<String> = pairs.iter().filter(|(k, _)| k == "target").map(|(_, v)| v.clone()).collect();
    let level = pairs.iter().find(|(k, _)| k == "level").map(|(_, v)| v.as_str()).unwrap_or("");
    let shared = match super::share_request(&targets, level) {
        Ok((targets, level)) => state.documents.share(&a.principal, id, &targets, level).await.map(|_| ()),
        Err(e) => Err(e),
    };
    outcome(&a, id, "shared", shared)
}

#[derive(Deserialize)]
struct RevokeForm {
    csrf: String,
    target: String,
}

async fn revoke(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<RevokeForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    let target = Target::parse(&f.target).ok_or_else(|| a.fail(Error::NotFound))?;
    outcome(&a, id, "revoked", state.documents.revoke(&a.principal, id, &target).await)
}

#[derive(Template)]
#[template(path = "documents_list.html")]
struct ListPage {
    tr: Tr,
    user: Option<String>,
    csrf: String,
    f: Frame,
    title: String,
    empty: String,
    trash: bool,
    /// (row, detail: where it was shared from or when it was deleted)
    rows: Vec<(Row, String)>,
}

async fn shared_page(State(state): State<AppState>, a: Authed, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let tr = Tr(a.lang);
    let shared = state.documents.shared_with_me(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&ListPage {
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        f: frame(&state, &a, "/documents/shared", &q).await?,
        title: tr.t("documents.shared"),
        empty: tr.t("documents.shared_none"),
        trash: false,
        rows: shared.iter().map(|s| (row(&s.node), tr.t(&format!("documents.level.{}", s.level.code())))).collect(),
        tr,
    }))
}

async fn trash_page(State(state): State<AppState>, a: Authed, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let tr = Tr(a.lang);
    let nodes = state.documents.trash(&a.principal).await.map_err(|e| a.fail(e))?;
    Ok(render(&ListPage {
        user: Some(crate::communication::user_name(&state, &a).await?),
        csrf: a.session.csrf.to_string(),
        f: frame(&state, &a, "/documents/trash", &q).await?,
        title: tr.t("documents.trash"),
        empty: tr.t("documents.trash_none"),
        trash: true,
        rows: nodes.iter().map(|n| (row(n), n.trashed_at.map(fmt_time).unwrap_or_default())).collect(),
        tr,
    }))
}

async fn restore(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    state.documents.restore(&a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/documents/trash?done=restored").into_response())
}

async fn destroy(State(state): State<AppState>, a: Authed, Path(id): Path<DocumentId>, Form(f): Form<CsrfForm>) -> PageResult {
    a.check_csrf(&f.csrf)?;
    super::destroy(&state, &a.principal, id).await.map_err(|e| a.fail(e))?;
    Ok(Redirect::to("/documents/trash?done=destroyed").into_response())
}
