//! Communication's storage, part four: uploads and the messages they are attached to (the
//! files themselves are on disk, under their id, kept by the web layer).

use crate::rows::{ids_json, int, opt_parse, parse, text};
use crate::{Store, db_err};
use preau_communication::attachments::{Attached, Upload};
use preau_core::{AttachmentId, MessageId, PersonId, Result};
use sqlx::AssertSqlSafe;

pub(crate) async fn insert(s: &Store, u: &Upload) -> Result<()> {
    sqlx::query("INSERT INTO attachments (id, owner_id, message_id, name, content_type, size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(u.file.id.to_string())
        .bind(u.owner.to_string())
        .bind(u.message.map(|m| m.to_string()))
        .bind(u.file.name.clone())
        .bind(u.file.content_type.clone())
        .bind(u.file.size)
        .bind(u.created_at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get(s: &Store, id: AttachmentId) -> Result<Option<Upload>> {
    let r = sqlx::query("SELECT * FROM attachments WHERE id = $1").bind(id.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?;
    r.map(|r| {
        Ok(Upload {
            file: Attached { id: parse(&r, "id")?, name: text(&r, "name")?, content_type: text(&r, "content_type")?, size: int(&r, "size")? },
            owner: parse(&r, "owner_id")?,
            message: opt_parse(&r, "message_id")?,
            created_at: int(&r, "created_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn pending_bytes(s: &Store, owner: PersonId) -> Result<i64> {
    let r = sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM attachments WHERE owner_id = $1 AND message_id IS NULL")
        .bind(owner.to_string())
        .fetch_one(&s.pool)
        .await
        .map_err(db_err)?;
    int(&r, "n")
}

pub(crate) async fn purge(s: &Store, before: i64) -> Result<Vec<AttachmentId>> {
    let rs = sqlx::query("DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1 RETURNING id")
        .bind(before)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(|r| parse(r, "id")).collect()
}

/// Attaches the files to a message, within its insert.
pub(crate) async fn attach(s: &Store, tx: &mut sqlx::AnyConnection, message: MessageId, files: &[Attached]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let json = ids_json(&files.iter().map(|f| f.id).collect::<Vec<_>>())?;
    let sql = format!("UPDATE attachments SET message_id = $1 WHERE id IN ({})", s.dialect.json_strings(2));
    sqlx::query(AssertSqlSafe(sql)).bind(message.to_string()).bind(json).execute(&mut *tx).await.map_err(db_err)?;
    Ok(())
}
