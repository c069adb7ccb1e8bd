//! Probable duplicates: candidate pairs (same birth date, one manual account and one live fed
//! account), and the merge that moves the fed account's identity and links onto the manual one.

use crate::directory::write_audit;
use crate::rows::{self, text};
use crate::{Store, db_err};
use preau_core::{PersonId, Result, TerritoryId};
use preau_directory::{AuditEntry, Person};

/// Moves the fed person's rows ($2) to the manual person ($1), except those the manual person
/// already has.
const MOVES: [&str; 7] = [
    "UPDATE memberships SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM memberships x WHERE x.person_id = $1 AND x.structure_id = memberships.structure_id AND x.profile = memberships.profile)",
    "UPDATE group_members SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM group_members x WHERE x.person_id = $1 AND x.group_id = group_members.group_id)",
    "UPDATE functions SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM functions x WHERE x.person_id = $1 AND x.structure_id = functions.structure_id AND x.code = functions.code)",
    "UPDATE teachings SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM teachings x WHERE x.person_id = $1 AND x.group_id = teachings.group_id AND x.subject_code = teachings.subject_code)",
    "UPDATE principal_teachers SET person_id = $1 WHERE person_id = $2 AND NOT EXISTS (SELECT 1 FROM principal_teachers x WHERE x.person_id = $1 AND x.group_id = principal_teachers.group_id)",
    "UPDATE parent_links SET parent_id = $1 WHERE parent_id = $2 AND child_id <> $1 AND NOT EXISTS (SELECT 1 FROM parent_links x WHERE x.parent_id = $1 AND x.child_id = parent_links.child_id)",
    "UPDATE parent_links SET child_id = $1 WHERE child_id = $2 AND parent_id <> $1 AND NOT EXISTS (SELECT 1 FROM parent_links x WHERE x.child_id = $1 AND x.parent_id = parent_links.parent_id)",
];

impl Store {
    /// The people a query selects, with the territory as `$1`.
    async fn people_of(&self, territory: TerritoryId, sql: &'static str) -> Result<Vec<Person>> {
        sqlx::query(sql).bind(territory.to_string()).fetch_all(&self.pool).await.map_err(db_err)?.iter().map(rows::person).collect()
    }

    /// One pass over the territory's fed people whose birth date some manual account shares
    /// (manual accounts are few), paired in memory.
    pub(crate) async fn candidates(&self, territory: TerritoryId) -> Result<Vec<(Person, Person)>> {
        let manual = self.people_of(territory, "SELECT * FROM people WHERE territory_id = $1 AND source = 'manual' AND birth_date IS NOT NULL").await?;
        if manual.is_empty() {
            return Ok(vec![]);
        }
        let fed = self
            .people_of(territory, "SELECT * FROM people WHERE territory_id = $1 AND source = 'feed' AND detached_at IS NULL AND birth_date IN (SELECT birth_date FROM people WHERE territory_id = $1 AND source = 'manual') ORDER BY id")
            .await?;
        let decided: std::collections::HashSet<(String, String)> = sqlx::query("SELECT manual_id, fed_id FROM duplicate_decisions WHERE territory_id = $1")
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Ok((text(r, "manual_id")?, text(r, "fed_id")?)))
            .collect::<Result<_>>()?;
        let mut out = vec![];
        for m in &manual {
            for f in fed.iter().filter(|f| f.birth_date == m.birth_date) {
                if !decided.contains(&(m.id.to_string(), f.id.to_string())) {
                    out.push((m.clone(), f.clone()));
                }
            }
        }
        Ok(out)
    }

    async fn decide(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        territory: TerritoryId,
        manual: PersonId,
        fed: PersonId,
        decision: &str,
        audit: &AuditEntry,
    ) -> Result<()> {
        sqlx::query("INSERT INTO duplicate_decisions (territory_id, manual_id, fed_id, decision, decided_at, decided_by) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(territory.to_string())
            .bind(manual.to_string())
            .bind(fed.to_string())
            .bind(decision.to_owned())
            .bind(audit.at)
            .bind(audit.actor.clone())
            .execute(&mut **tx)
            .await
            .map_err(db_err)?;
        write_audit(tx, audit).await
    }

    pub(crate) async fn merge(&self, territory: TerritoryId, manual: PersonId, fed: PersonId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let (m, f) = (manual.to_string(), fed.to_string());
        let row = sqlx::query("SELECT login, external_id, feed_hash, feed_record FROM people WHERE id = $1")
            .bind(f.clone())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let fed_login = text(&row, "login")?;
        sqlx::query("UPDATE people SET external_id = NULL WHERE id = $1").bind(f.clone()).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("UPDATE people SET source = 'feed', detached_at = NULL, external_id = $2, feed_hash = $3, feed_record = $4 WHERE id = $1")
            .bind(m.clone())
            .bind(rows::opt(&row, "external_id")?)
            .bind(rows::opt(&row, "feed_hash")?)
            .bind(rows::opt(&row, "feed_record")?)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for sql in MOVES {
            sqlx::query(sql).bind(m.clone()).bind(f.clone()).execute(&mut *tx).await.map_err(db_err)?;
        }
        sqlx::query("UPDATE login_aliases SET person_id = $1 WHERE person_id = $2").bind(m.clone()).bind(f.clone()).execute(&mut *tx).await.map_err(db_err)?;
        crate::scim::purge_person_tx(&mut tx, &f).await?;
        sqlx::query("INSERT INTO login_aliases (territory_id, alias, person_id) VALUES ($1, $2, $3)")
            .bind(territory.to_string())
            .bind(fed_login)
            .bind(m)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        self.decide(&mut tx, territory, manual, fed, "merged", audit).await?;
        self.commit_directory(tx).await
    }

    pub(crate) async fn reject(&self, territory: TerritoryId, manual: PersonId, fed: PersonId, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        self.decide(&mut tx, territory, manual, fed, "rejected", audit).await?;
        tx.commit().await.map_err(db_err)
    }
}
