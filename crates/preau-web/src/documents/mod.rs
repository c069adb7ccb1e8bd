//! Documents on the web: the pages and the JSON API of spaces, folders and files, and the
//! blob storage their bytes go to. An upload is planned by the domain (rights, name, room),
//! streamed to a new blob within the room, then recorded; a refused upload leaves no blob.

pub mod api;
pub mod blobs;
pub mod dav;
pub mod pages;
pub mod serve;

use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::Stream;
use preau_core::{Error, Principal, Result};
use preau_documents::access::Place;
use preau_documents::{Node, Version};

/// The largest body of a documents upload: the policy's largest file is checked as the bytes
/// arrive, this only bounds what any request may send.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().merge(api::routes()).merge(pages::routes())
}

/// The routes that take files, under [`UPLOAD_LIMIT`]: uploads, and WebDAV.
pub fn upload_routes() -> Router<AppState> {
    Router::new()
        .merge(api::upload_routes())
        .merge(pages::upload_routes())
        .route("/dav", axum::routing::any(dav::serve))
        .route("/dav/", axum::routing::any(dav::serve))
        .route("/dav/{*path}", axum::routing::any(dav::serve))
}

/// Streams a file to `place` as `name`: the new file, and whether it replaced one (a new
/// version).
pub async fn save<E: std::fmt::Display>(
    state: &AppState,
    caller: &Principal,
    place: Place,
    name: &str,
    announced: Option<i64>,
    chunks: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
) -> Result<(Node, bool)> {
    let plan = state.documents.plan_upload(caller, place, name, announced).await?;
    let over = if plan.room >= state.documents.policy().max_file_bytes { "document.too_large" } else { "document.over_quota" };
    let written = state.blobs.write(chunks, plan.room, Error::invalid("file", over)).await?;
    let replaced = plan.replaces.is_some();
    match state.documents.finish_upload(plan, written.key.clone(), written.size, &written.head).await {
        Ok((node, dropped)) => {
            state.blobs.delete(&dropped).await;
            Ok((node, replaced))
        }
        Err(e) => {
            state.blobs.delete(&[written.key]).await;
            Err(e)
        }
    }
}

/// Copies a node (with what is inside it) into `to`: its files' bytes duplicated, then the
/// copy recorded; nothing is left of a copy that failed.
pub async fn copy(state: &AppState, caller: &Principal, id: preau_core::DocumentId, to: Place, name: Option<&str>) -> Result<Node> {
    let plan = state.documents.plan_copy(caller, id, to, name).await?;
    let mut made: Vec<Option<String>> = vec![];
    for (source, _) in &plan.pairs {
        let blob = match &source.blob {
            Some(b) => match state.blobs.duplicate(b).await {
                Ok(copy) => Some(copy),
                Err(e) => {
                    state.blobs.delete(&made.into_iter().flatten().collect::<Vec<_>>()).await;
                    return Err(e);
                }
            },
            None => None,
        };
        made.push(blob);
    }
    let keys: Vec<String> = made.iter().flatten().cloned().collect();
    match state.documents.finish_copy(plan, made).await {
        Ok(node) => Ok(node),
        Err(e) => {
            state.blobs.delete(&keys).await;
            Err(e)
        }
    }
}

/// A file's current version as a response.
pub async fn serve_node(state: &AppState, headers: &HeaderMap, node: &Node, inline: bool) -> Result<Response> {
    let blob = node.blob.as_deref().ok_or(Error::NotFound)?;
    let etag = format!("{}-{}", node.id, node.version);
    serve::serve(&state.blobs, headers, serve::Served { blob, name: &node.name, content_type: &node.content_type, size: node.size, etag, inline }).await
}

/// A previous version as a download.
pub async fn serve_version(state: &AppState, headers: &HeaderMap, node: &Node, v: &Version) -> Result<Response> {
    let etag = format!("{}-{}", node.id, v.version);
    serve::serve(&state.blobs, headers, serve::Served { blob: &v.blob, name: &node.name, content_type: &v.content_type, size: v.size, etag, inline: false })
        .await
}

/// Deletes for good what the trash kept past its delay (the minute job).
pub async fn purge(state: &AppState) -> Result<usize> {
    let blobs = state.documents.purge_trash().await?;
    state.blobs.delete(&blobs).await;
    Ok(blobs.len())
}
