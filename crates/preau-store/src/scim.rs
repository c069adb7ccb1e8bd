//! SCIM provisioning storage: sources with their token digests and structures, and the people
//! and groups a source owns (`source = 'scim:<id>'`), with what the source sent kept as JSON.

use crate::directory::write_audit;
use crate::rows::{int, opt, parse, text};
use crate::{Store, db_err};
use preau_core::{GroupId, PersonId, Result, StructureId, TerritoryId};
use preau_directory::{AuditEntry, GroupKind};
use preau_feeds::scim::store::{GroupWrite, ScimStore, UserWrite};
use preau_feeds::scim::{ScimSource, StoredGroup, StoredUser};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

type Tx<'a> = Transaction<'a, Any>;

/// Deletes a person and every row that refers to them. Used when a source deletes a person it
/// owns and when the retention delay of a detached person has passed.
pub(crate) async fn purge_person_tx(tx: &mut Tx<'_>, id: &str) -> Result<()> {
    const DELETES: [&str; 31] = [
        "DELETE FROM login_aliases WHERE person_id = $1",
        "DELETE FROM memberships WHERE person_id = $1",
        "DELETE FROM functions WHERE person_id = $1",
        "DELETE FROM parent_links WHERE parent_id = $1 OR child_id = $1",
        "DELETE FROM group_members WHERE person_id = $1",
        "DELETE FROM teachings WHERE person_id = $1",
        "DELETE FROM principal_teachers WHERE person_id = $1",
        "DELETE FROM role_assignments WHERE person_id = $1",
        "DELETE FROM favourites WHERE person_id = $1",
        "DELETE FROM credentials WHERE person_id = $1",
        "DELETE FROM activation_codes WHERE person_id = $1",
        "DELETE FROM reset_tokens WHERE person_id = $1",
        "DELETE FROM sessions WHERE person_id = $1",
        "DELETE FROM oidc_consents WHERE person_id = $1",
        "DELETE FROM oidc_refresh_tokens WHERE person_id = $1",
        "DELETE FROM mfa_secrets WHERE person_id = $1",
        "DELETE FROM mfa_recovery_codes WHERE person_id = $1",
        "DELETE FROM trusted_devices WHERE person_id = $1",
        "DELETE FROM upstream_links WHERE person_id = $1",
        "DELETE FROM message_deliveries WHERE person_id = $1",
        "DELETE FROM notifications WHERE person_id = $1",
        "DELETE FROM notification_preferences WHERE person_id = $1",
        "DELETE FROM quiet_hours WHERE owner_id = $1",
        "DELETE FROM tt_course_teachers WHERE person_id = $1",
        "UPDATE tt_changes SET replacement = NULL WHERE replacement = $1",
        "DELETE FROM calendar_links WHERE person_id = $1",
        "DELETE FROM cdt_done WHERE pupil_id = $1",
        "DELETE FROM calendar_feeds WHERE person_id = $1",
        // Files of their drafts become unattached uploads, purged after a day.
        "UPDATE attachments SET message_id = NULL WHERE owner_id = $1 AND message_id IN (SELECT id FROM messages WHERE sender_id = $1 AND sent_at IS NULL)",
        "DELETE FROM messages WHERE sender_id = $1 AND sent_at IS NULL",
        "DELETE FROM people WHERE id = $1",
    ];
    for sql in DELETES {
        sqlx::query(sql).bind(id.to_owned()).execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}

impl Store {
    async fn source_of(&self, r: &AnyRow) -> Result<ScimSource> {
        let id = text(r, "id")?;
        let structures = sqlx::query("SELECT structure_id FROM scim_source_structures WHERE source_id = $1 ORDER BY structure_id")
            .bind(id.clone())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| parse::<StructureId>(r, "structure_id"))
            .collect::<Result<_>>()?;
        Ok(ScimSource { id, territory: parse(r, "territory_id")?, name: text(r, "name")?, structures, created_at: int(r, "created_at")? })
    }

    /// (group, name, kind) of the source's groups, per member; of one member only when `person`
    /// is given (reading one person must not read the whole source).
    async fn memberships_in_source(&self, source: &str, person: Option<PersonId>) -> Result<HashMap<String, Vec<(GroupId, String, GroupKind)>>> {
        let sql = match person {
            None => {
                "SELECT m.person_id, g.id, g.name, g.kind FROM group_members m JOIN class_groups g ON g.id = m.group_id WHERE g.source = $1 ORDER BY g.name, g.id"
            }
            Some(_) => {
                "SELECT m.person_id, g.id, g.name, g.kind FROM group_members m JOIN class_groups g ON g.id = m.group_id WHERE g.source = $1 AND m.person_id = $2 ORDER BY g.name, g.id"
            }
        };
        let mut q = sqlx::query(sql).bind(source.to_owned());
        if let Some(p) = person {
            q = q.bind(p.to_string());
        }
        let rs = q.fetch_all(&self.pool).await.map_err(db_err)?;
        let mut out: HashMap<String, Vec<_>> = HashMap::new();
        for r in &rs {
            out.entry(text(r, "person_id")?).or_default().push((parse(r, "id")?, text(r, "name")?, parse(r, "kind")?));
        }
        Ok(out)
    }

    /// The members of the source's groups (of one group when `group` is given), per group.
    async fn members_in_source(&self, source: &str, group: Option<GroupId>) -> Result<HashMap<String, Vec<PersonId>>> {
        let sql = match group {
            None => "SELECT m.group_id, m.person_id FROM group_members m JOIN class_groups g ON g.id = m.group_id WHERE g.source = $1",
            Some(_) => "SELECT m.group_id, m.person_id FROM group_members m JOIN class_groups g ON g.id = m.group_id WHERE g.source = $1 AND g.id = $2",
        };
        let mut q = sqlx::query(sql).bind(source.to_owned());
        if let Some(g) = group {
            q = q.bind(g.to_string());
        }
        let rs = q.fetch_all(&self.pool).await.map_err(db_err)?;
        let mut out: HashMap<String, Vec<PersonId>> = HashMap::new();
        for r in &rs {
            out.entry(text(r, "group_id")?).or_default().push(parse(r, "person_id")?);
        }
        Ok(out)
    }
}

impl ScimStore for Store {
    async fn insert_scim_source(&self, s: &ScimSource, digest: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("INSERT INTO scim_sources (id, territory_id, name, digest, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(s.id.clone())
            .bind(s.territory.to_string())
            .bind(s.name.clone())
            .bind(digest.to_owned())
            .bind(s.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        for st in &s.structures {
            sqlx::query("INSERT INTO scim_source_structures (source_id, structure_id) VALUES ($1, $2)")
                .bind(s.id.clone())
                .bind(st.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn scim_sources(&self, territory: TerritoryId) -> Result<Vec<ScimSource>> {
        let rs = sqlx::query("SELECT * FROM scim_sources WHERE territory_id = $1 AND revoked = 0 ORDER BY created_at, id")
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut out = vec![];
        for r in &rs {
            out.push(self.source_of(r).await?);
        }
        Ok(out)
    }

    async fn scim_source_by_digest(&self, digest: &str) -> Result<Option<ScimSource>> {
        let r = sqlx::query("SELECT * FROM scim_sources WHERE digest = $1 AND revoked = 0")
            .bind(digest.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match r {
            Some(r) => Ok(Some(self.source_of(&r).await?)),
            None => Ok(None),
        }
    }

    async fn revoke_scim_source(&self, id: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("UPDATE scim_sources SET revoked = 1 WHERE id = $1").bind(id.to_owned()).execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn scim_users(&self, source: &str) -> Result<Vec<StoredUser>> {
        let rs = sqlx::query("SELECT id, feed_record FROM people WHERE source = $1 AND source LIKE 'scim:%' ORDER BY id")
            .bind(source.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut groups = self.memberships_in_source(source, None).await?;
        rs.iter()
            .map(|r| {
                let id = text(r, "id")?;
                Ok(StoredUser { groups: groups.remove(&id).unwrap_or_default(), id: id.parse()?, record: opt(r, "feed_record")?.unwrap_or_default() })
            })
            .collect()
    }

    async fn scim_user(&self, source: &str, id: PersonId) -> Result<Option<StoredUser>> {
        let r = sqlx::query("SELECT id, feed_record FROM people WHERE source = $1 AND source LIKE 'scim:%' AND id = $2")
            .bind(source.to_owned())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let groups = self.memberships_in_source(source, Some(id)).await?.remove(&id.to_string()).unwrap_or_default();
        Ok(Some(StoredUser { id, record: opt(&r, "feed_record")?.unwrap_or_default(), groups }))
    }

    async fn scim_user_ids(&self, source: &str) -> Result<Vec<PersonId>> {
        sqlx::query("SELECT id FROM people WHERE source = $1 AND source LIKE 'scim:%'")
            .bind(source.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| parse(r, "id"))
            .collect()
    }

    async fn login_holder(&self, territory: TerritoryId, login: &str) -> Result<Option<PersonId>> {
        let r = sqlx::query("SELECT id FROM people WHERE territory_id = $1 AND login = $2 UNION SELECT person_id AS id FROM login_aliases WHERE territory_id = $1 AND alias = $2")
            .bind(territory.to_string())
            .bind(login.to_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.map(|r| parse(&r, "id")).transpose()
    }

    async fn write_scim_user(&self, w: &UserWrite<'_>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let id = w.id.to_string();
        sqlx::query("INSERT INTO people (id, territory_id, login, given_name, family_name, email, source, feed_record) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET login = excluded.login, given_name = excluded.given_name, family_name = excluded.family_name, email = excluded.email, feed_record = excluded.feed_record")
            .bind(id.clone())
            .bind(w.territory.to_string())
            .bind(w.login.to_owned())
            .bind(w.given_name.to_owned())
            .bind(w.family_name.to_owned())
            .bind(w.email.map(str::to_owned))
            .bind(w.source.to_owned())
            .bind(w.record.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(|e| match db_err(e) {
                preau_core::Error::Conflict(_) => preau_core::Error::Conflict("scim.uniqueness"),
                other => other,
            })?;
        sqlx::query("INSERT INTO credentials (person_id, blocked) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET blocked = excluded.blocked")
            .bind(id.clone())
            .bind(i64::from(w.blocked))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM memberships WHERE person_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
        for (s, p) in w.memberships {
            sqlx::query("INSERT INTO memberships (person_id, structure_id, profile) VALUES ($1, $2, $3)")
                .bind(id.clone())
                .bind(s.to_string())
                .bind(p.code())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        if w.blocked {
            sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
        }
        write_audit(&mut tx, audit).await?;
        self.commit_directory(tx).await
    }

    async fn delete_scim_user(&self, source: &str, id: PersonId, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let owned = sqlx::query("SELECT 1 AS x FROM people WHERE id = $1 AND source = $2")
            .bind(id.to_string())
            .bind(source.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        if !owned {
            return Ok(false);
        }
        purge_person_tx(&mut tx, &id.to_string()).await?;
        write_audit(&mut tx, audit).await?;
        self.commit_directory(tx).await?;
        Ok(true)
    }

    async fn scim_groups(&self, source: &str) -> Result<Vec<StoredGroup>> {
        let rs = sqlx::query("SELECT id, scim_record FROM class_groups WHERE source = $1 ORDER BY id")
            .bind(source.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let mut members = self.members_in_source(source, None).await?;
        rs.iter()
            .map(|r| {
                let id = text(r, "id")?;
                Ok(StoredGroup { members: members.remove(&id).unwrap_or_default(), id: id.parse()?, record: opt(r, "scim_record")?.unwrap_or_default() })
            })
            .collect()
    }

    async fn scim_group(&self, source: &str, id: GroupId) -> Result<Option<StoredGroup>> {
        let r = sqlx::query("SELECT scim_record FROM class_groups WHERE source = $1 AND id = $2")
            .bind(source.to_owned())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let members = self.members_in_source(source, Some(id)).await?.remove(&id.to_string()).unwrap_or_default();
        Ok(Some(StoredGroup { id, members, record: opt(&r, "scim_record")?.unwrap_or_default() }))
    }

    async fn write_scim_group(&self, w: &GroupWrite<'_>, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let id = w.id.to_string();
        sqlx::query("INSERT INTO class_groups (id, structure_id, kind, code, name, source, scim_record) VALUES ($1, $2, $3, $1, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET structure_id = excluded.structure_id, kind = excluded.kind, name = excluded.name, scim_record = excluded.scim_record")
            .bind(id.clone())
            .bind(w.structure.to_string())
            .bind(w.kind)
            .bind(w.name.to_owned())
            .bind(w.source.to_owned())
            .bind(w.record.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
        for p in w.members {
            sqlx::query("INSERT INTO group_members (group_id, person_id) VALUES ($1, $2)")
                .bind(id.clone())
                .bind(p.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        write_audit(&mut tx, audit).await?;
        self.commit_directory(tx).await
    }

    async fn delete_scim_group(&self, source: &str, id: GroupId, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let gid = id.to_string();
        let owned = sqlx::query("SELECT 1 AS x FROM class_groups WHERE id = $1 AND source = $2")
            .bind(gid.clone())
            .bind(source.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .is_some();
        if !owned {
            return Ok(false);
        }
        for sql in [
            "DELETE FROM group_members WHERE group_id = $1",
            "DELETE FROM group_structures WHERE group_id = $1",
            "DELETE FROM teachings WHERE group_id = $1",
            "DELETE FROM principal_teachers WHERE group_id = $1",
            "DELETE FROM role_assignments WHERE group_id = $1",
            "DELETE FROM class_groups WHERE id = $1",
        ] {
            sqlx::query(sql).bind(gid.clone()).execute(&mut *tx).await.map_err(db_err)?;
        }
        write_audit(&mut tx, audit).await?;
        self.commit_directory(tx).await?;
        Ok(true)
    }
}
