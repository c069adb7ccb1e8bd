//! Thumbnails of images (PNG, JPEG, GIF): at most 256 pixels a side, made the first time they
//! are asked for and kept beside the image's blob (`t-<blob>`), so that a folder of photos is
//! decoded once. Decoding is bounded (dimensions and memory) and runs off the async threads;
//! a file that is not a decodable image simply has no thumbnail.

use super::blobs::Blobs;
use super::serve;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use preau_core::{Error, Result};
use preau_documents::Node;

/// The longest side of a thumbnail.
pub const SIDE: u32 = 256;
/// Images larger than this are not decoded for a thumbnail.
const MAX_SOURCE: i64 = 30 * 1024 * 1024;

/// The blob key of a blob's thumbnail.
pub fn key_of(blob: &str) -> String {
    format!("t-{blob}")
}

pub fn thumbnailable(node: &Node) -> bool {
    !node.folder && node.size <= MAX_SOURCE && matches!(node.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif")
}

/// Makes a thumbnail of an image's bytes: PNG when the image has transparency, JPEG otherwise.
pub fn make(bytes: &[u8]) -> Result<(Vec<u8>, &'static str)> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(Error::internal)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| Error::NotFound)?;
    let small = img.thumbnail(SIDE, SIDE);
    let mut out = std::io::Cursor::new(Vec::new());
    if small.color().has_alpha() {
        small.write_to(&mut out, image::ImageFormat::Png).map_err(Error::internal)?;
        Ok((out.into_inner(), "image/png"))
    } else {
        let rgb = small.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&rgb).map_err(Error::internal)?;
        Ok((out.into_inner(), "image/jpeg"))
    }
}

/// The thumbnail of an image node, made and kept on first use.
pub async fn serve_thumbnail(blobs: &Blobs, headers: &HeaderMap, node: &Node) -> Result<Response> {
    if !thumbnailable(node) {
        return Err(Error::NotFound);
    }
    let blob = node.blob.as_deref().ok_or(Error::NotFound)?;
    let key = key_of(blob);
    let kept = blobs.size(&key).await;
    let (size, content_type) = match kept {
        Some(size) => (size, sniff_kept(blobs, &key).await?),
        None => {
            let mut source = Vec::with_capacity(node.size.max(0) as usize);
            let mut chunks = blobs.read(blob, 0, node.size.max(0) as u64).await?;
            while let Some(c) = chunks.next().await {
                source.extend_from_slice(&c.map_err(Error::internal)?);
            }
            let (bytes, content_type) = tokio::task::spawn_blocking(move || make(&source)).await.map_err(Error::internal)??;
            let size = bytes.len() as u64;
            let mut w = blobs.create_keyed(key.clone(), size as i64).await?;
            w.write(Bytes::from(bytes)).await?;
            w.finish().await?;
            (size, content_type)
        }
    };
    let etag = format!("{}-{}-t", node.id, node.version);
    serve::serve(blobs, headers, serve::Served { blob: &key, name: &node.name, content_type, size: size as i64, etag, inline: true }).await
}

/// The type of a kept thumbnail, from its first bytes.
async fn sniff_kept(blobs: &Blobs, key: &str) -> Result<&'static str> {
    let mut chunks = blobs.read(key, 0, 8).await?;
    let head = chunks.next().await.transpose().map_err(Error::internal)?.unwrap_or_default();
    Ok(if head.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" })
}
