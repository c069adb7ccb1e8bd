//! `--documents`: the documents benchmark (issue: documents). On the demo territory, as the
//! demo teacher, in one run on the same disk:
//! - a 1 GiB file uploaded and downloaded through the API, in three rounds, each against the
//!   same round's `cp` and `cat` of the same file (the ratio is the share of the plain copy's
//!   throughput Préau reaches), a synced `cp`, and the same bytes carried by a bare loopback
//!   socket with no HTTP (what any service reached through a socket can do here); then `cat`
//!   and the download again from the disk, the files dropped from the page cache first (GNU
//!   `dd iflag=nocache`); the server's peak RSS during the uploads over its idle RSS;
//! - 1,000 small files (16 KiB) uploaded then downloaded one after the other on one
//!   connection, against `cp -r` and `cat` of the same files;
//! - 100 uploads of 10 MiB started together, each on its own connection: their p50/p99 and the
//!   server's peak RSS.
//!
//! The client streams from and to disk in 1 MiB chunks over raw HTTP/1.1, so it holds no file
//! in memory either.

use crate::{Stats, ready, rss_kib, spawn};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MIB: u64 = 1024 * 1024;
const BIG: u64 = 1024 * MIB;
const SMALL: usize = 16 * 1024;
const SMALL_FILES: usize = 1000;
const CONCURRENT: usize = 100;
const CONCURRENT_SIZE: u64 = 10 * MIB;

/// The teacher's API session: (cookie, CSRF token), and their space's code.
struct Session {
    cookie: String,
    csrf: String,
    space: String,
}

async fn session(addr: &str) -> Result<Session> {
    let mut c = crate::http::Conn::open(addr).await?;
    let r = c.send_json("POST", "/api/v1/session", "", &format!(r#"{{"login":"{}","password":"{}"}}"#, crate::TEACHER.0, crate::TEACHER.1)).await?;
    let cookie = r.set_cookie.context("teacher login")?;
    let body = c.body();
    let csrf = body.split("\"csrf\":\"").nth(1).and_then(|s| s.split('"').next()).context("csrf")?.to_owned();
    c.get("/api/v1/documents/spaces", Some(&cookie)).await?;
    let spaces = c.body();
    let person = spaces.split("\"person\":\"").nth(1).and_then(|s| s.split('"').next()).context("personal space")?.to_owned();
    Ok(Session { cookie, csrf, space: format!("person:{person}") })
}

/// Writes `size` bytes of varied content to `path`.
fn make_file(path: &Path, size: u64, seed: u64) -> Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::with_capacity(MIB as usize, std::fs::File::create(path)?);
    let mut x = seed | 1;
    let mut block = vec![0u8; MIB as usize];
    let mut left = size;
    while left > 0 {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let n = left.min(MIB) as usize;
        f.write_all(&block[..n])?;
        left -= n as u64;
    }
    f.flush()?;
    f.get_ref().sync_all()?;
    Ok(())
}

/// Reads an HTTP response's head: (status, content length).
async fn read_head(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(u16, u64)> {
    buf.clear();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await? == 0 {
            bail!("connection closed in the response head");
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(buf);
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).context("status")?;
    let len = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<u64>())).transpose()?.unwrap_or(0);
    Ok((status, len))
}

/// Reads and drops `len` bytes of body.
async fn drain(s: &mut TcpStream, mut len: u64, chunk: &mut [u8]) -> Result<()> {
    let size = chunk.len() as u64;
    while len > 0 {
        let n = s.read(&mut chunk[..len.min(size) as usize]).await?;
        if n == 0 {
            bail!("connection closed in the body");
        }
        len -= n as u64;
    }
    Ok(())
}

/// Uploads the file at `path` as `name` on a keep-alive connection; returns the new file's id.
async fn upload(s: &mut TcpStream, addr: &str, who: &Session, path: &Path, name: &str) -> Result<String> {
    let size = tokio::fs::metadata(path).await?.len();
    let head = format!(
        "PUT /api/v1/documents/spaces/{}/files?name={name} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\nContent-Length: {size}\r\n\r\n",
        who.space, who.cookie, who.csrf
    );
    s.write_all(head.as_bytes()).await?;
    // Plain reads from the page cache (tens of microseconds per MiB): `tokio::fs` would add a
    // copy and a hop to another thread per chunk, on the cores the server needs.
    let mut f = std::fs::File::open(path)?;
    let mut chunk = vec![0u8; MIB as usize];
    loop {
        let n = std::io::Read::read(&mut f, &mut chunk)?;
        if n == 0 {
            break;
        }
        s.write_all(&chunk[..n]).await?;
    }
    let mut buf = Vec::with_capacity(1024);
    let (status, len) = read_head(s, &mut buf).await?;
    let mut body = vec![0u8; len as usize];
    s.read_exact(&mut body).await?;
    let body = String::from_utf8_lossy(&body);
    if status != 201 && status != 200 {
        bail!("upload of {name} answered {status}: {body}");
    }
    Ok(body.split("\"id\":\"").nth(1).and_then(|s| s.split('"').next()).context("id")?.to_owned())
}

/// Downloads a file on a keep-alive connection, dropping its bytes; returns their number.
async fn download(s: &mut TcpStream, addr: &str, who: &Session, id: &str, chunk: &mut [u8]) -> Result<u64> {
    let req = format!("GET /api/v1/documents/nodes/{id}/content HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\r\n", who.cookie);
    s.write_all(req.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    let (status, len) = read_head(s, &mut buf).await?;
    if status != 200 {
        bail!("download answered {status}");
    }
    drain(s, len, chunk).await?;
    Ok(len)
}

/// Deletes a file for good (trash, then out of it), to free the quota for the next phase.
async fn destroy(addr: &str, who: &Session, id: &str) -> Result<()> {
    let mut c = crate::http::Conn::open(addr).await?;
    let h = format!("Cookie: {}\r\nX-CSRF-Token: {}\r\n", who.cookie, who.csrf);
    c.send_json("DELETE", &format!("/api/v1/documents/nodes/{id}"), &h, "").await?;
    c.send_json("DELETE", &format!("/api/v1/documents/trash/{id}"), &h, "").await?;
    Ok(())
}

async fn connect(addr: &str) -> Result<TcpStream> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn timed(cmd: &mut Command) -> Result<Duration> {
    let t = Instant::now();
    let st = cmd.status()?;
    if !st.success() {
        bail!("{cmd:?} failed");
    }
    Ok(t.elapsed())
}

fn mib_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / MIB as f64 / d.as_secs_f64()
}

/// Samples a process's RSS every 20 ms until told to stop; returns the highest, in KiB.
fn watch_rss(pid: u32) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<u64>) {
    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let h = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            if rx.try_recv().is_ok() {
                return peak;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    (tx, h)
}

/// Drops the files under `path` (a file or a folder) from the page cache, with GNU `dd`'s
/// `iflag=nocache`, so that the next read comes from the disk.
fn evict(path: &Path) -> Result<()> {
    let st = Command::new("find").arg(path).args(["-type", "f", "-exec", "dd", "iflag=nocache", "count=0", "status=none"]).arg("if={}").arg(";").status()?;
    if !st.success() {
        bail!("could not drop {} from the page cache", path.display());
    }
    Ok(())
}

/// How the bare socket's sender hands the file to the socket.
#[derive(Clone, Copy, PartialEq)]
enum Sending {
    /// Reads of 1 MiB into a buffer, each written to the socket (as a server in user space).
    Copied,
    /// `std::io::copy` from the file to the socket, which Linux does with `sendfile`: no copy
    /// through user space on the sending side (as a zero-copy server).
    ZeroCopy,
}

/// The same bytes through a loopback TCP connection and nothing else, as `nc` carries them: a
/// thread sends `src` over the socket; the other end reads it 1 MiB at a time and writes it to
/// `dst` (an upload's bytes landing in a file, unsynced like `cp`'s) or drops it (a download's
/// bytes reaching their client). No HTTP, no rights, no database: what a service reached
/// through a socket can do on this machine.
fn bare_socket(src: &Path, dst: Option<&Path>, sending: Sending) -> Result<Duration> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let dst = dst.map(Path::to_owned);
    let receiver = std::thread::spawn(move || -> std::io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut out = dst.map(std::fs::File::create).transpose()?;
        let mut buf = vec![0u8; MIB as usize];
        let mut total = 0;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            if let Some(f) = out.as_mut() {
                f.write_all(&buf[..n])?;
            }
            total += n as u64;
        }
    });
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    let mut f = std::fs::File::open(src)?;
    match sending {
        Sending::ZeroCopy => {
            std::io::copy(&mut f, &mut s)?;
        }
        Sending::Copied => {
            let mut buf = vec![0u8; MIB as usize];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n])?;
            }
        }
    }
    drop(s);
    let got = receiver.join().map_err(|_| anyhow::anyhow!("the socket's receiver panicked"))??;
    let took = t.elapsed();
    if got != std::fs::metadata(src)?.len() {
        bail!("the bare socket carried {got} bytes");
    }
    Ok(took)
}

/// Rounds of the 1 GiB measurements: each figure is the median of its rounds, each ratio the
/// median of its rounds' ratios (a plain copy and Préau compared within the same round).
const ROUNDS: usize = 3;

/// One round's timings of the 1 GiB file: Préau's upload and downloads, and their baselines.
struct BigRound {
    cp: Duration,
    cp_sync: Duration,
    socket_up: Duration,
    up: Duration,
    cat: Duration,
    piped: Duration,
    socket_down: Duration,
    sendfile_down: Duration,
    down: Duration,
    cold_cat: Duration,
    cold_down: Duration,
    /// The server's peak RSS while uploading, KiB.
    peak: u64,
}

/// Times one round of the baselines and of Préau with the file at `src`, then deletes what it
/// uploaded.
async fn big_round(addr: &str, who: &Session, pid: u32, work: &Path, data: &Path, src: &Path) -> Result<BigRound> {
    let copy = work.join("big-copy.bin");
    let cp = timed(Command::new("cp").arg(src).arg(&copy))?;
    let cat = timed(Command::new("cat").arg(&copy).stdout(std::process::Stdio::null()))?;
    // A durable copy, as an upload is: the copy synced to the disk before it counts.
    let durable = work.join("big-durable.bin");
    let cp_sync = timed(Command::new("sh").arg("-c").arg(format!("cp '{}' '{}' && sync '{}'", src.display(), durable.display(), durable.display())))?;
    std::fs::remove_file(&durable)?;
    // The same bytes handed to another process, as a download hands them to its client: read
    // from the page cache, then copied through a pipe (a download's two copies, without HTTP).
    let piped = timed(Command::new("sh").arg("-c").arg(format!("cat '{}' | cat > /dev/null", copy.display())))?;
    // The same bytes through a bare loopback socket: into a file, as an upload; out of the
    // file, as a download.
    let socket_file = work.join("big-socket.bin");
    let socket_up = bare_socket(src, Some(&socket_file), Sending::Copied)?;
    std::fs::remove_file(&socket_file)?;
    let socket_down = bare_socket(&copy, None, Sending::Copied)?;
    let sendfile_down = bare_socket(&copy, None, Sending::ZeroCopy)?;
    // The same `cat` from the disk: the copy written to the disk (a page still to be written
    // cannot be dropped), then dropped from the page cache.
    std::fs::File::open(&copy)?.sync_all()?;
    evict(&copy)?;
    let cold_cat = timed(Command::new("cat").arg(&copy).stdout(std::process::Stdio::null()))?;
    std::fs::remove_file(&copy)?;
    let (stop, peak) = watch_rss(pid);
    let mut s = connect(addr).await?;
    let t = Instant::now();
    let id = upload(&mut s, addr, who, src, "big.bin").await?;
    let up = t.elapsed();
    let _ = stop.send(());
    let peak = peak.await?;
    let mut chunk = vec![0u8; MIB as usize];
    let t = Instant::now();
    let got = download(&mut s, addr, who, &id, &mut chunk).await?;
    let down = t.elapsed();
    if got != BIG {
        bail!("downloaded {got} bytes of {BIG}");
    }
    // The same download from the disk: the server's files dropped from the page cache first.
    evict(&data.join("documents"))?;
    let t = Instant::now();
    download(&mut s, addr, who, &id, &mut chunk).await?;
    let cold_down = t.elapsed();
    destroy(addr, who, &id).await?;
    Ok(BigRound { cp, cp_sync, socket_up, up, cat, piped, socket_down, sendfile_down, down, cold_cat, cold_down, peak })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Prints a row of the 1 GiB table: `what`'s median time and throughput, and the median and
/// each round of `ratio`.
/// A ratio printed beside a row: its label and how a round gives it.
type Ratio<'a> = (&'a str, &'a dyn Fn(&BigRound) -> f64);

fn big_row(rounds: &[BigRound], what: &str, time: fn(&BigRound) -> Duration, ratio: Option<Ratio>) {
    let secs = median(rounds.iter().map(|r| time(r).as_secs_f64()).collect());
    let ratio = ratio.map_or(String::new(), |(label, f)| {
        let each: Vec<f64> = rounds.iter().map(f).collect();
        let list = each.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ");
        format!("{label}**{:.2}** ({list})", median(each))
    });
    println!("| {what} | {secs:.2} | {:.0} | {ratio} |", BIG as f64 / MIB as f64 / secs);
}

async fn big_file(addr: &str, who: &Session, pid: u32, work: &Path, data: &Path) -> Result<()> {
    let src = work.join("big.bin");
    make_file(&src, BIG, 7)?;
    let idle = rss_kib(pid)?;
    let mut rounds = vec![];
    for _ in 0..ROUNDS {
        rounds.push(big_round(addr, who, pid, work, data, &src).await?);
    }
    std::fs::remove_file(&src)?;
    let over = |a: fn(&BigRound) -> Duration, b: fn(&BigRound) -> Duration| move |r: &BigRound| a(r).as_secs_f64() / b(r).as_secs_f64();
    println!("\n## one file of 1 GiB (same disk, same run; medians of {ROUNDS} rounds)");
    println!("| what | seconds | MiB/s | ratio: median (each round) |\n|---|---|---|---|");
    big_row(&rounds, "`cp` (baseline)", |r| r.cp, None);
    big_row(&rounds, "upload through the API", |r| r.up, Some(("upload / `cp`: ", &over(|r| r.cp, |r| r.up))));
    big_row(&rounds, "`cp` then `sync` of the copy (durable, as an upload is)", |r| r.cp_sync, Some(("upload / it: ", &over(|r| r.cp_sync, |r| r.up))));
    big_row(
        &rounds,
        "the file through a bare loopback socket into a file (no HTTP, no sync)",
        |r| r.socket_up,
        Some(("upload / it: ", &over(|r| r.socket_up, |r| r.up))),
    );
    big_row(&rounds, "`cat > /dev/null` (baseline)", |r| r.cat, None);
    big_row(&rounds, "download through the API", |r| r.down, Some(("download / `cat`: ", &over(|r| r.cat, |r| r.down))));
    big_row(&rounds, r"`cat \| cat > /dev/null` (through a pipe to another process)", |r| r.piped, Some(("download / it: ", &over(|r| r.piped, |r| r.down))));
    big_row(
        &rounds,
        "the file through a bare loopback socket to a client (no HTTP)",
        |r| r.socket_down,
        Some(("download / it: ", &over(|r| r.socket_down, |r| r.down))),
    );
    big_row(
        &rounds,
        "the file sent with `sendfile` (zero copy on the sending side) through a bare loopback socket to a client",
        |r| r.sendfile_down,
        Some(("download / it: ", &over(|r| r.sendfile_down, |r| r.down))),
    );
    big_row(&rounds, "`cat` from the disk (the file dropped from the page cache)", |r| r.cold_cat, None);
    big_row(
        &rounds,
        "download from the disk (the server's files dropped from the page cache)",
        |r| r.cold_down,
        Some(("download / `cat` from the disk: ", &over(|r| r.cold_cat, |r| r.cold_down))),
    );
    let socket = median(rounds.iter().map(over(|r| r.cat, |r| r.socket_down)).collect());
    let sendfile = median(rounds.iter().map(over(|r| r.cat, |r| r.sendfile_down)).collect());
    println!("(a bare socket carries the file at {socket:.2} of `cat > /dev/null`'s speed, {sendfile:.2} with `sendfile`)");
    let peak = rounds.iter().map(|r| r.peak).max().unwrap_or(0);
    println!(
        "server RSS: idle {} MiB, peak while uploading {} MiB, +{} MiB (target: ≤ 64 MiB over idle)",
        idle / 1024,
        peak / 1024,
        peak.saturating_sub(idle) / 1024
    );
    Ok(())
}

async fn small_files(addr: &str, who: &Session, work: &Path) -> Result<()> {
    let dir = work.join("small");
    std::fs::create_dir_all(&dir)?;
    for i in 0..SMALL_FILES {
        make_file(&dir.join(format!("f{i:04}.bin")), SMALL as u64, i as u64 + 11)?;
    }
    let copy = work.join("small-copy");
    let cp = timed(Command::new("cp").arg("-r").arg(&dir).arg(&copy))?;
    let mut cat = Command::new("sh");
    cat.arg("-c").arg(format!("cat {}/* > /dev/null", copy.display()));
    let cat = timed(&mut cat)?;
    let total = (SMALL * SMALL_FILES) as u64;
    let mut s = connect(addr).await?;
    let t = Instant::now();
    let mut ids = vec![];
    for i in 0..SMALL_FILES {
        ids.push(upload(&mut s, addr, who, &dir.join(format!("f{i:04}.bin")), &format!("f{i:04}.bin")).await?);
    }
    let up = t.elapsed();
    let mut chunk = vec![0u8; MIB as usize];
    let t = Instant::now();
    for id in &ids {
        download(&mut s, addr, who, id, &mut chunk).await?;
    }
    let down = t.elapsed();
    println!("\n## 1,000 files of 16 KiB, one after the other on one connection\n| what | seconds | files/s | ratio to the plain copy |\n|---|---|---|---|");
    let per = |d: Duration| SMALL_FILES as f64 / d.as_secs_f64();
    println!("| `cp -r` (baseline) | {:.3} | {:.0} | 1.00 |", cp.as_secs_f64(), per(cp));
    println!("| uploads through the API | {:.3} | {:.0} | {:.2} |", up.as_secs_f64(), per(up), cp.as_secs_f64() / up.as_secs_f64());
    println!("| `cat` (baseline) | {:.3} | {:.0} | 1.00 |", cat.as_secs_f64(), per(cat));
    println!("| downloads through the API | {:.3} | {:.0} | {:.2} |", down.as_secs_f64(), per(down), cat.as_secs_f64() / down.as_secs_f64());
    println!("({} MiB in all)", total / MIB);
    std::fs::remove_dir_all(&dir)?;
    std::fs::remove_dir_all(&copy)?;
    for id in &ids {
        destroy(addr, who, id).await?;
    }
    Ok(())
}

async fn concurrent(addr: &str, who: &Session, pid: u32, work: &Path) -> Result<()> {
    let src = work.join("ten.bin");
    make_file(&src, CONCURRENT_SIZE, 3)?;
    let idle = rss_kib(pid)?;
    let (stop, peak) = watch_rss(pid);
    let start = Instant::now();
    let mut tasks = vec![];
    for i in 0..CONCURRENT {
        let (addr, src) = (addr.to_owned(), src.clone());
        let who = Session { cookie: who.cookie.clone(), csrf: who.csrf.clone(), space: who.space.clone() };
        tasks.push(tokio::spawn(async move {
            let mut s = connect(&addr).await?;
            upload(&mut s, &addr, &who, &src, &format!("c{i:03}.bin")).await?;
            Ok::<_, anyhow::Error>(start.elapsed())
        }));
    }
    let mut st = Stats::default();
    for t in tasks {
        st.latencies_us.push(t.await??.as_micros() as u64);
    }
    let all = start.elapsed();
    let _ = stop.send(());
    let peak = peak.await?;
    println!("\n## {CONCURRENT} uploads of 10 MiB started together, one connection each");
    println!(
        "p50 {:.0} ms, p99 {:.0} ms (target: p99 ≤ 2 s); all done in {:.2} s, {:.0} MiB/s",
        st.pct(0.5),
        st.pct(0.99),
        all.as_secs_f64(),
        mib_s(CONCURRENT_SIZE * CONCURRENT as u64, all)
    );
    println!("server RSS: before {} MiB, peak during the uploads {} MiB, +{} MiB", idle / 1024, peak / 1024, peak.saturating_sub(idle) / 1024);
    std::fs::remove_file(&src)?;
    Ok(())
}

pub async fn bench(a: &crate::Args) -> Result<()> {
    // The work files sit beside the server's data folder: the same disk.
    let root = std::env::temp_dir().join(format!("preau-bench-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (data, work) = (root.join("data"), root.join("work"));
    std::fs::create_dir_all(&work)?;
    let port = 20_000 + (std::process::id() % 1000) as u16;
    let s = spawn(&a.bin, &data, port, "demo")?;
    ready(&s.addr, Instant::now()).await?;
    let who = session(&s.addr).await?;
    println!("# Préau documents benchmark — binary {}, files under {}", a.bin.display(), root.display());
    let pid = s.child.id();
    big_file(&s.addr, &who, pid, &work, &data).await?;
    small_files(&s.addr, &who, &work).await?;
    concurrent(&s.addr, &who, pid, &work).await?;
    drop(s);
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
