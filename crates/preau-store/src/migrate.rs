//! A small migration runner: numbered SQL files compiled into the binary, applied in order, each
//! in its own transaction, recorded in `preau_migrations`. Migrations are append-only: never edit
//! one that has shipped, add the next number. A migration marked for one dialect (a storage layout
//! only that engine has) is recorded as applied on the other without running.

use crate::{Dialect, db_err};
use preau_core::Result;
use sqlx::{AnyPool, AssertSqlSafe, Row};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "feeds", include_str!("../migrations/0002_feeds.sql")),
    (3, "feed_records", include_str!("../migrations/0003_feed_records.sql")),
    (4, "school_years", include_str!("../migrations/0004_school_years.sql")),
    (5, "scim", include_str!("../migrations/0005_scim.sql")),
    (6, "duplicates", include_str!("../migrations/0006_duplicates.sql")),
    (7, "feed_indexes", include_str!("../migrations/0007_feed_indexes.sql")),
    (8, "lean_people_indexes", include_str!("../migrations/0008_lean_people_indexes.sql")),
    (9, "link_tables_without_rowid", include_str!("../migrations/0009_link_tables_without_rowid.sql")),
    (10, "connectors", include_str!("../migrations/0010_connectors.sql")),
    (11, "oidc", include_str!("../migrations/0011_oidc.sql")),
    (12, "mfa", include_str!("../migrations/0012_mfa.sql")),
    (13, "federation", include_str!("../migrations/0013_federation.sql")),
    (14, "saml_upstreams", include_str!("../migrations/0014_saml_upstreams.sql")),
    (15, "communication", include_str!("../migrations/0015_communication.sql")),
    (16, "notifications", include_str!("../migrations/0016_notifications.sql")),
    (17, "news", include_str!("../migrations/0017_news.sql")),
    (18, "liaison", include_str!("../migrations/0018_liaison.sql")),
    (19, "moderation", include_str!("../migrations/0019_moderation.sql")),
    (20, "outbox", include_str!("../migrations/0020_outbox.sql")),
    (21, "attachments", include_str!("../migrations/0021_attachments.sql")),
    (22, "derived_rows_without_foreign_keys_pg", include_str!("../migrations/0022_derived_rows_without_foreign_keys_pg.sql")),
    (23, "derived_rows_without_rowid", include_str!("../migrations/0023_derived_rows_without_rowid.sql")),
    (24, "documents", include_str!("../migrations/0024_documents.sql")),
    (25, "webdav", include_str!("../migrations/0025_webdav.sql")),
    (26, "document_name_keys", include_str!("../migrations/0026_document_name_keys.sql")),
    (27, "document_links", include_str!("../migrations/0027_document_links.sql")),
    (28, "timetable", include_str!("../migrations/0028_timetable.sql")),
    (29, "cahier", include_str!("../migrations/0029_cahier.sql")),
    (30, "handin", include_str!("../migrations/0030_handin.sql")),
    (31, "calendar_feeds", include_str!("../migrations/0031_calendar_feeds.sql")),
    (32, "slot_grids", include_str!("../migrations/0032_slot_grids.sql")),
    (33, "import_sources", include_str!("../migrations/0033_import_sources.sql")),
    (34, "local_calendars", include_str!("../migrations/0034_local_calendars.sql")),
    (35, "link_policies", include_str!("../migrations/0035_link_policies.sql")),
    (36, "notifications_in_deliveries", include_str!("../migrations/0036_notifications_in_deliveries.sql")),
];

/// The migrations that only one dialect runs.
const ONLY: &[(i64, Dialect)] = &[(9, Dialect::Sqlite), (22, Dialect::Postgres), (23, Dialect::Sqlite)];

fn runs_on(version: i64, dialect: Dialect) -> bool {
    ONLY.iter().all(|(v, only)| *v != version || *only == dialect)
}

/// Applies every migration up to and including `last` that is not yet applied.
pub async fn run(pool: &AnyPool, dialect: Dialect, last: i64) -> Result<usize> {
    sqlx::query("CREATE TABLE IF NOT EXISTS preau_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)").execute(pool).await.map_err(db_err)?;
    let applied: Vec<i64> =
        sqlx::query("SELECT version FROM preau_migrations").fetch_all(pool).await.map_err(db_err)?.iter().filter_map(|r| r.try_get::<i64, _>(0).ok()).collect();
    let mut ran = 0;
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) || *version > last {
            continue;
        }
        let mut tx = pool.begin().await.map_err(db_err)?;
        let sql = if runs_on(*version, dialect) { *sql } else { "" };
        for statement in statements(sql) {
            sqlx::query(AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(db_err)?;
        }
        sqlx::query("INSERT INTO preau_migrations (version, name) VALUES ($1, $2)").bind(*version).bind(*name).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        ran += 1;
    }
    Ok(ran)
}

/// Splits a migration into statements on `;` at line ends, dropping `--` comment lines.
fn statements(sql: &str) -> Vec<String> {
    let cleaned: String = sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    cleaned.split(";\n").map(str::trim).map(|s| s.trim_end_matches(';').to_owned()).filter(|s| !s.is_empty()).collect()
}
