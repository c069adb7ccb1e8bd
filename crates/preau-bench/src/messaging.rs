//! `--messaging`: communication (issue 5), on SQLite and, with `--postgres URL`, on PostgreSQL in
//! the same run. A generated académie feed makes one collège of 2,000 pupils (about 67 classes
//! of 30) with their parents and teachers; sessions are written for a teacher and every pupil;
//! the school's quiet hours are turned off so that live delivery is measured at any hour.
//! Then, with `/healthz` of the same server at the same rate as the baseline:
//! - "who may I write to": the recipient picker of a teacher, searching names by prefix;
//! - one message to the 2,000 pupils, each with an open `/events` page: the time until the
//!   message is stored (the answer), and until each page has it;
//! - sustained sending: messages to a class (30 recipients) at a fixed arrival rate;
//! - 10,000 open `/events` streams: the server's memory per stream.

use crate::http::Conn;
use crate::{Req, count, merged, open, ready, rss_kib};
use anyhow::{Context, Result, bail};
use sqlx::Row;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A logged-in person, by the session written for them.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// What the benchmark needs of the generated school.
struct School {
    id: String,
    teacher: Session,
    pupils: Vec<Session>,
    classes: Vec<String>,
}

/// Imports the feed, then writes the sessions and turns the school's quiet hours off.
async fn prepare(bin: &Path, data: &Path, url: &str, feed: &Path, pg: Option<&str>) -> Result<School> {
    let mut c = Command::new(bin);
    c.env("PREAU_DATA_DIR", data).env("PREAU_LOG", "warn").args(["import", "aaf"]).arg(feed).args(["--academie", "BENCH"]).stdout(Stdio::null());
    if let Some(u) = pg {
        c.env("PREAU_DATABASE_URL", u);
    }
    if !c.status()?.success() {
        bail!("the import failed");
    }
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await?;
    let one = |sql: &'static str| sqlx::query(sql);
    let school: String =
        one("SELECT s.id FROM structures s JOIN memberships m ON m.structure_id = s.id AND m.profile = 'ELV' GROUP BY s.id ORDER BY COUNT(*) DESC LIMIT 1")
            .fetch_one(&pool)
            .await?
            .try_get(0)?;
    let ids = |sql: &'static str| {
        let school = school.clone();
        let pool = pool.clone();
        async move { sqlx::query(sql).bind(school).fetch_all(&pool).await.map(|rs| rs.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect::<Vec<_>>()) }
    };
    let teacher = ids("SELECT person_id FROM memberships WHERE structure_id = $1 AND profile = 'ENS' ORDER BY person_id LIMIT 1").await?;
    let pupils = ids("SELECT person_id FROM memberships WHERE structure_id = $1 AND profile = 'ELV' ORDER BY person_id").await?;
    let classes = ids("SELECT id FROM class_groups WHERE structure_id = $1 AND kind = 'class' ORDER BY code").await?;
    let territory: String = one("SELECT id FROM territories LIMIT 1").fetch_one(&pool).await?.try_get(0)?;
    sqlx::query("INSERT INTO quiet_hours (owner_id, start_minute, end_minute, days_off) VALUES ($1, 0, 0, 0)").bind(school.clone()).execute(&pool).await?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let mut sessions = vec![];
    let mut tx = pool.begin().await?;
    for (i, person) in teacher.iter().chain(&pupils).enumerate() {
        let token = crate::b64_token(i as u64, 'T');
        let csrf = crate::b64_token(i as u64, 'C');
        sqlx::query("INSERT INTO sessions (digest, person_id, territory_id, created_at, last_seen, csrf, user_agent, address, charter_pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)")
            .bind(preau_identity::sessions::SessionKey::of_token(&token).to_string())
            .bind(person.clone())
            .bind(territory.clone())
            .bind(now)
            .bind(now)
            .bind(csrf.clone())
            .bind("preau-bench")
            .bind("127.0.0.1")
            .execute(&mut *tx)
            .await?;
        sessions.push(Session { cookie: format!("preau_session={token}"), csrf });
    }
    tx.commit().await?;
    pool.close().await;
    let teacher = sessions.remove(0);
    Ok(School { id: school, teacher, pupils: sessions, classes })
}

/// Opens an `/events` stream; each notification it receives is reported with its arrival time.
async fn listen(addr: String, cookie: String, who: usize, tx: mpsc::UnboundedSender<(usize, Instant)>, connected: mpsc::UnboundedSender<()>) -> Result<()> {
    let mut stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    stream.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).await?;
    let mut lines = BufReader::new(stream).lines();
    let status = lines.next_line().await?.unwrap_or_default();
    if !status.contains(" 200 ") {
        bail!("/events answered {status}");
    }
    let _ = connected.send(());
    while let Some(line) = lines.next_line().await? {
        if line.starts_with("event: notification") {
            let _ = tx.send((who, Instant::now()));
        }
    }
    Ok(())
}

/// Opens `n` streams over the sessions (several pages per person past their count); waits
/// until all are connected.
async fn open_streams(
    addr: &str,
    sessions: &[Session],
    n: usize,
) -> Result<(mpsc::UnboundedReceiver<(usize, Instant)>, Vec<tokio::task::JoinHandle<Result<()>>>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let (ctx, mut crx) = mpsc::unbounded_channel();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let s = &sessions[i % sessions.len()];
        tasks.push(tokio::spawn(listen(addr.to_owned(), s.cookie.clone(), i, tx.clone(), ctx.clone())));
    }
    for _ in 0..n {
        tokio::time::timeout(Duration::from_secs(60), crx.recv()).await.context("streams connecting")?.context("a stream failed")?;
    }
    Ok((rx, tasks))
}

fn headers(s: &Session) -> String {
    format!("Cookie: {}\r\nX-CSRF-Token: {}\r\n", s.cookie, s.csrf)
}

/// Latencies in milliseconds, as the benchmark's percentiles read them.
fn stats(ms: &[f64]) -> crate::Stats {
    crate::Stats { latencies_us: ms.iter().map(|m| (m * 1e3) as u64).collect() }
}

/// The recipient picker of a teacher, beside `/healthz`, at `rate` per second.
async fn picker(addr: &str, s: &School, rate: f64, secs: f64) -> Result<()> {
    let prefixes = ["ma", "le", "du", "be", "ro", "la", "mo", "da", "pe", "ga", "4", "s", "b", "th", "ca"];
    let reqs: Vec<Req> =
        prefixes.iter().map(|p| Req::Get(Box::leak(format!("/api/v1/communication/picker?q={p}").into_boxed_str()), Some(s.teacher.cookie.clone()))).collect();
    // The first searches after a directory change: the school's people are read once (then
    // kept), by the first; the others, arriving together, wait for that reading.
    let t0 = Instant::now();
    let mut cold = vec![];
    for _ in 0..8 {
        let (addr, cookie) = (addr.to_owned(), s.teacher.cookie.clone());
        cold.push(tokio::spawn(async move {
            let mut c = Conn::open(&addr).await?;
            c.get("/api/v1/communication/picker?q=ma", Some(&cookie)).await?;
            anyhow::Ok(t0.elapsed().as_secs_f64() * 1e3)
        }));
    }
    let mut took = vec![];
    for c in cold {
        took.push(c.await??);
    }
    let mut cold = stats(&took);
    println!("| 8 searches together, the first after a directory change (cold) | {:.1} | {:.1} (slowest) | 0 |", cold.pct(0.5), cold.pct(1.0));
    let (base, _) = open(addr, 8, rate, secs, vec![Req::Get("/healthz", None)]).await?;
    let (by, _) = open(addr, 8, rate, secs, reqs).await?;
    let (mut b, mut p) = (merged(&base, |c| c == 200), merged(&by, |c| c == 200));
    println!("| `/healthz` at {rate:.0}/s (baseline) | {:.2} | {:.2} | {} |", b.pct(0.5), b.pct(0.99), count(&base, |c| c != 200));
    println!("| **recipient picker of a teacher at {rate:.0}/s** | {:.2} | **{:.2}** | {} |", p.pct(0.5), p.pct(0.99), count(&by, |c| c != 200));
    Ok(())
}

/// Messages to the 2,000 pupils, each with an open page: stored (the answer), then on each page.
async fn big_message(addr: &str, s: &School, sends: usize) -> Result<()> {
    let (mut rx, tasks) = open_streams(addr, &s.pupils, s.pupils.len()).await?;
    let mut stored = vec![];
    let mut shown = vec![];
    let mut c = Conn::open(addr).await?;
    let body = format!(
        "{{\"to\": [{{\"kind\": \"structure\", \"structure\": \"{}\", \"profile\": \"Pupil\"}}], \"subject\": \"Information à tous les élèves\", \"body\": \"Le collège ouvre à 8 h.\"}}",
        s.id
    );
    for _ in 0..sends {
        let t0 = Instant::now();
        let r = c.send_json("POST", "/api/v1/messages", &headers(&s.teacher), &body).await?;
        if r.status != 201 {
            bail!("the message was answered {}: {}", r.status, c.body());
        }
        stored.push(t0.elapsed().as_secs_f64() * 1e3);
        let mut got = 0;
        while got < s.pupils.len() {
            let (_, at) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.context("waiting for live deliveries")?.context("streams closed")?;
            shown.push(at.duration_since(t0).as_secs_f64() * 1e3);
            got += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for t in tasks {
        t.abort();
    }
    let (mut stored, mut live) = (stats(&stored), stats(&shown));
    println!("| **one message to {} pupils, stored** ({sends} sends) | {:.1} | **{:.1}** | 0 |", s.pupils.len(), stored.pct(0.5), stored.pct(0.99));
    println!(
        "| **…shown live on each of the {} open pages** ({} deliveries) | {:.1} | **{:.1}** | 0 |",
        s.pupils.len(),
        shown.len(),
        live.pct(0.5),
        live.pct(0.99)
    );
    Ok(())
}

/// Messages to one class (30 pupils) at `rate` per second.
async fn sustained(addr: &str, s: &School, rate: f64, secs: f64) -> Result<()> {
    let reqs: Vec<Req> = s
        .classes
        .iter()
        .map(|g| {
            let body = format!(
                "{{\"to\": [{{\"kind\": \"class\", \"group\": \"{g}\", \"profile\": \"Pupil\"}}], \"subject\": \"Devoir\", \"body\": \"Exercice 4 page 12.\"}}"
            );
            Req::Json("POST", "/api/v1/messages", headers(&s.teacher), Arc::new(body))
        })
        .collect();
    let (by, _) = open(addr, 16, rate, secs, reqs.clone()).await?;
    let mut ok = merged(&by, |c| c == 201);
    println!("| **messages to a class of about 30 at {rate:.0}/s** | {:.2} | **{:.2}** | {} |", ok.pct(0.5), ok.pct(0.99), count(&by, |c| c != 201));
    // What the server sustains: 16 senders, each sending as soon as the previous one is stored.
    let (sat, elapsed) = crate::closed(addr, 16, secs, reqs).await?;
    let per_sec = count(&sat, |_| true) as f64 / elapsed;
    let mut ok = merged(&sat, |c| c == 201);
    println!("| messages to a class of about 30, saturation: **{per_sec:.0}/s** | {:.2} | {:.2} | {} |", ok.pct(0.5), ok.pct(0.99), count(&sat, |c| c != 201));
    Ok(())
}

/// The server's memory per open `/events` stream.
async fn streams_memory(addr: &str, pid: u32, s: &School, n: usize) -> Result<()> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(pid)?;
    let (_rx, tasks) = open_streams(addr, &s.pupils, n).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid)?;
    for t in tasks {
        t.abort();
    }
    println!(
        "\n{n} open `/events` streams: RSS {:.1} → {:.1} MiB, **{:.1} KiB per stream**",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / n as f64
    );
    Ok(())
}

async fn one_backend(a: &crate::Args, root: &Path, feed: &Path, name: &str, pg: Option<&str>) -> Result<()> {
    let data = root.join(name);
    let url = pg.map(str::to_owned).unwrap_or_else(|| format!("sqlite://{}", data.join("preau.db").display()));
    let s = prepare(&a.bin, &data, &url, feed, pg).await?;
    let port = 19_000 + (std::process::id() % 500) as u16 + if pg.is_some() { 500 } else { 0 };
    let server = crate::spawn_with(&a.bin, &data, port, "serve", pg)?;
    ready(&server.addr, Instant::now()).await?;
    println!("\n## {name}: a collège of {} pupils, {} classes\n", s.pupils.len(), s.classes.len());
    println!("| phase | p50 ms | p99 ms | failed |\n|---|---|---|---|");
    picker(&server.addr, &s, 200.0, a.secs).await?;
    big_message(&server.addr, &s, 20).await?;
    sustained(&server.addr, &s, 500.0, a.secs).await?;
    streams_memory(&server.addr, server.child.id(), &s, 10_000).await?;
    Ok(())
}

pub async fn bench(a: &crate::Args) -> Result<()> {
    let root = std::env::temp_dir().join(format!("preau-messaging-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let feed = root.join("feed");
    let made =
        Command::new(&a.bin).args(["demo", "--export-aaf"]).arg(&feed).args(["--accounts", "6250", "--per-school", "2000"]).stdout(Stdio::null()).status()?;
    if !made.success() {
        bail!("the feed was not generated");
    }
    println!("# Préau communication benchmark — binary {}, {} s per load phase", a.bin.display(), a.secs);
    one_backend(a, &root, &feed, "SQLite", None).await?;
    if let Some(url) = &a.postgres {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(url).await?;
        let db = format!("preau_msg_bench_{}", std::process::id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).execute(&admin).await?;
        let db_url = format!("{}/{db}", url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url));
        let result = one_backend(a, &root, &feed, "PostgreSQL", Some(&db_url)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {db} WITH (FORCE)"))).execute(&admin).await?;
        result?;
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
