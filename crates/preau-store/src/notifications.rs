//! Communication's storage, part three: the notification feed, preferences and quiet hours, and
//! what the mail jobs read (immediate e-mails due, digests to send). Lists of people and ids
//! travel as one JSON parameter, so that a message to 2,000 people stays a handful of statements.

use crate::rows::{from_json, ids_json, int, opt, opt_int, parse, text};
use crate::{Store, db_err};
use preau_communication::notifications::{Email, Kind, Notification, Outgoing, PendingMail, Preference, QuietHours};
use preau_core::{Error, MessageId, PersonId, Result, StructureId};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use std::collections::HashMap;

fn notification(r: &AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: text(r, "id")?,
        person: parse(r, "person_id")?,
        kind: Kind::parse(&text(r, "kind")?).ok_or_else(|| Error::Internal("bad notification kind".into()))?,
        at: int(r, "at")?,
        title: text(r, "title")?,
        link: text(r, "link")?,
        read: opt_int(r, "read_at")?.is_some(),
    })
}

fn quiet(r: &AnyRow) -> Result<QuietHours> {
    Ok(QuietHours { start: int(r, "start_minute")? as u32, end: int(r, "end_minute")? as u32, days_off: int(r, "days_off")? as u8 })
}

pub(crate) async fn preferences_for(s: &Store, people: &[PersonId], kind: Kind) -> Result<HashMap<PersonId, Preference>> {
    let mut out = HashMap::new();
    let sql = format!("SELECT person_id, live, email FROM notification_preferences WHERE kind = $1 AND person_id IN ({})", s.dialect.json_strings(2));
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(kind.code()).bind(ids_json(people)?).fetch_all(&s.pool).await.map_err(db_err)?;
    for r in rs {
        let email = Email::parse(&text(&r, "email")?).unwrap_or(Email::Daily);
        out.insert(parse(&r, "person_id")?, Preference { kind, live: int(&r, "live")? != 0, email });
    }
    Ok(out)
}

pub(crate) async fn quiet_hours_for(s: &Store, people: &[PersonId]) -> Result<HashMap<PersonId, QuietHours>> {
    let mut out = HashMap::new();
    let d = s.dialect;
    let list = d.json_strings(1);
    // Their structures' first (each once, with who it applies to), then their own, which win.
    let sql = format!(
        "SELECT q.*, {} AS people FROM quiet_hours q JOIN memberships m ON m.structure_id = q.owner_id WHERE m.person_id IN ({list}) GROUP BY q.owner_id, q.start_minute, q.end_minute, q.days_off UNION ALL SELECT q.*, NULL AS people FROM quiet_hours q WHERE q.owner_id IN ({list}) ORDER BY 1",
        d.json_agg("m.person_id")
    );
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(ids_json(people)?).fetch_all(&s.pool).await.map_err(db_err)?;
    for r in rs {
        let q = quiet(&r)?;
        match opt(&r, "people")? {
            Some(json) => {
                let list: Vec<String> = from_json(&json)?;
                for p in list {
                    out.entry(p.parse()?).or_insert(q);
                }
            }
            None => {
                out.insert(parse(&r, "owner_id")?, q);
            }
        }
    }
    Ok(out)
}

pub(crate) async fn own_quiet_hours(s: &Store, owner: &str) -> Result<Option<QuietHours>> {
    let r = sqlx::query("SELECT * FROM quiet_hours WHERE owner_id = $1").bind(owner.to_owned()).fetch_optional(&s.pool).await.map_err(db_err)?;
    r.map(|r| quiet(&r)).transpose()
}

async fn put_quiet(tx: &mut sqlx::Transaction<'_, sqlx::Any>, owner: &str, q: Option<QuietHours>) -> Result<()> {
    sqlx::query("DELETE FROM quiet_hours WHERE owner_id = $1").bind(owner.to_owned()).execute(&mut **tx).await.map_err(db_err)?;
    if let Some(q) = q {
        sqlx::query("INSERT INTO quiet_hours (owner_id, start_minute, end_minute, days_off) VALUES ($1, $2, $3, $4)")
            .bind(owner.to_owned())
            .bind(i64::from(q.start))
            .bind(i64::from(q.end))
            .bind(i64::from(q.days_off))
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

pub(crate) async fn set_preferences(s: &Store, person: PersonId, prefs: &[Preference], q: Option<QuietHours>) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query("DELETE FROM notification_preferences WHERE person_id = $1").bind(person.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    for p in prefs {
        sqlx::query("INSERT INTO notification_preferences (person_id, kind, live, email) VALUES ($1, $2, $3, $4)")
            .bind(person.to_string())
            .bind(p.kind.code())
            .bind(i64::from(p.live))
            .bind(p.email.code())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    put_quiet(&mut tx, &person.to_string(), q).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn set_structure_quiet_hours(s: &Store, structure: StructureId, q: Option<QuietHours>) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    put_quiet(&mut tx, &structure.to_string(), q).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn insert(s: &Store, rows: &[Outgoing], handled: &[bool], delivered: &[MessageId]) -> Result<()> {
    let mut tx = s.begin_background_write().await?;
    crate::messages::fanned_out(s, &mut tx, delivered).await?;
    let d = s.dialect;
    let sql = format!(
        "INSERT INTO notifications (id, person_id, kind, at, title, link, live, pushed, email, mail_due, digested) SELECT {}, {}, $1, $2, $3, $4, {}, {}, {}, {}, {} FROM {}",
        d.json_at(0, false),
        d.json_at(1, false),
        d.json_at(2, true),
        d.json_at(3, true),
        d.json_at(4, false),
        d.json_at(5, true),
        d.json_at(6, true),
        d.json_rows(5)
    );
    // One statement per event (its kind, time, title and link), the people as one JSON parameter.
    let mut start = 0;
    while start < rows.len() {
        let first = &rows[start].notification;
        let same = rows[start..]
            .iter()
            .take_while(|o| {
                o.notification.kind == first.kind && o.notification.at == first.at && o.notification.title == first.title && o.notification.link == first.link
            })
            .count();
        let json: Vec<serde_json::Value> = rows[start..start + same]
            .iter()
            .zip(&handled[start..start + same])
            .map(|(o, h)| {
                serde_json::json!([
                    o.notification.id,
                    o.notification.person.to_string(),
                    i64::from(o.live),
                    i64::from(*h),
                    o.email.code(),
                    o.mail_due,
                    i64::from(!matches!(o.email, Email::Daily | Email::Weekly))
                ])
            })
            .collect();
        sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(first.kind.code())
            .bind(first.at)
            .bind(first.title.clone())
            .bind(first.link.clone())
            .bind(serde_json::Value::Array(json).to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        start += same;
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn unpushed(s: &Store, now: i64) -> Result<Vec<Notification>> {
    let rs =
        sqlx::query("SELECT * FROM notifications WHERE pushed = 0 AND at <= $1 ORDER BY at LIMIT 10000").bind(now).fetch_all(&s.pool).await.map_err(db_err)?;
    rs.iter().map(notification).collect()
}

pub(crate) async fn mark_pushed(s: &Store, ids: &[String]) -> Result<()> {
    mark(s, "pushed", ids).await
}

/// Sets a flag (`pushed`, `digested`) on notifications, the ids as one JSON parameter.
async fn mark(s: &Store, flag: &'static str, ids: &[String]) -> Result<()> {
    let sql = format!("UPDATE notifications SET {flag} = 1 WHERE id IN ({})", s.dialect.json_strings(1));
    sqlx::query(AssertSqlSafe(sql)).bind(ids_json(ids)?).execute(&s.pool).await.map_err(db_err)?;
    Ok(())
}

pub(crate) async fn feed(s: &Store, person: PersonId, now: i64, limit: i64) -> Result<Vec<Notification>> {
    let rs = sqlx::query("SELECT * FROM notifications WHERE person_id = $1 AND at <= $2 ORDER BY at DESC, id DESC LIMIT $3")
        .bind(person.to_string())
        .bind(now)
        .bind(limit)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rs.iter().map(notification).collect()
}

/// Deletes notifications not shown yet whose link ends with `suffix` (an id: no `%` or `_`).
pub(crate) async fn withdraw(s: &Store, suffix: &str, now: i64) -> Result<u64> {
    let pattern = format!("%{}", suffix.replace(['%', '_', '\\'], ""));
    let r = sqlx::query("DELETE FROM notifications WHERE at > $1 AND link LIKE $2").bind(now).bind(pattern).execute(&s.pool).await.map_err(db_err)?;
    Ok(r.rows_affected())
}

pub(crate) async fn mark_feed_read(s: &Store, person: PersonId, now: i64) -> Result<()> {
    sqlx::query("UPDATE notifications SET read_at = $2 WHERE person_id = $1 AND read_at IS NULL AND at <= $2")
        .bind(person.to_string())
        .bind(now)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Rows of notifications joined with their person's address, grouped per person in order.
fn group(rs: &[AnyRow]) -> Result<Vec<PendingMail>> {
    let mut out: Vec<PendingMail> = vec![];
    for r in rs {
        let Some(address) = opt(r, "address")?.filter(|a| a.contains('@')) else { continue };
        let n = notification(r)?;
        match out.last_mut() {
            Some(m) if m.person == n.person => m.notifications.push(n),
            _ => out.push(PendingMail { person: n.person, address, notifications: vec![n] }),
        }
    }
    Ok(out)
}

pub(crate) async fn due_mails(s: &Store, now: i64) -> Result<Vec<PendingMail>> {
    let rs = sqlx::query("SELECT n.*, p.email AS address FROM notifications n JOIN people p ON p.id = n.person_id WHERE n.mail_due IS NOT NULL AND n.mail_due <= $1 ORDER BY n.person_id, n.at LIMIT 20000")
        .bind(now)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    group(&rs)
}

pub(crate) async fn mails_sent(s: &Store, person: PersonId, now: i64) -> Result<()> {
    sqlx::query("UPDATE notifications SET mail_due = NULL WHERE person_id = $1 AND mail_due IS NOT NULL AND mail_due <= $2")
        .bind(person.to_string())
        .bind(now)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn digest_mails(s: &Store, email: Email, until: i64) -> Result<Vec<PendingMail>> {
    let rs = sqlx::query("SELECT n.*, p.email AS address FROM notifications n JOIN people p ON p.id = n.person_id WHERE n.digested = 0 AND n.email = $1 AND n.at <= $2 ORDER BY n.person_id, n.at LIMIT 50000")
        .bind(email.code())
        .bind(until)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    group(&rs)
}

pub(crate) async fn digested(s: &Store, ids: &[String]) -> Result<()> {
    mark(s, "digested", ids).await
}
