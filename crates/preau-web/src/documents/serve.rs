//! Serving a stored file: byte ranges (`Range: bytes=…`, one range; a resumed download or a
//! video's seek), and headers that keep an uploaded file from running in Préau's origin — a
//! download by default, a sandboxing content security policy, `nosniff`, and the type read
//! from the content. Images and PDFs may be shown inline for previews.

use super::blobs::Blobs;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use preau_core::Result;

/// What a response says of the file it serves.
pub struct Served<'a> {
    pub blob: &'a str,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    /// A validator of this content (changes with each version).
    pub etag: String,
    /// Shown in the browser (an image or PDF preview) rather than downloaded.
    pub inline: bool,
}

/// Types a browser may show inline without running anything of the file's.
const PREVIEWABLE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "application/pdf"];

/// What part of a file a request asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Asked {
    /// The whole file (no range, or several: the whole is a valid answer to those).
    Whole,
    /// `length` bytes from `start`.
    Part { start: u64, length: u64 },
    /// A range outside the file.
    Unsatisfiable,
}

/// The first range of a `Range` header within a file of `size` bytes.
pub fn range_of(headers: &HeaderMap, size: u64) -> Asked {
    let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Asked::Whole;
    };
    if spec.contains(',') {
        return Asked::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else { return Asked::Unsatisfiable };
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
        (Some(s), Some(e)) if s <= e => (s, e.min(size.saturating_sub(1))),
        (Some(s), None) if b.is_empty() => (s, size.saturating_sub(1)),
        (None, Some(n)) if a.is_empty() && n > 0 => (size.saturating_sub(n), size.saturating_sub(1)),
        _ => return Asked::Unsatisfiable,
    };
    if start >= size {
        return Asked::Unsatisfiable;
    }
    Asked::Part { start, length: end - start + 1 }
}

/// The response for a file, whole or the range asked.
pub async fn serve(blobs: &Blobs, headers: &HeaderMap, f: Served<'_>) -> Result<Response> {
    let size = f.size.max(0) as u64;
    let etag = format!("\"{}\"", f.etag);
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let range = match range_of(headers, size) {
        Asked::Whole => None,
        Asked::Part { start, length } => Some((start, length)),
        Asked::Unsatisfiable => return Ok((StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, format!("bytes */{size}"))]).into_response()),
    };
    let (start, len) = range.unwrap_or((0, size));
    let body = Body::from_stream(blobs.read(f.blob, start, len).await?);
    let inline = f.inline && PREVIEWABLE.contains(&f.content_type);
    let mut response = body.into_response();
    let h = response.headers_mut();
    let mut set = |k: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set(header::CONTENT_TYPE, f.content_type.to_owned());
    set(header::CONTENT_LENGTH, len.to_string());
    set(header::CONTENT_DISPOSITION, disposition(f.name, inline));
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff".into());
    // A PDF shown inline needs the browser's viewer, which a sandbox would stop.
    let csp = if inline && f.content_type == "application/pdf" { "default-src 'none'; object-src 'self'" } else { "sandbox; default-src 'none'" };
    set(header::CONTENT_SECURITY_POLICY, csp.into());
    set(header::CACHE_CONTROL, "private, no-cache".into());
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::ETAG, etag);
    if let Some((start, len)) = range {
        set(header::CONTENT_RANGE, format!("bytes {start}-{}/{size}", start + len - 1));
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}

/// `attachment` (or `inline`) with the name in ASCII and in UTF-8 (RFC 6266).
pub fn disposition(name: &str, inline: bool) -> String {
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_()".contains(c) { c } else { '_' }).collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}", preau_core::text::url_escape(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranged(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        h
    }

    #[test]
    fn ranges_are_read_as_browsers_and_download_tools_send_them() {
        let part = |start, length| Asked::Part { start, length };
        assert_eq!(range_of(&HeaderMap::new(), 100), Asked::Whole);
        assert_eq!(range_of(&ranged("bytes=0-9"), 100), part(0, 10));
        assert_eq!(range_of(&ranged("bytes=90-"), 100), part(90, 10));
        assert_eq!(range_of(&ranged("bytes=-5"), 100), part(95, 5));
        assert_eq!(range_of(&ranged("bytes=50-500"), 100), part(50, 50));
        assert_eq!(range_of(&ranged("bytes=100-"), 100), Asked::Unsatisfiable);
        assert_eq!(range_of(&ranged("bytes=9-3"), 100), Asked::Unsatisfiable);
        assert_eq!(range_of(&ranged("bytes=0-1,5-6"), 100), Asked::Whole);
    }
}
