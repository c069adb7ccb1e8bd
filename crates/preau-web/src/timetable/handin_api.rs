//! Homework handed in online, over the API: a pupil puts their copy (the body is the file,
//! streamed to the documents storage and scanned like any upload), the pupil and their
//! parents read its state, the homework's teachers list who handed in, download each copy or
//! all of them as a zip, and return a copy with a comment and a corrected file taken from
//! their documents.

use crate::auth::ApiCaller;
use crate::documents::{Incoming, serve, zip_response};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use preau_communication::attachments::{clean_name, sniff};
use preau_core::{CopyId, DocumentId, Error, HomeworkId, PersonId, Principal, Result};
use preau_timetable::cahier::handin::{Copy, StoredFile};
use serde::Deserialize;

type ApiResult = std::result::Result<Response, ApiError>;

/// The largest copy taken.
pub const MAX_COPY: i64 = 100 << 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/homework/{id}/copy", get(my_copy).put(hand_in))
        .route("/api/v1/homework/{id}/copies", get(copies))
        .route("/api/v1/homework/{id}/copies.zip", get(zip))
        .route("/api/v1/copies/{id}/file", get(file))
        .route("/api/v1/copies/{id}/corrected", get(corrected))
        .route("/api/v1/copies/{id}/return", post(return_copy))
}

#[derive(Deserialize)]
struct NameQuery {
    name: String,
}

/// Streams a body into the documents storage as a copy's file (nothing kept on failure).
pub async fn receive<E: std::fmt::Display>(
    state: &AppState,
    caller: &Principal,
    name: &str,
    chunks: impl futures_util::Stream<Item = std::result::Result<axum::body::Bytes, E>> + Unpin,
) -> Result<StoredFile> {
    let name = clean_name(name);
    let incoming = Incoming::start(state, MAX_COPY).await?;
    let written = incoming.receive(chunks, Error::invalid("file", "handin.too_big"), "document.interrupted", caller, &name).await?;
    Ok(StoredFile { content_type: sniff(&written.head).to_owned(), name, blob: written.key, size: written.size })
}

/// Records a received copy; its blob is deleted if refused, the replaced copy's if accepted.
pub async fn record(state: &AppState, caller: &Principal, id: HomeworkId, file: StoredFile) -> Result<Copy> {
    let blob = file.blob.clone();
    match state.timetable.hand_in(caller, id, file).await {
        Ok((copy, replaced)) => {
            state.blobs.delete(&replaced).await;
            Ok(copy)
        }
        Err(e) => {
            state.blobs.delete(&[blob]).await;
            Err(e)
        }
    }
}

async fn hand_in(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>, Query(q): Query<NameQuery>, req: Request) -> ApiResult {
    let file = receive(&state, &c.principal, &q.name, req.into_body().into_data_stream()).await?;
    Ok((StatusCode::CREATED, Json(record(&state, &c.principal, id, file).await?)).into_response())
}

#[derive(Deserialize)]
struct PupilQuery {
    pupil: Option<PersonId>,
}

async fn my_copy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>, Query(q): Query<PupilQuery>) -> ApiResult {
    let pupil = q.pupil.or(c.principal.person_id()).ok_or(Error::Forbidden)?;
    Ok(Json(state.timetable.my_copy(&c.principal, id, pupil).await?).into_response())
}

async fn copies(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>) -> ApiResult {
    Ok(Json(state.timetable.hand_ins(&c.principal, id).await?).into_response())
}

/// Every copy of homework as one zip, each named after its pupil.
pub async fn copies_zip(state: &AppState, caller: &Principal, id: HomeworkId) -> Result<Response> {
    let h = state.timetable.hand_ins(caller, id).await?;
    let me = caller.person_id().ok_or(Error::Forbidden)?;
    let space = preau_documents::Space::Personal { person: me };
    let inside = h
        .copies
        .into_iter()
        .map(|(copy, name)| {
            let mut node = preau_documents::Node::created(space, None, None, copy.file.name.clone(), me, copy.submitted);
            (node.blob, node.size) = (Some(copy.file.blob), copy.file.size);
            (format!("{name} - {}", copy.file.name), node)
        })
        .collect();
    Ok(zip_response(state, &format!("{} {}", h.homework.subject, h.homework.due), inside))
}

async fn zip(State(state): State<AppState>, c: ApiCaller, Path(id): Path<HomeworkId>) -> ApiResult {
    Ok(copies_zip(&state, &c.principal, id).await?)
}

/// A copy's file or its corrected file, for those who may read it.
pub async fn serve_copy(state: &AppState, caller: &Principal, headers: &HeaderMap, id: CopyId, corrected: bool) -> Result<Response> {
    let f = state.timetable.copy_file(caller, id, corrected).await?;
    let etag = format!("{id}-{}", if corrected { "c" } else { "f" });
    serve::serve(&state.blobs, headers, serve::Served { blob: &f.blob, name: &f.name, content_type: &f.content_type, size: f.size, etag, inline: false }).await
}

async fn file(State(state): State<AppState>, c: ApiCaller, headers: HeaderMap, Path(id): Path<CopyId>) -> ApiResult {
    Ok(serve_copy(&state, &c.principal, &headers, id, false).await?)
}

async fn corrected(State(state): State<AppState>, c: ApiCaller, headers: HeaderMap, Path(id): Path<CopyId>) -> ApiResult {
    Ok(serve_copy(&state, &c.principal, &headers, id, true).await?)
}

#[derive(Deserialize)]
struct ReturnBody {
    #[serde(default)]
    comment: String,
    /// A file of the teacher's documents, copied as the corrected copy.
    corrected: Option<DocumentId>,
}

/// Returns a copy; a corrected file is duplicated from the teacher's documents (its copy is
/// the copy's, whatever becomes of the original).
pub async fn give_back(state: &AppState, caller: &Principal, id: CopyId, comment: &str, corrected: Option<DocumentId>) -> Result<Copy> {
    let file = match corrected {
        Some(doc) => {
            let node = state.documents.file(caller, doc).await.map_err(|_| Error::invalid("corrected", "cahier.attachment_unknown"))?;
            let blob = state.blobs.duplicate(node.blob.as_deref().ok_or(Error::NotFound)?).await?;
            Some(StoredFile { name: node.name, blob, size: node.size, content_type: node.content_type })
        }
        None => None,
    };
    let blob = file.as_ref().map(|f| f.blob.clone());
    state.timetable.return_copy(caller, id, comment, file).await.inspect_err(|_| {
        if let Some(b) = blob {
            let blobs = state.blobs.clone();
            tokio::spawn(async move { blobs.delete(&[b]).await });
        }
    })
}

async fn return_copy(State(state): State<AppState>, c: ApiCaller, Path(id): Path<CopyId>, Json(b): Json<ReturnBody>) -> ApiResult {
    Ok(Json(give_back(&state, &c.principal, id, &b.comment, b.corrected).await?).into_response())
}
