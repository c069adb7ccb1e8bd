//! Communication's storage, part two: messages and their deliveries. A message is one row (its
//! addressing kept as JSON); each recipient has a delivery row saying when they see it, where
//! they filed it and when they read it. The sender's own copy is filed on the message row.

use crate::rows::{from_json, ids_json, int, opt, opt_int, opt_parse, parse, text, to_json};
use crate::{Store, db_err};
use preau_communication::messages::{Acknowledgement, Copy, Entry, Fanout, Folder, Message};
use preau_core::{Error, MessageId, PersonId, Result};
use sqlx::any::AnyRow;

fn message(r: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        sender: parse(r, "sender_id")?,
        sender_name: text(r, "sender_name")?,
        thread: parse(r, "thread_id")?,
        parent: opt_parse(r, "parent_id")?,
        subject: text(r, "subject")?,
        body: text(r, "body")?,
        addressees: from_json(&text(r, "addressees")?)?,
        created_at: int(r, "created_at")?,
        sent_at: opt_int(r, "sent_at")?,
        deliver_at: opt_int(r, "deliver_at")?,
        no_reply: int(r, "no_reply")? != 0,
        acknowledge: int(r, "acknowledge")? != 0,
        recalled_at: opt_int(r, "recalled_at")?,
        hidden_at: opt_int(r, "hidden_at")?,
        recipients: int(r, "recipients")?,
        attachments: from_json(&text(r, "attachments")?)?,
    })
}

fn folder_of(code: &str) -> Result<Folder> {
    Folder::parse(code).ok_or_else(|| Error::Internal(format!("bad folder {code}")))
}

pub(crate) async fn insert(s: &Store, m: &Message, deliveries: &[(PersonId, Copy)], replaces: Option<MessageId>) -> Result<()> {
    // The recipients wait in `fanout` for the outbox (none for a draft).
    let fanout = match deliveries {
        [] => None,
        list => Some(recipients_json(list)?),
    };
    let (_turn, mut tx) = s.begin_send().await?;
    if let Some(draft) = replaces {
        drop_draft(&mut tx, draft).await?;
    }
    sqlx::query("INSERT INTO messages (id, territory_id, sender_id, sender_name, thread_id, parent_id, subject, body, addressees, created_at, sent_at, deliver_at, no_reply, recalled_at, recipients, sender_folder, acknowledge, fanout, attachments) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")
        .bind(m.id.to_string())
        .bind(m.territory.to_string())
        .bind(m.sender.to_string())
        .bind(m.sender_name.clone())
        .bind(m.thread.to_string())
        .bind(m.parent.map(|p| p.to_string()))
        .bind(m.subject.clone())
        .bind(m.body.clone())
        .bind(to_json(&m.addressees)?)
        .bind(m.created_at)
        .bind(m.sent_at)
        .bind(m.deliver_at)
        .bind(i64::from(m.no_reply))
        .bind(m.recalled_at)
        .bind(m.recipients)
        .bind(if m.sent_at.is_some() { "sent" } else { "drafts" })
        .bind(i64::from(m.acknowledge))
        .bind(fanout)
        .bind(to_json(&m.attachments)?)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    crate::attachments::attach(s, &mut tx, m.id, &m.attachments).await?;
    tx.commit().await.map_err(db_err)
}

fn recipients_json(list: &[(PersonId, Copy)]) -> Result<String> {
    let rows: Vec<[String; 2]> = list.iter().map(|(p, c)| [p.to_string(), c.code().to_owned()]).collect();
    to_json(&rows)
}

/// Writes the deliveries of messages, one statement each (the recipients travel as one JSON
/// parameter), each with the message's notification for its recipient; those already written
/// are left as they are.
pub(crate) async fn deliver(s: &Store, messages: &[Fanout]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let d = s.dialect;
    let sql = format!(
        "INSERT INTO message_deliveries (person_id, message_id, copy, delivered_at, folder, pushed, email, mail_due, digested) SELECT {}, $1, {}, $2, 'inbox', {}, {}, {}, {} FROM {} WHERE true ON CONFLICT DO NOTHING",
        d.json_at(0, false),
        d.json_at(1, false),
        d.json_at(2, true),
        d.json_at(3, false),
        d.json_at(4, true),
        d.json_at(5, true),
        d.json_rows(3)
    );
    let mut tx = s.begin_background_write().await?;
    for f in messages {
        let rows: Vec<serde_json::Value> = f
            .recipients
            .iter()
            .map(|r| {
                let n = r.notice;
                serde_json::json!([r.person.to_string(), r.copy.code(), i64::from(n.handled), n.email.code(), n.mail_due, i64::from(n.digested())])
            })
            .collect();
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(f.message.to_string())
            .bind(f.at)
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    fanned_out(s, &mut tx, &messages.iter().map(|f| f.message).collect::<Vec<_>>()).await?;
    tx.commit().await.map_err(db_err)
}

/// Clears the `fanout` of messages whose deliveries (with their notifications) are written,
/// within the transaction that writes them.
async fn fanned_out(s: &Store, tx: &mut sqlx::AnyConnection, messages: &[MessageId]) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let json = ids_json(messages)?;
    let sql = format!("UPDATE messages SET fanout = NULL WHERE id IN ({})", s.dialect.json_strings(1));
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(json).execute(&mut *tx).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn unnotified(s: &Store) -> Result<Vec<(Message, Vec<(PersonId, Copy)>)>> {
    let rs = sqlx::query("SELECT * FROM messages WHERE fanout IS NOT NULL ORDER BY created_at").fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter()
        .map(|r| {
            let rows: Vec<[String; 2]> = from_json(&text(r, "fanout")?)?;
            let list = rows
                .iter()
                .map(|[p, c]| Ok((p.parse()?, Copy::parse(c).ok_or_else(|| Error::Internal(format!("bad copy {c}")))?)))
                .collect::<Result<Vec<_>>>()?;
            Ok((message(r)?, list))
        })
        .collect()
}

pub(crate) async fn delete_draft(s: &Store, id: MessageId) -> Result<()> {
    let mut tx = s.begin_write().await?;
    drop_draft(&mut tx, id).await?;
    tx.commit().await.map_err(db_err)
}

/// Deletes a draft within a transaction, its files going back to unattached uploads.
async fn drop_draft(tx: &mut sqlx::AnyConnection, id: MessageId) -> Result<()> {
    let gone = sqlx::query("DELETE FROM messages WHERE id = $1 AND sent_at IS NULL").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    if gone.rows_affected() > 0 {
        sqlx::query("UPDATE attachments SET message_id = NULL WHERE message_id = $1").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn get(s: &Store, id: MessageId) -> Result<Message> {
    let r = sqlx::query("SELECT * FROM messages WHERE id = $1").bind(id.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?.ok_or(Error::NotFound)?;
    message(&r)
}

pub(crate) async fn delivery(s: &Store, id: MessageId, person: PersonId) -> Result<Option<(Option<i64>, Folder)>> {
    let r = sqlx::query("SELECT read_at, folder FROM message_deliveries WHERE message_id = $1 AND person_id = $2")
        .bind(id.to_string())
        .bind(person.to_string())
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    r.map(|r| Ok((opt_int(&r, "read_at")?, folder_of(&text(&r, "folder")?)?))).transpose()
}

/// Stamps a person's delivery of a message with `at` (`$1` message, `$2` person, `$3` time).
async fn stamp(s: &Store, sql: &'static str, id: MessageId, person: PersonId, at: i64) -> Result<()> {
    sqlx::query(sql).bind(id.to_string()).bind(person.to_string()).bind(at).execute(&s.pool).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn mark_read(s: &Store, id: MessageId, person: PersonId, at: i64) -> Result<()> {
    stamp(s, "UPDATE message_deliveries SET read_at = $3 WHERE message_id = $1 AND person_id = $2 AND read_at IS NULL", id, person, at).await
}

/// `%search%` for LIKE, lower-cased, with its wildcards escaped.
fn contains(search: &str) -> String {
    format!("%{}%", search.to_lowercase().replace('\\', "").replace('%', "\\%").replace('_', "\\_"))
}

const MATCHES: &str = "($3 = '%%' OR lower(m.subject) LIKE $3 ESCAPE '\\' OR lower(m.body) LIKE $3 ESCAPE '\\' OR lower(m.sender_name) LIKE $3 ESCAPE '\\')";

async fn received(s: &Store, person: PersonId, folder: Folder, search: &str, now: i64, limit: i64) -> Result<Vec<Entry>> {
    let sql = format!(
        "SELECT m.*, d.read_at AS d_read_at, d.folder AS d_folder, d.delivered_at AS d_at FROM message_deliveries d JOIN messages m ON m.id = d.message_id WHERE d.person_id = $1 AND d.folder = $2 AND {MATCHES} AND d.delivered_at <= $4 ORDER BY d.delivered_at DESC, m.id DESC LIMIT $5"
    );
    let rs = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person.to_string())
        .bind(folder.code())
        .bind(contains(search))
        .bind(now)
        .bind(limit)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(|r| Ok(Entry { message: message(r)?, folder: folder_of(&text(r, "d_folder")?)?, read_at: opt_int(r, "d_read_at")? })).collect()
}

async fn own(s: &Store, person: PersonId, folder: Folder, search: &str, limit: i64) -> Result<Vec<Entry>> {
    let sql =
        format!("SELECT m.* FROM messages m WHERE m.sender_id = $1 AND m.sender_folder = $2 AND {MATCHES} ORDER BY m.created_at DESC, m.id DESC LIMIT $4");
    let rs = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person.to_string())
        .bind(folder.code())
        .bind(contains(search))
        .bind(limit)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter()
        .map(|r| {
            let m = message(r)?;
            Ok(Entry { read_at: m.sent_at.or(Some(m.created_at)), message: m, folder })
        })
        .collect()
}

pub(crate) async fn folder(s: &Store, person: PersonId, folder: Folder, search: &str, now: i64, limit: i64) -> Result<Vec<Entry>> {
    match folder {
        Folder::Inbox => received(s, person, folder, search, now, limit).await,
        Folder::Sent | Folder::Drafts => own(s, person, folder, search, limit).await,
        Folder::Trash => {
            let mut all = received(s, person, folder, search, now, limit).await?;
            all.extend(own(s, person, folder, search, limit).await?);
            all.sort_by_key(|e| std::cmp::Reverse(e.message.deliver_at.unwrap_or(e.message.created_at)));
            all.truncate(limit as usize);
            Ok(all)
        }
    }
}

pub(crate) async fn thread(s: &Store, thread: MessageId, person: PersonId, now: i64) -> Result<Vec<Entry>> {
    let rs = sqlx::query("SELECT m.*, d.read_at AS d_read_at, d.folder AS d_folder FROM messages m LEFT JOIN message_deliveries d ON d.message_id = m.id AND d.person_id = $2 WHERE m.thread_id = $1 AND m.sent_at IS NOT NULL AND (m.sender_id = $2 OR (d.person_id IS NOT NULL AND d.delivered_at <= $3)) ORDER BY m.sent_at, m.id")
        .bind(thread.to_string())
        .bind(person.to_string())
        .bind(now)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter()
        .map(|r| {
            let m = message(r)?;
            let (folder, read_at) = match opt(r, "d_folder")? {
                Some(f) if m.sender != person => (folder_of(&f)?, opt_int(r, "d_read_at")?),
                _ => (Folder::Sent, m.sent_at),
            };
            Ok(Entry { message: m, folder, read_at })
        })
        .collect()
}

pub(crate) async fn move_received(s: &Store, id: MessageId, person: PersonId, to: Option<Folder>) -> Result<()> {
    let q = match to {
        Some(f) => sqlx::query("UPDATE message_deliveries SET folder = $3 WHERE message_id = $1 AND person_id = $2")
            .bind(id.to_string())
            .bind(person.to_string())
            .bind(f.code()),
        None => sqlx::query("DELETE FROM message_deliveries WHERE message_id = $1 AND person_id = $2").bind(id.to_string()).bind(person.to_string()),
    };
    q.execute(&s.pool).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn move_sent(s: &Store, id: MessageId, to: Option<Folder>) -> Result<()> {
    sqlx::query("UPDATE messages SET sender_folder = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(to.map(Folder::code).unwrap_or("gone"))
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn recall(s: &Store, id: MessageId, at: i64) -> Result<(u64, u64)> {
    let mut tx = s.begin_write().await?;
    let sql = format!(
        "SELECT COUNT(read_at) AS n, {} AS unread FROM message_deliveries WHERE message_id = $1",
        s.dialect.json_agg("CASE WHEN read_at IS NULL THEN person_id END")
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_one(&mut *tx).await.map_err(db_err)?;
    let read = int(&r, "n")?;
    let unread: Vec<Option<String>> = from_json(&opt(&r, "unread")?.unwrap_or_else(|| "[]".into()))?;
    let unread: Vec<String> = unread.into_iter().flatten().collect();
    // Those who lose it lose its notification with it (their delivery kept it), its
    // reminders (notifications of their own) and the e-mails still waiting for them.
    let taken =
        sqlx::query("DELETE FROM message_deliveries WHERE message_id = $1 AND read_at IS NULL").bind(id.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    let sql = format!("DELETE FROM notifications WHERE person_id IN ({}) AND link = $2", s.dialect.json_strings(1));
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_json(&unread)?)
        .bind(preau_communication::notifications::message_link(id))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("UPDATE messages SET recalled_at = $2, recipients = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(at)
        .bind(read)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)?;
    Ok((taken.rows_affected(), read as u64))
}

pub(crate) async fn unread(s: &Store, person: PersonId, now: i64) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM message_deliveries WHERE person_id = $1 AND folder = 'inbox' AND read_at IS NULL AND delivered_at <= $2")
        .bind(person.to_string())
        .bind(now)
        .fetch_one(&s.pool)
        .await
        .map_err(db_err)?;
    int(&r, "n")
}

pub(crate) async fn acknowledge(s: &Store, id: MessageId, person: PersonId, at: i64) -> Result<()> {
    let sql = "UPDATE message_deliveries SET acknowledged_at = COALESCE(acknowledged_at, $3), read_at = COALESCE(read_at, $3) WHERE message_id = $1 AND person_id = $2";
    stamp(s, sql, id, person, at).await
}

pub(crate) async fn acknowledged(s: &Store, id: MessageId, person: PersonId) -> Result<Option<i64>> {
    let r = sqlx::query("SELECT acknowledged_at FROM message_deliveries WHERE message_id = $1 AND person_id = $2")
        .bind(id.to_string())
        .bind(person.to_string())
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(r.map(|r| opt_int(&r, "acknowledged_at")).transpose()?.flatten())
}

pub(crate) async fn acknowledgements(s: &Store, id: MessageId) -> Result<Vec<Acknowledgement>> {
    let rs = sqlx::query("SELECT d.person_id, p.given_name || ' ' || p.family_name AS name, d.read_at, d.acknowledged_at FROM message_deliveries d JOIN people p ON p.id = d.person_id WHERE d.message_id = $1 ORDER BY p.family_name, p.given_name")
        .bind(id.to_string())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter()
        .map(|r| {
            Ok(Acknowledgement {
                person: parse(r, "person_id")?,
                name: text(r, "name")?,
                read_at: opt_int(r, "read_at")?,
                acknowledged_at: opt_int(r, "acknowledged_at")?,
            })
        })
        .collect()
}
