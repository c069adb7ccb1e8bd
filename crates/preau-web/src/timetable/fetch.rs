//! Importing a timetable published at an address: fetching it (bounded in size and time,
//! following at most three redirects and never from `https` down to `http`, on ports 80, 443,
//! 8080 and 8443, never into the server's own network unless the operator names the networks
//! that may be reached — `PREAU_FETCH_ALLOWED_NETWORKS`), importing what came with the same
//! checks as an upload, keeping the address once an import from it was applied, and the
//! nightly run over every kept address (`refresh_sources`).

use crate::state::AppState;
use preau_core::{Error, GroupId, Principal, Result, StructureId};
use preau_timetable::import::ImportReport;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::RwLock;
use std::time::Duration;

/// The largest file taken, as for an upload.
const MAX_FILE: usize = 5 << 20;
const TIMEOUT: Duration = Duration::from_secs(20);
const REDIRECTS: usize = 3;
/// A kept address is imported again when its last run is older than this.
const EVERY_HOURS: i64 = 20;
/// The ports a public address may be fetched on.
const PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// Fetches published files: from public addresses, and from the networks the operator allowed.
pub struct Fetcher {
    allowed: RwLock<Vec<(IpAddr, u8)>>,
    /// At most two fetches at once.
    running: tokio::sync::Semaphore,
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher { allowed: RwLock::default(), running: tokio::sync::Semaphore::new(2) }
    }
}

fn bad(code: &'static str) -> Error {
    Error::invalid("url", code)
}

/// `10.0.0.0/8` → (10.0.0.0, 8); a bare address is a network of one.
fn network(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
    let ip: IpAddr = ip.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = if bits.is_empty() { max } else { bits.parse().ok()? };
    (bits <= max).then_some((ip, bits))
}

fn in_network(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => bits == 0 || (u32::from(a) ^ u32::from(n)) >> (32 - u32::from(bits)) == 0,
        (IpAddr::V6(a), IpAddr::V6(n)) => bits == 0 || (u128::from(a) ^ u128::from(n)) >> (128 - u32::from(bits)) == 0,
        _ => false,
    }
}

fn public_v4(v: Ipv4Addr) -> bool {
    let [a, b, c, _] = v.octets();
    !(v.is_private()
        || v.is_loopback()
        || v.is_link_local()
        || v.is_unspecified()
        || v.is_broadcast()
        || v.is_multicast()
        || v.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 88 && c == 99)
        || (a == 198 && (b & 0xfe) == 18))
}

fn public_v6(v: Ipv6Addr) -> bool {
    if let Some(v4) = v.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let seg = v.segments();
    let bits = u128::from(v);
    // NAT64 (64:ff9b::/96) carries an IPv4 address; 6to4 (2002::/16) too.
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return public_v4(Ipv4Addr::from(bits as u32));
    }
    if seg[0] == 0x2002 {
        return public_v4(Ipv4Addr::new((seg[1] >> 8) as u8, seg[1] as u8, (seg[2] >> 8) as u8, seg[2] as u8));
    }
    !(v.is_loopback()
        || v.is_unspecified()
        || v.is_multicast()
        || bits >> 32 == 0 // IPv4-compatible ::a.b.c.d
        || (seg[0] & 0xfe00) == 0xfc00 // unique local
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] & 0xffc0) == 0xfec0 // site-local
        || (seg[0] == 0x2001 && seg[1] == 0) // Teredo
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || (seg[0] == 0x0064 && seg[1] == 0xff9b && seg[2] == 1) // local NAT64
        || (seg[0] == 0x0100 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0)) // discard
}

/// Whether an address is on the public Internet (not loopback, private, link-local, shared,
/// multicast, documentation, reserved or unspecified; IPv4 carried in IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => public_v4(v),
        IpAddr::V6(v) => public_v6(v),
    }
}

impl Fetcher {
    /// The networks outside the public Internet that may be fetched from (a timetabling server
    /// inside the school's network; the tests' loopback), as `10.0.0.0/8,192.168.1.20`.
    pub fn allow_networks(&self, list: &str) -> std::result::Result<(), String> {
        let nets = list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| network(s).ok_or_else(|| format!("not a network: {s}")))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        *self.allowed.write().unwrap_or_else(|e| e.into_inner()) = nets;
        Ok(())
    }

    /// Whether an address may be fetched from, on a port.
    fn may_reach(&self, a: SocketAddr) -> bool {
        let allowed = self.allowed.read().unwrap_or_else(|e| e.into_inner());
        allowed.iter().any(|n| in_network(a.ip(), *n)) || (is_public(a.ip()) && PORTS.contains(&a.port()))
    }

    /// The bytes published at `url`.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>> {
        preau_timetable::source::check_url(url)?;
        let _turn = self.running.acquire().await.map_err(Error::internal)?;
        let mut url = reqwest::Url::parse(url.trim()).map_err(|_| bad("timetable.url"))?;
        for _ in 0..=REDIRECTS {
            let mut resp = self.get(&url).await?;
            if resp.status().is_redirection() {
                let to = resp.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).ok_or_else(|| bad("timetable.url_status"))?;
                let next = url.join(to).map_err(|_| bad("timetable.url"))?;
                preau_timetable::source::check_url(next.as_str())?;
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(bad("timetable.url_status"));
                }
                url = next;
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
    /// resolve to another address between the check and the connection), never through a proxy
    /// (which would resolve the name again).
    async fn get(&self, url: &reqwest::Url) -> Result<reqwest::Response> {
        let host = url.host_str().ok_or_else(|| bad("timetable.url"))?.to_owned();
        let port = url.port_or_known_default().ok_or_else(|| bad("timetable.url"))?;
        let name = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port)).await.map_err(|_| bad("timetable.url_unreachable"))?.collect();
        if addrs.is_empty() {
            return Err(bad("timetable.url_unreachable"));
        }
        if !addrs.iter().all(|a| self.may_reach(*a)) {
            return Err(bad("timetable.url_private"));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
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
        state.timetable.record_import_run(s, url.trim(), Ok(&report)).await?;
    }
    Ok(report)
}

/// Imports again every kept address not run for a day, each as the manager who gave it;
/// records each run's report or error, and goes on with the next whatever happened. The
/// number of addresses run.
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
            let url = preau_timetable::source::shown_url(&source.url);
            tracing::warn!(structure = %source.structure, url = %url, error = %code, "the published timetable was not imported");
        }
        if let Err(e) = state.timetable.record_import_run(source.structure, &source.url, recorded).await {
            tracing::error!(structure = %source.structure, error = %e, "the run of a published timetable was not recorded");
        }
    }
    Ok(due.len())
}

/// Whether it is the night in Paris (2:00 to 5:00), when the published timetables are imported
/// again, before anyone reads them.
pub fn is_night(now: i64) -> bool {
    let hour = preau_core::local_time::paris_clock(now).1 / 60;
    (2..5).contains(&hour)
}

#[cfg(test)]
mod tests {
    use super::{Fetcher, is_public};
    use std::net::SocketAddr;

    #[test]
    fn the_servers_own_networks_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "240.0.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fd00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:a00:1::1",
            "2001:0:1::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().expect("an address")), "{ip}");
        }
        for ip in ["193.51.24.1", "2001:660:3001::1", "8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            assert!(is_public(ip.parse().expect("an address")), "{ip}");
        }
    }

    #[test]
    fn only_the_networks_named_are_reached_besides_public_addresses_on_web_ports() {
        let f = Fetcher::default();
        let at = |s: &str| s.parse::<SocketAddr>().expect("an address");
        assert!(f.may_reach(at("193.51.24.1:443")) && !f.may_reach(at("193.51.24.1:22")));
        assert!(!f.may_reach(at("10.0.0.5:80")) && !f.may_reach(at("127.0.0.1:8080")));
        assert!(f.allow_networks("10.0.0.0/8, 192.168.1.20").is_ok());
        assert!(f.may_reach(at("10.200.0.5:8000")) && f.may_reach(at("192.168.1.20:80")));
        assert!(!f.may_reach(at("192.168.1.21:80")) && !f.may_reach(at("169.254.169.254:80")) && !f.may_reach(at("127.0.0.1:80")));
        assert!(f.allow_networks("10.0.0.0/33").is_err() && f.allow_networks("intranet").is_err());
    }
}
