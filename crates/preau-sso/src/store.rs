//! The storage port of single sign-on, implemented by `preau-store`. It extends the directory's
//! port (releasing attributes reads people, memberships, structures and groups) and the
//! identity port (a blocked account refreshes no token).

use crate::connectors::Connector;
use crate::keys::StoredKey;
use crate::launches::LaunchKey;
use crate::oidc::tokens::{RefreshRecord, RefreshUse};
use preau_core::{PersonId, Result, ServiceId, TerritoryId};
use preau_directory::{AuditEntry, DirectoryStore, Service};
use preau_identity::IdentityStore;

pub trait SsoStore: DirectoryStore + IdentityStore {
    /// Writes the connector and its catalogue tile, with the audit entry, in one transaction.
    async fn insert_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()>;
    async fn update_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()>;
    async fn connector(&self, service: ServiceId) -> Result<Connector>;
    async fn connectors(&self, territory: TerritoryId) -> Result<Vec<Connector>>;
    /// Adds counts to the launch counters (created at zero when new).
    async fn add_launches(&self, rows: &[(LaunchKey, u64)]) -> Result<()>;
    /// The counts of the territory's connectors for the days `from..=to` (`YYYY-MM-DD`).
    async fn launch_counts(&self, territory: TerritoryId, from: &str, to: &str) -> Result<Vec<(LaunchKey, u64)>>;

    /// Every signing key, retired ones included.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>>;
    async fn insert_signing_key(&self, k: &StoredKey) -> Result<()>;
    /// Retires the active keys of these algorithms at `now` and deletes keys retired before
    /// `delete_before`.
    async fn retire_signing_keys(&self, algs: &[&str], now: i64, delete_before: i64) -> Result<()>;

    /// The scopes a person agreed to release to a connector, if they ever did.
    async fn oidc_consent(&self, person: PersonId, connector: ServiceId) -> Result<Option<Vec<String>>>;
    async fn set_oidc_consent(&self, person: PersonId, connector: ServiceId, scopes: &[String], at: i64) -> Result<()>;

    async fn insert_refresh(&self, r: &RefreshRecord) -> Result<()>;
    /// Marks a refresh token used, atomically: exactly one caller gets `Fresh`.
    async fn use_refresh(&self, digest: &str, now: i64) -> Result<RefreshUse>;
    /// An unused, unexpired refresh token.
    async fn live_refresh(&self, digest: &str, now: i64) -> Result<Option<RefreshRecord>>;
    /// Deletes every refresh token of a grant.
    async fn revoke_refresh_grant(&self, grant: &str) -> Result<()>;
}
