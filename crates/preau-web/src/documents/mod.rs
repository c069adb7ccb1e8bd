//! Documents on the web: the pages and the JSON API of spaces, folders and files, and the
//! blob storage their bytes go to. An upload is planned by the domain (rights, name, room),
//! streamed to a new blob within the room, then recorded; a refused upload leaves no blob.

pub mod antivirus;
pub mod api;
pub mod blobs;
pub mod dav;
pub mod links;
pub mod pages;
pub mod serve;
pub mod thumbnails;
mod writeback;
pub mod zip;

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
    Router::new().merge(api::routes()).merge(pages::routes()).merge(links::routes())
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
    let incoming = Incoming::start(state, plan.room()).await?;
    let written = incoming.receive(chunks, plan.refusal(), "document.interrupted", caller, plan.name()).await?;
    let replaced = plan.replaces_a_file();
    Ok((record(state, plan, written).await?, replaced))
}

/// Deletes a trashed node for good, with its bytes.
pub async fn destroy(state: &AppState, caller: &Principal, id: preau_core::DocumentId) -> Result<()> {
    let blobs = state.documents.destroy(caller, id).await?;
    state.blobs.delete(&blobs).await;
    Ok(())
}

/// What a share asks, read the same way from the API and the pages: targets by code and a
/// level (`document.share_out_of_reach` for a target that is no target at all).
pub fn share_request(targets: &[String], level: &str) -> Result<(Vec<preau_communication::Target>, preau_documents::Level)> {
    let level = preau_documents::Level::parse(level).ok_or_else(|| Error::invalid("level", "document.level_invalid"))?;
    let targets = targets
        .iter()
        .map(|t| preau_communication::Target::parse(t))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::invalid("targets", "document.share_out_of_reach"))?;
    Ok((targets, level))
}

/// Records a whole blob as the file its plan names: the versions it pushes out lose their
/// blobs; a refused record loses the new blob.
pub async fn record(state: &AppState, plan: preau_documents::files::UploadPlan, written: blobs::Written) -> Result<Node> {
    match state.documents.finish_upload(plan, written.key.clone(), written.size, &written.head).await {
        Ok((node, dropped)) => {
            state.blobs.delete(&dropped).await;
            Ok(node)
        }
        Err(e) => {
            state.blobs.delete(&[written.key]).await;
            Err(e)
        }
    }
}

/// An upload arriving: written to its blob and, when an antivirus is configured, scanned as
/// it comes. Kept only when whole and clean.
pub struct Incoming {
    blob: blobs::BlobWriter,
    scan: Option<antivirus::Scan>,
}

impl Incoming {
    pub async fn start(state: &AppState, room: i64) -> Result<Incoming> {
        Self::start_keyed(state, None, room).await
    }

    /// [`Self::start`] under a key of the caller's (`None`: a new one).
    pub async fn start_keyed(state: &AppState, key: Option<String>, room: i64) -> Result<Incoming> {
        let scan = match &state.antivirus {
            Some(clamd) => Some(clamd.start().await?),
            None => None,
        };
        let blob = match key {
            Some(k) => state.blobs.create_keyed(k, room).await?,
            None => state.blobs.create(room).await?,
        };
        Ok(Incoming { blob, scan })
    }

    /// Takes a chunk; `false` when it would pass the room the upload has.
    pub async fn write(&mut self, chunk: Bytes) -> Result<bool> {
        if let Some(scan) = &mut self.scan {
            scan.send(&chunk).await?;
        }
        self.blob.write(chunk).await
    }

    /// The blob, whole, once the antivirus (if any) found it clean; an infected file is
    /// refused, logged, and not kept.
    pub async fn finish(self, caller: &Principal, name: &str) -> Result<blobs::Written> {
        if let Some(scan) = self.scan {
            match scan.verdict().await {
                Ok(antivirus::Verdict::Clean) => {}
                Ok(antivirus::Verdict::Infected(found)) => {
                    tracing::warn!(file = name, found, by = %caller.label(), "an infected upload was refused");
                    self.blob.abort().await;
                    return Err(Error::invalid("file", "document.infected"));
                }
                Err(e) => {
                    self.blob.abort().await;
                    return Err(e);
                }
            }
        }
        self.blob.finish().await
    }

    pub async fn abort(self) {
        self.blob.abort().await;
    }

    /// Takes a whole request body, then [`Self::finish`]es: `over` when it passes the room,
    /// the `interrupted` error code when the client goes away; nothing kept either way.
    pub async fn receive<E: std::fmt::Display>(
        mut self,
        mut chunks: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        over: Error,
        interrupted: &str,
        caller: &Principal,
        name: &str,
    ) -> Result<blobs::Written> {
        use futures_util::StreamExt;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::info!(error = %e, "an upload was interrupted");
                Error::invalid("file", interrupted)
            })?;
            if !self.write(chunk).await? {
                self.abort().await;
                return Err(over);
            }
        }
        self.finish(caller, name).await
    }
}

/// Copies a node (with what is inside it) into `to`: its files' bytes duplicated, then the
/// copy recorded; nothing is left of a copy that failed.
pub async fn copy(state: &AppState, caller: &Principal, id: preau_core::DocumentId, to: Place, name: Option<&str>) -> Result<Node> {
    let plan = state.documents.plan_copy(caller, id, to, name).await?;
    let mut made: Vec<Option<String>> = vec![];
    for source in plan.sources() {
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

/// A folder as one ZIP archive, for whoever may read it.
pub async fn serve_archive(state: &AppState, caller: &Principal, id: preau_core::DocumentId) -> Result<Response> {
    let (folder, inside) = state.documents.archive(caller, id).await?;
    Ok(zip_response(state, &folder.name, inside))
}

/// The response of an archive named after `name` of these nodes (path in the archive, node).
pub fn zip_response(state: &AppState, name: &str, inside: Vec<(String, Node)>) -> Response {
    use axum::response::IntoResponse;
    let entries = inside.into_iter().map(|(path, node)| zip::Entry { path, node }).collect();
    let body = axum::body::Body::from_stream(zip::stream(state.blobs.clone(), entries));
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/zip".to_owned()),
            (axum::http::header::CONTENT_DISPOSITION, serve::disposition(&format!("{name}.zip"), false)),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (axum::http::header::CACHE_CONTROL, "private, no-cache".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Deletes the personal spaces of people who are gone (after the purge of detached people).
pub async fn purge_departed(state: &AppState) -> Result<usize> {
    let blobs = state.documents.purge_departed().await?;
    state.blobs.delete(&blobs).await;
    Ok(blobs.len())
}

/// Deletes for good what the trash kept past its delay (the minute job).
pub async fn purge(state: &AppState) -> Result<usize> {
    let blobs = state.documents.purge_trash().await?;
    state.blobs.delete(&blobs).await;
    Ok(blobs.len())
}
