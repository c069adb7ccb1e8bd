//! The storage port of SCIM provisioning: sources and their tokens, and the people and groups
//! each source owns. Every write carries its audit entry and applies atomically.

use super::{ScimSource, StoredGroup, StoredUser};
use preau_core::{GroupId, PersonId, Profile, Result, StructureId, TerritoryId};
use preau_directory::AuditEntry;

/// A person as a source writes them: the directory's columns derived from what the source sent,
/// and what it sent (JSON) kept to be given back as sent.
pub struct UserWrite<'a> {
    pub id: PersonId,
    pub territory: TerritoryId,
    pub source: &'a str,
    pub login: &'a str,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: Option<&'a str>,
    pub record: &'a str,
    pub memberships: &'a [(StructureId, Profile)],
    pub blocked: bool,
}

pub struct GroupWrite<'a> {
    pub id: GroupId,
    pub source: &'a str,
    pub structure: StructureId,
    /// `class` or `teaching`
    pub kind: &'static str,
    pub name: &'a str,
    pub record: &'a str,
    pub members: &'a [PersonId],
}

pub trait ScimStore: Send + Sync {
    async fn insert_scim_source(&self, s: &ScimSource, digest: &str, audit: &AuditEntry) -> Result<()>;
    async fn scim_sources(&self, territory: TerritoryId) -> Result<Vec<ScimSource>>;
    /// A live (not revoked) source by the digest of its token.
    async fn scim_source_by_digest(&self, digest: &str) -> Result<Option<ScimSource>>;
    async fn revoke_scim_source(&self, id: &str, audit: &AuditEntry) -> Result<()>;

    /// The people a source owns, oldest first.
    async fn scim_users(&self, source: &str) -> Result<Vec<StoredUser>>;
    async fn scim_user(&self, source: &str, id: PersonId) -> Result<Option<StoredUser>>;
    /// The ids of the people a source owns.
    async fn scim_user_ids(&self, source: &str) -> Result<Vec<PersonId>>;
    /// The person holding a login or alias, whoever owns them.
    async fn login_holder(&self, territory: TerritoryId, login: &str) -> Result<Option<PersonId>>;
    /// Creates or replaces a person of the source with their profiles; closes their sessions
    /// when `blocked`.
    async fn write_scim_user(&self, w: &UserWrite<'_>, audit: &AuditEntry) -> Result<()>;
    /// Deletes a person of the source and everything attached to them; `false` if unknown.
    async fn delete_scim_user(&self, source: &str, id: PersonId, audit: &AuditEntry) -> Result<bool>;

    async fn scim_groups(&self, source: &str) -> Result<Vec<StoredGroup>>;
    async fn scim_group(&self, source: &str, id: GroupId) -> Result<Option<StoredGroup>>;
    async fn write_scim_group(&self, w: &GroupWrite<'_>, audit: &AuditEntry) -> Result<()>;
    async fn delete_scim_group(&self, source: &str, id: GroupId, audit: &AuditEntry) -> Result<bool>;
}
