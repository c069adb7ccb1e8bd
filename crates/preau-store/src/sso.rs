//! The single sign-on store: connectors (their tile is a row of `services`, their policy JSON in
//! `connectors`) and launch counters.

use crate::directory::{conflict_as, insert_service_tx, write_audit};
use crate::rows::{self, int, opt_parse, parse, text};
use crate::{Store, db_err};
use preau_core::{Error, Profile, Result, ServiceId, StructureId, TerritoryId};
use preau_directory::{AuditEntry, Service};
use preau_sso::launches::LaunchKey;
use preau_sso::{Connector, Protocol, Release, SsoStore, SubjectKind};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

/// What the `policy` column holds.
#[derive(Serialize, Deserialize)]
struct Policy {
    service_urls: Vec<String>,
    structures: Vec<StructureId>,
    profiles: Vec<Profile>,
    release: Vec<Release>,
    subject: SubjectKind,
}

fn policy_json(c: &Connector) -> Result<String> {
    let p = Policy {
        service_urls: c.service_urls.clone(),
        structures: c.structures.clone(),
        profiles: c.profiles.clone(),
        release: c.release.clone(),
        subject: c.subject,
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
        protocol: if text(r, "protocol")? == "cas" { Protocol::Cas } else { Protocol::Link },
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
}
