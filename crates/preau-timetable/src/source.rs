//! A structure's published timetable address. Timetabling tools publish their export at an
//! address (an iCalendar or CSV file kept up to date); a manager gives it once, Préau imports
//! it then and again every night, each run with the same checks, difference and report as an
//! uploaded file. The nightly run acts as the manager who gave the address: if they no longer
//! manage the timetable, it is refused and the refusal is what the next visit shows.
//!
//! Fetching is the web side's (it knows HTTP); this module keeps the address, checks it, and
//! records each run's report or error.

use crate::import::ImportReport;
use crate::{Timetable, TimetableStore};
use preau_core::{Error, GroupId, PersonId, Principal, Result, StructureId};
use preau_directory::audit;
use serde::{Deserialize, Serialize};

/// The published address of a structure's timetable, and how its last run went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportSource {
    pub structure: StructureId,
    pub url: String,
    /// The class an iCalendar file of one class is for.
    pub class: Option<GroupId>,
    pub saved_by: PersonId,
    pub saved_at: i64,
    pub last_run: Option<i64>,
    /// The last run's report, when the file could be read.
    pub last_report: Option<ImportReport>,
    /// Why the last run failed before any report (unreachable, refused, too big…), an
    /// error code.
    pub last_error: Option<String>,
}

/// An address Préau may fetch: `http` or `https`, no spaces, no user name or password in it,
/// not absurdly long. (Where it points — not inside the server's own network — is checked
/// when it is fetched.)
pub fn check_url(url: &str) -> Result<()> {
    let u = url.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).map(|_| u.split_once("://").map_or("", |(_, r)| r));
    let host_part = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let ok = host_part.is_some_and(|h| !h.is_empty() && !h.contains('@')) && u.len() <= 2000 && !u.chars().any(char::is_whitespace);
    if ok { Ok(()) } else { Err(Error::invalid("url", "timetable.url")) }
}

/// An address as the audit log and the server's log keep it: without its query, which often
/// carries the tool's secret token.
pub fn shown_url(url: &str) -> String {
    match url.split_once('?') {
        Some((base, _)) => format!("{base}?…"),
        None => url.to_owned(),
    }
}

impl<S: TimetableStore> Timetable<S> {
    /// The structure's published address, for its managers.
    pub async fn import_source(&self, caller: &Principal, s: StructureId) -> Result<Option<ImportSource>> {
        self.require_manager(caller, s).await?;
        self.store.import_source(s).await
    }

    /// Keeps the address a structure's timetable is published at (replacing any earlier one),
    /// to be imported again every night.
    pub async fn save_import_source(&self, caller: &Principal, s: StructureId, url: &str, class: Option<GroupId>) -> Result<ImportSource> {
        self.require_manager(caller, s).await?;
        check_url(url)?;
        let by = caller.person_id().ok_or(Error::Forbidden)?;
        if let Some(g) = class {
            let group = self.store.group(g).await.map_err(|_| Error::invalid("class", "timetable.group_unknown"))?;
            if group.structure != s && !group.also_in.contains(&s) {
                return Err(Error::invalid("class", "timetable.group_unknown"));
            }
        }
        let source = ImportSource {
            structure: s,
            url: url.trim().to_owned(),
            class,
            saved_by: by,
            saved_at: self.clock.now(),
            last_run: None,
            last_report: None,
            last_error: None,
        };
        let entry =
            audit::entry::<(), _>(source.saved_at, caller, "timetable.source_save", format!("structure:{s}"), Some(s), None, Some(&shown_url(&source.url)));
        self.store.put_import_source(&source, &entry).await?;
        Ok(source)
    }

    /// Stops importing from the structure's published address.
    pub async fn forget_import_source(&self, caller: &Principal, s: StructureId) -> Result<()> {
        self.require_manager(caller, s).await?;
        let entry = audit::entry::<(), ()>(self.clock.now(), caller, "timetable.source_forget", format!("structure:{s}"), Some(s), None, None);
        if self.store.delete_import_source(s, &entry).await? { Ok(()) } else { Err(Error::NotFound) }
    }

    /// Records how a run from the published address `url` went: its report, or why it failed
    /// (nothing, if the structure has kept another address since).
    pub async fn record_import_run(&self, s: StructureId, url: &str, outcome: std::result::Result<&ImportReport, String>) -> Result<()> {
        let (report, error) = match outcome {
            Ok(r) => (Some(r), None),
            Err(code) => (None, Some(code)),
        };
        self.store.record_import_run(s, url, self.clock.now(), report, error.as_deref()).await
    }

    /// The published addresses not run for `hours` hours: the nightly run's list.
    pub async fn import_sources_due(&self, hours: i64) -> Result<Vec<ImportSource>> {
        let before = self.clock.now() - hours * 3600;
        Ok(self.store.import_sources().await?.into_iter().filter(|s| s.last_run.is_none_or(|t| t < before)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn only_web_addresses_are_kept() {
        assert!(check_url("https://edt.example.org/export/4B.ics").is_ok());
        assert!(check_url("HTTP://edt.example.org/a.csv").is_ok());
        assert!(check_url("https://établissement.fr/edt.ics").is_ok());
        for bad in [
            "file:///etc/passwd",
            "ftp://x.org/a",
            "https://",
            "https://a b.org/",
            "gopher://x",
            "",
            "javascript:alert(1)",
            "éééééééééé",
            "httpé://x",
            "https://user:secret@edt.example.org/a.ics",
            "https:///a.ics",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
