//! The storage port of feeds: one transaction per import, with the operations the importer
//! needs. Nothing is visible to readers until `commit`; `rollback` (or dropping) leaves the
//! directory exactly as it was.

use crate::aaf::records::{PersonRec, StructureRec};
use preau_core::{PersonId, Profile, Result, StructureId, TerritoryId};

/// What the store knows of a person already fed.
#[derive(Debug, Clone)]
pub struct FedPerson {
    pub id: PersonId,
    pub fingerprint: Option<String>,
    pub detached: bool,
}

/// How a feed person is to be written.
pub struct PersonWrite<'a> {
    pub id: PersonId,
    pub external_id: &'a str,
    pub login: Option<&'a str>,
    pub rec: &'a PersonRec,
    pub fingerprint: &'a str,
    /// The record's attributes as JSON, kept for applying later deltas.
    pub record: &'a str,
    /// Profiles resolved to structures of the territory.
    pub profiles: &'a [(StructureId, Profile)],
    pub places: &'a Places,
}

/// What a person's record says of their places, with structures resolved.
#[derive(Debug, Default)]
pub struct Places {
    /// (structure, kind `class`/`teaching`, code)
    pub groups: Vec<(StructureId, &'static str, String)>,
    pub functions: Vec<(StructureId, String, String)>,
    /// (structure, kind, group code, subject code)
    pub teachings: Vec<(StructureId, &'static str, String, String)>,
    pub principal_of: Vec<(StructureId, String)>,
    /// (namespaced relative id, legal guardian)
    pub relatives: Vec<(String, bool)>,
}

pub trait FeedStore: Send + Sync {
    type Tx: FeedTx;
    async fn begin_feed(&self, territory: TerritoryId) -> Result<Self::Tx>;
    /// Keeps the report of an import (also of a dry run or a failed one); returns its id.
    async fn save_report(&self, territory: TerritoryId, source: &str, started: i64, finished: i64, report_json: &str) -> Result<String>;
    /// The kept reports of a territory, newest first.
    async fn reports(&self, territory: TerritoryId, limit: i64) -> Result<Vec<KeptReport>>;
    async fn report(&self, territory: TerritoryId, id: &str) -> Result<KeptReport>;
    /// Deletes the fed people detached before `before` and everything attached to them, with
    /// the audit entry (written only if someone was deleted); returns how many.
    /// Pairs (manual account, live fed account) of the territory with the same birth date, not
    /// yet decided; the caller compares the names.
    async fn duplicate_candidates(&self, territory: TerritoryId) -> Result<Vec<(preau_directory::Person, preau_directory::Person)>>;
    /// The manual account takes the fed one's identity, places and links; the fed one is
    /// deleted and its login becomes an alias of the manual one.
    async fn merge_duplicate(&self, territory: TerritoryId, manual: PersonId, fed: PersonId, audit: &preau_directory::AuditEntry) -> Result<()>;
    async fn reject_duplicate(&self, territory: TerritoryId, manual: PersonId, fed: PersonId, audit: &preau_directory::AuditEntry) -> Result<()>;
    async fn purge_detached(&self, territory: TerritoryId, before: i64, audit: &preau_directory::AuditEntry) -> Result<u64>;
}

pub trait FeedTx: Send {
    /// Every login and alias of the territory, one at a time (never all in memory), to
    /// generate new ones without collision.
    async fn taken_logins(&mut self, each: &mut (dyn FnMut(&str) + Send)) -> Result<()>;
    /// Creates or updates a structure by its namespaced external id (adopting a structure of
    /// the same UAI created by hand), recording the feed's académie (it sets the holiday
    /// zone) when the structure has none. Returns its id and whether it was created/changed.
    async fn upsert_structure(&mut self, external_id: &str, academie: &str, s: &StructureRec) -> Result<(StructureId, Change)>;
    async fn structure_by_external(&mut self, external_id: &str) -> Result<Option<StructureId>>;
    async fn structure_by_uai(&mut self, uai: &str) -> Result<Option<StructureId>>;
    /// Records that a fed child has this (fed) parent as a legal guardian, resolved with the
    /// other pending links. `false` if no fed person has the child's identifier.
    async fn link_child(&mut self, child_external_id: &str, parent_external_id: &str) -> Result<bool>;
    async fn upsert_label(&mut self, table: LabelTable, code: &str, label: &str) -> Result<Change>;
    async fn fed_person(&mut self, external_id: &str) -> Result<Option<FedPerson>>;
    /// The attributes last fed for a person (JSON), for applying a delta's modifications.
    async fn fed_record(&mut self, external_id: &str) -> Result<Option<String>>;
    /// Detaches one fed person (a delta's deleteRequest); `false` if unknown or already detached.
    async fn detach(&mut self, external_id: &str, now: i64) -> Result<bool>;
    /// Whether no person of this namespace (`ACADEMIE:`) was ever fed: then every person of the
    /// feed is new and need not be looked up.
    async fn namespace_is_empty(&mut self, namespace: &str) -> Result<bool>;
    /// Creates a person with all their fed links (may be written later, in a batch).
    async fn insert_person(&mut self, w: &PersonWrite<'_>) -> Result<()>;
    /// Updates identity, clears detachment, and replaces every fed link of the person.
    async fn update_person(&mut self, w: &PersonWrite<'_>) -> Result<()>;
    /// Replaces the fed memberships, groups, functions, teachings, principal classes and
    /// (pending) parent links of a person from its record (may be written later, in a batch).
    async fn replace_links(&mut self, w: &PersonWrite<'_>) -> Result<()>;
    /// Records that a person is in this feed (may be written later, in a batch).
    async fn mark_seen(&mut self, external_id: &str) -> Result<()>;
    /// Records that a record of this identifier was read and left out (no school known, a
    /// relative of no pupil): a later record of it is a duplicate (may be written later, in a
    /// batch).
    async fn mark_left_out(&mut self, external_id: &str) -> Result<()>;
    /// Whether this import already gave the store a person of this identifier: one marked left
    /// out; on a first import, any fed person of it; otherwise, one marked seen.
    async fn written_in_this_import(&mut self, external_id: &str, first_import: bool) -> Result<bool>;
    /// Writes whatever is batched.
    async fn flush(&mut self) -> Result<()>;
    /// How pupils, in this feed or already stored, refer to each of these relatives: `true` if as
    /// a legal guardian of at least one, `false` if only as a contact; absent if no pupil does.
    async fn relative_roles(&mut self, external_ids: &[String]) -> Result<std::collections::HashMap<String, bool>>;
    /// What the store knows of each of these fed people (absent: never fed).
    async fn fed_people(&mut self, external_ids: &[String]) -> Result<std::collections::HashMap<String, FedPerson>>;
    /// Turns the pending parent links into links between stored people and gives parents their
    /// profile in their children's schools. Returns how many links pointed at nobody.
    /// With `everyone` false (a delta), only the parents of the children this import touched have
    /// their parent profiles recomputed.
    async fn resolve_parent_links(&mut self, everyone: bool) -> Result<u64>;
    /// Detaches the fed people of this namespace not seen in this import; returns how many.
    async fn detach_unseen(&mut self, namespace: &str, now: i64) -> Result<u64>;
    async fn commit(self) -> Result<()>;
    async fn rollback(self) -> Result<()>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelTable {
    Subject,
    Mef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    Unchanged,
}

/// A report as kept in the database.
#[derive(Debug, Clone)]
pub struct KeptReport {
    pub id: String,
    pub source: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub json: String,
}
