//! The report of an import: counts per category and outcome, every rejected record with its
//! reason, and warnings (unknown attributes, links to people missing from the feed).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Detached,
    Restored,
    Rejected,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [Outcome::Created, Outcome::Updated, Outcome::Unchanged, Outcome::Detached, Outcome::Restored, Outcome::Rejected];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Created => "créés",
            Outcome::Updated => "modifiés",
            Outcome::Unchanged => "inchangés",
            Outcome::Detached => "détachés",
            Outcome::Restored => "rétablis",
            Outcome::Rejected => "rejetés",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejected {
    pub category: String,
    pub file: String,
    pub id: String,
    pub reason: String,
}

/// Rejections beyond this many are counted but not listed one by one.
pub const MAX_LISTED: usize = 10_000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    pub dry_run: bool,
    pub counts: BTreeMap<String, BTreeMap<Outcome, u64>>,
    pub rejected: Vec<Rejected>,
    pub rejected_total: u64,
    /// Warning → how many times it occurred.
    pub warnings: BTreeMap<String, u64>,
    pub files: Vec<String>,
}

impl Report {
    pub fn count(&mut self, category: &str, outcome: Outcome) {
        self.add(category, outcome, 1);
    }

    pub fn add(&mut self, category: &str, outcome: Outcome, n: u64) {
        if n > 0 {
            *self.counts.entry(category.to_owned()).or_default().entry(outcome).or_default() += n;
        }
    }

    pub fn reject(&mut self, category: &str, file: &str, id: &str, reason: String) {
        self.count(category, Outcome::Rejected);
        self.rejected_total += 1;
        if self.rejected.len() < MAX_LISTED {
            self.rejected.push(Rejected { category: category.to_owned(), file: file.to_owned(), id: id.to_owned(), reason });
        }
    }

    pub fn warn(&mut self, warning: String) {
        *self.warnings.entry(warning).or_default() += 1;
    }

    pub fn get(&self, category: &str, outcome: Outcome) -> u64 {
        self.counts.get(category).and_then(|c| c.get(&outcome)).copied().unwrap_or(0)
    }

    /// Whether applying the feed changed anything.
    pub fn changed_anything(&self) -> bool {
        self.counts.values().any(|c| c.iter().any(|(o, n)| *n > 0 && !matches!(o, Outcome::Unchanged | Outcome::Rejected)))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", if self.dry_run { "Simulation (rien n'a été écrit)" } else { "Import appliqué" })?;
        for (category, counts) in &self.counts {
            let parts: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {}", o.label())).collect();
            writeln!(f, "  {category:<16} {}", parts.join(", "))?;
        }
        if self.rejected_total > 0 {
            writeln!(f, "Enregistrements rejetés ({}) :", self.rejected_total)?;
            for r in self.rejected.iter().take(50) {
                writeln!(f, "  {} {} ({}) : {}", r.category, r.id, r.file, r.reason)?;
            }
            if self.rejected.len() > 50 {
                writeln!(f, "  … et {} autres (voir le rapport complet)", self.rejected_total - 50)?;
            }
        }
        if !self.warnings.is_empty() {
            writeln!(f, "Avertissements :")?;
            for (w, n) in &self.warnings {
                writeln!(f, "  {w} ({n}×)")?;
            }
        }
        Ok(())
    }
}

/// The kept reports of the caller's territory, newest first: territory administrators only.
pub async fn kept_reports<S: crate::store::FeedStore>(
    store: &S,
    caller: &preau_core::Principal,
    limit: i64,
) -> preau_core::Result<Vec<crate::store::KeptReport>> {
    caller.require_territory(preau_core::Permission::ManageTerritory)?;
    store.reports(caller.territory, limit).await
}

/// One kept report of the caller's territory: territory administrators only.
pub async fn kept_report<S: crate::store::FeedStore>(store: &S, caller: &preau_core::Principal, id: &str) -> preau_core::Result<crate::store::KeptReport> {
    caller.require_territory(preau_core::Permission::ManageTerritory)?;
    store.report(caller.territory, id).await
}
