//! Files attached to messages, kept by the documents service's blob storage (local disk or S3)
//! under their attachment's id: uploads streamed with their size checked as they come (never
//! held whole in memory) and scanned by the antivirus when there is one, a file of one's
//! documents attached by a copy of its bytes, and downloads served as attachments that no
//! browser runs — a sandboxing content security policy, `nosniff`, and the type read from the
//! content, not from the client.

use crate::auth::{ApiCaller, Authed};
use crate::documents::{Incoming, serve};
use crate::error::{ApiError, PageError};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use preau_communication::attachments::{Attached, MAX_FILE_BYTES};
use preau_core::{AttachmentId, DocumentId, Error, MessageId, Principal, Result};
use serde::Deserialize;

type ApiResult = std::result::Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/messages/{id}/attachments/{file}", get(download_api))
        .route("/messages/{id}/attachments/{file}", get(download_page))
        .route("/api/v1/attachments/from-document/{id}", post(from_document_api))
}

/// The routes that take files, under their own body limit (`ATTACHMENTS_LIMIT`).
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/v1/attachments", post(upload)).route("/messages/new", post(super::pages::compose_post))
}

/// The blob key of an attachment.
fn key_of(id: AttachmentId) -> String {
    id.0.simple().to_string()
}

/// Streams `chunks` to a new blob and records it as the caller's upload named `name`. Over
/// the size limit, infected, or refused, nothing is kept and the error returned.
pub async fn save_upload<E: std::fmt::Display>(
    state: &AppState,
    caller: &Principal,
    name: &str,
    chunks: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
) -> Result<Attached> {
    let id = AttachmentId::new();
    let incoming = Incoming::start_keyed(state, Some(key_of(id)), MAX_FILE_BYTES).await?;
    let written = incoming.receive(chunks, Error::invalid("file", "attachment.too_large"), "attachment.interrupted", caller, name).await?;
    let recorded = state.communication.record_upload(caller, id, name, &written.head, written.size).await;
    if recorded.is_err() {
        state.blobs.delete(&[written.key]).await;
    }
    recorded
}

/// A file of the caller's documents (one they may read) as a new upload to attach: its bytes
/// copied, so that the message keeps it whatever becomes of the document.
pub async fn from_document(state: &AppState, caller: &Principal, document: DocumentId) -> Result<Attached> {
    let node = state.documents.file(caller, document).await?;
    let blob = node.blob.clone().ok_or(Error::NotFound)?;
    if node.size > MAX_FILE_BYTES {
        return Err(Error::invalid("file", "attachment.too_large"));
    }
    let id = AttachmentId::new();
    let head: Vec<u8> = {
        let mut chunks = state.blobs.read(&blob, 0, node.size.clamp(0, crate::documents::blobs::HEAD as i64) as u64).await?;
        let mut head = vec![];
        while let Some(c) = chunks.next().await {
            head.extend_from_slice(&c.map_err(Error::internal)?);
        }
        head
    };
    state.blobs.duplicate_as(&blob, &key_of(id)).await?;
    let recorded = state.communication.record_upload(caller, id, &node.name, &head, node.size).await;
    if recorded.is_err() {
        state.blobs.delete(&[key_of(id)]).await;
    }
    recorded
}

/// Deletes the files of the uploads left unattached for a day (the minute job).
pub async fn purge(state: &AppState) -> Result<usize> {
    let gone = state.communication.purge_uploads().await?;
    let keys: Vec<String> = gone.iter().map(|id| key_of(*id)).collect();
    state.blobs.delete(&keys).await;
    Ok(gone.len())
}

#[derive(Deserialize)]
struct UploadQuery {
    #[serde(default)]
    name: String,
}

/// `POST /api/v1/attachments?name=…` with the file as the body: an upload to attach to a
/// message by its id.
async fn upload(State(state): State<AppState>, c: ApiCaller, Query(q): Query<UploadQuery>, body: Body) -> ApiResult {
    let file = save_upload(&state, &c.principal, &q.name, body.into_data_stream()).await?;
    Ok((StatusCode::CREATED, Json(file)).into_response())
}

/// `POST /api/v1/attachments/from-document/{id}`: a file of one's documents, to attach.
async fn from_document_api(State(state): State<AppState>, c: ApiCaller, Path(document): Path<DocumentId>) -> ApiResult {
    let file = from_document(&state, &c.principal, document).await?;
    Ok((StatusCode::CREATED, Json(file)).into_response())
}

async fn download_api(State(state): State<AppState>, c: ApiCaller, Path((id, file)): Path<(MessageId, AttachmentId)>, headers: HeaderMap) -> ApiResult {
    let f = state.communication.attachment(&c.principal, id, file).await?;
    Ok(serve_file(&state, &headers, &f).await?)
}

async fn download_page(
    State(state): State<AppState>,
    a: Authed,
    Path((id, file)): Path<(MessageId, AttachmentId)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let f = state.communication.attachment(&a.principal, id, file).await.map_err(|e| a.fail(e))?;
    serve_file(&state, &headers, &f).await.map_err(|e| a.fail(e))
}

/// The file as a download (ranges honoured).
async fn serve_file(state: &AppState, headers: &HeaderMap, f: &Attached) -> Result<Response> {
    let key = key_of(f.id);
    serve::serve(
        &state.blobs,
        headers,
        serve::Served { blob: &key, name: &f.name, content_type: &f.content_type, size: f.size, etag: key.clone(), inline: false },
    )
    .await
}
