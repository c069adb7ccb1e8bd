//! The storage port of identity: credentials, activation codes, charters, reset tokens,
//! sessions and API keys. Secrets arrive here already digested.

use crate::sessions::SessionRecord;
use preau_core::{PersonId, Result, TerritoryId};
use preau_directory::AuditEntry;

#[derive(Debug, Clone, Default)]
pub struct Credential {
    pub password_hash: Option<String>,
    pub blocked: bool,
    pub charter_version: i64,
    pub lang: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Charter {
    pub version: i64,
    pub text: String,
    pub published_at: i64,
}

#[derive(Debug, Clone)]
pub struct ApiKeyRecord {
    pub id: String,
    pub territory: TerritoryId,
    pub name: String,
    pub created_at: i64,
    pub revoked: bool,
}

pub trait IdentityStore: Send + Sync {
    // ----- Application passwords -----
    async fn insert_app_password(&self, person: PersonId, p: &crate::app_passwords::AppPassword, digest: &str, audit: &AuditEntry) -> Result<()>;
    async fn app_passwords(&self, person: PersonId) -> Result<Vec<crate::app_passwords::AppPassword>>;
    /// The person whose application password has this digest.
    async fn app_password_person(&self, digest: &str) -> Result<Option<PersonId>>;
    /// Deletes one of a person's application passwords; whether there was one.
    async fn delete_app_password(&self, person: PersonId, id: &str, audit: &AuditEntry) -> Result<bool>;

    // ----- Federation -----
    async fn insert_upstream(&self, u: &crate::federation::Upstream, audit: &AuditEntry) -> Result<()>;
    async fn upstreams(&self, territory: TerritoryId) -> Result<Vec<crate::federation::Upstream>>;
    async fn upstream_link(&self, provider: &str, subject: &str) -> Result<Option<PersonId>>;
    async fn link_upstream(&self, provider: &str, subject: &str, person: PersonId, at: i64) -> Result<()>;
    /// The people of the territory the rule's key designates.
    async fn people_matching(&self, territory: TerritoryId, rule: crate::federation::MatchRule, key: &str) -> Result<Vec<preau_directory::Person>>;

    // ----- Second factor -----
    async fn mfa(&self, person: PersonId) -> Result<Option<crate::mfa::MfaRecord>>;
    /// Sets the person's second factor and replaces their recovery codes (digests), in one
    /// transaction with the audit entry.
    async fn enable_mfa(&self, person: PersonId, record: &crate::mfa::MfaRecord, recovery: &[String], audit: &AuditEntry) -> Result<()>;
    /// Records `step` as used if it is later than the last one: false for a replay.
    async fn use_totp_step(&self, person: PersonId, step: i64) -> Result<bool>;
    /// Spends an unused recovery code; false if there is none with this digest.
    async fn use_recovery_code(&self, person: PersonId, digest: &str, at: i64) -> Result<bool>;
    async fn recovery_codes_left(&self, person: PersonId) -> Result<i64>;
    /// Removes the second factor, its recovery codes and remembered devices.
    async fn disable_mfa(&self, person: PersonId, audit: &AuditEntry) -> Result<()>;
    async fn trust_device(&self, digest: &str, person: PersonId, at: i64, expires_at: i64, label: &str) -> Result<()>;
    async fn device_trusted(&self, digest: &str, person: PersonId, now: i64) -> Result<bool>;
    async fn mfa_profiles(&self, territory: TerritoryId) -> Result<Vec<preau_core::Profile>>;
    async fn set_mfa_profiles(&self, territory: TerritoryId, profiles: &[preau_core::Profile], audit: &AuditEntry) -> Result<()>;
    /// The session's second factor was given.
    async fn clear_session_mfa(&self, digest: &crate::sessions::SessionKey) -> Result<()>;

    async fn credential(&self, person: PersonId) -> Result<Credential>;
    async fn set_password(&self, person: PersonId, hash: &str) -> Result<()>;
    async fn set_blocked(&self, person: PersonId, blocked: bool, audit: &AuditEntry) -> Result<()>;
    async fn accept_charter(&self, person: PersonId, version: i64) -> Result<()>;
    async fn set_lang(&self, person: PersonId, lang: &str) -> Result<()>;

    /// Replaces any pending code of the person with a new one.
    async fn put_activation_code(&self, person: PersonId, digest: &str, expires_at: i64) -> Result<()>;
    /// Atomically checks an unused, unexpired code of `person` and sets the password, the
    /// accepted charter version, and marks the code used. `Ok(false)` if the code is not valid.
    async fn activate(&self, person: PersonId, digest: &str, now: i64, password_hash: &str, charter_version: i64) -> Result<bool>;

    async fn charter(&self, territory: TerritoryId) -> Result<Option<Charter>>;
    async fn publish_charter(&self, territory: TerritoryId, text: &str, now: i64, audit: &AuditEntry) -> Result<i64>;

    async fn put_reset_token(&self, person: PersonId, digest: &str, expires_at: i64) -> Result<()>;
    /// Atomically consumes an unused, unexpired token and sets the password; returns its person.
    async fn consume_reset_token(&self, digest: &str, now: i64, password_hash: &str) -> Result<Option<PersonId>>;

    async fn insert_session(&self, s: &SessionRecord) -> Result<()>;
    async fn delete_session(&self, digest: &str) -> Result<()>;
    async fn touch_session(&self, digest: &str, last_seen: i64) -> Result<()>;
    async fn delete_expired_sessions(&self, seen_before: i64, created_before: i64) -> Result<()>;
    /// Sessions ordered by digest, `limit` after the digest `after` (keyset paging).
    async fn sessions_page(&self, after: &str, limit: i64) -> Result<Vec<SessionRecord>>;
    async fn sessions_of(&self, person: PersonId) -> Result<Vec<SessionRecord>>;

    async fn insert_api_key(&self, k: &ApiKeyRecord, digest: &str, audit: &AuditEntry) -> Result<()>;
    async fn api_key_by_digest(&self, digest: &str) -> Result<Option<ApiKeyRecord>>;
    async fn api_keys(&self, territory: TerritoryId) -> Result<Vec<ApiKeyRecord>>;
    async fn revoke_api_key(&self, id: &str, audit: &AuditEntry) -> Result<()>;
}
