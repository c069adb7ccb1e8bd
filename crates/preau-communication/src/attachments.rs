//! Files attached to messages. A file is uploaded first (streamed to storage by the web layer
//! under a new id, then recorded here as its uploader's), and attached by its id when a message
//! is sent or saved as a draft. Only the sender and the recipients of that message may download
//! it, and only while they may read the message (not hidden by a moderator, delivered, not
//! recalled from them). An upload left unattached for a day is purged.
//!
//! Limits: 10 MiB a file, 10 files and 25 MiB a message, 100 MiB of unattached uploads per
//! person. A file's type is read from its first bytes, never taken from the client.

use crate::{Communication, CommunicationStore};
use preau_core::error::Validator;
use preau_core::{AttachmentId, Error, MessageId, PersonId, Principal, Result};
use serde::{Deserialize, Serialize};

pub const MAX_FILE_BYTES: i64 = 10 * 1024 * 1024;
pub const MAX_FILES: usize = 10;
pub const MAX_MESSAGE_BYTES: i64 = 25 * 1024 * 1024;
pub const MAX_PENDING_BYTES: i64 = 100 * 1024 * 1024;
/// How long an upload may wait for its message.
pub const PENDING_SECS: i64 = 86_400;
const MAX_NAME: usize = 120;

/// A file as a message lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    pub id: AttachmentId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// An uploaded file with whose it is and the message it is attached to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file: Attached,
    pub owner: PersonId,
    pub message: Option<MessageId>,
    pub created_at: i64,
}

/// A file name safe to show and to offer for download: no folders, no control characters, not
/// hidden, at most 120 characters; "fichier" when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|')).collect();
    let trimmed = kept.trim().trim_start_matches('.').trim();
    let mut name: String = trimmed.chars().take(MAX_NAME).collect();
    if name.is_empty() {
        name = "fichier".into();
    }
    name
}

/// The type of a file from its first bytes: the formats a school exchanges that a browser may
/// show; anything else is a plain download.
pub fn sniff(head: &[u8]) -> &'static str {
    const KNOWN: [(&[u8], &str); 5] = [
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF8", "image/gif"),
        // Office and OpenDocument files are zip archives.
        (b"PK\x03\x04", "application/zip"),
    ];
    KNOWN.iter().find(|(magic, _)| head.starts_with(magic)).map(|(_, t)| *t).unwrap_or("application/octet-stream")
}

impl<S: CommunicationStore> Communication<S> {
    /// Records a file the web layer stored under `id` as the caller's upload. Refused (and to be
    /// deleted by the caller) when empty, too large, or past the caller's unattached total.
    pub async fn record_upload(&self, caller: &Principal, id: AttachmentId, name: &str, head: &[u8], size: i64) -> Result<Attached> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut v = Validator::new();
        v.check(size > 0, "file", "attachment.empty");
        v.check(size <= MAX_FILE_BYTES, "file", "attachment.too_large");
        v.finish()?;
        if self.store.pending_upload_bytes(me).await? + size > MAX_PENDING_BYTES {
            return Err(Error::invalid("file", "attachment.too_many_pending"));
        }
        let file = Attached { id, name: clean_name(name), content_type: sniff(head).to_owned(), size };
        self.store.insert_upload(&Upload { file: file.clone(), owner: me, message: None, created_at: self.clock.now() }).await?;
        Ok(file)
    }

    /// The caller's uploads to attach to a message: theirs, unattached or on the draft being
    /// replaced, within the limits of a message.
    pub(crate) async fn attachable(&self, me: PersonId, ids: &[AttachmentId], draft: Option<MessageId>) -> Result<Vec<Attached>> {
        if ids.len() > MAX_FILES {
            return Err(Error::invalid("attachments", "attachment.too_many"));
        }
        let mut files: Vec<Attached> = vec![];
        for id in ids {
            let file = self.attachable_one(me, *id, draft).await?.ok_or_else(|| Error::invalid("attachments", "attachment.unknown"))?;
            if !files.contains(&file) {
                files.push(file);
            }
        }
        if files.iter().map(|f| f.size).sum::<i64>() > MAX_MESSAGE_BYTES {
            return Err(Error::invalid("attachments", "attachment.message_too_large"));
        }
        Ok(files)
    }

    /// An upload of `me`'s that is unattached or on `draft`.
    async fn attachable_one(&self, me: PersonId, id: AttachmentId, draft: Option<MessageId>) -> Result<Option<Attached>> {
        Ok(self.store.upload(id).await?.filter(|u| u.owner == me && u.message.is_none_or(|m| Some(m) == draft)).map(|u| u.file))
    }

    /// The caller's uploads among `ids` that they may attach (unattached, or on `draft`), for
    /// the compose form; anything else is left out, never named.
    pub async fn my_uploads(&self, caller: &Principal, ids: &[AttachmentId], draft: Option<MessageId>) -> Result<Vec<Attached>> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let mut files: Vec<Attached> = vec![];
        for id in ids.iter().take(MAX_FILES) {
            if let Some(file) = self.attachable_one(me, *id, draft).await?
                && !files.contains(&file)
            {
                files.push(file);
            }
        }
        Ok(files)
    }

    /// A file of a message, for its sender or a recipient who may read the message.
    pub async fn attachment(&self, caller: &Principal, message: MessageId, id: AttachmentId) -> Result<Attached> {
        let me = caller.person_id().ok_or(Error::Forbidden)?;
        let m = self.store.message(message).await?;
        if m.hidden_at.is_some() {
            return Err(Error::NotFound);
        }
        if m.sender != me {
            self.delivered(me, message).await?;
        }
        match self.store.upload(id).await? {
            Some(u) if u.message == Some(message) => Ok(u.file),
            _ => Err(Error::NotFound),
        }
    }

    /// Forgets the uploads left unattached for a day; returns their ids (their files are the
    /// caller's to delete).
    pub async fn purge_uploads(&self) -> Result<Vec<AttachmentId>> {
        self.store.purge_uploads(self.clock.now() - PENDING_SECS).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_folders_and_tricks_and_types_come_from_the_content() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\moi\\Sortie au musée.pdf"), "Sortie au musée.pdf");
        assert_eq!(clean_name(".htaccess"), "htaccess");
        assert_eq!(clean_name("a\u{0}b\r\n\"c\".txt"), "abc.txt");
        assert_eq!(clean_name("///"), "fichier");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), 120);
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), "image/png");
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), "application/octet-stream");
        assert_eq!(sniff(b"<svg onload=alert(1)>"), "application/octet-stream");
    }
}
