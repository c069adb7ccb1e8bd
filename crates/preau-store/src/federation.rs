//! Federation's storage: the outside providers a territory trusts, the links from a provider's
//! subject to a local account, and the lookup of accounts by the matching rule.

use crate::rows::{self, int, parse, text};
use crate::{Store, db_err};
use preau_core::{PersonId, Result, TerritoryId};
use preau_directory::{AuditEntry, Person};
use preau_identity::federation::{MatchRule, Upstream};
use sqlx::any::AnyRow;

fn upstream(r: &AnyRow) -> Result<Upstream> {
    Ok(Upstream {
        id: text(r, "id")?,
        territory: parse(r, "territory_id")?,
        name: text(r, "name")?,
        issuer: text(r, "issuer")?,
        client_id: text(r, "client_id")?,
        client_secret: text(r, "client_secret")?,
        scopes: text(r, "scopes")?,
        match_claim: text(r, "match_claim")?,
        match_rule: MatchRule::parse(&text(r, "match_rule")?).unwrap_or(MatchRule::Email),
        created_at: int(r, "created_at")?,
        saml: text(r, "kind")? == "saml",
        sso_url: text(r, "sso_url")?,
        certificate: text(r, "certificate")?,
    })
}

pub(crate) async fn insert(s: &Store, u: &Upstream, audit: &AuditEntry) -> Result<()> {
    let mut tx = s.pool.begin().await.map_err(db_err)?;
    sqlx::query("INSERT INTO upstream_providers (id, territory_id, name, issuer, client_id, client_secret, scopes, match_claim, match_rule, created_at, kind, sso_url, certificate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(u.id.clone())
        .bind(u.territory.to_string())
        .bind(u.name.clone())
        .bind(u.issuer.clone())
        .bind(u.client_id.clone())
        .bind(u.client_secret.clone())
        .bind(u.scopes.clone())
        .bind(u.match_claim.clone())
        .bind(u.match_rule.code())
        .bind(u.created_at)
        .bind(if u.saml { "saml" } else { "oidc" })
        .bind(u.sso_url.clone())
        .bind(u.certificate.clone())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    crate::directory::write_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn list(s: &Store, territory: TerritoryId) -> Result<Vec<Upstream>> {
    let rows = sqlx::query("SELECT * FROM upstream_providers WHERE territory_id = $1 ORDER BY name")
        .bind(territory.to_string())
        .fetch_all(&s.pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(upstream).collect()
}

pub(crate) async fn link(s: &Store, provider: &str, subject: &str) -> Result<Option<PersonId>> {
    let row = sqlx::query("SELECT person_id FROM upstream_links WHERE provider_id = $1 AND subject = $2")
        .bind(provider.to_owned())
        .bind(subject.to_owned())
        .fetch_optional(&s.pool)
        .await
        .map_err(db_err)?;
    row.map(|r| parse(&r, "person_id")).transpose()
}

pub(crate) async fn add_link(s: &Store, provider: &str, subject: &str, person: PersonId, at: i64) -> Result<()> {
    sqlx::query("INSERT INTO upstream_links (provider_id, subject, person_id, linked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (provider_id, subject) DO UPDATE SET person_id = excluded.person_id, linked_at = excluded.linked_at")
        .bind(provider.to_owned())
        .bind(subject.to_owned())
        .bind(person.to_string())
        .bind(at)
        .execute(&s.pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn matching(s: &Store, territory: TerritoryId, rule: MatchRule, key: &str) -> Result<Vec<Person>> {
    let rows = match rule {
        // Feed identifiers are namespaced per académie: `RENNES:1234567`.
        MatchRule::Aaf => sqlx::query("SELECT * FROM people WHERE territory_id = $1 AND external_id LIKE $2 ORDER BY login LIMIT 10")
            .bind(territory.to_string())
            .bind(format!("%:{}", key.replace(['%', '_'], "")))
            .fetch_all(&s.pool)
            .await
            .map_err(db_err)?,
        MatchRule::Email => sqlx::query("SELECT * FROM people WHERE territory_id = $1 AND LOWER(email) = $2 ORDER BY login LIMIT 10")
            .bind(territory.to_string())
            .bind(key.to_owned())
            .fetch_all(&s.pool)
            .await
            .map_err(db_err)?,
    };
    rows.iter().map(rows::person).collect()
}
