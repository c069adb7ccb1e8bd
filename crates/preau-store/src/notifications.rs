//! Communication's storage, part three: the notification feed, preferences and quiet hours, and
//! what the mail jobs read (immediate e-mails due, digests to send). Lists of people and ids
//! travel as one JSON parameter, so that a message to 2,000 people stays a handful of statements.

use crate::rows::{from_json, ids_json, int, opt, opt_int, parse, text};
use crate::{Store, db_err};
use preau_communication::notifications::{Email, Kind, Notification, Outgoing, PendingMail, Preference, QuietHours};
use preau_core::{Error, PersonId, Result, StructureId};
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

/// The columns of a message's notification kept in its delivery row (`d`, joined with the
/// message `m`), under the names [`delivered_notification`] reads.
const DELIVERED: &str = "d.message_id, d.person_id, d.delivered_at, d.feed_read_at, m.sender_name, m.subject, m.acknowledge";

fn delivered_notification(r: &AnyRow) -> Result<Notification> {
    Ok(Notification::of_message(
        parse(r, "message_id")?,
        parse(r, "person_id")?,
        int(r, "acknowledge")? != 0,
        int(r, "delivered_at")?,
        &text(r, "sender_name")?,
        &text(r, "subject")?,
        opt_int(r, "feed_read_at")?.is_some(),
    ))
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

pub(crate) async fn insert(s: &Store, rows: &[Outgoing]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = s.begin_background_write().await?;
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
            .map(|o| {
                let n = o.notice;
                serde_json::json!([
                    o.notification.id,
                    o.notification.person.to_string(),
                    i64::from(o.live),
                    i64::from(n.handled),
                    n.email.code(),
                    n.mail_due,
                    i64::from(n.digested())
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
    let mut out: Vec<Notification> = rs.iter().map(notification).collect::<Result<_>>()?;
    let sql = format!(
        "SELECT {DELIVERED} FROM message_deliveries d JOIN messages m ON m.id = d.message_id WHERE d.pushed = 0 AND d.delivered_at <= $1 ORDER BY d.delivered_at LIMIT 10000"
    );
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(now).fetch_all(&s.pool).await.map_err(db_err)?;
    for r in &rs {
        out.push(delivered_notification(r)?);
    }
    out.sort_by_key(|n| n.at);
    Ok(out)
}

pub(crate) async fn mark_pushed(s: &Store, notifications: &[Notification]) -> Result<()> {
    mark(s, "pushed = 1", notifications).await
}

/// Sets a column (`pushed = 1`, `digested = 1`, `mail_due = NULL`) of notifications, wherever
/// they are kept: by id in the feed's table, by message and person in deliveries. The keys
/// travel as one JSON parameter.
async fn mark(s: &Store, set: &'static str, notifications: &[Notification]) -> Result<()> {
    if notifications.is_empty() {
        return Ok(());
    }
    let d = s.dialect;
    let keys: Vec<[String; 2]> = notifications.iter().map(|n| [n.id.clone(), n.person.to_string()]).collect();
    let keys = serde_json::to_string(&keys).map_err(|e| Error::Internal(e.to_string()))?;
    let (id, person, rows) = (d.json_at(0, false), d.json_at(1, false), d.json_rows(1));
    // Only the minute jobs mark: senders waiting for the writer go first.
    let mut tx = s.begin_background_write().await?;
    for sql in [
        format!("UPDATE notifications SET {set} WHERE id IN (SELECT {id} FROM {rows})"),
        format!("UPDATE message_deliveries SET {set} WHERE (message_id, person_id) IN (SELECT {id}, {person} FROM {rows})"),
    ] {
        sqlx::query(AssertSqlSafe(sql)).bind(keys.clone()).execute(&mut *tx).await.map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

/// Newest first, then by id (as the feed shows them).
fn newest_first(list: &mut [Notification]) {
    list.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
}

pub(crate) async fn feed(s: &Store, person: PersonId, now: i64, limit: i64) -> Result<Vec<Notification>> {
    let rs = sqlx::query("SELECT * FROM notifications WHERE person_id = $1 AND at <= $2 ORDER BY at DESC, id DESC LIMIT $3")
        .bind(person.to_string())
        .bind(now)
        .bind(limit)
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    let mut out: Vec<Notification> = rs.iter().map(notification).collect::<Result<_>>()?;
    // The person's latest deliveries first, then their messages.
    let sql = format!(
        "SELECT {DELIVERED} FROM (SELECT message_id, person_id, delivered_at, feed_read_at FROM message_deliveries WHERE person_id = $1 AND delivered_at <= $2 ORDER BY delivered_at DESC, message_id DESC LIMIT $3) d JOIN messages m ON m.id = d.message_id"
    );
    let rs = sqlx::query(AssertSqlSafe(sql)).bind(person.to_string()).bind(now).bind(limit).fetch_all(&s.pool).await.map_err(db_err)?;
    for r in &rs {
        out.push(delivered_notification(r)?);
    }
    newest_first(&mut out);
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// Deletes notifications not shown yet whose link ends with `suffix` (an id: no `%` or `_`).
pub(crate) async fn withdraw(s: &Store, suffix: &str, now: i64) -> Result<u64> {
    let pattern = format!("%{}", suffix.replace(['%', '_', '\\'], ""));
    let r = sqlx::query("DELETE FROM notifications WHERE at > $1 AND link LIKE $2").bind(now).bind(pattern).execute(&s.pool).await.map_err(db_err)?;
    Ok(r.rows_affected())
}

pub(crate) async fn mark_feed_read(s: &Store, person: PersonId, now: i64) -> Result<()> {
    let mut tx = s.begin_write().await?;
    for sql in [
        "UPDATE notifications SET read_at = $2 WHERE person_id = $1 AND read_at IS NULL AND at <= $2",
        "UPDATE message_deliveries SET feed_read_at = $2 WHERE person_id = $1 AND feed_read_at IS NULL AND delivered_at <= $2",
    ] {
        sqlx::query(sql).bind(person.to_string()).bind(now).execute(&mut *tx).await.map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)
}

/// Notifications with their person's address (rows of the feed's table, then rows of
/// deliveries), grouped per person in time order.
fn group(feed_rows: &[AnyRow], delivered_rows: &[AnyRow]) -> Result<Vec<PendingMail>> {
    let mut all: Vec<(Notification, String)> = vec![];
    for (r, n) in feed_rows.iter().map(|r| (r, notification(r))).chain(delivered_rows.iter().map(|r| (r, delivered_notification(r)))) {
        if let Some(address) = opt(r, "address")?.filter(|a| a.contains('@')) {
            all.push((n?, address));
        }
    }
    all.sort_by(|(a, _), (b, _)| a.person.cmp(&b.person).then(a.at.cmp(&b.at)));
    let mut out: Vec<PendingMail> = vec![];
    for (n, address) in all {
        match out.last_mut() {
            Some(m) if m.person == n.person => m.notifications.push(n),
            _ => out.push(PendingMail { person: n.person, address, notifications: vec![n] }),
        }
    }
    Ok(out)
}

/// The notifications of both kinds whose e-mail matches `condition` (on `mail_due`,
/// `digested`, `email` of the feed's rows `n`, and of deliveries `d`, whose time is
/// `delivered_at`), with their person's address, grouped per person.
/// The `text` parameter (if any) is bound first, then `number`.
async fn mails(s: &Store, condition: &str, limit: i64, text: Option<&'static str>, number: i64) -> Result<Vec<PendingMail>> {
    let feed_sql = format!(
        "SELECT n.*, p.email AS address FROM notifications n JOIN people p ON p.id = n.person_id WHERE {} ORDER BY n.person_id, n.at LIMIT {limit}",
        condition.replace("{t}", "n").replace("{at}", "n.at")
    );
    let delivered_sql = format!(
        "SELECT {DELIVERED}, p.email AS address FROM message_deliveries d JOIN messages m ON m.id = d.message_id JOIN people p ON p.id = d.person_id WHERE {} ORDER BY d.person_id, d.delivered_at LIMIT {limit}",
        condition.replace("{t}", "d").replace("{at}", "d.delivered_at")
    );
    let mut rows = vec![];
    for sql in [feed_sql, delivered_sql] {
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(t) = text {
            q = q.bind(t);
        }
        rows.push(q.bind(number).fetch_all(&s.pool).await.map_err(db_err)?);
    }
    group(&rows[0], &rows[1])
}

pub(crate) async fn due_mails(s: &Store, now: i64) -> Result<Vec<PendingMail>> {
    mails(s, "{t}.mail_due IS NOT NULL AND {t}.mail_due <= $1", 20_000, None, now).await
}

pub(crate) async fn mails_sent(s: &Store, notifications: &[Notification]) -> Result<()> {
    mark(s, "mail_due = NULL", notifications).await
}

pub(crate) async fn digest_mails(s: &Store, email: Email, until: i64) -> Result<Vec<PendingMail>> {
    mails(s, "{t}.digested = 0 AND {t}.email = $1 AND {at} <= $2", 50_000, Some(email.code()), until).await
}

pub(crate) async fn digested(s: &Store, notifications: &[Notification]) -> Result<()> {
    mark(s, "digested = 1", notifications).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Row;

    /// A store for one test: a fresh PostgreSQL database when `PREAU_TEST_DATABASE_URL` is set,
    /// else a fresh SQLite file (removed by the caller).
    async fn scratch_store(name: &str) -> (Store, std::path::PathBuf) {
        let unique = format!("{name}_{}", preau_core::MessageId::new().0.simple());
        let dir = std::env::temp_dir().join(format!("preau-store-{unique}"));
        let url = match std::env::var("PREAU_TEST_DATABASE_URL") {
            Ok(admin_url) => {
                let admin = Store::connect(&admin_url, 1).await.expect("PostgreSQL reachable");
                admin.create_database(&unique).await.expect("create test database");
                admin.close().await;
                format!("{}/{unique}", admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url))
            }
            Err(_) => format!("sqlite://{}", dir.join("preau.db").display()),
        };
        (Store::connect(&url, 2).await.expect("database"), dir)
    }

    /// A delivery's person and how they are told: feed read, pushed, e-mail mode, mail due, digested.
    type Told = (String, Option<i64>, i64, String, Option<i64>, i64);

    async fn exec(s: &Store, sql: &str) {
        sqlx::query(AssertSqlSafe(sql.to_owned())).execute(&s.pool).await.expect(sql);
    }

    #[tokio::test]
    async fn message_notifications_written_before_migration_36_move_into_their_deliveries() {
        let (store, dir) = scratch_store("migration_36").await;
        store.migrate_to(35).await.expect("migrations 1 to 35");
        exec(
            &store,
            "INSERT INTO message_deliveries (person_id, message_id, copy, delivered_at, folder) VALUES ('p1', 'm1', 'to', 100, 'inbox'), ('p2', 'm1', 'cc', 100, 'archive'), ('p4', 'm5', 'to', 50, 'inbox')",
        )
        .await;
        exec(
            &store,
            "INSERT INTO notifications (id, person_id, kind, at, title, link, read_at, live, pushed, email, mail_due, digested) VALUES \
             ('n1', 'p1', 'message', 100, 'A : B', '/messages/m1', 150, 1, 1, 'now', 200, 1), \
             ('n2', 'p2', 'acknowledgement', 100, 'A : B', '/messages/m1', NULL, 1, 0, 'daily', NULL, 0), \
             ('n3', 'p1', 'news', 120, 'Sortie', '/news/x', NULL, 1, 1, 'daily', NULL, 0), \
             ('n4', 'p3', 'message', 90, 'C : D', '/messages/m0', NULL, 1, 1, 'daily', NULL, 0), \
             ('n5', 'p2', 'acknowledgement', 300, 'Rappel — A : B', '/messages/m1', NULL, 1, 1, 'now', 300, 1)",
        )
        .await;
        store.migrate().await.expect("migration 36");
        let rows = sqlx::query("SELECT person_id, feed_read_at, pushed, email, mail_due, digested FROM message_deliveries ORDER BY person_id")
            .fetch_all(&store.pool)
            .await
            .expect("deliveries");
        let got: Vec<Told> =
            rows.iter().map(|r| (r.get("person_id"), r.get("feed_read_at"), r.get("pushed"), r.get("email"), r.get("mail_due"), r.get("digested"))).collect();
        // p2's state is the message's own notification's, not its later reminder's; p4's
        // delivery, older than the feed, had none.
        assert_eq!(
            got,
            [
                ("p1".into(), Some(150), 1, "now".into(), Some(200), 1),
                ("p2".into(), None, 0, "daily".into(), None, 0),
                ("p4".into(), Some(50), 1, "off".into(), None, 1)
            ]
        );
        // The news item stays, and so do a message's notification without a delivery and a
        // reminder.
        let left = sqlx::query("SELECT id FROM notifications ORDER BY id").fetch_all(&store.pool).await.expect("notifications");
        assert_eq!(left.iter().map(|r| r.get::<String, _>("id")).collect::<Vec<_>>(), ["n3", "n4", "n5"]);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
