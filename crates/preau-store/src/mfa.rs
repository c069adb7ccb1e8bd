//! The second factor's storage: TOTP secrets with their last accepted step, recovery codes,
//! remembered devices, the territory's policy, and the flag of sessions waiting for it.

use crate::rows::{int, text};
use crate::{Store, db_err};
use preau_core::{PersonId, Profile, Result, TerritoryId};
use preau_directory::AuditEntry;
use preau_identity::mfa::MfaRecord;

pub(crate) async fn mfa(s: &Store, person: PersonId) -> Result<Option<MfaRecord>> {
    let row = sqlx::query("SELECT * FROM mfa_secrets WHERE person_id = $1").bind(person.to_string()).fetch_optional(&s.pool).await.map_err(db_err)?;
    row.map(|r| Ok(MfaRecord { secret: text(&r, "secret")?, enabled_at: int(&r, "enabled_at")?, last_step: int(&r, "last_step")? })).transpose()
}

pub(crate) async fn enable(s: &Store, person: PersonId, m: &MfaRecord, recovery: &[String], audit: &AuditEntry) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    let id = person.to_string();
    sqlx::query("INSERT INTO mfa_secrets (person_id, secret, enabled_at, last_step) VALUES ($1, $2, $3, $4) ON CONFLICT (person_id) DO UPDATE SET secret = excluded.secret, enabled_at = excluded.enabled_at, last_step = excluded.last_step")
        .bind(id.clone())
        .bind(m.secret.clone())
        .bind(m.enabled_at)
        .bind(m.last_step)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE person_id = $1").bind(id.clone()).execute(&mut *tx).await.map_err(db_err)?;
    for d in recovery {
        sqlx::query("INSERT INTO mfa_recovery_codes (person_id, digest, used_at) VALUES ($1, $2, NULL)")
            .bind(id.clone())
            .bind(d.clone())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    crate::directory::write_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn use_step(s: &Store, person: PersonId, step: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE mfa_secrets SET last_step = $2 WHERE person_id = $1 AND last_step < $2")
        .bind(person.to_string())
        .bind(step)
        .execute(&s.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn use_recovery(s: &Store, person: PersonId, digest: &str, at: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE mfa_recovery_codes SET used_at = $3 WHERE person_id = $1 AND digest = $2 AND used_at IS NULL")
        .bind(person.to_string())
        .bind(digest.to_owned())
        .bind(at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn recovery_left(s: &Store, person: PersonId) -> Result<i64> {
    let r = sqlx::query("SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE person_id = $1 AND used_at IS NULL")
        .bind(person.to_string())
        .fetch_one(&s.pool)
        .await
        .map_err(db_err)?;
    int(&r, "n")
}

pub(crate) async fn disable(s: &Store, person: PersonId, audit: &AuditEntry) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    for sql in [
        "DELETE FROM mfa_secrets WHERE person_id = $1",
        "DELETE FROM mfa_recovery_codes WHERE person_id = $1",
        "DELETE FROM trusted_devices WHERE person_id = $1",
    ] {
        sqlx::query(sql).bind(person.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    }
    crate::directory::write_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn trust(s: &Store, digest: &str, person: PersonId, at: i64, expires_at: i64, label: &str) -> Result<()> {
    sqlx::query("DELETE FROM trusted_devices WHERE person_id = $1 AND expires_at <= $2")
        .bind(person.to_string())
        .bind(at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    sqlx::query("INSERT INTO trusted_devices (digest, person_id, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(digest.to_owned())
        .bind(person.to_string())
        .bind(label.to_owned())
        .bind(at)
        .bind(expires_at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn trusted(s: &Store, digest: &str, person: PersonId, now: i64) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS ok FROM trusted_devices WHERE digest = $1 AND person_id = $2 AND expires_at > $3")
        .bind(digest.to_owned())
        .bind(person.to_string())
        .bind(now)
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(row.is_some())
}

pub(crate) async fn profiles(s: &Store, territory: TerritoryId) -> Result<Vec<Profile>> {
    let rows = sqlx::query("SELECT profile FROM mfa_policy WHERE territory_id = $1 ORDER BY profile")
        .bind(territory.to_string())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| text(r, "profile")?.parse::<Profile>().map_err(|_| preau_core::Error::internal("unknown profile"))).collect()
}

pub(crate) async fn set_profiles(s: &Store, territory: TerritoryId, profiles: &[Profile], audit: &AuditEntry) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query("DELETE FROM mfa_policy WHERE territory_id = $1").bind(territory.to_string()).execute(&mut *tx).await.map_err(db_err)?;
    for p in profiles {
        sqlx::query("INSERT INTO mfa_policy (territory_id, profile) VALUES ($1, $2)")
            .bind(territory.to_string())
            .bind(p.code())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    crate::directory::write_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn clear_session(s: &Store, digest: &str) -> Result<()> {
    sqlx::query("UPDATE sessions SET mfa_pending = 0 WHERE digest = $1").bind(digest.to_owned()).execute(&s.pool).await.map_err(db_err)?;
    Ok(())
}
