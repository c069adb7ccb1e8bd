//! A folder downloaded as one ZIP archive, written as it is sent: each file stored as it is
//! (no compression: school files are mostly PDFs, images and office files, compressed already),
//! its CRC computed on the way and given after it (a data descriptor), ZIP64 records where a
//! size or an offset passes 4 GiB. Nothing is held in memory but one chunk.

use super::blobs::Blobs;
use axum::body::Bytes;
use futures_util::StreamExt;
use preau_documents::Node;
use std::sync::Arc;

const MAX32: u64 = 0xFFFF_FFFF;

/// One entry: its path in the archive, and its node (a folder has none of its own bytes).
pub struct Entry {
    pub path: String,
    pub node: Node,
}

struct Central {
    name: Vec<u8>,
    folder: bool,
    crc: u32,
    size: u64,
    offset: u64,
    time: (u16, u16),
}

/// DOS date and time of a Unix time (UTC).
fn dos_time(ts: i64) -> (u16, u16) {
    let Some(t) = chrono::DateTime::from_timestamp(ts, 0) else { return (0, 0x21) };
    use chrono::{Datelike, Timelike};
    let time = ((t.hour() << 11) | (t.minute() << 5) | (t.second() / 2)) as u16;
    let year = t.year().clamp(1980, 2107) as u32 - 1980;
    let date = ((year << 9) | (t.month() << 5) | t.day()) as u16;
    (time, date)
}

fn local_header(name: &[u8], time: (u16, u16), zip64: bool) -> Vec<u8> {
    let mut h = Vec::with_capacity(30 + name.len() + 20);
    h.extend(0x0403_4b50u32.to_le_bytes());
    h.extend((if zip64 { 45u16 } else { 20u16 }).to_le_bytes());
    h.extend((0x0008u16 | 0x0800).to_le_bytes()); // sizes and CRC after the data; UTF-8 names
    h.extend(0u16.to_le_bytes()); // stored
    h.extend(time.0.to_le_bytes());
    h.extend(time.1.to_le_bytes());
    h.extend(0u32.to_le_bytes());
    let unknown = if zip64 { MAX32 as u32 } else { 0 };
    h.extend(unknown.to_le_bytes());
    h.extend(unknown.to_le_bytes());
    h.extend((name.len() as u16).to_le_bytes());
    h.extend((if zip64 { 20u16 } else { 0 }).to_le_bytes());
    h.extend(name);
    if zip64 {
        h.extend(1u16.to_le_bytes());
        h.extend(16u16.to_le_bytes());
        h.extend(0u64.to_le_bytes());
        h.extend(0u64.to_le_bytes());
    }
    h
}

fn descriptor(crc: u32, size: u64, zip64: bool) -> Vec<u8> {
    let mut d = Vec::with_capacity(24);
    d.extend(0x0807_4b50u32.to_le_bytes());
    d.extend(crc.to_le_bytes());
    if zip64 {
        d.extend(size.to_le_bytes());
        d.extend(size.to_le_bytes());
    } else {
        d.extend((size as u32).to_le_bytes());
        d.extend((size as u32).to_le_bytes());
    }
    d
}

fn central_entry(c: &Central) -> Vec<u8> {
    let big_size = c.size >= MAX32;
    let big_offset = c.offset >= MAX32;
    let mut extra = vec![];
    if big_size {
        extra.extend(c.size.to_le_bytes());
        extra.extend(c.size.to_le_bytes());
    }
    if big_offset {
        extra.extend(c.offset.to_le_bytes());
    }
    let mut h = Vec::with_capacity(46 + c.name.len() + 24);
    h.extend(0x0201_4b50u32.to_le_bytes());
    h.extend((45u16 | (3 << 8)).to_le_bytes()); // made by: Unix
    h.extend((if big_size || big_offset { 45u16 } else { 20u16 }).to_le_bytes());
    h.extend((0x0008u16 | 0x0800).to_le_bytes());
    h.extend(0u16.to_le_bytes());
    h.extend(c.time.0.to_le_bytes());
    h.extend(c.time.1.to_le_bytes());
    h.extend(c.crc.to_le_bytes());
    let size = if big_size { MAX32 as u32 } else { c.size as u32 };
    h.extend(size.to_le_bytes());
    h.extend(size.to_le_bytes());
    h.extend((c.name.len() as u16).to_le_bytes());
    h.extend((if extra.is_empty() { 0 } else { extra.len() as u16 + 4 }).to_le_bytes());
    h.extend(0u16.to_le_bytes()); // comment
    h.extend(0u16.to_le_bytes()); // disk
    h.extend(0u16.to_le_bytes()); // internal attributes
    let mode: u32 = if c.folder { 0o40755 } else { 0o100644 };
    h.extend((mode << 16 | if c.folder { 0x10 } else { 0 }).to_le_bytes());
    h.extend((if big_offset { MAX32 as u32 } else { c.offset as u32 }).to_le_bytes());
    h.extend(&c.name);
    if !extra.is_empty() {
        h.extend(1u16.to_le_bytes());
        h.extend((extra.len() as u16).to_le_bytes());
        h.extend(extra);
    }
    h
}

fn end_records(count: u64, cd_offset: u64, cd_size: u64) -> Vec<u8> {
    let mut e = vec![];
    let zip64 = count >= 0xFFFF || cd_offset >= MAX32 || cd_size >= MAX32;
    if zip64 {
        let record_at = cd_offset + cd_size;
        e.extend(0x0606_4b50u32.to_le_bytes());
        e.extend(44u64.to_le_bytes());
        e.extend((45u16 | (3 << 8)).to_le_bytes());
        e.extend(45u16.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(count.to_le_bytes());
        e.extend(cd_size.to_le_bytes());
        e.extend(cd_offset.to_le_bytes());
        e.extend(0x0706_4b50u32.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e.extend(record_at.to_le_bytes());
        e.extend(1u32.to_le_bytes());
    }
    e.extend(0x0605_4b50u32.to_le_bytes());
    e.extend(0u16.to_le_bytes());
    e.extend(0u16.to_le_bytes());
    let n = if zip64 { 0xFFFF } else { count as u16 };
    e.extend(n.to_le_bytes());
    e.extend(n.to_le_bytes());
    e.extend((if zip64 { MAX32 as u32 } else { cd_size as u32 }).to_le_bytes());
    e.extend((if zip64 { MAX32 as u32 } else { cd_offset as u32 }).to_le_bytes());
    e.extend(0u16.to_le_bytes());
    e
}

/// The archive of `entries`, as a stream of chunks written by a task of its own.
pub fn stream(blobs: Arc<Blobs>, entries: Vec<Entry>) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::spawn(async move {
        if let Err(e) = write(&blobs, entries, &tx).await {
            let _ = tx.send(Err(e)).await;
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

async fn write(blobs: &Blobs, entries: Vec<Entry>, tx: &tokio::sync::mpsc::Sender<std::io::Result<Bytes>>) -> std::io::Result<()> {
    let send = |b: Vec<u8>| async move { tx.send(Ok(Bytes::from(b))).await.map_err(|_| std::io::Error::other("the client went away")) };
    let mut offset = 0u64;
    let mut central = vec![];
    for e in entries {
        let folder = e.node.folder;
        let name = if folder { format!("{}/", e.path) } else { e.path.clone() }.into_bytes();
        let size = if folder { 0 } else { e.node.size.max(0) as u64 };
        let zip64 = size >= MAX32 || offset >= MAX32;
        let time = dos_time(e.node.modified_at);
        let header = local_header(&name, time, zip64);
        let at = offset;
        offset += header.len() as u64;
        send(header).await?;
        let mut crc = crc32fast::Hasher::new();
        if let (false, Some(key)) = (folder, &e.node.blob) {
            let mut chunks = blobs.read(key, 0, size).await.map_err(std::io::Error::other)?;
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                crc.update(&chunk);
                offset += chunk.len() as u64;
                tx.send(Ok(chunk)).await.map_err(|_| std::io::Error::other("the client went away"))?;
            }
        }
        let crc = crc.finalize();
        let d = descriptor(crc, size, zip64);
        offset += d.len() as u64;
        send(d).await?;
        central.push(Central { name, folder, crc, size, offset: at, time });
    }
    let cd_offset = offset;
    let mut cd = vec![];
    for c in &central {
        cd.extend(central_entry(c));
    }
    let cd_size = cd.len() as u64;
    send(cd).await?;
    send(end_records(central.len() as u64, cd_offset, cd_size)).await
}
