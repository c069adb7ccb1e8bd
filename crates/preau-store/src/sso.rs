//! The single sign-on store: connectors (their tile is a row of `services`, their policy JSON in
//! `connectors`) and launch counters.

use crate::directory::{conflict_as, insert_service_tx, write_audit};
use crate::rows::{self, int, opt_parse, parse, text};
use crate::{Store, db_err};
use base64::Engine;
use preau_core::PersonId;
use preau_core::{Error, Profile, Result, ServiceId, StructureId, TerritoryId};
use preau_directory::{AuditEntry, Service};
use preau_sso::connectors::OidcSettings;
use preau_sso::keys::{SigningAlg, StoredKey};
use preau_sso::launches::LaunchKey;
use preau_sso::oidc::tokens::{RefreshRecord, RefreshUse};
use preau_sso::{Connector, Protocol, Release, SsoStore, SubjectKind};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// What the `policy` column holds.
#[derive(Serialize, Deserialize)]
struct Policy {
    service_urls: Vec<String>,
    structures: Vec<StructureId>,
    profiles: Vec<Profile>,
    release: Vec<Release>,
    subject: SubjectKind,
    #[serde(default)]
    oidc: OidcSettings,
    #[serde(default)]
    saml: preau_sso::connectors::SamlSettings,
    /// Kept apart from `oidc`, which never serialises it.
    #[serde(default)]
    client_secret_digest: String,
}

fn policy_json(c: &Connector) -> Result<String> {
    let p = Policy {
        service_urls: c.service_urls.clone(),
        structures: c.structures.clone(),
        profiles: c.profiles.clone(),
        release: c.release.clone(),
        subject: c.subject,
        oidc: c.oidc.clone(),
        saml: c.saml.clone(),
        client_secret_digest: c.oidc.secret_digest.clone(),
    };
    serde_json::to_string(&p).map_err(Error::internal)
}

fn connector(r: &AnyRow) -> Result<Connector> {
    let tile = rows::service(r)?;
    let p: Policy = serde_json::from_str(&text(r, "policy")?).map_err(Error::internal)?;
    Ok(Connector {
        service: tile.id,
        territory: tile.territory,
        owner: opt_parse(r, "owner_id")?,
        code: tile.code,
        name: tile.name,
        icon: tile.icon,
        url: tile.url,
        protocol: Protocol::parse(&text(r, "protocol")?).unwrap_or(Protocol::Link),
        service_urls: p.service_urls,
        structures: p.structures,
        profiles: p.profiles,
        release: p.release,
        subject: p.subject,
        salt: text(r, "salt")?,
        purpose: text(r, "purpose")?,
        legal_basis: text(r, "legal_basis")?,
        approved_by: text(r, "approved_by")?,
        approved_at: int(r, "approved_at")?,
        oidc: OidcSettings { secret_digest: p.client_secret_digest, ..p.oidc },
        saml: p.saml,
        client_secret: None,
    })
}

const SELECT: &str = "SELECT s.*, c.owner_id, c.protocol, c.policy, c.salt, c.purpose, c.legal_basis, c.approved_by, c.approved_at FROM connectors c JOIN services s ON s.id = c.service_id";

impl SsoStore for Store {
    async fn insert_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        insert_service_tx(&mut tx, tile).await?;
        sqlx::query("INSERT INTO connectors (service_id, territory_id, owner_id, protocol, policy, salt, purpose, legal_basis, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(c.service.to_string())
            .bind(c.territory.to_string())
            .bind(c.owner.map(|s| s.to_string()))
            .bind(c.protocol.code())
            .bind(policy_json(c)?)
            .bind(c.salt.clone())
            .bind(c.purpose.clone())
            .bind(c.legal_basis.clone())
            .bind(c.approved_by.clone())
            .bind(c.approved_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn update_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE services SET code = $2, name = $3, url = $4, icon = $5 WHERE id = $1")
            .bind(tile.id.to_string())
            .bind(tile.code.clone())
            .bind(tile.name.clone())
            .bind(tile.url.clone())
            .bind(tile.icon.clone())
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("service.code_taken"))?;
        sqlx::query("UPDATE connectors SET owner_id = $2, protocol = $3, policy = $4, purpose = $5, legal_basis = $6, approved_by = $7, approved_at = $8 WHERE service_id = $1")
            .bind(c.service.to_string())
            .bind(c.owner.map(|s| s.to_string()))
            .bind(c.protocol.code())
            .bind(policy_json(c)?)
            .bind(c.purpose.clone())
            .bind(c.legal_basis.clone())
            .bind(c.approved_by.clone())
            .bind(c.approved_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn connector(&self, service: ServiceId) -> Result<Connector> {
        let sql = format!("{SELECT} WHERE c.service_id = $1");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(service.to_string()).fetch_one(&self.pool).await.map_err(db_err)?;
        connector(&r)
    }

    async fn connectors(&self, territory: TerritoryId) -> Result<Vec<Connector>> {
        let sql = format!("{SELECT} WHERE c.territory_id = $1 ORDER BY s.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(territory.to_string()).fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter().map(connector).collect()
    }

    async fn add_launches(&self, counts: &[(LaunchKey, u64)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for ((day, service, structure, profile), n) in counts {
            sqlx::query("INSERT INTO launch_counts (day, service_id, structure_id, profile, launches) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day, service_id, structure_id, profile) DO UPDATE SET launches = launch_counts.launches + excluded.launches")
                .bind(day.clone())
                .bind(service.to_string())
                .bind(structure.to_string())
                .bind(profile.code())
                .bind(i64::try_from(*n).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn launch_counts(&self, territory: TerritoryId, from: &str, to: &str) -> Result<Vec<(LaunchKey, u64)>> {
        let rows = sqlx::query("SELECT l.* FROM launch_counts l JOIN services s ON s.id = l.service_id WHERE s.territory_id = $1 AND l.day >= $2 AND l.day <= $3 ORDER BY l.day, s.name, l.structure_id, l.profile")
            .bind(territory.to_string())
            .bind(from.to_owned())
            .bind(to.to_owned())
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    (text(r, "day")?, parse(r, "service_id")?, parse(r, "structure_id")?, parse(r, "profile")?),
                    u64::try_from(int(r, "launches")?).unwrap_or(0),
                ))
            })
            .collect()
    }

    async fn signing_keys(&self) -> Result<Vec<StoredKey>> {
        let rows = sqlx::query("SELECT * FROM signing_keys ORDER BY created_at").fetch_all(&self.pool).await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let alg = SigningAlg::parse(&text(r, "alg")?).ok_or_else(|| Error::internal("unknown signing algorithm"))?;
                let private_der = base64::engine::general_purpose::STANDARD.decode(text(r, "private_key")?).map_err(Error::internal)?;
                Ok(StoredKey {
                    kid: text(r, "kid")?,
                    alg,
                    private_der,
                    created_at: int(r, "created_at")?,
                    retired_at: r.try_get::<Option<i64>, _>("retired_at").map_err(db_err)?,
                })
            })
            .collect()
    }

    async fn insert_signing_key(&self, k: &StoredKey) -> Result<()> {
        sqlx::query("INSERT INTO signing_keys (kid, alg, private_key, created_at, retired_at) VALUES ($1, $2, $3, $4, NULL)")
            .bind(k.kid.clone())
            .bind(k.alg.code())
            .bind(base64::engine::general_purpose::STANDARD.encode(&k.private_der))
            .bind(k.created_at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn retire_signing_keys(&self, algs: &[&str], now: i64, delete_before: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1").bind(delete_before).execute(&mut *tx).await.map_err(db_err)?;
        for alg in algs {
            sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL AND alg = $2")
                .bind(now)
                .bind((*alg).to_owned())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
    }

    async fn oidc_consent(&self, person: PersonId, connector: ServiceId) -> Result<Option<Vec<String>>> {
        let row = sqlx::query("SELECT scopes FROM oidc_consents WHERE person_id = $1 AND service_id = $2")
            .bind(person.to_string())
            .bind(connector.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| Ok(text(&r, "scopes")?.split_ascii_whitespace().map(str::to_owned).collect())).transpose()
    }

    async fn set_oidc_consent(&self, person: PersonId, connector: ServiceId, scopes: &[String], at: i64) -> Result<()> {
        sqlx::query("INSERT INTO oidc_consents (person_id, service_id, scopes, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, service_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at")
            .bind(person.to_string())
            .bind(connector.to_string())
            .bind(scopes.join(" "))
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_refresh(&self, t: &RefreshRecord) -> Result<()> {
        sqlx::query("INSERT INTO oidc_refresh_tokens (digest, grant_id, service_id, person_id, subject, scopes, auth_time, issued_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)")
            .bind(t.digest.clone())
            .bind(t.grant.clone())
            .bind(t.connector.to_string())
            .bind(t.person.to_string())
            .bind(t.subject.clone())
            .bind(t.scopes.join(" "))
            .bind(t.auth_time)
            .bind(t.issued_at)
            .bind(t.expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn use_refresh(&self, digest: &str, now: i64) -> Result<RefreshUse> {
        let marked = sqlx::query("UPDATE oidc_refresh_tokens SET used_at = $2 WHERE digest = $1 AND used_at IS NULL")
            .bind(digest.to_owned())
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_err)?
            .rows_affected();
        let row =
            sqlx::query("SELECT * FROM oidc_refresh_tokens WHERE digest = $1").bind(digest.to_owned()).fetch_optional(&self.pool).await.map_err(db_err)?;
        Ok(match row {
            None => RefreshUse::Unknown,
            Some(r) if marked == 1 => RefreshUse::Fresh(refresh(&r)?),
            Some(r) => RefreshUse::Reused(refresh(&r)?),
        })
    }

    async fn live_refresh(&self, digest: &str, now: i64) -> Result<Option<RefreshRecord>> {
        let row = sqlx::query("SELECT * FROM oidc_refresh_tokens WHERE digest = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(digest.to_owned())
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(refresh).transpose()
    }

    async fn revoke_refresh_grant(&self, grant: &str) -> Result<()> {
        sqlx::query("DELETE FROM oidc_refresh_tokens WHERE grant_id = $1").bind(grant.to_owned()).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }
}

fn refresh(r: &AnyRow) -> Result<RefreshRecord> {
    Ok(RefreshRecord {
        digest: text(r, "digest")?,
        grant: text(r, "grant_id")?,
        connector: parse(r, "service_id")?,
        person: parse(r, "person_id")?,
        subject: text(r, "subject")?,
        scopes: text(r, "scopes")?.split_ascii_whitespace().map(str::to_owned).collect(),
        auth_time: int(r, "auth_time")?,
        issued_at: int(r, "issued_at")?,
        expires_at: int(r, "expires_at")?,
    })
}
