//! The bytes of documents, kept under a key each, written once and never changed (a new
//! version is a new blob), in one of two backends:
//!
//! - **local disk** (the default): `documents/` of the data folder, each blob a file in one of
//!   256 subfolders; streamed to a temporary file of its own, its size checked as the bytes
//!   come, synced, then renamed into place and its folder synced;
//! - **an S3-compatible object store** (`object_store`): streamed as a multipart upload (one
//!   put when small), completed only when the whole blob arrived; a failed upload is aborted.
//!
//! Either way a blob exists under its key only once it is whole, and a refused upload leaves
//! nothing behind.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt};
use preau_core::{Error, Result};
use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// A part of a multipart upload to S3.
const WRITE_BUFFER: usize = 8 * 1024 * 1024;
/// Bytes read at a time when serving.
const READ_CHUNK: usize = 1024 * 1024;
/// The first bytes kept to tell a file's type.
pub const HEAD: usize = 16;

pub enum Blobs {
    Local { root: PathBuf },
    S3 { store: Arc<dyn ObjectStore>, prefix: String },
}

/// Where an S3-compatible store is, and the keys to it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `https://s3.example.org` (path-style requests), or empty for AWS itself.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Keys are put under this prefix (e.g. `preau/`), to share a bucket.
    pub prefix: String,
}

/// A blob written: its key, size and first bytes.
pub struct Written {
    pub key: String,
    pub size: i64,
    pub head: Vec<u8>,
}

fn new_key() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn store_err(e: object_store::Error) -> Error {
    match e {
        object_store::Error::NotFound { .. } => Error::NotFound,
        other => Error::internal(other),
    }
}

impl Blobs {
    pub fn local(root: PathBuf) -> Blobs {
        Blobs::Local { root }
    }

    /// An S3-compatible store (signature version 4, path-style requests when an endpoint is given).
    pub fn s3(c: &S3Config) -> Result<Blobs> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&c.bucket)
            .with_region(&c.region)
            .with_access_key_id(&c.access_key)
            .with_secret_access_key(&c.secret_key);
        if !c.endpoint.is_empty() {
            b = b.with_endpoint(&c.endpoint).with_allow_http(c.endpoint.starts_with("http://")).with_virtual_hosted_style_request(false);
        }
        let store = b.build().map_err(Error::internal)?;
        Ok(Blobs::S3 { store: Arc::new(store), prefix: c.prefix.trim_matches('/').to_owned() })
    }

    fn path(root: &std::path::Path, key: &str) -> PathBuf {
        let shard = key.get(key.len().saturating_sub(2)..).unwrap_or("00");
        root.join(shard).join(key)
    }

    fn object(prefix: &str, key: &str) -> ObjectPath {
        if prefix.is_empty() { ObjectPath::from(key) } else { ObjectPath::from(format!("{prefix}/{key}")) }
    }

    /// A new blob of at most `limit` bytes, written as its bytes come.
    pub async fn create(&self, limit: i64) -> Result<BlobWriter> {
        self.create_keyed(new_key(), limit).await
    }

    /// [`Self::create`] under a key of the caller's (unique: a new id's).
    pub async fn create_keyed(&self, key: String, limit: i64) -> Result<BlobWriter> {
        let sink = match self {
            Blobs::Local { root } => {
                let path = Self::path(root, &key);
                ensure_folder(&path).await?;
                Sink::Local { out: Some(DiskWriter::start(partial_of(&path), path)) }
            }
            Blobs::S3 { store, prefix } => {
                Sink::S3 { out: Some(object_store::buffered::BufWriter::with_capacity(store.clone(), Self::object(prefix, &key), WRITE_BUFFER)) }
            }
        };
        Ok(BlobWriter { key, sink, size: 0, head: Vec::with_capacity(HEAD), limit, done: false })
    }

    /// A new blob with the bytes of `key` (a hard link on disk, a server-side copy in S3).
    pub async fn duplicate(&self, key: &str) -> Result<String> {
        let copy = new_key();
        self.duplicate_as(key, &copy).await?;
        Ok(copy)
    }

    /// [`Self::duplicate`] under a key of the caller's.
    pub async fn duplicate_as(&self, key: &str, copy: &str) -> Result<()> {
        match self {
            Blobs::Local { root } => {
                let to = Self::path(root, copy);
                ensure_folder(&to).await?;
                let from = Self::path(root, key);
                // On the disk before it is recorded, as an upload is; nothing left if not.
                tokio::task::spawn_blocking(move || {
                    let done = if std::fs::hard_link(&from, &to).is_ok() {
                        sync_folder(&to)
                    } else {
                        std::fs::copy(&from, &to).and_then(|_| std::fs::File::open(&to)?.sync_all()).and_then(|()| sync_folder(&to))
                    };
                    if done.is_err() {
                        let _ = std::fs::remove_file(&to);
                    }
                    done
                })
                .await
                .map_err(Error::internal)?
                .map_err(Error::internal)?;
            }
            Blobs::S3 { store, prefix } => store.copy(&Self::object(prefix, key), &Self::object(prefix, copy)).await.map_err(store_err)?,
        }
        Ok(())
    }

    /// `len` bytes of a blob from `start`, in chunks.
    pub async fn read(&self, key: &str, start: u64, len: u64) -> Result<futures_util::stream::BoxStream<'static, std::io::Result<Bytes>>> {
        match self {
            Blobs::Local { root } => {
                let mut file = std::fs::File::open(Self::path(root, key)).map_err(|_| Error::NotFound)?;
                if start > 0 {
                    std::io::Seek::seek(&mut file, SeekFrom::Start(start)).map_err(Error::internal)?;
                }
                Ok(local_chunks(file, len).boxed())
            }
            Blobs::S3 { store, prefix } => {
                if len == 0 {
                    return Ok(futures_util::stream::empty().boxed());
                }
                let options = GetOptions { range: Some(GetRange::Bounded(start..start + len)), ..Default::default() };
                let got = store.get_opts(&Self::object(prefix, key), options).await.map_err(store_err)?;
                Ok(got.into_stream().map(|r| r.map_err(std::io::Error::other)).boxed())
            }
        }
    }

    /// A blob of `size` bytes opened for reading at any offset (WebDAV clients seek).
    pub async fn open(&self, key: &str, size: u64) -> Result<BlobReader> {
        Ok(match self {
            Blobs::Local { root } => BlobReader::Local(tokio::fs::File::open(Self::path(root, key)).await.map_err(|_| Error::NotFound)?),
            Blobs::S3 { store, prefix } => BlobReader::S3 { store: store.clone(), path: Self::object(prefix, key), at: 0, size },
        })
    }

    /// A blob's size, if it exists.
    pub async fn size(&self, key: &str) -> Option<u64> {
        match self {
            Blobs::Local { root } => tokio::fs::metadata(Self::path(root, key)).await.ok().map(|m| m.len()),
            Blobs::S3 { store, prefix } => store.head(&Self::object(prefix, key)).await.ok().map(|m| m.size),
        }
    }

    /// Deletes blobs, with the thumbnails made of them (those already gone are no error).
    pub async fn delete(&self, keys: &[String]) {
        let thumbnails: Vec<String> = keys.iter().filter(|k| !k.starts_with("t-")).map(|k| super::thumbnails::key_of(k)).collect();
        for key in keys.iter().chain(&thumbnails) {
            let failed = match self {
                Blobs::Local { root } => match tokio::fs::remove_file(Self::path(root, key)).await {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Some(e.to_string()),
                    _ => None,
                },
                Blobs::S3 { store, prefix } => match store.delete(&Self::object(prefix, key)).await {
                    Err(object_store::Error::NotFound { .. }) | Ok(()) => None,
                    Err(e) => Some(e.to_string()),
                },
            };
            if let Some(e) = failed {
                tracing::error!(error = %e, key, "a blob could not be deleted");
            }
        }
    }
}

/// A file's bytes read by a blocking thread of their own, `READ_CHUNK` at a time, straight
/// into the buffers the response sends (one copy from the page cache).
fn local_chunks(file: std::fs::File, len: u64) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = file.take(len);
        loop {
            let left = usize::try_from(file.limit()).unwrap_or(usize::MAX);
            let mut buf = Vec::with_capacity(left.clamp(1, READ_CHUNK));
            match (&mut file).take(READ_CHUNK as u64).read_to_end(&mut buf) {
                Ok(0) => return,
                Ok(_) => {
                    if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                        return; // The client went away.
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// What the thread writing a file on disk is told.
enum ToDisk {
    Bytes(Bytes),
    /// All is written: sync and stop.
    Finish,
}

/// A file written by a blocking thread of its own under a temporary name: the request's
/// chunks go to it as they are (no copy), a few at a time (back-pressure); told all came, it
/// syncs the file, gives it its name and syncs its folder. Closed without `Finish`, it stops
/// without syncing. Dropped before its end was awaited, it removes what the thread leaves
/// once the thread is done.
struct DiskWriter {
    tx: Option<tokio::sync::mpsc::Sender<ToDisk>>,
    thread: Option<tokio::task::JoinHandle<std::io::Result<bool>>>,
    partial: PathBuf,
    path: PathBuf,
}

impl DiskWriter {
    fn start(partial: PathBuf, path: PathBuf) -> DiskWriter {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ToDisk>(8);
        let (at, to) = (partial.clone(), path.clone());
        let thread = tokio::task::spawn_blocking(move || {
            let (partial, path) = (at, to);
            use std::io::Write;
            let mut f = std::fs::File::create(&partial)?;
            let mut writeback = super::writeback::Writeback::default();
            while let Some(m) = rx.blocking_recv() {
                match m {
                    ToDisk::Bytes(b) => {
                        f.write_all(&b)?;
                        writeback.wrote(&f, b.len());
                    }
                    ToDisk::Finish => {
                        // Whole on the disk before it has its name (a name means a whole
                        // file), then the name made durable with its folder.
                        f.sync_all()?;
                        std::fs::rename(&partial, &path)?;
                        if let Err(e) = sync_folder(&path) {
                            let _ = std::fs::remove_file(&path);
                            return Err(e);
                        }
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        });
        DiskWriter { tx: Some(tx), thread: Some(thread), partial, path }
    }

    async fn write(&mut self, b: Bytes) -> Result<()> {
        let tx = self.tx.as_ref().ok_or_else(|| Error::internal("blob already finished"))?;
        if tx.send(ToDisk::Bytes(b)).await.is_err() {
            // The thread stopped on an error: finish reports it.
            return self.finish().await;
        }
        Ok(())
    }

    /// Waits for everything to be written, synced and named.
    async fn finish(&mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(ToDisk::Finish).await;
        }
        match self.ended().await? {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::internal("blob writer stopped")),
            Err(e) => Err(Error::internal(e)),
        }
    }

    /// Gives the file up: the thread stops without syncing, and nothing of it is kept.
    async fn abort(&mut self) {
        self.tx.take();
        let _ = self.ended().await;
    }

    /// Waits for the thread's end, then removes the temporary file unless it got its name.
    /// The handle stays here while waiting: a wait given up (the request dropped) leaves the
    /// cleaning to `Drop`.
    async fn ended(&mut self) -> Result<std::io::Result<bool>> {
        let thread = self.thread.as_mut().ok_or_else(|| Error::internal("blob already finished"))?;
        let ended = thread.await.map_err(Error::internal);
        self.thread = None;
        if !matches!(ended, Ok(Ok(true))) {
            let _ = std::fs::remove_file(&self.partial);
        }
        ended
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        let Some(thread) = self.thread.take() else { return };
        self.tx.take();
        let (partial, path) = (std::mem::take(&mut self.partial), std::mem::take(&mut self.path));
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            // The thread may not have started yet: what it leaves is removed once it is done,
            // the named file too if it got that far (nothing recorded it).
            rt.spawn(async move {
                let named = matches!(thread.await, Ok(Ok(true)));
                let _ = tokio::fs::remove_file(&partial).await;
                if named {
                    let _ = tokio::fs::remove_file(&path).await;
                }
            });
        }
    }
}

/// A temporary name of its own beside `path` (two writers of the same key never share one).
fn partial_of(path: &std::path::Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_extension(format!("{}-{n}.part", std::process::id()))
}

/// Makes the folder of `path` if there is none yet, its name durable in the root.
async fn ensure_folder(path: &std::path::Path) -> Result<()> {
    let Some(folder) = path.parent() else { return Ok(()) };
    if tokio::fs::try_exists(folder).await.unwrap_or(false) {
        return Ok(());
    }
    tokio::fs::create_dir_all(folder).await.map_err(Error::internal)?;
    let folder = folder.to_owned();
    tokio::task::spawn_blocking(move || sync_folder(&folder)).await.map_err(Error::internal)?.map_err(Error::internal)
}

/// Syncs the folder of `file`, so that a name just given to it is on the disk.
fn sync_folder(file: &std::path::Path) -> std::io::Result<()> {
    match file.parent() {
        Some(folder) if cfg!(unix) => std::fs::File::open(folder)?.sync_all(),
        _ => Ok(()),
    }
}

/// Where a blob being written goes.
enum Sink {
    Local { out: Option<DiskWriter> },
    S3 { out: Option<object_store::buffered::BufWriter> },
}

/// A blob being written. Dropped before [`BlobWriter::finish`], it leaves nothing behind.
pub struct BlobWriter {
    key: String,
    sink: Sink,
    size: i64,
    head: Vec<u8>,
    limit: i64,
    /// In place under its key: nothing to clean up.
    done: bool,
}

impl BlobWriter {
    /// Appends bytes; `false` (and nothing written) when they would pass the limit.
    pub async fn write(&mut self, chunk: Bytes) -> Result<bool> {
        if self.size + chunk.len() as i64 > self.limit {
            return Ok(false);
        }
        self.size += chunk.len() as i64;
        if self.head.len() < HEAD {
            self.head.extend(chunk.iter().take(HEAD - self.head.len()));
        }
        match &mut self.sink {
            Sink::Local { out: Some(out), .. } => out.write(chunk).await?,
            Sink::S3 { out: Some(out) } => out.put(chunk).await.map_err(Error::internal)?,
            _ => return Err(Error::internal("blob already finished")),
        }
        Ok(true)
    }

    /// Makes the blob whole under its key: synced and renamed on disk, the upload completed in S3.
    pub async fn finish(mut self) -> Result<Written> {
        match &mut self.sink {
            Sink::Local { out } => {
                let mut out = out.take().ok_or_else(|| Error::internal("blob already finished"))?;
                out.finish().await?;
            }
            Sink::S3 { out } => {
                let mut w = out.take().ok_or_else(|| Error::internal("blob already finished"))?;
                // A failed completion is not aborted again (`object_store` refuses once shut down).
                tokio::io::AsyncWriteExt::shutdown(&mut w).await.map_err(Error::internal)?;
            }
        }
        self.done = true;
        Ok(Written { key: std::mem::take(&mut self.key), size: self.size, head: std::mem::take(&mut self.head) })
    }

    /// Gives up the blob: nothing of it is kept.
    pub async fn abort(mut self) {
        match &mut self.sink {
            Sink::Local { out } => {
                if let Some(mut w) = out.take() {
                    w.abort().await;
                }
            }
            Sink::S3 { out } => {
                if let Some(mut w) = out.take() {
                    let _ = w.abort().await;
                }
            }
        }
        self.done = true;
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        match &mut self.sink {
            // Its writer, dropped with it, cleans up after its thread (`DiskWriter`'s drop);
            // one that ended cleaned up then.
            Sink::Local { .. } => {}
            Sink::S3 { out } => {
                if let Some(mut w) = out.take()
                    && let Ok(rt) = tokio::runtime::Handle::try_current()
                {
                    rt.spawn(async move {
                        let _ = w.abort().await;
                    });
                }
            }
        }
    }
}

/// A blob opened for reading at any offset.
pub enum BlobReader {
    Local(tokio::fs::File),
    S3 { store: Arc<dyn ObjectStore>, path: ObjectPath, at: u64, size: u64 },
}

impl BlobReader {
    /// Up to `count` bytes from the current offset (none at the end).
    pub async fn read(&mut self, count: usize) -> Result<Bytes> {
        match self {
            BlobReader::Local(file) => {
                let mut buf = vec![0u8; count.min(1024 * 1024)];
                let n = file.read(&mut buf).await.map_err(Error::internal)?;
                buf.truncate(n);
                Ok(Bytes::from(buf))
            }
            BlobReader::S3 { store, path, at, size } => {
                let end = (*at + count.min(1024 * 1024) as u64).min(*size);
                if end <= *at {
                    return Ok(Bytes::new());
                }
                let bytes = store.get_range(path, *at..end).await.map_err(store_err)?;
                *at += bytes.len() as u64;
                Ok(bytes)
            }
        }
    }

    pub async fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        match self {
            BlobReader::Local(file) => file.seek(pos).await.map_err(Error::internal),
            BlobReader::S3 { at, size, .. } => {
                let to = match pos {
                    SeekFrom::Start(n) => Some(n),
                    SeekFrom::End(d) => size.checked_add_signed(d),
                    SeekFrom::Current(d) => at.checked_add_signed(d),
                };
                *at = to.ok_or_else(|| Error::invalid("range", "document.bad_range"))?;
                Ok(*at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Blobs;
    use axum::body::Bytes;

    /// Every file under the blobs' root, by name.
    fn files(root: &std::path::Path) -> Vec<String> {
        let mut out = vec![];
        for shard in std::fs::read_dir(root).into_iter().flatten().flatten() {
            for f in std::fs::read_dir(shard.path()).into_iter().flatten().flatten() {
                out.push(f.file_name().to_string_lossy().into_owned());
            }
        }
        out.sort();
        out
    }

    /// Two writers of the same key (two requests making the same thumbnail) each write a file
    /// of their own: the key ends up whole, with one of them, and nothing else is left; a
    /// writer given up leaves nothing once its thread is done.
    #[tokio::test]
    async fn writers_of_one_key_never_mix_their_bytes_and_a_writer_given_up_leaves_nothing() -> preau_core::Result<()> {
        let root = std::env::temp_dir().join(format!("preau-blobs-{}", std::process::id()));
        let blobs = Blobs::Local { root: root.clone() };
        let (mut one, mut two) = (blobs.create_keyed("t-ab".into(), 1 << 20).await?, blobs.create_keyed("t-ab".into(), 1 << 20).await?);
        one.write(Bytes::from_static(b"first writer")).await?;
        two.write(Bytes::from_static(b"second")).await?;
        one.write(Bytes::from_static(b", whole")).await?;
        one.finish().await?;
        two.finish().await?;
        let kept = std::fs::read(root.join("ab").join("t-ab")).map_err(preau_core::Error::internal)?;
        assert!(kept == b"second" || kept == b"first writer, whole", "{}", String::from_utf8_lossy(&kept));
        assert_eq!(files(&root), ["t-ab"]);

        let mut given_up = blobs.create_keyed("t-cd".into(), 1 << 20).await?;
        given_up.write(Bytes::from_static(b"never finished")).await?;
        drop(given_up);
        for _ in 0..200 {
            if files(&root) == ["t-ab"] {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(files(&root), ["t-ab"], "nothing left of the writer given up");
        let _ = std::fs::remove_dir_all(&root);
        Ok(())
    }
}
