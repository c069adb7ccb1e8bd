//! The timetable's published addresses: one row per structure, with its last run's report
//! (JSON) or error code.

use crate::directory::write_audit;
use crate::rows::{from_json, int, opt, opt_int, opt_parse, parse, text, to_json};
use crate::{Store, db_err};
use preau_core::{Result, StructureId};
use preau_directory::AuditEntry;
use preau_timetable::import::ImportReport;
use preau_timetable::source::ImportSource;
use sqlx::any::AnyRow;

const COLUMNS: &str = "structure_id, url, class_id, saved_by, saved_at, last_run_at, last_report, last_error";

fn source(r: &AnyRow) -> Result<ImportSource> {
    Ok(ImportSource {
        structure: parse(r, "structure_id")?,
        url: text(r, "url")?,
        class: opt_parse(r, "class_id")?,
        saved_by: parse(r, "saved_by")?,
        saved_at: int(r, "saved_at")?,
        last_run: opt_int(r, "last_run_at")?,
        last_report: opt(r, "last_report")?.map(|j| from_json(&j)).transpose()?,
        last_error: opt(r, "last_error")?,
    })
}

impl Store {
    pub(crate) async fn tt_source(&self, structure: StructureId) -> Result<Option<ImportSource>> {
        let q = format!("SELECT {COLUMNS} FROM tt_import_sources WHERE structure_id = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(q)).bind(structure.to_string()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(source).transpose()
    }

    pub(crate) async fn tt_source_put(&self, s: &ImportSource, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO tt_import_sources (structure_id, url, class_id, saved_by, saved_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (structure_id) DO UPDATE SET url = excluded.url, class_id = excluded.class_id, saved_by = excluded.saved_by, \
             saved_at = excluded.saved_at, last_run_at = NULL, last_report = NULL, last_error = NULL",
        )
        .bind(s.structure.to_string())
        .bind(s.url.clone())
        .bind(s.class.map(|c| c.to_string()))
        .bind(s.saved_by.to_string())
        .bind(s.saved_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn tt_source_delete(&self, structure: StructureId, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = sqlx::query("DELETE FROM tt_import_sources WHERE structure_id = $1").bind(structure.to_string()).execute(&mut *tx).await.map_err(db_err)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    pub(crate) async fn tt_source_run(&self, structure: StructureId, url: &str, at: i64, report: Option<&ImportReport>, error: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE tt_import_sources SET last_run_at = $2, last_report = $3, last_error = $4 WHERE structure_id = $1 AND url = $5")
            .bind(structure.to_string())
            .bind(at)
            .bind(report.map(to_json).transpose()?)
            .bind(error.map(str::to_owned))
            .bind(url.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn tt_sources(&self) -> Result<Vec<ImportSource>> {
        let q = format!("SELECT {COLUMNS} FROM tt_import_sources ORDER BY structure_id");
        let rs = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(&self.pool).await.map_err(db_err)?;
        rs.iter().map(source).collect()
    }
}
