//! The feed store: one transaction per import, with temporary tables for the people seen and
//! the parent links waiting for their parents, so memory does not grow with the feed.

use crate::feed_batch::{BATCH_PEOPLE, Batch, Conn, LOOKUP_CHUNK, Tx, Val, lost, write_batch};
use crate::rows::{int, opt, parse, text};
use crate::{Dialect, Store, db_err, structure_cols};
use preau_core::{GroupId, Result, StructureId, TerritoryId};
use preau_feeds::aaf::records::StructureRec;
use preau_feeds::store::{Change, FedPerson, FeedStore, FeedTx, KeptReport, LabelTable, PersonWrite};
use sqlx::Executor;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct StoreFeedTx {
    conn: Conn,
    territory: String,
    /// The territory's current classes and groups by the digest of their key (structure, kind,
    /// code): 32 bytes each, not the key's strings.
    groups: HashMap<u128, GroupId>,
    /// The territory's current classes and groups are in `groups`.
    groups_loaded: bool,
    generation: Arc<AtomicU64>,
    batch: Batch,
    dialect: Dialect,
}

impl FeedStore for Store {
    type Tx = StoreFeedTx;

    async fn begin_feed(&self, territory: TerritoryId) -> Result<StoreFeedTx> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let ddl: &[&'static str] = match self.dialect {
            Dialect::Postgres => &[
                // Plans chosen for the actual values: a generic plan on the temporary tables
                // (never analysed) turned each look-up into a scan.
                "SET LOCAL plan_cache_mode = force_custom_plan",
                "CREATE TEMP TABLE feed_seen (ext TEXT PRIMARY KEY) ON COMMIT DROP",
                "CREATE TEMP TABLE feed_pending (child_id TEXT NOT NULL, parent_ext TEXT NOT NULL, legal BIGINT NOT NULL) ON COMMIT DROP",
                "CREATE INDEX feed_pending_parent ON feed_pending (parent_ext)",
                "CREATE TEMP TABLE feed_parents (id TEXT PRIMARY KEY) ON COMMIT DROP",
                "CREATE TEMP TABLE feed_left_out (ext TEXT PRIMARY KEY) ON COMMIT DROP",
            ],
            Dialect::Sqlite => &[
                "CREATE TEMP TABLE IF NOT EXISTS feed_seen (ext TEXT PRIMARY KEY)",
                "CREATE TEMP TABLE IF NOT EXISTS feed_pending (child_id TEXT NOT NULL, parent_ext TEXT NOT NULL, legal BIGINT NOT NULL)",
                "CREATE INDEX IF NOT EXISTS feed_pending_parent ON feed_pending (parent_ext)",
                "CREATE TEMP TABLE IF NOT EXISTS feed_parents (id TEXT PRIMARY KEY)",
                "CREATE TEMP TABLE IF NOT EXISTS feed_left_out (ext TEXT PRIMARY KEY)",
                "DELETE FROM feed_seen",
                "DELETE FROM feed_pending",
                "DELETE FROM feed_parents",
                "DELETE FROM feed_left_out",
            ],
        };
        for statement in ddl {
            tx.execute(*statement).await.map_err(db_err)?;
        }
        Ok(StoreFeedTx {
            conn: Conn::Idle(tx),
            territory: territory.to_string(),
            groups: HashMap::new(),
            groups_loaded: false,
            generation: self.generation.clone(),
            batch: Batch::default(),
            dialect: self.dialect,
        })
    }

    async fn duplicate_candidates(&self, territory: TerritoryId) -> Result<Vec<(preau_directory::Person, preau_directory::Person)>> {
        self.candidates(territory).await
    }

    async fn merge_duplicate(
        &self,
        territory: TerritoryId,
        manual: preau_core::PersonId,
        fed: preau_core::PersonId,
        audit: &preau_directory::AuditEntry,
    ) -> Result<()> {
        self.merge(territory, manual, fed, audit).await
    }

    async fn reject_duplicate(
        &self,
        territory: TerritoryId,
        manual: preau_core::PersonId,
        fed: preau_core::PersonId,
        audit: &preau_directory::AuditEntry,
    ) -> Result<()> {
        self.reject(territory, manual, fed, audit).await
    }

    async fn purge_detached(&self, territory: TerritoryId, before: i64, audit: &preau_directory::AuditEntry) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let ids = sqlx::query("SELECT id FROM people WHERE territory_id = $1 AND source = 'feed' AND detached_at IS NOT NULL AND detached_at < $2")
            .bind(territory.to_string())
            .bind(before)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        for r in &ids {
            crate::scim::purge_person_tx(&mut tx, &text(r, "id")?).await?;
        }
        if ids.is_empty() {
            return Ok(0);
        }
        let mut audit = audit.clone();
        audit.after = Some(serde_json::json!({ "deleted": ids.len() }));
        crate::directory::write_audit(&mut tx, &audit).await?;
        self.commit_directory(tx).await?;
        Ok(ids.len() as u64)
    }

    async fn save_report(&self, territory: TerritoryId, source: &str, started: i64, finished: i64, report_json: &str) -> Result<String> {
        let id = preau_core::ServiceId::new().to_string();
        sqlx::query("INSERT INTO import_reports (id, territory_id, source, started_at, finished_at, report) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id.clone())
            .bind(territory.to_string())
            .bind(source.to_owned())
            .bind(started)
            .bind(finished)
            .bind(report_json.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(id)
    }
    async fn reports(&self, territory: TerritoryId, limit: i64) -> Result<Vec<KeptReport>> {
        let rs = sqlx::query("SELECT * FROM import_reports WHERE territory_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2")
            .bind(territory.to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(kept).collect()
    }

    async fn report(&self, territory: TerritoryId, id: &str) -> Result<KeptReport> {
        let r = sqlx::query("SELECT * FROM import_reports WHERE territory_id = $1 AND id = $2")
            .bind(territory.to_string())
            .bind(id.to_owned())
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        kept(&r)
    }
}

fn kept(r: &sqlx::any::AnyRow) -> Result<KeptReport> {
    Ok(KeptReport {
        id: text(r, "id")?,
        source: text(r, "source")?,
        started_at: int(r, "started_at")?,
        finished_at: int(r, "finished_at")?,
        json: text(r, "report")?,
    })
}

impl StoreFeedTx {
    /// The structure of this territory a query selects with one value.
    async fn structure_where(&mut self, sql: &'static str, value: &str) -> Result<Option<StructureId>> {
        let r = sqlx::query(sql).bind(self.territory.clone()).bind(value.to_owned()).fetch_optional(&mut **self.tx().await?).await.map_err(db_err)?;
        r.map(|r| parse(&r, "id")).transpose()
    }

    /// Batches the fed links of a person (memberships, classes and groups, functions,
    /// teachings, principal classes, pending parent links).
    async fn push_links(&mut self, id: &str, w: &PersonWrite<'_>) -> Result<()> {
        use Val::{I, S};
        for (s, profile) in w.profiles {
            self.batch.memberships.push(vec![S(id.to_owned()), S(s.to_string()), S(profile.code().into()), I(1)]);
        }
        for (s, kind, code) in &w.places.groups {
            let g = self.group(*s, kind, code).await?;
            self.batch.group_members.push(vec![S(g.to_string()), S(id.to_owned()), I(1)]);
        }
        for (s, code, label) in &w.places.functions {
            self.batch.functions.push(vec![S(id.to_owned()), S(s.to_string()), S(code.clone()), S(label.clone()), I(1)]);
        }
        for (s, kind, code, subject) in &w.places.teachings {
            let g = self.group(*s, kind, code).await?;
            self.batch.teachings.push(vec![S(id.to_owned()), S(g.to_string()), S(subject.clone()), I(1)]);
        }
        for (s, code) in &w.places.principal_of {
            let g = self.group(*s, "class", code).await?;
            self.batch.principals.push(vec![S(g.to_string()), S(id.to_owned()), I(1)]);
        }
        for (relative, legal) in &w.places.relatives {
            self.batch.pending.push(vec![S(id.to_owned()), S(relative.clone()), I(i64::from(*legal))]);
        }
        Ok(())
    }

    /// The transaction, once the batch being written in the background (if any) is written.
    async fn tx(&mut self) -> Result<&mut Tx> {
        if let Conn::Busy(_) = self.conn {
            let Conn::Busy(handle) = std::mem::replace(&mut self.conn, Conn::Lost) else { return Err(lost()) };
            self.conn = Conn::Idle(handle.await.map_err(|e| preau_core::Error::Internal(e.to_string()))??);
        }
        match &mut self.conn {
            Conn::Idle(tx) => Ok(tx),
            _ => Err(lost()),
        }
    }

    /// Hands the batched rows to a background task that writes them, and returns at once. The
    /// next use of the transaction waits for that write.
    async fn flush(&mut self) -> Result<()> {
        let b = std::mem::take(&mut self.batch);
        if b.is_empty() {
            return Ok(());
        }
        self.tx().await?;
        let Conn::Idle(mut tx) = std::mem::replace(&mut self.conn, Conn::Lost) else { return Err(lost()) };
        let dialect = self.dialect;
        self.conn = Conn::Busy(tokio::spawn(async move {
            write_batch(&mut tx, dialect, b).await?;
            Ok(tx)
        }));
        Ok(())
    }

    /// The class or group of a structure, created (in the batch) if the territory has none of
    /// that code this year. The territory's groups are read once, at the first call.
    async fn group(&mut self, structure: StructureId, kind: &'static str, code: &str) -> Result<GroupId> {
        if !self.groups_loaded {
            let rs = sqlx::query("SELECT g.id, g.structure_id, g.kind, g.code FROM class_groups g JOIN structures s ON s.id = g.structure_id WHERE s.territory_id = $1 AND g.archived_year IS NULL")
                .bind(self.territory.clone())
                .fetch_all(&mut **self.tx().await?)
                .await
                .map_err(db_err)?;
            for r in &rs {
                let kind: &'static str = match text(r, "kind")?.as_str() {
                    "class" => "class",
                    "teaching" => "teaching",
                    _ => continue,
                };
                let structure: StructureId = parse(r, "structure_id")?;
                self.groups.insert(group_key(structure, kind, &text(r, "code")?), parse(r, "id")?);
            }
            self.groups_loaded = true;
        }
        let key = group_key(structure, kind, code);
        if let Some(g) = self.groups.get(&key) {
            return Ok(*g);
        }
        let id = GroupId::new();
        use Val::S;
        self.batch.groups.push(vec![S(id.to_string()), S(structure.to_string()), S(kind.to_owned()), S(code.to_owned()), S(code.to_owned())]);
        self.groups.insert(key, id);
        Ok(id)
    }
}

/// The digest of a class or group's key.
fn group_key(structure: StructureId, kind: &str, code: &str) -> u128 {
    preau_feeds::digest(&format!("{structure}\u{1f}{kind}\u{1f}{code}"))
}

impl FeedTx for StoreFeedTx {
    async fn taken_logins(&mut self, each: &mut (dyn FnMut(&str) + Send)) -> Result<()> {
        use futures_util::TryStreamExt;
        let t = self.territory.clone();
        for sql in ["SELECT login AS l FROM people WHERE territory_id = $1", "SELECT alias AS l FROM login_aliases WHERE territory_id = $1"] {
            let mut rows = sqlx::query(sql).bind(t.clone()).fetch(&mut **self.tx().await?);
            while let Some(r) = rows.try_next().await.map_err(db_err)? {
                each(&text(&r, "l")?);
            }
        }
        Ok(())
    }

    async fn structure_by_external(&mut self, external_id: &str) -> Result<Option<StructureId>> {
        self.structure_where("SELECT id FROM structures WHERE territory_id = $1 AND external_id = $2", external_id).await
    }

    async fn upsert_structure(&mut self, external_id: &str, academie: &str, s: &StructureRec) -> Result<(StructureId, Change)> {
        let existing = sqlx::query(concat!(
            "SELECT ",
            structure_cols!(),
            " FROM structures WHERE territory_id = $1 AND (external_id = $2 OR (external_id IS NULL AND uai = $3))"
        ))
        .bind(self.territory.clone())
        .bind(external_id.to_owned())
        .bind(s.uai.to_string())
        .fetch_optional(&mut **self.tx().await?)
        .await
        .map_err(db_err)?;
        let (id, sql, change): (StructureId, &'static str, Change) = match existing {
            None => (
                StructureId::new(),
                "INSERT INTO structures (id, uai, name, kind, degree, postal_code, city, external_id, territory_id, academie, address, phone, email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', '')",
                Change::Created,
            ),
            Some(row) => {
                let current = crate::rows::structure(&row)?;
                let same = current.uai == s.uai
                    && current.name == s.name
                    && current.kind == s.kind
                    && current.postal_code == s.postal_code
                    && current.city == s.city
                    && !current.academie.is_empty();
                let adopted = sqlx::query("SELECT external_id FROM structures WHERE id = $1")
                    .bind(current.id.to_string())
                    .fetch_one(&mut **self.tx().await?)
                    .await
                    .map_err(db_err)?;
                if same && opt(&adopted, "external_id")?.as_deref() == Some(external_id) {
                    return Ok((current.id, Change::Unchanged));
                }
                (
                    current.id,
                    "UPDATE structures SET uai = $2, name = $3, kind = $4, degree = $5, postal_code = $6, city = $7, external_id = $8, academie = CASE WHEN academie = '' THEN $10 ELSE academie END WHERE id = $1 AND territory_id = $9",
                    Change::Updated,
                )
            }
        };
        sqlx::query(sql)
            .bind(id.to_string())
            .bind(s.uai.to_string())
            .bind(s.name.clone())
            .bind(s.kind.code())
            .bind(s.kind.default_degree())
            .bind(s.postal_code.clone())
            .bind(s.city.clone())
            .bind(external_id.to_owned())
            .bind(self.territory.clone())
            .bind(academie.to_owned())
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        Ok((id, change))
    }

    async fn upsert_label(&mut self, table: LabelTable, code: &str, label: &str) -> Result<Change> {
        let (select, insert, update): (&'static str, &'static str, &'static str) = match table {
            LabelTable::Subject => (
                "SELECT label FROM subjects WHERE territory_id = $1 AND code = $2",
                "INSERT INTO subjects (territory_id, code, label) VALUES ($1, $2, $3)",
                "UPDATE subjects SET label = $3 WHERE territory_id = $1 AND code = $2",
            ),
            LabelTable::Mef => (
                "SELECT label FROM mefs WHERE territory_id = $1 AND code = $2",
                "INSERT INTO mefs (territory_id, code, label) VALUES ($1, $2, $3)",
                "UPDATE mefs SET label = $3 WHERE territory_id = $1 AND code = $2",
            ),
        };
        let current = sqlx::query(select).bind(self.territory.clone()).bind(code.to_owned()).fetch_optional(&mut **self.tx().await?).await.map_err(db_err)?;
        let (sql, change) = match current {
            None => (insert, Change::Created),
            Some(r) if text(&r, "label")? == label => return Ok(Change::Unchanged),
            Some(_) => (update, Change::Updated),
        };
        sqlx::query(sql).bind(self.territory.clone()).bind(code.to_owned()).bind(label.to_owned()).execute(&mut **self.tx().await?).await.map_err(db_err)?;
        Ok(change)
    }

    async fn fed_person(&mut self, external_id: &str) -> Result<Option<FedPerson>> {
        let r = sqlx::query("SELECT id, feed_hash, detached_at FROM people WHERE territory_id = $1 AND external_id = $2")
            .bind(self.territory.clone())
            .bind(external_id.to_owned())
            .fetch_optional(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        r.map(|r| Ok(FedPerson { id: parse(&r, "id")?, fingerprint: opt(&r, "feed_hash")?, detached: r_detached(&r)? })).transpose()
    }

    async fn structure_by_uai(&mut self, uai: &str) -> Result<Option<StructureId>> {
        self.structure_where("SELECT id FROM structures WHERE territory_id = $1 AND uai = $2", uai).await
    }

    async fn link_child(&mut self, child_external_id: &str, parent_external_id: &str) -> Result<bool> {
        self.flush().await?;
        let n = sqlx::query("INSERT INTO feed_pending (child_id, parent_ext, legal) SELECT id, $3, 1 FROM people WHERE territory_id = $1 AND external_id = $2")
            .bind(self.territory.clone())
            .bind(child_external_id.to_owned())
            .bind(parent_external_id.to_owned())
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n > 0)
    }

    async fn fed_record(&mut self, external_id: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT feed_record FROM people WHERE territory_id = $1 AND external_id = $2")
            .bind(self.territory.clone())
            .bind(external_id.to_owned())
            .fetch_optional(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        Ok(r.map(|r| opt(&r, "feed_record")).transpose()?.flatten())
    }

    async fn detach(&mut self, external_id: &str, now: i64) -> Result<bool> {
        self.flush().await?;
        let t = self.territory.clone();
        let n = sqlx::query("UPDATE people SET detached_at = $3, feed_hash = NULL WHERE territory_id = $1 AND external_id = $2 AND detached_at IS NULL")
            .bind(t.clone())
            .bind(external_id.to_owned())
            .bind(now)
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?
            .rows_affected();
        for sql in [
            // The parents of a pupil who left have their profiles recomputed at the end.
            "INSERT INTO feed_parents (id) SELECT l.parent_id FROM parent_links l JOIN people p ON p.id = l.child_id WHERE p.territory_id = $1 AND p.external_id = $2 AND l.fed = 1 ON CONFLICT DO NOTHING",
            "DELETE FROM memberships WHERE fed = 1 AND person_id IN (SELECT id FROM people WHERE territory_id = $1 AND external_id = $2)",
            "DELETE FROM group_members WHERE fed = 1 AND NOT EXISTS (SELECT 1 FROM class_groups g WHERE g.id = group_members.group_id AND g.archived_year IS NOT NULL) AND person_id IN (SELECT id FROM people WHERE territory_id = $1 AND external_id = $2)",
        ] {
            sqlx::query(sql).bind(t.clone()).bind(external_id.to_owned()).execute(&mut **self.tx().await?).await.map_err(db_err)?;
        }
        Ok(n == 1)
    }

    async fn namespace_is_empty(&mut self, namespace: &str) -> Result<bool> {
        let r = sqlx::query("SELECT 1 AS x FROM people WHERE territory_id = $1 AND external_id LIKE $2 LIMIT 1")
            .bind(self.territory.clone())
            .bind(format!("{}%", namespace.replace('%', "")))
            .fetch_optional(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        Ok(r.is_none())
    }

    async fn insert_person(&mut self, w: &PersonWrite<'_>) -> Result<()> {
        use Val::{N, S};
        let id = w.id.to_string();
        self.batch.people.push(vec![
            S(id.clone()),
            S(self.territory.clone()),
            S(w.login.unwrap_or_default().to_owned()),
            S(w.rec.given_name.clone()),
            S(w.rec.family_name.clone()),
            N(w.rec.birth_date.clone()),
            N(w.rec.email.clone()),
            S("feed".into()),
            S(w.external_id.to_owned()),
            S(w.fingerprint.to_owned()),
            S(w.record.to_owned()),
        ]);
        self.push_links(&id, w).await?;
        if self.batch.len() >= BATCH_PEOPLE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn update_person(&mut self, w: &PersonWrite<'_>) -> Result<()> {
        sqlx::query("UPDATE people SET given_name = $2, family_name = $3, birth_date = $4, email = $5, feed_hash = $6, feed_record = $7, detached_at = NULL WHERE id = $1")
            .bind(w.id.to_string())
            .bind(w.rec.given_name.clone())
            .bind(w.rec.family_name.clone())
            .bind(w.rec.birth_date.clone())
            .bind(w.rec.email.clone())
            .bind(w.fingerprint.to_owned())
            .bind(w.record.to_owned())
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn replace_links(&mut self, w: &PersonWrite<'_>) -> Result<()> {
        let id = w.id.to_string();
        self.batch.cleared.push(id.clone());
        self.push_links(&id, w).await?;
        if self.batch.len() >= BATCH_PEOPLE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn mark_seen(&mut self, external_id: &str) -> Result<()> {
        self.batch.seen.push(vec![Val::S(external_id.to_owned())]);
        if self.batch.len() >= BATCH_PEOPLE {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        StoreFeedTx::flush(self).await
    }

    async fn mark_left_out(&mut self, external_id: &str) -> Result<()> {
        self.batch.left_out.push(vec![Val::S(external_id.to_owned())]);
        Ok(())
    }

    async fn written_in_this_import(&mut self, external_id: &str, first_import: bool) -> Result<bool> {
        self.flush().await?;
        let sql = if first_import {
            "SELECT 1 AS x FROM people WHERE territory_id = $1 AND external_id = $2 UNION ALL SELECT 1 AS x FROM feed_left_out WHERE ext = $2"
        } else {
            "SELECT 1 AS x FROM feed_seen WHERE $1 <> '' AND ext = $2 UNION ALL SELECT 1 AS x FROM feed_left_out WHERE ext = $2"
        };
        let r = sqlx::query(sql).bind(self.territory.clone()).bind(external_id.to_owned()).fetch_optional(&mut **self.tx().await?).await.map_err(db_err)?;
        Ok(r.is_some())
    }

    async fn relative_roles(&mut self, external_ids: &[String]) -> Result<HashMap<String, bool>> {
        if external_ids.is_empty() {
            return Ok(HashMap::new());
        }
        if !self.batch.pending.is_empty() {
            self.flush().await?;
        }
        let mut out = HashMap::new();
        for chunk in external_ids.chunks(LOOKUP_CHUNK) {
            let list = self.dialect.json_strings(1);
            let sql = format!(
                "SELECT e, MAX(x) AS legal FROM (SELECT parent_ext AS e, legal AS x FROM feed_pending WHERE parent_ext IN ({list}) UNION ALL SELECT p.external_id AS e, l.legal_guardian AS x FROM parent_links l JOIN people p ON p.id = l.parent_id WHERE p.territory_id = $2 AND p.external_id IN ({list}) AND l.fed = 1) t GROUP BY e"
            );
            let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(crate::rows::ids_json(chunk)?).bind(self.territory.clone());
            for r in q.fetch_all(&mut **self.tx().await?).await.map_err(db_err)? {
                out.insert(text(&r, "e")?, int(&r, "legal")? == 1);
            }
        }
        Ok(out)
    }

    async fn fed_people(&mut self, external_ids: &[String]) -> Result<HashMap<String, FedPerson>> {
        let mut out = HashMap::new();
        for chunk in external_ids.chunks(LOOKUP_CHUNK) {
            let sql = format!(
                "SELECT id, external_id, feed_hash, detached_at FROM people WHERE territory_id = $1 AND external_id IN ({})",
                self.dialect.json_strings(2)
            );
            let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.territory.clone()).bind(crate::rows::ids_json(chunk)?);
            for r in q.fetch_all(&mut **self.tx().await?).await.map_err(db_err)? {
                out.insert(text(&r, "external_id")?, FedPerson { id: parse(&r, "id")?, fingerprint: opt(&r, "feed_hash")?, detached: r_detached(&r)? });
            }
        }
        Ok(out)
    }

    async fn resolve_parent_links(&mut self, everyone: bool) -> Result<u64> {
        self.flush().await?;
        let t = self.territory.clone();
        // `CROSS JOIN` keeps SQLite reading the (small) pending links first and looking people
        // up, not the other way round; PostgreSQL plans it as the inner join it is.
        sqlx::query("INSERT INTO parent_links (parent_id, child_id, legal_guardian, fed) SELECT p.id, f.child_id, f.legal, 1 FROM feed_pending f CROSS JOIN people p WHERE p.territory_id = $1 AND p.external_id = f.parent_ext ON CONFLICT (parent_id, child_id) DO UPDATE SET legal_guardian = excluded.legal_guardian, fed = 1")
            .bind(t.clone())
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        let dangling = sqlx::query("SELECT COUNT(*) AS n FROM feed_pending f WHERE f.legal = 1 AND NOT EXISTS (SELECT 1 FROM people p WHERE p.territory_id = $1 AND p.external_id = f.parent_ext)")
            .bind(t.clone())
            .fetch_one(&mut **self.tx().await?)
            .await
            .map_err(db_err)?;
        // Parents are parents in their children's schools: recomputed for everyone after a full
        // extract, for the parents of the children this import touched after a delta.
        let (delete, insert): (&'static str, &'static str) = if everyone {
            (
                // Through the structures' index: only the parent rows are visited (none on a
                // first import), not every person of the territory.
                "DELETE FROM memberships WHERE fed = 1 AND profile = 'TUT' AND structure_id IN (SELECT id FROM structures WHERE territory_id = $1)",
                "INSERT INTO memberships (person_id, structure_id, profile, fed) SELECT DISTINCT l.parent_id, m.structure_id, 'TUT', 1 FROM parent_links l JOIN memberships m ON m.person_id = l.child_id AND m.profile = 'ELV' JOIN people p ON p.id = l.parent_id WHERE l.fed = 1 AND l.legal_guardian = 1 AND p.territory_id = $1 AND p.detached_at IS NULL ON CONFLICT DO NOTHING",
            )
        } else {
            sqlx::query("INSERT INTO feed_parents (id) SELECT DISTINCT l.parent_id FROM feed_pending f CROSS JOIN parent_links l WHERE l.child_id = f.child_id ON CONFLICT DO NOTHING")
                .execute(&mut **self.tx().await?)
                .await
                .map_err(db_err)?;
            (
                "DELETE FROM memberships WHERE fed = 1 AND profile = 'TUT' AND $1 <> '' AND person_id IN (SELECT id FROM feed_parents)",
                "INSERT INTO memberships (person_id, structure_id, profile, fed) SELECT DISTINCT l.parent_id, m.structure_id, 'TUT', 1 FROM feed_parents t CROSS JOIN parent_links l CROSS JOIN memberships m CROSS JOIN people p WHERE l.parent_id = t.id AND m.person_id = l.child_id AND m.profile = 'ELV' AND p.id = l.parent_id AND l.fed = 1 AND l.legal_guardian = 1 AND p.territory_id = $1 AND p.detached_at IS NULL ON CONFLICT DO NOTHING",
            )
        };
        for sql in [delete, insert] {
            sqlx::query(sql).bind(t.clone()).execute(&mut **self.tx().await?).await.map_err(db_err)?;
        }
        Ok(int(&dangling, "n")? as u64)
    }

    async fn detach_unseen(&mut self, namespace: &str, now: i64) -> Result<u64> {
        self.flush().await?;
        let t = self.territory.clone();
        let n = sqlx::query("UPDATE people SET detached_at = $3, feed_hash = NULL WHERE territory_id = $1 AND source = 'feed' AND detached_at IS NULL AND external_id LIKE $2 AND NOT EXISTS (SELECT 1 FROM feed_seen s WHERE s.ext = people.external_id)")
            .bind(t.clone())
            .bind(format!("{}%", namespace.replace('%', "")))
            .bind(now)
            .execute(&mut **self.tx().await?)
            .await
            .map_err(db_err)?
            .rows_affected();
        for sql in [
            "DELETE FROM memberships WHERE fed = 1 AND person_id IN (SELECT id FROM people WHERE territory_id = $1 AND detached_at IS NOT NULL)",
            "DELETE FROM group_members WHERE fed = 1 AND NOT EXISTS (SELECT 1 FROM class_groups g WHERE g.id = group_members.group_id AND g.archived_year IS NOT NULL) AND person_id IN (SELECT id FROM people WHERE territory_id = $1 AND detached_at IS NOT NULL)",
        ] {
            sqlx::query(sql).bind(t.clone()).execute(&mut **self.tx().await?).await.map_err(db_err)?;
        }
        Ok(n)
    }

    async fn commit(mut self) -> Result<()> {
        StoreFeedTx::flush(&mut self).await?;
        self.tx().await?;
        let Conn::Idle(tx) = self.conn else { return Err(lost()) };
        tx.commit().await.map_err(db_err)?;
        self.generation.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn rollback(self) -> Result<()> {
        let tx = match self.conn {
            Conn::Idle(tx) => tx,
            // A write still running: wait for it, then undo everything.
            Conn::Busy(handle) => match handle.await {
                Ok(Ok(tx)) => tx,
                // It failed: its transaction was dropped, which rolled it back.
                _ => return Ok(()),
            },
            Conn::Lost => return Ok(()),
        };
        tx.rollback().await.map_err(db_err)
    }
}

fn r_detached(r: &sqlx::any::AnyRow) -> Result<bool> {
    Ok(sqlx::Row::try_get::<Option<i64>, _>(r, "detached_at").map_err(db_err)?.is_some())
}
