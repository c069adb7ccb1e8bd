//! The storage port of single sign-on, implemented by `preau-store`. It extends the directory's
//! port: releasing attributes reads people, memberships, structures and groups.

use crate::connectors::Connector;
use crate::launches::LaunchKey;
use preau_core::{Result, ServiceId, TerritoryId};
use preau_directory::{AuditEntry, DirectoryStore, Service};

pub trait SsoStore: DirectoryStore {
    /// Writes the connector and its catalogue tile, with the audit entry, in one transaction.
    async fn insert_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()>;
    async fn update_connector(&self, c: &Connector, tile: &Service, audit: &AuditEntry) -> Result<()>;
    async fn connector(&self, service: ServiceId) -> Result<Connector>;
    async fn connectors(&self, territory: TerritoryId) -> Result<Vec<Connector>>;
    /// Adds counts to the launch counters (created at zero when new).
    async fn add_launches(&self, rows: &[(LaunchKey, u64)]) -> Result<()>;
    /// The counts of the territory's connectors for the days `from..=to` (`YYYY-MM-DD`).
    async fn launch_counts(&self, territory: TerritoryId, from: &str, to: &str) -> Result<Vec<(LaunchKey, u64)>>;
}
