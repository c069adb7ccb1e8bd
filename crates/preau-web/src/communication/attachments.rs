//! Files attached to messages, on disk under `files/` of the data folder (until the documents
//! service): uploads streamed to disk with their size checked as they come (never held whole in
//! memory), and downloads served as attachments that no browser runs — a sandboxing content
//! security policy, `nosniff`, and the type read from the content, not from the client.

use crate::auth::{ApiCaller, Authed};
use crate::error::{ApiError, PageError};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use preau_communication::attachments::{Attached, MAX_FILE_BYTES};
use preau_core::{AttachmentId, Error, MessageId, Principal, Result};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type ApiResult = std::result::Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/messages/{id}/attachments/{file}", get(download_api)).route("/messages/{id}/attachments/{file}", get(download_page))
}

/// The routes that take files, under their own body limit (`ATTACHMENTS_LIMIT`).
pub fn upload_routes() -> Router<AppState> {
    Router::new().route("/api/v1/attachments", post(upload)).route("/messages/new", post(super::pages::compose_post))
}

/// Where a file is kept.
fn path_of(state: &AppState, id: AttachmentId) -> std::path::PathBuf {
    state.config.files_dir.join(id.to_string())
}

/// The first bytes of a file, enough to tell its type.
const HEAD: usize = 16;

/// Streams `chunks` to a new file and records it as the caller's upload named `name`. Over
/// the size limit, or refused, the file is removed and the error returned.
pub async fn save_upload<E: std::fmt::Display>(
    state: &AppState,
    caller: &Principal,
    name: &str,
    mut chunks: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
) -> Result<Attached> {
    let id = AttachmentId::new();
    tokio::fs::create_dir_all(&state.config.files_dir).await.map_err(Error::internal)?;
    let path = path_of(state, id);
    let partial = path.with_extension("part");
    let written = async {
        let mut file = tokio::fs::File::create(&partial).await.map_err(Error::internal)?;
        let (mut size, mut head) = (0i64, Vec::with_capacity(HEAD));
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::info!(error = %e, "an upload was interrupted");
                Error::invalid("file", "attachment.interrupted")
            })?;
            size += chunk.len() as i64;
            if size > MAX_FILE_BYTES {
                return Err(Error::invalid("file", "attachment.too_large"));
            }
            if head.len() < HEAD {
                head.extend(chunk.iter().take(HEAD - head.len()));
            }
            file.write_all(&chunk).await.map_err(Error::internal)?;
        }
        file.sync_all().await.map_err(Error::internal)?;
        tokio::fs::rename(&partial, &path).await.map_err(Error::internal)?;
        Ok((size, head))
    }
    .await;
    let recorded = match written {
        Ok((size, head)) => state.communication.record_upload(caller, id, name, &head, size).await,
        Err(e) => Err(e),
    };
    if recorded.is_err() {
        let _ = tokio::fs::remove_file(&partial).await;
        let _ = tokio::fs::remove_file(&path).await;
    }
    recorded
}

/// Deletes the files of the uploads left unattached for a day (the minute job).
pub async fn purge(state: &AppState) -> Result<usize> {
    let gone = state.communication.purge_uploads().await?;
    for id in &gone {
        let _ = tokio::fs::remove_file(path_of(state, *id)).await;
    }
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

async fn download_api(State(state): State<AppState>, c: ApiCaller, Path((id, file)): Path<(MessageId, AttachmentId)>) -> ApiResult {
    let f = state.communication.attachment(&c.principal, id, file).await?;
    Ok(serve(&state, &f).await?)
}

async fn download_page(State(state): State<AppState>, a: Authed, Path((id, file)): Path<(MessageId, AttachmentId)>) -> Result<Response, PageError> {
    let f = state.communication.attachment(&a.principal, id, file).await.map_err(|e| a.fail(e))?;
    serve(&state, &f).await.map_err(|e| a.fail(e))
}

/// The file as a download, read from disk in chunks.
async fn serve(state: &AppState, f: &Attached) -> Result<Response> {
    let file = tokio::fs::File::open(path_of(state, f.id)).await.map_err(|_| Error::NotFound)?;
    let chunks = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    let ascii: String = f.name.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_()".contains(c) { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encode(&f.name));
    Ok((
        [
            (header::CONTENT_TYPE, f.content_type.clone()),
            (header::CONTENT_LENGTH, f.size.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CONTENT_SECURITY_POLICY, "sandbox; default-src 'none'".into()),
            (header::CACHE_CONTROL, "private, no-store".into()),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// RFC 5987 percent-encoding of a file name.
fn encode(name: &str) -> String {
    name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
