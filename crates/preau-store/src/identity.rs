//! The identity store on SQLite and PostgreSQL.

use crate::directory::write_audit;
use crate::rows::{int, opt, parse, text};
use crate::{Store, db_err};
use preau_core::{PersonId, Result, TerritoryId};
use preau_directory::AuditEntry;
use preau_identity::IdentityStore;
use preau_identity::sessions::SessionRecord;
use preau_identity::store::{ApiKeyRecord, Charter, Credential};
use sqlx::any::AnyRow;

fn session(r: &AnyRow) -> Result<SessionRecord> {
    Ok(SessionRecord {
        digest: text(r, "digest")?,
        person: parse(r, "person_id")?,
        territory: parse(r, "territory_id")?,
        created_at: int(r, "created_at")?,
        last_seen: int(r, "last_seen")?,
        csrf: text(r, "csrf")?,
        user_agent: text(r, "user_agent")?,
        address: text(r, "address")?,
        charter_pending: int(r, "charter_pending")? != 0,
        mfa_pending: int(r, "mfa_pending")? != 0,
    })
}

fn api_key(r: &AnyRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: text(r, "id")?,
        territory: parse(r, "territory_id")?,
        name: text(r, "name")?,
        created_at: int(r, "created_at")?,
        revoked: int(r, "revoked")? != 0,
    })
}

/// A person's credentials row is created by the first write (password, block, charter, language):
/// a feed does not write one for each of the hundreds of thousands of people it creates, most of
/// whom activate their account later or never. Until then, the defaults apply.
impl IdentityStore for Store {
    async fn insert_upstream(&self, u: &preau_identity::federation::Upstream, audit: &AuditEntry) -> Result<()> {
        crate::federation::insert(self, u, audit).await
    }

    async fn upstreams(&self, territory: TerritoryId) -> Result<Vec<preau_identity::federation::Upstream>> {
        crate::federation::list(self, territory).await
    }

    async fn upstream_link(&self, provider: &str, subject: &str) -> Result<Option<PersonId>> {
        crate::federation::link(self, provider, subject).await
    }

    async fn link_upstream(&self, provider: &str, subject: &str, person: PersonId, at: i64) -> Result<()> {
        crate::federation::add_link(self, provider, subject, person, at).await
    }

    async fn people_matching(&self, territory: TerritoryId, rule: preau_identity::federation::MatchRule, key: &str) -> Result<Vec<preau_directory::Person>> {
        crate::federation::matching(self, territory, rule, key).await
    }

    async fn mfa(&self, person: PersonId) -> Result<Option<preau_identity::mfa::MfaRecord>> {
        crate::mfa::mfa(self, person).await
    }

    async fn enable_mfa(&self, person: PersonId, record: &preau_identity::mfa::MfaRecord, recovery: &[String], audit: &AuditEntry) -> Result<()> {
        crate::mfa::enable(self, person, record, recovery, audit).await
    }

    async fn use_totp_step(&self, person: PersonId, step: i64) -> Result<bool> {
        crate::mfa::use_step(self, person, step).await
    }

    async fn use_recovery_code(&self, person: PersonId, digest: &str, at: i64) -> Result<bool> {
        crate::mfa::use_recovery(self, person, digest, at).await
    }

    async fn recovery_codes_left(&self, person: PersonId) -> Result<i64> {
        crate::mfa::recovery_left(self, person).await
    }

    async fn disable_mfa(&self, person: PersonId, audit: &AuditEntry) -> Result<()> {
        crate::mfa::disable(self, person, audit).await
    }

    async fn trust_device(&self, digest: &str, person: PersonId, at: i64, expires_at: i64, label: &str) -> Result<()> {
        crate::mfa::trust(self, digest, person, at, expires_at, label).await
    }

    async fn device_trusted(&self, digest: &str, person: PersonId, now: i64) -> Result<bool> {
        crate::mfa::trusted(self, digest, person, now).await
    }

    async fn mfa_profiles(&self, territory: TerritoryId) -> Result<Vec<preau_core::Profile>> {
        crate::mfa::profiles(self, territory).await
    }

    async fn set_mfa_profiles(&self, territory: TerritoryId, profiles: &[preau_core::Profile], audit: &AuditEntry) -> Result<()> {
        crate::mfa::set_profiles(self, territory, profiles, audit).await
    }

    async fn clear_session_mfa(&self, digest: &preau_identity::sessions::SessionKey) -> Result<()> {
        crate::mfa::clear_session(self, &digest.to_string()).await
    }

    async fn credential(&self, person: PersonId) -> Result<Credential> {
        let r = sqlx::query("SELECT password_hash, blocked, charter_version, lang FROM credentials WHERE person_id = $1")
            .bind(person.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some(r) = r else { return Ok(Credential::default()) };
        Ok(Credential {
            password_hash: opt(&r, "password_hash")?,
            blocked: int(&r, "blocked")? != 0,
            charter_version: int(&r, "charter_version")?,
            lang: opt(&r, "lang")?,
        })
    }

    async fn set_password(&self, person: PersonId, hash: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO credentials (person_id, password_hash) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(person.to_string())
        .bind(hash.to_owned())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_blocked(&self, person: PersonId, blocked: bool, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("INSERT INTO credentials (person_id, blocked) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET blocked = excluded.blocked")
            .bind(person.to_string())
            .bind(i64::from(blocked))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn accept_charter(&self, person: PersonId, version: i64) -> Result<()> {
        sqlx::query("INSERT INTO credentials (person_id, charter_version) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET charter_version = excluded.charter_version")
            .bind(person.to_string())
            .bind(version)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn set_lang(&self, person: PersonId, lang: &str) -> Result<()> {
        sqlx::query("INSERT INTO credentials (person_id, lang) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET lang = excluded.lang")
            .bind(person.to_string())
            .bind(lang.to_owned())
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn put_activation_code(&self, person: PersonId, digest: &str, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO activation_codes (person_id, digest, expires_at, used_at) VALUES ($1, $2, $3, NULL) ON CONFLICT (person_id) DO UPDATE SET digest = $2, expires_at = $3, used_at = NULL")
            .bind(person.to_string())
            .bind(digest.to_owned())
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn activate(&self, person: PersonId, digest: &str, now: i64, password_hash: &str, charter_version: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let used = sqlx::query("UPDATE activation_codes SET used_at = $3 WHERE person_id = $1 AND digest = $2 AND used_at IS NULL AND expires_at > $3")
            .bind(person.to_string())
            .bind(digest.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if used != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO credentials (person_id, password_hash, charter_version) VALUES ($1, $2, $3) ON CONFLICT (person_id) DO UPDATE SET password_hash = excluded.password_hash, charter_version = excluded.charter_version")
            .bind(person.to_string())
            .bind(password_hash.to_owned())
            .bind(charter_version)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn charter(&self, territory: TerritoryId) -> Result<Option<Charter>> {
        let r = sqlx::query("SELECT version, text, published_at FROM charters WHERE territory_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(territory.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        r.map(|r| Ok(Charter { version: int(&r, "version")?, text: text(&r, "text")?, published_at: int(&r, "published_at")? })).transpose()
    }

    async fn publish_charter(&self, territory: TerritoryId, body: &str, now: i64, audit: &AuditEntry) -> Result<i64> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM charters WHERE territory_id = $1")
            .bind(territory.to_string())
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let version = int(&r, "v")? + 1;
        sqlx::query("INSERT INTO charters (territory_id, version, text, published_at) VALUES ($1, $2, $3, $4)")
            .bind(territory.to_string())
            .bind(version)
            .bind(body.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(version)
    }

    async fn put_reset_token(&self, person: PersonId, digest: &str, expires_at: i64) -> Result<()> {
        sqlx::query("INSERT INTO reset_tokens (digest, person_id, expires_at) VALUES ($1, $2, $3)")
            .bind(digest.to_owned())
            .bind(person.to_string())
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn consume_reset_token(&self, digest: &str, now: i64, password_hash: &str) -> Result<Option<PersonId>> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let r = sqlx::query("SELECT person_id FROM reset_tokens WHERE digest = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(digest.to_owned())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let Some(r) = r else { return Ok(None) };
        let person: PersonId = parse(&r, "person_id")?;
        let n = sqlx::query("UPDATE reset_tokens SET used_at = $2 WHERE digest = $1 AND used_at IS NULL")
            .bind(digest.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n != 1 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO credentials (person_id, password_hash) VALUES ($1, $2) ON CONFLICT (person_id) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(person.to_string())
        .bind(password_hash.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(person))
    }

    async fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        sqlx::query("INSERT INTO sessions (digest, person_id, territory_id, created_at, last_seen, csrf, user_agent, address, charter_pending, mfa_pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(s.digest.clone())
            .bind(s.person.to_string())
            .bind(s.territory.to_string())
            .bind(s.created_at)
            .bind(s.last_seen)
            .bind(s.csrf.clone())
            .bind(s.user_agent.clone())
            .bind(s.address.clone())
            .bind(i64::from(s.charter_pending))
            .bind(i64::from(s.mfa_pending))
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_session(&self, digest: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1").bind(digest.to_owned()).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    async fn touch_session(&self, digest: &str, last_seen: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $2 WHERE digest = $1")
            .bind(digest.to_owned())
            .bind(last_seen)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, seen_before: i64, created_before: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2")
            .bind(seen_before)
            .bind(created_before)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn sessions_page(&self, after: &str, limit: i64) -> Result<Vec<SessionRecord>> {
        let rs = sqlx::query("SELECT * FROM sessions WHERE digest > $1 ORDER BY digest LIMIT $2")
            .bind(after.to_owned())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(session).collect()
    }

    async fn sessions_of(&self, person: PersonId) -> Result<Vec<SessionRecord>> {
        let rs = sqlx::query("SELECT * FROM sessions WHERE person_id = $1 ORDER BY created_at DESC")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(session).collect()
    }

    async fn insert_api_key(&self, k: &ApiKeyRecord, digest: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("INSERT INTO api_keys (id, territory_id, name, digest, created_at, revoked) VALUES ($1, $2, $3, $4, $5, 0)")
            .bind(k.id.clone())
            .bind(k.territory.to_string())
            .bind(k.name.clone())
            .bind(digest.to_owned())
            .bind(k.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn api_key_by_digest(&self, digest: &str) -> Result<Option<ApiKeyRecord>> {
        let r = sqlx::query("SELECT * FROM api_keys WHERE digest = $1").bind(digest.to_owned()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(api_key).transpose()
    }

    async fn api_keys(&self, territory: TerritoryId) -> Result<Vec<ApiKeyRecord>> {
        let rs = sqlx::query("SELECT * FROM api_keys WHERE territory_id = $1 ORDER BY created_at DESC")
            .bind(territory.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter().map(api_key).collect()
    }

    async fn insert_app_password(&self, person: PersonId, p: &preau_identity::app_passwords::AppPassword, digest: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("INSERT INTO app_passwords (id, person_id, label, digest, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(p.id.clone())
            .bind(person.to_string())
            .bind(p.label.clone())
            .bind(digest.to_owned())
            .bind(p.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn app_passwords(&self, person: PersonId) -> Result<Vec<preau_identity::app_passwords::AppPassword>> {
        let rs = sqlx::query("SELECT id, label, created_at FROM app_passwords WHERE person_id = $1 ORDER BY created_at")
            .bind(person.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rs.iter()
            .map(|r| Ok(preau_identity::app_passwords::AppPassword { id: text(r, "id")?, label: text(r, "label")?, created_at: int(r, "created_at")? }))
            .collect()
    }

    async fn app_password_person(&self, digest: &str) -> Result<Option<PersonId>> {
        let r =
            sqlx::query("SELECT person_id FROM app_passwords WHERE digest = $1").bind(digest.to_owned()).fetch_optional(&self.pool).await.map_err(db_err)?;
        r.as_ref().map(|r| parse(r, "person_id")).transpose()
    }

    async fn delete_app_password(&self, person: PersonId, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let done = sqlx::query("DELETE FROM app_passwords WHERE id = $1 AND person_id = $2")
            .bind(id.to_owned())
            .bind(person.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
            > 0;
        if done {
            write_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(done)
    }

    async fn revoke_api_key(&self, id: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("UPDATE api_keys SET revoked = 1 WHERE id = $1").bind(id.to_owned()).execute(&mut *tx).await.map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(db_err)
    }
}
