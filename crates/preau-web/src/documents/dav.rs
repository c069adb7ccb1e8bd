//! WebDAV (RFC 4918) at `/dav/`: a person mounts their documents from a desktop or a phone,
//! signing in with their login and an application password they made (HTTP Basic). The tree:
//!
//! ```text
//! /dav/Mes documents/…           their own space
//! /dav/4B/…, /dav/<school>/…     the spaces of their classes, groups and schools
//! /dav/Partagés avec moi/…       what others shared with them
//! ```
//!
//! Every operation goes through the same domain operations as the pages, so the same rights,
//! quotas and trash apply: a deletion goes to the trash, an upload over a file is a new
//! version. Properties clients set are kept (`PROPPATCH`); locks are kept in memory
//! (`dav-server`'s lock system), enough for the clients that lock before they write.

use super::Incoming;
use super::blobs::BlobReader;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dav_server::davpath::DavPath;
use dav_server::fs::{DavDirEntry, DavFile, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream, GuardedFileSystem, OpenOptions, ReadDirMeta};
use futures_util::FutureExt;
use preau_core::{Error, Principal};
use preau_documents::access::Place;
use preau_documents::files::UploadPlan;
use preau_documents::props::{Prop, PropChange};
use preau_documents::{Node, Space};
use std::io::SeekFrom;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The folder of what others shared.
const SHARED: &str = "Partagés avec moi";
/// One's own space.
const MINE: &str = "Mes documents";

/// Who is asking, with the state to act on.
#[derive(Clone)]
pub struct DavUser {
    pub principal: Principal,
    pub state: AppState,
}

/// The handler of `/dav`, kept in the state for its locks.
pub fn handler() -> dav_server::DavHandler<DavUser> {
    dav_server::DavHandler::builder().filesystem(Box::new(PreauFs)).locksystem(dav_server::memls::MemLs::new()).strip_prefix("/dav").build_handler()
}

/// `/dav` and everything under it, for a person signed in with an application password.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    let Some(principal) = signed_in(&state, req.headers()).await else {
        let mut r = (StatusCode::UNAUTHORIZED, "").into_response();
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Preau\", charset=\"UTF-8\""));
        return r;
    };
    let login = principal.label();
    let dav = state.dav.clone();
    let response = dav.handle_guarded(req, login, DavUser { principal, state }).await;
    response.map(Body::new)
}

/// The person of a Basic login and application password.
pub(crate) async fn signed_in(state: &AppState, headers: &axum::http::HeaderMap) -> Option<Principal> {
    let (login, secret) = crate::auth::basic_credentials(headers)?;
    let person = state.accounts.person_for_app_password(state.config.territory, &login, &secret).await.ok()?;
    state.principal_of(state.config.territory, person).await.ok()
}

/// What a path names.
#[derive(Debug, Clone)]
enum Found {
    Root,
    Shared,
    Space(Space),
    Node(Box<Node>),
}

fn fs_error(e: Error) -> FsError {
    match e {
        Error::NotFound => FsError::NotFound,
        Error::Forbidden | Error::Unauthenticated(_) => FsError::Forbidden,
        Error::Conflict(_) => FsError::Exists,
        Error::Invalid(fields) => match fields.first().map(|f| f.code.as_str()) {
            Some("document.over_quota") => FsError::InsufficientStorage,
            Some("document.too_large") => FsError::TooLarge,
            Some("document.name_taken") => FsError::Exists,
            _ => FsError::Forbidden,
        },
        Error::Internal(detail) => {
            tracing::error!(error = %detail, "a WebDAV operation failed");
            FsError::GeneralFailure
        }
        _ => FsError::GeneralFailure,
    }
}

fn segments(path: &DavPath) -> Vec<String> {
    String::from_utf8_lossy(path.as_bytes()).split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The spaces as the top folders show them: (name, space), names made unique.
async fn top(u: &DavUser) -> FsResult<Vec<(String, Space)>> {
    let mut out: Vec<(String, Space)> = vec![];
    for e in u.state.documents.spaces(&u.principal).await.map_err(fs_error)? {
        let base = if e.name.is_empty() { MINE.to_owned() } else { e.name.replace('/', "-") };
        let mut name = base.clone();
        let mut n = 2;
        while out.iter().any(|(x, _)| x.eq_ignore_ascii_case(&name)) || name == SHARED {
            name = format!("{base} ({n})");
            n += 1;
        }
        out.push((name, e.space));
    }
    Ok(out)
}

/// What others shared with the caller, by name (made unique).
async fn shared(u: &DavUser) -> FsResult<Vec<(String, Node)>> {
    let mut out: Vec<(String, Node)> = vec![];
    for s in u.state.documents.shared_with_me(&u.principal).await.map_err(fs_error)? {
        let mut name = s.node.name.clone();
        let mut n = 2;
        while out.iter().any(|(x, _)| *x == name) {
            name = preau_documents::trash::numbered(&s.node.name, n);
            n += 1;
        }
        out.push((name, s.node));
    }
    Ok(out)
}

/// The contents of a place.
async fn contents(u: &DavUser, place: Place) -> FsResult<Vec<Node>> {
    Ok(u.state.documents.list(&u.principal, place).await.map_err(fs_error)?.items)
}

async fn resolve(u: &DavUser, path: &DavPath) -> FsResult<Found> {
    let segs = segments(path);
    let Some((first, rest)) = segs.split_first() else { return Ok(Found::Root) };
    let mut at = if first == SHARED {
        match rest.first() {
            None => return Ok(Found::Shared),
            Some(name) => Found::Node(Box::new(shared(u).await?.into_iter().find(|(n, _)| n == name).map(|(_, node)| node).ok_or(FsError::NotFound)?)),
        }
    } else {
        Found::Space(top(u).await?.into_iter().find(|(n, _)| n == first).map(|(_, s)| s).ok_or(FsError::NotFound)?)
    };
    let skip = if first == SHARED { 1 } else { 0 };
    for name in rest.iter().skip(skip) {
        let place = place_of(&at)?;
        at = Found::Node(Box::new(u.state.documents.lookup(&u.principal, place, name).await.map_err(fs_error)?.ok_or(FsError::NotFound)?));
    }
    Ok(at)
}

/// Where the contents of a folder go.
fn place_of(f: &Found) -> FsResult<Place> {
    match f {
        Found::Space(space) => Ok(Place { space: *space, folder: None }),
        Found::Node(n) if n.folder => Ok(Place { space: n.space, folder: Some(n.id) }),
        Found::Node(_) => Err(FsError::Forbidden),
        Found::Root | Found::Shared => Err(FsError::Forbidden),
    }
}

/// The folder a path would be in, and its last name.
async fn parent_and_name(u: &DavUser, path: &DavPath) -> FsResult<(Place, String)> {
    let name = path.file_name().ok_or(FsError::Forbidden)?.to_owned();
    let parent = resolve(u, &path.parent()).await?;
    Ok((place_of(&parent)?, name))
}

fn node_of(f: Found) -> FsResult<Node> {
    match f {
        Found::Node(n) => Ok(*n),
        _ => Err(FsError::Forbidden),
    }
}

#[derive(Debug, Clone)]
struct Meta {
    len: u64,
    modified: SystemTime,
    dir: bool,
    etag: Option<String>,
}

impl Meta {
    fn of(f: &Found) -> Meta {
        match f {
            Found::Node(n) => Meta {
                len: n.size.max(0) as u64,
                modified: UNIX_EPOCH + Duration::from_secs(n.modified_at.max(0) as u64),
                dir: n.folder,
                etag: (!n.folder).then(|| format!("{}-{}", n.id, n.version)),
            },
            _ => Meta { len: 0, modified: UNIX_EPOCH, dir: true, etag: None },
        }
    }
}

impl DavMetaData for Meta {
    fn len(&self) -> u64 {
        self.len
    }
    fn modified(&self) -> FsResult<SystemTime> {
        Ok(self.modified)
    }
    fn is_dir(&self) -> bool {
        self.dir
    }
    fn etag(&self) -> Option<String> {
        self.etag.clone().or_else(|| self.modified.duration_since(UNIX_EPOCH).ok().map(|d| format!("{:x}", d.as_secs())))
    }
}

struct Entry {
    name: String,
    meta: Meta,
}

impl DavDirEntry for Entry {
    fn name(&self) -> Vec<u8> {
        self.name.as_bytes().to_vec()
    }
    fn metadata(&'_ self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let m: Box<dyn DavMetaData> = Box::new(self.meta.clone());
        Box::pin(async move { Ok(m) })
    }
}

/// A file open for reading (its current version) or being written (a new file or version).
enum Open {
    Reading { meta: Meta, file: BlobReader },
    Writing(Box<Upload>),
}

/// An upload in progress: its plan and blob until it is recorded.
struct Upload {
    user: DavUser,
    plan: Option<UploadPlan>,
    /// In a mutex only to be `Sync` as `dav-server` wants (reached through `&mut`, never locked).
    blob: Option<std::sync::Mutex<Incoming>>,
    meta: Meta,
}

struct PreauFile(Open);

impl std::fmt::Debug for PreauFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PreauFile")
    }
}

impl DavFile for PreauFile {
    fn metadata(&'_ mut self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let m: Box<dyn DavMetaData> = match &self.0 {
            Open::Reading { meta, .. } => Box::new(meta.clone()),
            Open::Writing(up) => Box::new(up.meta.clone()),
        };
        Box::pin(async move { Ok(m) })
    }

    fn write_buf(&'_ mut self, mut buf: Box<dyn bytes::Buf + Send>) -> FsFuture<'_, ()> {
        let bytes = buf.copy_to_bytes(buf.remaining());
        self.write_bytes(bytes)
    }

    fn write_bytes(&'_ mut self, buf: Bytes) -> FsFuture<'_, ()> {
        Box::pin(async move {
            let Open::Writing(up) = &mut self.0 else { return Err(FsError::Forbidden) };
            let Upload { blob: Some(w), plan: Some(plan), .. } = &mut **up else { return Err(FsError::Forbidden) };
            let w = w.get_mut().map_err(|_| FsError::GeneralFailure)?;
            if !w.write(buf).await.map_err(fs_error)? {
                return Err(fs_error(plan.refusal()));
            }
            Ok(())
        })
    }

    fn read_bytes(&'_ mut self, count: usize) -> FsFuture<'_, Bytes> {
        Box::pin(async move {
            let Open::Reading { file, .. } = &mut self.0 else { return Err(FsError::Forbidden) };
            file.read(count).await.map_err(fs_error)
        })
    }

    fn seek(&'_ mut self, pos: SeekFrom) -> FsFuture<'_, u64> {
        Box::pin(async move {
            match &mut self.0 {
                Open::Reading { file, .. } => file.seek(pos).await.map_err(fs_error),
                // Uploads are written from their start only (no partial PUT).
                Open::Writing(_) => Err(FsError::NotImplemented),
            }
        })
    }

    /// Ends an upload: the blob is synced and recorded as the file (or its new version).
    fn flush(&'_ mut self) -> FsFuture<'_, ()> {
        Box::pin(async move {
            let Open::Writing(up) = &mut self.0 else { return Ok(()) };
            let Upload { user, plan, blob, meta } = &mut **up;
            let (Some(p), Some(w)) = (plan.take(), blob.take()) else { return Ok(()) };
            let w = w.into_inner().map_err(|_| FsError::GeneralFailure)?;
            let written = w.finish(&user.principal, p.name()).await.map_err(fs_error)?;
            let node = super::record(&user.state, p, written).await.map_err(fs_error)?;
            *meta = Meta::of(&Found::Node(Box::new(node)));
            Ok(())
        })
    }
}

#[derive(Clone)]
struct PreauFs;

impl GuardedFileSystem<DavUser> for PreauFs {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions, u: &'a DavUser) -> FsFuture<'a, Box<dyn DavFile>> {
        Box::pin(async move {
            if !options.write {
                // Resolving the path checked that the caller may read it.
                let node = node_of(resolve(u, path).await?)?;
                if node.folder {
                    return Err(FsError::Forbidden);
                }
                let blob = node.blob.as_deref().ok_or(FsError::NotFound)?;
                let file = u.state.blobs.open(blob, node.size.max(0) as u64).await.map_err(fs_error)?;
                let f: Box<dyn DavFile> = Box::new(PreauFile(Open::Reading { meta: Meta::of(&Found::Node(Box::new(node))), file }));
                return Ok(f);
            }
            if options.append {
                return Err(FsError::NotImplemented);
            }
            let (place, name) = parent_and_name(u, path).await?;
            let exists = u.state.documents.lookup(&u.principal, place, &name).await.map_err(fs_error)?.is_some();
            if exists && options.create_new {
                return Err(FsError::Exists);
            }
            if !exists && !options.create && !options.create_new {
                return Err(FsError::NotFound);
            }
            let plan = u.state.documents.plan_upload(&u.principal, place, &name, options.size.map(|s| s as i64)).await.map_err(fs_error)?;
            let blob = Incoming::start(&u.state, plan.room()).await.map_err(fs_error)?;
            let meta = Meta { len: 0, modified: SystemTime::now(), dir: false, etag: None };
            let f: Box<dyn DavFile> =
                Box::new(PreauFile(Open::Writing(Box::new(Upload { user: u.clone(), plan: Some(plan), blob: Some(std::sync::Mutex::new(blob)), meta }))));
            Ok(f)
        })
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, _meta: ReadDirMeta, u: &'a DavUser) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        Box::pin(async move {
            let entries: Vec<Entry> = match resolve(u, path).await? {
                Found::Root => {
                    let mut v: Vec<Entry> = top(u).await?.into_iter().map(|(name, s)| Entry { name, meta: Meta::of(&Found::Space(s)) }).collect();
                    v.push(Entry { name: SHARED.into(), meta: Meta::of(&Found::Shared) });
                    v
                }
                Found::Shared => shared(u).await?.into_iter().map(|(name, n)| Entry { meta: Meta::of(&Found::Node(Box::new(n))), name }).collect(),
                other => contents(u, place_of(&other)?)
                    .await?
                    .into_iter()
                    .map(|n| Entry { name: n.name.clone(), meta: Meta::of(&Found::Node(Box::new(n))) })
                    .collect(),
            };
            let items: Vec<FsResult<Box<dyn DavDirEntry>>> = entries.into_iter().map(|e| Ok(Box::new(e) as Box<dyn DavDirEntry>)).collect();
            let stream: FsStream<Box<dyn DavDirEntry>> = Box::pin(futures_util::stream::iter(items));
            Ok(stream)
        })
    }

    fn metadata<'a>(&'a self, path: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, Box<dyn DavMetaData>> {
        Box::pin(async move {
            let m: Box<dyn DavMetaData> = Box::new(Meta::of(&resolve(u, path).await?));
            Ok(m)
        })
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, ()> {
        Box::pin(async move {
            // A name taken answers `document.name_taken`, that is `Exists`.
            let (place, name) = parent_and_name(u, path).await?;
            u.state.documents.create_folder(&u.principal, place, &name).await.map_err(fs_error)?;
            Ok(())
        })
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, ()> {
        self.remove_file(path, u)
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, ()> {
        Box::pin(async move {
            let node = node_of(resolve(u, path).await?)?;
            u.state.documents.delete(&u.principal, node.id).await.map(|_| ()).map_err(fs_error)
        })
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, ()> {
        Box::pin(async move {
            let node = node_of(resolve(u, from).await?)?;
            let (place, name) = parent_and_name(u, to).await?;
            let docs = &u.state.documents;
            if place.space != node.space || place.folder != node.parent {
                docs.move_to(&u.principal, node.id, place).await.map_err(fs_error)?;
            }
            if name != node.name {
                docs.rename(&u.principal, node.id, &name).await.map_err(fs_error)?;
            }
            Ok(())
        })
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath, u: &'a DavUser) -> FsFuture<'a, ()> {
        Box::pin(async move {
            let node = node_of(resolve(u, from).await?)?;
            let (place, name) = parent_and_name(u, to).await?;
            super::copy(&u.state, &u.principal, node.id, place, Some(&name)).await.map_err(fs_error)?;
            Ok(())
        })
    }

    fn have_props<'a>(&'a self, path: &'a DavPath, u: &'a DavUser) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
        async move { matches!(resolve(u, path).await, Ok(Found::Node(_))) }.boxed()
    }

    fn patch_props<'a>(&'a self, path: &'a DavPath, patch: Vec<(bool, DavProp)>, u: &'a DavUser) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        Box::pin(async move {
            let node = node_of(resolve(u, path).await?)?;
            let changes: Vec<PropChange> = patch
                .iter()
                .map(|(is_set, p)| {
                    let namespace = p.namespace.clone().unwrap_or_default();
                    if *is_set {
                        PropChange::Set(Prop {
                            namespace,
                            name: p.name.clone(),
                            xml: String::from_utf8_lossy(p.xml.as_deref().unwrap_or_default()).into_owned(),
                        })
                    } else {
                        PropChange::Remove { namespace, name: p.name.clone() }
                    }
                })
                .collect();
            let status = match u.state.documents.patch_props(&u.principal, node.id, &changes).await {
                Ok(()) => StatusCode::OK,
                Err(Error::Forbidden) => StatusCode::FORBIDDEN,
                Err(Error::Invalid(_)) => StatusCode::INSUFFICIENT_STORAGE,
                Err(e) => return Err(fs_error(e)),
            };
            Ok(patch.into_iter().map(|(_, p)| (status, DavProp { xml: None, ..p })).collect())
        })
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool, u: &'a DavUser) -> FsFuture<'a, Vec<DavProp>> {
        Box::pin(async move {
            let node = node_of(resolve(u, path).await?)?;
            let props = u.state.documents.props(&u.principal, node.id).await.map_err(fs_error)?;
            Ok(props.into_iter().map(|p| dav_prop(p, do_content)).collect())
        })
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp, u: &'a DavUser) -> FsFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let node = node_of(resolve(u, path).await?)?;
            let props = u.state.documents.props(&u.principal, node.id).await.map_err(fs_error)?;
            let ns = prop.namespace.unwrap_or_default();
            props.into_iter().find(|p| p.namespace == ns && p.name == prop.name).map(|p| p.xml.into_bytes()).ok_or(FsError::NotFound)
        })
    }

    fn get_quota<'a>(&'a self, u: &'a DavUser) -> FsFuture<'a, (u64, Option<u64>)> {
        Box::pin(async move {
            let usage = u.state.documents.my_usage(&u.principal).await.map_err(fs_error)?;
            Ok((usage.used.max(0) as u64, Some(usage.quota.max(0) as u64)))
        })
    }
}

fn dav_prop(p: Prop, with_value: bool) -> DavProp {
    DavProp {
        name: p.name,
        prefix: None,
        namespace: if p.namespace.is_empty() { None } else { Some(p.namespace) },
        xml: with_value.then(|| p.xml.into_bytes()),
    }
}
