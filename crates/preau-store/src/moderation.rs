//! Communication's storage, part five: reports to moderators and their decisions.

use crate::rows::{int, parse, text};
use crate::{Store, db_err};
use preau_communication::moderation::{Decision, Report, Reported};
use preau_core::{Error, MessageId, Result, StructureId, TerritoryId};
use preau_directory::AuditEntry;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

fn report(r: &AnyRow) -> Result<Report> {
    let id = text(r, "item_id")?;
    let item = match text(r, "item_kind")?.as_str() {
        "message" => Reported::Message(id.parse()?),
        _ => Reported::News(id.parse()?),
    };
    Ok(Report {
        id: parse(r, "id")?,
        territory: parse(r, "territory_id")?,
        structure: parse(r, "structure_id")?,
        item,
        reporter: parse(r, "reporter_id")?,
        reason: text(r, "reason")?,
        created_at: int(r, "created_at")?,
        decision: Decision::parse(&text(r, "decision")?).ok_or_else(|| Error::Internal("bad decision".into()))?,
    })
}

fn item(r: &Report) -> (&'static str, String) {
    match r.item {
        Reported::Message(id) => ("message", id.to_string()),
        Reported::News(id) => ("news", id.to_string()),
    }
}

pub(crate) async fn insert(s: &Store, r: &Report) -> Result<()> {
    let (kind, id) = item(r);
    sqlx::query("INSERT INTO reports (id, territory_id, structure_id, item_kind, item_id, reporter_id, reason, created_at, decision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(r.id.to_string())
        .bind(r.territory.to_string())
        .bind(r.structure.to_string())
        .bind(kind)
        .bind(id)
        .bind(r.reporter.to_string())
        .bind(r.reason.clone())
        .bind(r.created_at)
        .bind(r.decision.code())
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get(s: &Store, id: MessageId) -> Result<Report> {
    let r = sqlx::query("SELECT * FROM reports WHERE id = $1").bind(id.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?.ok_or(Error::NotFound)?;
    report(&r)
}

pub(crate) async fn open(s: &Store, territory: TerritoryId, structures: Option<&[StructureId]>) -> Result<Vec<Report>> {
    let mut sql = "SELECT * FROM reports WHERE territory_id = $1 AND decision = 'open'".to_owned();
    if let Some(list) = structures {
        if list.is_empty() {
            return Ok(vec![]);
        }
        sql.push_str(&format!(" AND structure_id IN ({})", (2..list.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")));
    }
    sql.push_str(" ORDER BY created_at LIMIT 500");
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(territory.to_string());
    for st in structures.unwrap_or_default() {
        q = q.bind(st.to_string());
    }
    q.fetch_all(&s.pool).await.map_err(db_err)?.iter().map(report).collect()
}

pub(crate) async fn decide(s: &Store, r: &Report, hidden_at: Option<i64>, audit: &AuditEntry) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query("UPDATE reports SET decision = $2 WHERE id = $1").bind(r.id.to_string()).bind(r.decision.code()).execute(&mut *tx).await.map_err(db_err)?;
    if let Some(at) = hidden_at {
        let (kind, id) = item(r);
        let sql = if kind == "message" { "UPDATE messages SET hidden_at = $2 WHERE id = $1" } else { "UPDATE news SET hidden_at = $2 WHERE id = $1" };
        sqlx::query(sql).bind(id).bind(at).execute(&mut *tx).await.map_err(db_err)?;
    }
    crate::directory::write_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db_err)
}
