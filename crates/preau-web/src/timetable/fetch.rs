//! Importing a timetable published at an address: fetching it (bounded in size and time,
//! following at most three redirects, never into the server's own network unless the
//! operator allows it — `PREAU_FETCH_PRIVATE_ADDRESSES`), importing what came with the same
//! checks as an upload, keeping the address once an import from it was applied, and the
//! nightly run over every kept address (`refresh_sources`).

use crate::state::AppState;
use preau_core::{Error, GroupId, Principal, Result, StructureId};
use preau_timetable::import::ImportReport;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The largest file taken, as for an upload.
const MAX_FILE: usize = 5 << 20;
const TIMEOUT: Duration = Duration::from_secs(20);
const REDIRECTS: usize = 3;
/// A kept address is imported again when its last run is older than this.
const EVERY_HOURS: i64 = 20;

/// Fetches published files; whether addresses inside private networks may be fetched.
#[derive(Default)]
pub struct Fetcher {
    allow_private: AtomicBool,
}

fn bad(code: &'static str) -> Error {
    Error::invalid("url", code)
}

/// Whether an address is on the public Internet (not loopback, private, link-local, shared,
/// multicast, documentation or unspecified).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            !(v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_multicast()
                || v.is_documentation()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64))
        }
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v.segments()[0];
                !(v.is_loopback() || v.is_unspecified() || v.is_multicast() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

impl Fetcher {
    /// Lets addresses inside private networks be fetched (a timetabling tool on the school's
    /// own network; tests).
    pub fn allow_private(&self, allow: bool) {
        self.allow_private.store(allow, Ordering::Relaxed);
    }

    /// The bytes published at `url`.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>> {
        preau_timetable::source::check_url(url)?;
        let mut url = reqwest::Url::parse(url.trim()).map_err(|_| bad("timetable.url"))?;
        for _ in 0..=REDIRECTS {
            let mut resp = self.get(&url).await?;
            if resp.status().is_redirection() {
                let to = resp.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).ok_or_else(|| bad("timetable.url_status"))?;
                url = url.join(to).map_err(|_| bad("timetable.url"))?;
                preau_timetable::source::check_url(url.as_str())?;
                continue;
            }
            if !resp.status().is_success() {
                return Err(bad("timetable.url_status"));
            }
            if resp.content_length().is_some_and(|n| n > MAX_FILE as u64) {
                return Err(bad("timetable.import_too_big"));
            }
            let mut bytes = vec![];
            while let Some(chunk) = resp.chunk().await.map_err(|_| bad("timetable.url_unreachable"))? {
                if bytes.len() + chunk.len() > MAX_FILE {
                    return Err(bad("timetable.import_too_big"));
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(bytes);
        }
        Err(bad("timetable.url_status"))
    }

    /// One request, to the addresses the name resolved to and were checked (so a name cannot
    /// resolve to another address between the check and the connection).
    async fn get(&self, url: &reqwest::Url) -> Result<reqwest::Response> {
        let host = url.host_str().ok_or_else(|| bad("timetable.url"))?.to_owned();
        let port = url.port_or_known_default().ok_or_else(|| bad("timetable.url"))?;
        let name = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port)).await.map_err(|_| bad("timetable.url_unreachable"))?.collect();
        if addrs.is_empty() {
            return Err(bad("timetable.url_unreachable"));
        }
        if !self.allow_private.load(Ordering::Relaxed) && addrs.iter().any(|a| !is_public(a.ip())) {
            return Err(bad("timetable.url_private"));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .resolve_to_addrs(&name, &addrs)
            .user_agent(concat!("Preau/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        client.get(url.clone()).send().await.map_err(|_| bad("timetable.url_unreachable"))
    }
}

/// Imports the file published at `url` as `caller`; an applied import keeps the address for
/// the nightly run, with this run's report.
pub async fn import_url(state: &AppState, caller: &Principal, s: StructureId, url: &str, class: Option<GroupId>, dry_run: bool) -> Result<ImportReport> {
    if !state.timetable.manages(caller, s).await? {
        return Err(Error::Forbidden);
    }
    let bytes = state.fetch.fetch(url).await?;
    let report = state.timetable.import_file(caller, s, &bytes, class, dry_run).await?;
    if !dry_run && report.errors.is_empty() {
        state.timetable.save_import_source(caller, s, url, class).await?;
        state.timetable.record_import_run(s, Ok(&report)).await?;
    }
    Ok(report)
}

/// Imports again every kept address not run for a day, each as the manager who gave it;
/// records each run's report or error. The number of addresses run.
pub async fn refresh_sources(state: &AppState) -> Result<usize> {
    let due = state.timetable.import_sources_due(EVERY_HOURS).await?;
    for source in &due {
        let outcome = async {
            let caller = state.principal_of(state.config.territory, source.saved_by).await?;
            let bytes = state.fetch.fetch(&source.url).await?;
            state.timetable.import_file(&caller, source.structure, &bytes, source.class, false).await
        }
        .await;
        let recorded = match &outcome {
            Ok(report) => Ok(report),
            Err(Error::Invalid(fields)) => Err(fields.first().map_or_else(|| "error.invalid".to_owned(), |f| f.code.clone())),
            Err(e) => Err(format!("error.{}", e.code())),
        };
        if let Err(code) = &recorded {
            tracing::warn!(structure = %source.structure, url = %source.url, error = %code, "the published timetable was not imported");
        }
        state.timetable.record_import_run(source.structure, recorded).await?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn the_servers_own_networks_are_not_public() {
        for ip in
            ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]
        {
            assert!(!is_public(ip.parse().expect("an address")), "{ip}");
        }
        for ip in ["193.51.24.1", "2001:660:3001::1", "8.8.8.8"] {
            assert!(is_public(ip.parse().expect("an address")), "{ip}");
        }
    }
}
