//! `preau-bench`: the committed benchmark of Préau (issue: foundation). It starts a release
//! `preau` on the demo territory in a temporary folder and reports, in one run:
//! - password logins per second at saturation (argon2id at OWASP cost) with p50/p99;
//! - an open-loop load at 3× that rate: how many were refused with 503 and how fast, the p99 of
//!   the admitted logins, and any other error;
//! - the authenticated portal page at a fixed arrival rate, beside the trivial `/healthz` of the
//!   same server at the same rate (the ratio is the cost of the page), and both at saturation;
//! - start-to-ready time on the demo database, idle RSS, and RSS per idle session with 100,000
//!   sessions against a baseline start with none.
//!
//! Latencies of open-loop runs are measured from each request's scheduled time, so a slow server
//! cannot hide its queueing (no coordinated omission).

mod documents;
mod http;
mod messaging;
mod oidc;
mod timetable;

use anyhow::{Context, Result, bail};
use http::Conn;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const TEACHER: (&str, &str) = ("claire.demo-enseignante", "demo-enseignant");
const PORTAL_USERS: [(&str, &str); 3] = [TEACHER, ("marc.demo-eleve", "demo-parent"), ("lucie.demo-eleve", "demo-eleve")];

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(bin: &Path, data: &Path, port: u16, command: &str) -> Result<Server> {
    spawn_with(bin, data, port, command, None)
}

/// `preau <command>` on `data`, on PostgreSQL when `database_url` is given.
fn spawn_with(bin: &Path, data: &Path, port: u16, command: &str, database_url: Option<&str>) -> Result<Server> {
    let mut c = Command::new(bin);
    c.arg(command).env("PREAU_DATA_DIR", data).env("PREAU_LISTEN", format!("127.0.0.1:{port}")).env("PREAU_LOG", "warn");
    if let Some(url) = database_url {
        c.env("PREAU_DATABASE_URL", url);
    }
    let child = c.stdout(Stdio::null()).stderr(Stdio::null()).spawn().with_context(|| format!("starting {}", bin.display()))?;
    Ok(Server { child, addr: format!("127.0.0.1:{port}") })
}

/// Waits until `/readyz` answers 200; returns the time since `since`.
async fn ready(addr: &str, since: Instant) -> Result<Duration> {
    for _ in 0..60_000 {
        if let Ok(mut c) = Conn::open(addr).await
            && let Ok(r) = c.get("/readyz", None).await
            && r.status == 200
        {
            return Ok(since.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    bail!("server never became ready")
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status_kib(&status, "VmRSS:").context("VmRSS")
}

#[derive(Default, Clone)]
struct Stats {
    latencies_us: Vec<u64>,
}

impl Stats {
    fn pct(&mut self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

#[derive(Clone)]
enum Req {
    Get(&'static str, Option<String>),
    Login,
    /// A CAS sign-in with a portal session (the service ticket) and its validation.
    CasFlow(String),
    /// An OpenID Connect code flow with a portal session: the code, then the token exchange.
    OidcFlow(Arc<oidc::Target>),
    /// Token introspection of a live access token.
    Introspect(Arc<oidc::Target>),
    /// A JSON request: method, path, extra header lines, body.
    Json(&'static str, &'static str, String, Arc<String>),
}

async fn send(c: &mut Conn, r: &Req) -> Result<u16> {
    Ok(match r {
        Req::Get(path, cookie) => c.get(path, cookie.as_deref()).await?.status,
        Req::Login => c.post_form("/login", &format!("login={}&password={}", TEACHER.0, TEACHER.1)).await?.status,
        Req::CasFlow(cookie) => cas_flow(c, cookie).await?,
        Req::OidcFlow(t) => oidc::flow(c, t).await?,
        Req::Introspect(t) => oidc::introspect(c, t).await?,
        Req::Json(method, path, headers, body) => c.send_json(method, path, headers, body).await?.status,
    })
}

const CAS_SERVICE: &str = "https%3A%2F%2Fvs.example.org%2Fent%2F";

/// `/cas/login` with the session cookie, then `/cas/p3/serviceValidate` of the ticket: 200 when
/// the validation names the person.
async fn cas_flow(c: &mut Conn, cookie: &str) -> Result<u16> {
    let r = c.get(&format!("/cas/login?service={CAS_SERVICE}"), Some(cookie)).await?;
    let Some(ticket) = r.location.as_deref().and_then(|l| l.split("ticket=").nth(1)).map(str::to_owned) else {
        return Ok(if r.status == 303 { 599 } else { r.status });
    };
    let v = c.get(&format!("/cas/p3/serviceValidate?ticket={ticket}&service={CAS_SERVICE}"), None).await?;
    Ok(if v.status == 200 && c.body().contains("<cas:user>") { 200 } else { 598 })
}

/// The demo territory admin's API session (cookie, CSRF token): password, then the TOTP code
/// computed from the key the demo gave them (read from its database).
async fn admin_session(addr: &str, db: &Path) -> Result<(String, String)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let row = sqlx::query("SELECT m.secret FROM mfa_secrets m JOIN people p ON p.id = m.person_id WHERE p.login = 'agnes.demo-admin'").fetch_one(&pool).await?;
    let secret: String = row.try_get(0)?;
    pool.close().await;
    let mut c = Conn::open(addr).await?;
    let r = c.send_json("POST", "/api/v1/session", "", r#"{"login":"agnes.demo-admin","password":"demo-admin"}"#).await?;
    let cookie = r.set_cookie.context("admin login")?;
    let body = c.body();
    let csrf = body.split("\"csrf\":\"").nth(1).and_then(|s| s.split('"').next()).context("csrf")?.to_owned();
    let step = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64 / 30;
    let code = preau_identity::mfa::totp(&preau_identity::mfa::base32_decode(&secret).context("TOTP key")?, step);
    let r = c.send_json("POST", "/api/v1/session/mfa", &format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n"), &format!(r#"{{"code":"{code:06}"}}"#)).await?;
    if r.status != 204 {
        bail!("admin second factor answered {}: {}", r.status, c.body());
    }
    Ok((cookie, csrf))
}

/// Registers the CAS connector the benchmark signs in to, as the demo territory admin.
async fn register_cas_connector(addr: &str, admin: &(String, String)) -> Result<()> {
    let mut c = Conn::open(addr).await?;
    let (cookie, csrf) = admin;
    let connector = r#"{"code":"vie-scolaire","name":"Vie scolaire","url":"https://vs.example.org/","protocol":"cas","service_urls":["https://vs.example.org/ent/"],"profiles":["ENS"],"release":["family_name=nom","given_name=prenom"],"purpose":"Benchmark","legal_basis":"Mission d'intérêt public"}"#;
    let r = c.send_json("POST", "/api/v1/connectors", &format!("Cookie: {cookie}\r\nX-CSRF-Token: {csrf}\r\n"), connector).await?;
    if r.status != 201 {
        bail!("connector registration answered {}: {}", r.status, c.body());
    }
    Ok(())
}

/// Results by status code: (status, latencies).
type ByStatus = Vec<(u16, Stats)>;

fn record(by: &mut ByStatus, status: u16, us: u64) {
    match by.iter_mut().find(|(s, _)| *s == status) {
        Some((_, st)) => st.latencies_us.push(us),
        None => by.push((status, Stats { latencies_us: vec![us] })),
    }
}

async fn collect(tasks: Vec<tokio::task::JoinHandle<Result<()>>>, out: Arc<Mutex<ByStatus>>, start: Instant) -> Result<(ByStatus, f64)> {
    for t in tasks {
        t.await??;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let by = Arc::try_unwrap(out).map_err(|_| anyhow::anyhow!("results still shared"))?.into_inner();
    Ok((by, elapsed))
}

async fn merge_into(out: &Mutex<ByStatus>, local: ByStatus) {
    let mut o = out.lock().await;
    for (s, st) in local {
        for l in st.latencies_us {
            record(&mut o, s, l);
        }
    }
}

/// `conns` connections each sending as fast as answers come, for `secs`.
async fn closed(addr: &str, conns: usize, secs: f64, reqs: Vec<Req>) -> Result<(ByStatus, f64)> {
    let out = Arc::new(Mutex::new(ByStatus::new()));
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = vec![];
    for i in 0..conns {
        let (addr, out, req) = (addr.to_owned(), out.clone(), reqs[i % reqs.len()].clone());
        tasks.push(tokio::spawn(async move {
            let mut local = ByStatus::new();
            let mut c = Conn::open(&addr).await?;
            while Instant::now() < end {
                let t = Instant::now();
                let status = match send(&mut c, &req).await {
                    Ok(s) => s,
                    Err(_) => {
                        c = Conn::open(&addr).await?;
                        0
                    }
                };
                record(&mut local, status, t.elapsed().as_micros() as u64);
            }
            merge_into(&out, local).await;
            anyhow::Ok(())
        }));
    }
    collect(tasks, out, start).await
}

/// A fixed arrival rate spread over `conns` connections; latency counts from the scheduled time.
async fn open(addr: &str, conns: usize, rate: f64, secs: f64, reqs: Vec<Req>) -> Result<(ByStatus, f64)> {
    let out = Arc::new(Mutex::new(ByStatus::new()));
    let per_conn = rate / conns as f64;
    let interval = Duration::from_secs_f64(1.0 / per_conn);
    let total_per_conn = (per_conn * secs).round() as u64;
    let start = Instant::now();
    let mut tasks = vec![];
    for i in 0..conns {
        let (addr, out, req) = (addr.to_owned(), out.clone(), reqs[i % reqs.len()].clone());
        let offset = interval.mul_f64(i as f64 / conns as f64);
        tasks.push(tokio::spawn(async move {
            let mut local = ByStatus::new();
            let mut c = Conn::open(&addr).await?;
            let first = start + offset;
            for k in 0..total_per_conn {
                let due = first + interval * k as u32;
                tokio::time::sleep_until(due.into()).await;
                let status = match send(&mut c, &req).await {
                    Ok(s) => s,
                    Err(_) => {
                        c = Conn::open(&addr).await?;
                        0
                    }
                };
                record(&mut local, status, due.elapsed().as_micros() as u64);
            }
            merge_into(&out, local).await;
            anyhow::Ok(())
        }));
    }
    collect(tasks, out, start).await
}

fn count(by: &ByStatus, pred: impl Fn(u16) -> bool) -> usize {
    by.iter().filter(|(s, _)| pred(*s)).map(|(_, st)| st.latencies_us.len()).sum()
}

fn merged(by: &ByStatus, pred: impl Fn(u16) -> bool) -> Stats {
    Stats { latencies_us: by.iter().filter(|(s, _)| pred(*s)).flat_map(|(_, st)| st.latencies_us.clone()).collect() }
}

async fn login_cookies(addr: &str, n: usize) -> Result<Vec<String>> {
    let mut out = vec![];
    for i in 0..n {
        let (login, password) = PORTAL_USERS[i % PORTAL_USERS.len()];
        let mut c = Conn::open(addr).await?;
        let r = c.post_form("/login", &format!("login={login}&password={password}")).await?;
        out.push(r.set_cookie.with_context(|| format!("login {login} answered {}", r.status))?);
    }
    Ok(out)
}

async fn insert_sessions(db: &Path, n: usize) -> Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let people: Vec<(String, String)> = sqlx::query("SELECT id, territory_id FROM people LIMIT 10000")
        .fetch_all(&pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let mut tx = pool.begin().await?;
    for i in 0..n {
        let (person, territory) = &people[i % people.len()];
        sqlx::query("INSERT INTO sessions (digest, person_id, territory_id, created_at, last_seen, csrf, user_agent, address, charter_pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)")
            .bind(b64_token(i as u64, 'D'))
            .bind(person.clone())
            .bind(territory.clone())
            .bind(now)
            .bind(now)
            .bind(b64_token(i as u64, 'C'))
            .bind("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36")
            .bind("192.168.10.23")
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// A distinct well-formed token: 43 base64url characters, as 32 random bytes would give.
fn b64_token(i: u64, fill: char) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s: String = (0..8).map(|k| ALPHABET[((i >> (6 * k)) & 63) as usize] as char).collect();
    while s.len() < 42 {
        s.push(fill);
    }
    s.push('A');
    s
}

/// The number of sessions the server holds, from its `/metrics`.
async fn sessions_held(addr: &str) -> Result<u64> {
    let mut c = Conn::open(addr).await?;
    let body = c.get_body("/metrics").await?;
    let line = body.lines().find(|l| l.starts_with("preau_sessions ")).context("preau_sessions metric")?;
    Ok(line.trim_start_matches("preau_sessions ").trim().parse()?)
}

async fn clear_sessions(db: &Path) -> Result<()> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    sqlx::query("DELETE FROM sessions").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

struct Args {
    bin: PathBuf,
    secs: f64,
    portal_rate: f64,
    /// Run the directory-feed benchmark with a feed of this many accounts instead.
    import: Option<usize>,
    /// Run the single sign-on benchmark (CAS and OpenID Connect flows, introspection) instead.
    sso: bool,
    /// With --sso: only the OpenID Connect part (`--oidc`).
    oidc_only: bool,
    /// With --sso: also start django-cas-server (`bench/peer-cas/run.sh`) and the npm
    /// oidc-provider (`bench/peer-oidc/server.mjs`) and measure them alike.
    peer: bool,
    /// With --import or --messaging: also run on this PostgreSQL server
    /// (`postgres://user@host:port/db`, used to create a scratch database).
    postgres: Option<String>,
    /// Run the communication benchmark (picker, one message to 2,000, sustained sending, live
    /// streams) instead.
    messaging: bool,
    /// Run the documents benchmark (1 GiB and 1,000 small files against cp/cat, RSS while
    /// uploading, 100 concurrent uploads) instead.
    documents: bool,
    /// Run the timetable benchmark (a pupil's week, a teacher's calendar feed) instead.
    timetable: bool,
}

fn args() -> Result<Args> {
    let mut a = Args {
        bin: PathBuf::from("target/release/preau"),
        secs: 10.0,
        portal_rate: 5000.0,
        import: None,
        postgres: None,
        messaging: false,
        documents: false,
        timetable: false,
        sso: false,
        peer: false,
        oidc_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        if k == "--messaging" {
            a.messaging = true;
            continue;
        }
        if k == "--documents" {
            a.documents = true;
            continue;
        }
        if k == "--timetable" {
            a.timetable = true;
            continue;
        }
        if k == "--sso" || k == "--peer" || k == "--oidc" {
            a.sso = true;
            a.peer |= k == "--peer";
            a.oidc_only |= k == "--oidc";
            continue;
        }
        let v = it.next().with_context(|| format!("{k} needs a value"))?;
        match k.as_str() {
            "--preau" => a.bin = v.into(),
            "--secs" => a.secs = v.parse()?,
            "--portal-rate" => a.portal_rate = v.parse()?,
            "--import" => a.import = Some(v.parse()?),
            "--postgres" => a.postgres = Some(v),
            _ => bail!(
                "unknown option {k} (--preau PATH, --secs N, --portal-rate R, --import ACCOUNTS, --sso, --oidc, --peer, --messaging, --documents, --timetable, --postgres URL)"
            ),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    // One thread for the load generator, leaving the other core to the server as much as the
    // scheduler allows: both share this 2-core machine.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let a = args()?;
    match a.import {
        Some(n) => rt.block_on(import_bench(&a, n)),
        None if a.sso => rt.block_on(sso_bench(&a)),
        None if a.messaging => rt.block_on(messaging::bench(&a)),
        None if a.documents => rt.block_on(documents::bench(&a)),
        None if a.timetable => rt.block_on(timetable::bench(&a)),
        None => rt.block_on(run(a)),
    }
}

/// Single sign-on with an existing portal session: a CAS service ticket issued and validated
/// (two requests per flow), at a fixed arrival rate beside `/healthz` at the same rate, then at
/// saturation.
async fn sso_bench(a: &Args) -> Result<()> {
    let data = std::env::temp_dir().join(format!("preau-bench-sso-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = 19_000 + (std::process::id() % 1000) as u16;
    let s = spawn(&a.bin, &data, port, "demo")?;
    ready(&s.addr, Instant::now()).await?;
    let admin = admin_session(&s.addr, &data.join("preau.db")).await?;
    register_cas_connector(&s.addr, &admin).await?;
    let mut cookies = vec![];
    for _ in 0..4 {
        let mut c = Conn::open(&s.addr).await?;
        cookies.push(c.post_form("/login", &format!("login={}&password={}", TEACHER.0, TEACHER.1)).await?.set_cookie.context("teacher login")?);
    }
    println!("# Préau single sign-on benchmark — binary {}, {} s per phase", a.bin.display(), a.secs);
    if !a.oidc_only {
        cas_bench(a, &s.addr, &cookies).await?;
    }
    oidc::bench(&s.addr, &admin, &cookies[0], a.secs, a.peer).await?;
    drop(s);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// The CAS part: flows beside `/healthz` at the same rate, saturation, and the peer.
async fn cas_bench(a: &Args, addr: &str, cookies: &[String]) -> Result<()> {
    let flows: Vec<Req> = cookies.iter().map(|c| Req::CasFlow(c.clone())).collect();
    let health = vec![Req::Get("/healthz", None)];
    let rate = 5000.0;
    println!("\n## open loop at {rate:.0}/s, 64 connections (a CAS flow is 2 requests: /cas/login with the session, /cas/p3/serviceValidate)");
    println!("| what | per s | p50 ms | p99 ms | failed |\n|---|---|---|---|---|");
    let mut p99s = vec![];
    for (name, reqs) in [("/healthz (baseline)", health.clone()), ("CAS flow", flows.clone())] {
        let (by, el) = open(addr, 64, rate, a.secs, reqs).await?;
        let mut st = merged(&by, |c| c == 200);
        let failed = count(&by, |c| c != 200);
        let p99 = st.pct(0.99);
        p99s.push(p99);
        println!("| {name} | {:.0} | {:.2} | {p99:.2} | {failed} |", st.latencies_us.len() as f64 / el, st.pct(0.5));
    }
    println!("p99 ratio CAS flow / healthz at the same rate: {:.2} (target: CAS p99 ≤ 20 ms at 5,000 flows/s)", p99s[1] / p99s[0]);
    println!("\n## saturation (closed loop, 64 connections)\n| what | per s | p50 ms | p99 ms |\n|---|---|---|---|");
    let mut rates = vec![];
    for (name, reqs) in [("/healthz (baseline)", health), ("CAS flow", flows.clone())] {
        let (by, el) = closed(addr, 64, a.secs, reqs).await?;
        let mut st = merged(&by, |c| c == 200);
        let r = st.latencies_us.len() as f64 / el;
        rates.push(r);
        println!("| {name} | {r:.0} | {:.2} | {:.2} |", st.pct(0.5), st.pct(0.99));
    }
    println!("throughput ratio CAS flows / healthz requests: {:.2}", rates[1] / rates[0]);
    if a.peer {
        peer_cas(a, addr, flows, rates[1]).await?;
    }
    Ok(())
}

/// The same CAS flows against django-cas-server (PyPI) under gunicorn, started by
/// `bench/peer-cas/run.sh` on this machine, beside Préau's at a rate both hold and at saturation.
async fn peer_cas(a: &Args, preau: &str, preau_flows: Vec<Req>, preau_rate: f64) -> Result<()> {
    let port = 18_900 + (std::process::id() % 100) as u16;
    let dir = std::env::temp_dir().join(format!("preau-peer-cas-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let out = Command::new("bench/peer-cas/run.sh").arg(port.to_string()).env("PEER_CAS_DIR", &dir).stderr(Stdio::null()).output()?;
    let cookie = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_owned();
    if !out.status.success() || !cookie.contains("sessionid=") {
        bail!("django-cas-server did not start: {}", String::from_utf8_lossy(&out.stdout));
    }
    let peer = format!("127.0.0.1:{port}");
    let peer_flows = vec![Req::CasFlow(cookie)];
    let result = async {
        let rate = 300.0;
        println!("\n## peer: django-cas-server 3.1.0 (Django 5.2, gunicorn 2 workers × 4 threads, SQLite), same flows");
        println!("| server | open loop at {rate:.0}/s: p50 ms | p99 ms | failed | saturation flows/s | p99 ms |\n|---|---|---|---|---|---|");
        let mut sat = vec![];
        for (name, addr, reqs) in [("Préau", preau, preau_flows), ("django-cas-server", peer.as_str(), peer_flows)] {
            let (by, _) = open(addr, 64, rate, a.secs, reqs.clone()).await?;
            let mut st = merged(&by, |c| c == 200);
            let failed = count(&by, |c| c != 200);
            let (by2, el2) = closed(addr, 64, a.secs, reqs).await?;
            let mut st2 = merged(&by2, |c| c == 200);
            let r = st2.latencies_us.len() as f64 / el2;
            sat.push(r);
            println!("| {name} | {:.2} | {:.2} | {failed} | {r:.0} | {:.2} |", st.pct(0.5), st.pct(0.99), st2.pct(0.99));
        }
        println!("saturation ratio Préau / django-cas-server: {:.1} (Préau's earlier saturation phase: {preau_rate:.0}/s)", sat[0] / sat[1].max(1.0));
        anyhow::Ok(())
    }
    .await;
    if let Ok(pid) = std::fs::read_to_string(dir.join("gunicorn.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A command run to completion by [`timed`].
struct Timed {
    secs: f64,
    /// Peak resident memory (`VmHWM`), KiB.
    peak_kib: u64,
    /// Peak of the process's own memory (`RssAnon`, sampled), KiB: the resident memory less the
    /// mapped files (the program's code, SQLite's write-ahead-log index).
    anon_kib: u64,
    out: String,
}

/// A `/proc/<pid>/status` field, KiB.
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
}

/// Runs a command to completion, sampling its peak RSS.
fn timed(cmd: &mut Command) -> Result<Timed> {
    let started = Instant::now();
    let out_path = std::env::temp_dir().join(format!("preau-bench-out-{}", std::process::id()));
    let child = cmd.stdout(std::fs::File::create(&out_path)?).stderr(Stdio::null()).spawn()?;
    let pid = child.id();
    let mut child = child;
    let (mut peak_kib, mut anon_kib) = (0, 0);
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            peak_kib = peak_kib.max(status_kib(&status, "VmHWM:").unwrap_or(0));
            anon_kib = anon_kib.max(status_kib(&status, "RssAnon:").unwrap_or(0));
        }
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("command failed: {:?}", cmd);
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    let out = std::fs::read_to_string(&out_path)?;
    let _ = std::fs::remove_file(out_path);
    Ok(Timed { secs, peak_kib, anon_kib, out })
}

/// The peak RSS and peak anonymous memory of a run, MiB, as two table cells.
fn memory(r: &Timed) -> String {
    format!("{:.0} | {:.0}", r.peak_kib as f64 / 1024.0, r.anon_kib as f64 / 1024.0)
}

/// The accounts a report line says were created or left unchanged (`  Eleve   800 créés`).
fn counted(report: &str, word: &str) -> u64 {
    report
        .lines()
        .filter(|l| ["Eleve", "PersRelEleve ", "PersEducNat"].iter().any(|c| l.trim_start().starts_with(c)) && !l.contains("contacts"))
        .flat_map(|l| l.split(',').filter(|p| p.contains(word)).filter_map(|p| p.split_whitespace().rev().nth(1)?.parse::<u64>().ok()))
        .sum()
}

async fn import_bench(a: &Args, accounts: usize) -> Result<()> {
    let root = std::env::temp_dir().join(format!("preau-import-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    println!("# Préau directory-feed benchmark — {accounts} accounts, binary {}", a.bin.display());
    println!("| step | accounts | seconds | accounts/s | peak RSS MiB | of which the process's own (anonymous) MiB |\n|---|---|---|---|---|---|");
    for n in [accounts / 4, accounts] {
        let feed = root.join(format!("feed-{n}"));
        let t = timed(Command::new(&a.bin).args(["demo", "--export-aaf"]).arg(&feed).args(["--accounts", &n.to_string()]))?.secs;
        println!("| generate the feed | {n} | {t:.1} | {:.0} | — | — |", n as f64 / t);
        let data = root.join(format!("data-{n}"));
        let import = |dry: bool| {
            let mut c = Command::new(&a.bin);
            c.env("PREAU_DATA_DIR", &data).env("PREAU_LOG", "warn").args(["import", "aaf"]).arg(&feed).args(["--academie", "BENCH"]);
            if dry {
                c.arg("--dry-run");
            }
            c
        };
        let r = timed(&mut import(false))?;
        let created = counted(&r.out, "créés");
        println!("| full import into an empty SQLite database | {created} | {:.1} | {:.0} | {} |", r.secs, created as f64 / r.secs, memory(&r));
        let r = timed(&mut import(false))?;
        let unchanged = counted(&r.out, "inchangés");
        println!("| re-import of the same feed (no change) | {unchanged} | {:.1} | {:.0} | {} |", r.secs, unchanged as f64 / r.secs, memory(&r));
        let delta = root.join(format!("delta-{n}"));
        timed(Command::new(&a.bin).args(["demo", "--export-aaf"]).arg(&delta).args(["--accounts", &n.to_string(), "--delta", "2"]))?;
        let mut c = Command::new(&a.bin);
        c.env("PREAU_DATA_DIR", &data).env("PREAU_LOG", "warn").args(["import", "aaf"]).arg(&delta).args(["--academie", "BENCH"]);
        let r = timed(&mut c)?;
        let updated = counted(&r.out, "modifiés");
        println!("| delta: 2 % of the pupils change class | {updated} | {:.2} | {:.0} | {} |", r.secs, updated as f64 / r.secs, memory(&r));
    }
    portal_during_import(a, &root, accounts).await?;
    if let Some(url) = &a.postgres {
        postgres_import(a, &root, accounts, url).await?;
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}

/// The portal page of the demo territory at a fixed rate while a feed of `accounts` is imported
/// into the same database: readers must not wait for the import's transaction.
async fn portal_during_import(a: &Args, root: &Path, accounts: usize) -> Result<()> {
    let data = root.join("with-demo");
    let feed = root.join(format!("feed-{accounts}"));
    let port = 18_500 + (std::process::id() % 400) as u16;
    {
        let s = spawn(&a.bin, &data, port, "demo")?;
        ready(&s.addr, Instant::now()).await?;
    }
    let s = spawn(&a.bin, &data, port, "serve")?;
    ready(&s.addr, Instant::now()).await?;
    let cookies = login_cookies(&s.addr, 24).await?;
    let portal: Vec<Req> = cookies.iter().map(|c| Req::Get("/portal", Some(c.clone()))).collect();
    let (before, _) = open(&s.addr, 24, 1000.0, 3.0, portal.clone()).await?;
    let mut idle = merged(&before, |c| c == 200);
    let mut import = Command::new(&a.bin);
    import
        .env("PREAU_DATA_DIR", &data)
        .env("PREAU_LOG", "warn")
        .args(["import", "aaf"])
        .arg(&feed)
        .args(["--academie", "BENCH"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = import.spawn()?;
    let (by, _) = open(&s.addr, 24, 1000.0, a.secs, portal).await?;
    let still_running = child.try_wait()?.is_none();
    child.wait()?;
    let mut during = merged(&by, |c| c == 200);
    println!(
        "\n## portal page while the {accounts}-account import runs (1,000 req/s, {:.0} s, import {} during the whole load)\nidle p50 {:.2} ms, p99 {:.2} ms; during the import p50 {:.2} ms, p99 {:.2} ms (target ≤ 100 ms); non-200 answers: {}",
        a.secs,
        if still_running { "still running" } else { "finished" },
        idle.pct(0.5),
        idle.pct(0.99),
        during.pct(0.5),
        during.pct(0.99),
        count(&by, |c| c != 200)
    );
    Ok(())
}

/// The same full import into a scratch PostgreSQL database.
async fn postgres_import(a: &Args, root: &Path, accounts: usize, url: &str) -> Result<()> {
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(url).await?;
    let name = format!("preau_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await?;
    let db_url = format!("{}/{name}", url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url));
    let feed = root.join(format!("feed-{accounts}"));
    let mut c = Command::new(&a.bin);
    c.env("PREAU_DATABASE_URL", &db_url)
        .env("PREAU_DATA_DIR", root.join("pg"))
        .env("PREAU_LOG", "warn")
        .args(["import", "aaf"])
        .arg(&feed)
        .args(["--academie", "BENCH"]);
    let r = timed(&mut c)?;
    let created = counted(&r.out, "créés");
    println!(
        "\n## PostgreSQL\n| full import into an empty PostgreSQL database | {created} | {:.1} | {:.0} | {} |",
        r.secs,
        created as f64 / r.secs,
        memory(&r)
    );
    let r = timed(&mut c)?;
    let unchanged = counted(&r.out, "inchangés");
    println!("| re-import of the same feed (no change) | {unchanged} | {:.1} | {:.0} | — | — |", r.secs, unchanged as f64 / r.secs);
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).execute(&admin).await?;
    Ok(())
}

async fn run(a: Args) -> Result<()> {
    let data = std::env::temp_dir().join(format!("preau-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = 18_000 + (std::process::id() % 1000) as u16;
    println!("# Préau benchmark — binary {}, {} s per load phase", a.bin.display(), a.secs);
    {
        let started = Instant::now();
        let s = spawn(&a.bin, &data, port, "demo")?;
        let t = ready(&s.addr, started).await?;
        println!("demo territory generated and served in {:.2} s", t.as_secs_f64());
    }
    // Start-up and idle memory on the demo database.
    let started = Instant::now();
    let s = spawn(&a.bin, &data, port, "serve")?;
    let t = ready(&s.addr, started).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(s.child.id())?;
    println!(
        "\n## start-up\nstart to ready on the demo database: {:.0} ms (target ≤ 1000)\nidle RSS: {:.1} MiB (target ≤ 100)",
        t.as_secs_f64() * 1e3,
        idle as f64 / 1024.0
    );

    // Portal page at a fixed arrival rate, beside /healthz at the same rate.
    let cookies = login_cookies(&s.addr, 48).await?;
    let portal: Vec<Req> = cookies.iter().map(|c| Req::Get("/portal", Some(c.clone()))).collect();
    let health = vec![Req::Get("/healthz", None)];
    println!("\n## portal page (authenticated), open loop at {:.0} req/s, 48 connections", a.portal_rate);
    println!("| endpoint | req/s | p50 ms | p99 ms | non-200 |\n|---|---|---|---|---|");
    let mut p99s = vec![];
    for (name, reqs) in [("/healthz (baseline)", health.clone()), ("/portal", portal.clone())] {
        let (by, el) = open(&s.addr, 48, a.portal_rate, a.secs, reqs).await?;
        let mut st = merged(&by, |_| true);
        let ok = count(&by, |c| c == 200);
        let p99 = st.pct(0.99);
        p99s.push(p99);
        println!("| {name} | {:.0} | {:.2} | {:.2} | {} |", st.latencies_us.len() as f64 / el, st.pct(0.5), p99, st.latencies_us.len() - ok);
    }
    println!("p99 ratio portal / healthz at the same rate: {:.2}", p99s[1] / p99s[0]);
    println!("\n## saturation (closed loop, 64 connections)\n| endpoint | req/s | p50 ms | p99 ms |\n|---|---|---|---|");
    let mut rates = vec![];
    for (name, reqs) in [("/healthz (baseline)", health), ("/portal", portal)] {
        let (by, el) = closed(&s.addr, 64, a.secs, reqs).await?;
        let mut st = merged(&by, |c| c == 200);
        let r = st.latencies_us.len() as f64 / el;
        rates.push(r);
        println!("| {name} | {r:.0} | {:.2} | {:.2} |", st.pct(0.5), st.pct(0.99));
    }
    println!("throughput ratio portal / healthz: {:.2}", rates[1] / rates[0]);

    // Password logins.
    println!("\n## password logins (argon2id m=19 MiB, t=2, p=1)");
    let (by, el) = closed(&s.addr, 16, a.secs, vec![Req::Login]).await?;
    let mut ok = merged(&by, |c| c == 303);
    let rate = ok.latencies_us.len() as f64 / el;
    println!(
        "saturation, 16 connections: {rate:.1} logins/s (target ≥ 60), p50 {:.0} ms, p99 {:.0} ms, other answers {}",
        ok.pct(0.5),
        ok.pct(0.99),
        count(&by, |c| c != 303)
    );
    let offered = 3.0 * rate;
    let (by, el) = open(&s.addr, 128, offered, a.secs, vec![Req::Login]).await?;
    let mut admitted = merged(&by, |c| c == 303);
    let mut refused = merged(&by, |c| c == 503);
    let others = count(&by, |c| c != 303 && c != 503);
    println!(
        "at 3× ({offered:.0}/s offered, {:.0}/s sent): {} admitted, p99 {:.0} ms (target ≤ 1000); {} refused with 503, p99 {:.1} ms (target ≤ 10); other errors: {others}",
        (admitted.latencies_us.len() + refused.latencies_us.len() + others) as f64 / el,
        admitted.latencies_us.len(),
        admitted.pct(0.99),
        refused.latencies_us.len(),
        refused.pct(0.99)
    );
    drop(s);

    // Memory per idle session: 100,000 sessions restored at start, against a start with none.
    let db = data.join("preau.db");
    clear_sessions(&db).await?;
    let base = {
        let s = spawn(&a.bin, &data, port, "serve")?;
        ready(&s.addr, Instant::now()).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        rss_kib(s.child.id())?
    };
    const N: usize = 100_000;
    insert_sessions(&db, N).await?;
    let (with, t) = {
        let started = Instant::now();
        let s = spawn(&a.bin, &data, port, "serve")?;
        let t = ready(&s.addr, started).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let held = sessions_held(&s.addr).await?;
        if held < N as u64 {
            bail!("the server holds {held} sessions, not {N}");
        }
        (rss_kib(s.child.id())?, t)
    };
    println!(
        "\n## sessions\nRSS with 0 sessions: {:.1} MiB; with {N} idle sessions: {:.1} MiB → {:.0} bytes per session (target ≤ 1024); start to ready with them: {:.0} ms",
        base as f64 / 1024.0,
        with as f64 / 1024.0,
        (with.saturating_sub(base) * 1024) as f64 / N as f64,
        t.as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
