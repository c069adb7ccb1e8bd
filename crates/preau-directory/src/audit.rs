//! Building audit entries and reading the log. Every administrative change writes one entry
//! (who, what, when, before/after) in the same transaction as the change.

use crate::model::AuditEntry;
use crate::{Directory, DirectoryStore};
use preau_core::{Permission, Principal, Result, StructureId};
use serde::Serialize;

pub fn entry<B: Serialize, A: Serialize>(
    now: i64,
    caller: &Principal,
    action: &str,
    target: String,
    structure: Option<StructureId>,
    before: Option<&B>,
    after: Option<&A>,
) -> AuditEntry {
    AuditEntry {
        at: now,
        territory: caller.territory,
        actor: caller.label(),
        action: action.to_owned(),
        target,
        structure,
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: after.and_then(|a| serde_json::to_value(a).ok()),
    }
}

impl<S: DirectoryStore> Directory<S> {
    /// The audit log the caller may read: all of it for a territory admin, the entries of their
    /// own structures for a local admin.
    pub async fn audit_log(&self, caller: &Principal, limit: i64) -> Result<Vec<AuditEntry>> {
        match caller.structures_with(Permission::ReadAudit) {
            None => self.store.audit_log(caller.territory, None, limit).await,
            Some(own) if own.is_empty() => Err(preau_core::Error::Forbidden),
            Some(own) => self.store.audit_log(caller.territory, Some(&own), limit).await,
        }
    }
}
