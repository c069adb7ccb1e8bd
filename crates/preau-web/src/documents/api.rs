//! The JSON API of the documents service (`/api/v1/documents/…`): spaces and folders, uploads
//! (the body is the file), downloads with ranges, rename and move, trash, versions, shares.
//! Each handler calls one domain operation; the bytes go through [`super::blobs`].

use crate::auth::ApiCaller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use preau_communication::Target;
use preau_core::{DocumentId, Error, Result};
use preau_documents::Space;
use preau_documents::access::Place;
use serde::Deserialize;

type ApiResult = std::result::Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/documents/spaces", get(spaces))
        .route("/api/v1/documents/spaces/{space}", get(list))
        .route("/api/v1/documents/spaces/{space}/folders", post(create_folder))
        .route("/api/v1/documents/shared", get(shared))
        .route("/api/v1/documents/usage", get(usage))
        .route("/api/v1/structures/{id}/documents-usage", get(structure_usage))
        .route("/api/v1/structures/{id}/public-link-policy", get(link_policy).put(set_link_policy))
        .route("/api/v1/documents/trash", get(trash))
        .route("/api/v1/documents/trash/{id}", delete(destroy))
        .route("/api/v1/documents/trash/{id}/restore", post(restore))
        .route("/api/v1/documents/nodes/{id}", get(node).patch(change).delete(remove))
        .route("/api/v1/documents/nodes/{id}/content", get(content))
        .route("/api/v1/documents/nodes/{id}/copy", post(copy))
        .route("/api/v1/documents/nodes/{id}/zip", get(zip))
        .route("/api/v1/documents/nodes/{id}/versions", get(versions))
        .route("/api/v1/documents/nodes/{id}/versions/{version}/content", get(version_content))
        .route("/api/v1/documents/nodes/{id}/shares", get(shares).post(share))
        .route("/api/v1/documents/nodes/{id}/shares/{target}", delete(revoke))
}

/// The route that takes files, under the documents' own body limit.
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/v1/documents/spaces/{space}/files", put(upload))
}

pub(crate) fn space_of(code: &str) -> Result<Space> {
    Space::parse(code).ok_or(Error::NotFound)
}

#[derive(Deserialize)]
struct Where {
    folder: Option<DocumentId>,
}

async fn spaces(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.documents.spaces(&c.principal).await?).into_response())
}

async fn list(State(state): State<AppState>, c: ApiCaller, Path(space): Path<String>, Query(w): Query<Where>) -> ApiResult {
    let place = Place { space: space_of(&space)?, folder: w.folder };
    Ok(Json(state.documents.list(&c.principal, place).await?).into_response())
}

#[derive(Deserialize)]
struct NewFolder {
    name: String,
    folder: Option<DocumentId>,
}

async fn create_folder(State(state): State<AppState>, c: ApiCaller, Path(space): Path<String>, Json(b): Json<NewFolder>) -> ApiResult {
    let place = Place { space: space_of(&space)?, folder: b.folder };
    Ok((StatusCode::CREATED, Json(state.documents.create_folder(&c.principal, place, &b.name).await?)).into_response())
}

#[derive(Deserialize)]
struct UploadQuery {
    folder: Option<DocumentId>,
    #[serde(default)]
    name: String,
}

/// `PUT …/files?name=…&folder=…` with the file as the body: a new file (`201`), or a new
/// version of the file of that name (`200`).
async fn upload(
    State(state): State<AppState>,
    c: ApiCaller,
    Path(space): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let place = Place { space: space_of(&space)?, folder: q.folder };
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let (node, replaced) = super::save(&state, &c.principal, place, &q.name, announced, body.into_data_stream()).await?;
    let status = if replaced { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(node)).into_response())
}

async fn node(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    Ok(Json(state.documents.node(&c.principal, id).await?).into_response())
}

#[derive(Deserialize)]
struct Inline {
    #[serde(default)]
    inline: bool,
}

async fn content(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>, Query(i): Query<Inline>, headers: HeaderMap) -> ApiResult {
    let node = state.documents.file(&c.principal, id).await?;
    Ok(super::serve_node(&state, &headers, &node, i.inline).await?)
}

/// A rename (`name`), a move (`space` and `folder`), or both.
#[derive(Deserialize)]
struct Change {
    name: Option<String>,
    space: Option<String>,
    folder: Option<DocumentId>,
}

async fn change(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>, Json(b): Json<Change>) -> ApiResult {
    let mut node = None;
    if let Some(name) = &b.name {
        node = Some(state.documents.rename(&c.principal, id, name).await?);
    }
    if let Some(space) = &b.space {
        node = Some(state.documents.move_to(&c.principal, id, Place { space: space_of(space)?, folder: b.folder }).await?);
    }
    let node = node.ok_or_else(|| Error::invalid("name", "field.required"))?;
    Ok(Json(node).into_response())
}

async fn zip(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    Ok(super::serve_archive(&state, &c.principal, id).await?)
}

/// Where a copy goes: `{space, folder, name}` (its own name when none).
#[derive(Deserialize)]
struct CopyBody {
    space: String,
    folder: Option<DocumentId>,
    name: Option<String>,
}

async fn copy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>, Json(b): Json<CopyBody>) -> ApiResult {
    let to = Place { space: space_of(&b.space)?, folder: b.folder };
    Ok((StatusCode::CREATED, Json(super::copy(&state, &c.principal, id, to, b.name.as_deref()).await?)).into_response())
}

async fn remove(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    state.documents.delete(&c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn versions(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    Ok(Json(state.documents.versions(&c.principal, id).await?).into_response())
}

async fn version_content(State(state): State<AppState>, c: ApiCaller, Path((id, version)): Path<(DocumentId, i64)>, headers: HeaderMap) -> ApiResult {
    let (node, v) = state.documents.version(&c.principal, id, version).await?;
    Ok(super::serve_version(&state, &headers, &node, &v).await?)
}

async fn trash(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.documents.trash(&c.principal).await?).into_response())
}

async fn restore(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    Ok(Json(state.documents.restore(&c.principal, id).await?).into_response())
}

async fn destroy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    super::destroy(&state, &c.principal, id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn shared(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.documents.shared_with_me(&c.principal).await?).into_response())
}

async fn usage(State(state): State<AppState>, c: ApiCaller) -> ApiResult {
    Ok(Json(state.documents.my_usage(&c.principal).await?).into_response())
}

/// A structure's rule for public links, for those who administer it.
async fn link_policy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<preau_core::StructureId>) -> ApiResult {
    let (forbidden, own) = state.documents.link_policy(&c.principal, id).await?;
    Ok(Json(serde_json::json!({"forbidden": forbidden.iter().map(|p| p.code()).collect::<Vec<_>>(), "own": own})).into_response())
}

#[derive(serde::Deserialize)]
struct LinkPolicyBody {
    /// Profile codes; `null`: the territory's rule again.
    forbidden: Option<Vec<String>>,
}

async fn set_link_policy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<preau_core::StructureId>, Json(b): Json<LinkPolicyBody>) -> ApiResult {
    let forbidden = b.forbidden.map(|codes| codes.iter().map(|c| c.parse::<preau_core::Profile>()).collect::<preau_core::Result<Vec<_>>>()).transpose()?;
    state.documents.set_link_policy(&c.principal, id, forbidden).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn structure_usage(State(state): State<AppState>, c: ApiCaller, Path(id): Path<preau_core::StructureId>) -> ApiResult {
    Ok(Json(state.documents.structure_usage(&c.principal, id).await?).into_response())
}

async fn shares(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>) -> ApiResult {
    Ok(Json(state.documents.shares(&c.principal, id).await?).into_response())
}

#[derive(Deserialize)]
struct ShareBody {
    /// Target codes (`person:<id>`, `class:<group>:<profile>`…), as the recipient picker gives.
    targets: Vec<String>,
    level: String,
}

async fn share(State(state): State<AppState>, c: ApiCaller, Path(id): Path<DocumentId>, Json(b): Json<ShareBody>) -> ApiResult {
    let (targets, level) = super::share_request(&b.targets, &b.level)?;
    Ok(Json(state.documents.share(&c.principal, id, &targets, level).await?).into_response())
}

async fn revoke(State(state): State<AppState>, c: ApiCaller, Path((id, target)): Path<(DocumentId, String)>) -> ApiResult {
    let target = Target::parse(&target).ok_or(Error::NotFound)?;
    state.documents.revoke(&c.principal, id, &target).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
