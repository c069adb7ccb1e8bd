//! The bytes of documents, on local disk (`documents/` of the data folder): each blob a file
//! named by its key, in one of 256 subfolders. A blob is written once — streamed to a
//! temporary file, its size checked as the bytes come, synced, then renamed into place — and
//! never changed; a new version is a new blob.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use preau_core::{Error, Result};
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// Bytes buffered before a write to disk.
const WRITE_BUFFER: usize = 1024 * 1024;
/// Bytes read from disk at a time when serving.
const READ_CHUNK: usize = 256 * 1024;
/// The first bytes kept to tell a file's type.
pub const HEAD: usize = 16;

pub struct Blobs {
    root: PathBuf,
}

/// A blob being written. Dropped before [`BlobWriter::finish`], it leaves nothing behind.
pub struct BlobWriter {
    key: String,
    path: PathBuf,
    partial: PathBuf,
    out: Option<tokio::io::BufWriter<tokio::fs::File>>,
    size: i64,
    head: Vec<u8>,
    limit: i64,
    /// Renamed into place: nothing to clean up.
    done: bool,
}

impl BlobWriter {
    /// Appends bytes; `false` (and nothing written) when they would pass the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<bool> {
        if self.size + chunk.len() as i64 > self.limit {
            return Ok(false);
        }
        self.size += chunk.len() as i64;
        if self.head.len() < HEAD {
            self.head.extend(chunk.iter().take(HEAD - self.head.len()));
        }
        let out = self.out.as_mut().ok_or_else(|| Error::internal("blob already finished"))?;
        out.write_all(chunk).await.map_err(Error::internal)?;
        Ok(true)
    }

    pub fn size(&self) -> i64 {
        self.size
    }

    /// Syncs the blob and puts it in place under its key.
    pub async fn finish(mut self) -> Result<Written> {
        let mut out = self.out.take().ok_or_else(|| Error::internal("blob already finished"))?;
        out.flush().await.map_err(Error::internal)?;
        out.get_ref().sync_all().await.map_err(Error::internal)?;
        drop(out);
        tokio::fs::rename(&self.partial, &self.path).await.map_err(Error::internal)?;
        self.done = true;
        Ok(Written { key: std::mem::take(&mut self.key), size: self.size, head: std::mem::take(&mut self.head) })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// A blob written: its key, size and first bytes.
pub struct Written {
    pub key: String,
    pub size: i64,
    pub head: Vec<u8>,
}

impl Blobs {
    pub fn local(root: PathBuf) -> Blobs {
        Blobs { root }
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = key.get(key.len().saturating_sub(2)..).unwrap_or("00");
        self.root.join(shard).join(key)
    }

    /// A new blob of at most `limit` bytes, written as its bytes come.
    pub async fn create(&self, limit: i64) -> Result<BlobWriter> {
        let key = uuid::Uuid::now_v7().simple().to_string();
        let path = self.path(&key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(Error::internal)?;
        }
        let partial = path.with_extension("part");
        let file = tokio::fs::File::create(&partial).await.map_err(Error::internal)?;
        let out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        Ok(BlobWriter { key, path, partial, out: Some(out), size: 0, head: Vec::with_capacity(HEAD), limit, done: false })
    }

    /// Streams `chunks` into a new blob of at most `limit` bytes; past it, or when the stream
    /// fails, nothing is kept and `over` (or "interrupted") is returned.
    pub async fn write<E: std::fmt::Display>(
        &self,
        mut chunks: impl Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        limit: i64,
        over: Error,
    ) -> Result<Written> {
        let mut w = self.create(limit).await?;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::info!(error = %e, "an upload was interrupted");
                Error::invalid("file", "document.interrupted")
            })?;
            if !w.write(&chunk).await? {
                return Err(over);
            }
        }
        w.finish().await
    }

    /// A new blob with the bytes of `key` (a hard link: blobs never change).
    pub async fn duplicate(&self, key: &str) -> Result<String> {
        let copy = uuid::Uuid::now_v7().simple().to_string();
        let to = self.path(&copy);
        if let Some(dir) = to.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(Error::internal)?;
        }
        if tokio::fs::hard_link(self.path(key), &to).await.is_err() {
            tokio::fs::copy(self.path(key), &to).await.map_err(Error::internal)?;
        }
        Ok(copy)
    }

    /// A blob opened for reading at any offset.
    pub async fn open(&self, key: &str) -> Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(key)).await.map_err(|_| Error::NotFound)
    }

    /// `len` bytes of a blob from `start`, in chunks.
    pub async fn read(&self, key: &str, start: u64, len: u64) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + use<>> {
        let mut file = tokio::fs::File::open(self.path(key)).await.map_err(|_| Error::NotFound)?;
        if start > 0 {
            file.seek(std::io::SeekFrom::Start(start)).await.map_err(Error::internal)?;
        }
        Ok(futures_util::stream::unfold((file, len), |(mut file, left)| async move {
            if left == 0 {
                return None;
            }
            let mut buf = vec![0u8; READ_CHUNK.min(left as usize)];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), (file, left - n as u64)))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        }))
    }

    /// Deletes blobs (those already gone are no error).
    pub async fn delete(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = tokio::fs::remove_file(self.path(key)).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::error!(error = %e, key, "a blob could not be deleted");
            }
        }
    }
}
