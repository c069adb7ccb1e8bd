//! `--timetable`: the timetable benchmark (issue: timetable and cahier de textes). On the demo
//! territory (its courses cover the school year under way), in one run:
//! - a pupil's week (`GET /api/v1/timetable?week=…`, JSON) and week page (`/timetable?week=…`,
//!   HTML) at a fixed arrival rate, beside `/healthz` at the same rate, then at saturation;
//! - the calendar feed (`/ics/<token>`) of the demo teacher with the most courses, fetched one
//!   after the other, and that teacher's whole school year through the API (as the territory
//!   admin), which computes the same lessons and names without writing iCalendar.
//!
//! - a pupil's homework due from today over two weeks (`GET /api/v1/homework`, JSON, and the
//!   `/cahier` page, as asked every evening), after a school year of homework is written into the demo's database: one item per
//!   course per week (a class sees some fifteen a week), each with its classes, and the pupil's
//!   ticks on some; at the same rate, then at saturation.
//!
//! The week asked for is the first full week of October of the school year under way (never a
//! holiday), whatever day the benchmark runs.

use crate::http::Conn;
use crate::{Req, admin_session, closed, count, merged, open, ready, spawn};
use anyhow::{Context, Result, bail};
use sqlx::Row;
use std::path::Path;
use std::time::Instant;

const PUPIL: (&str, &str) = ("lucie.demo-eleve", "demo-eleve");
const RATE: f64 = 2000.0;
const CONNS: usize = 32;

/// The school year under way, by the year it starts in.
fn school_year() -> Result<i32> {
    let days = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64 / 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Ok(if month >= 8 { year } else { year - 1 })
}

/// The demo teacher with the most courses, and how many; a calendar feed address made for them
/// straight in the database (the address a person makes from their week page).
async fn busiest_teacher_feed(db: &Path) -> Result<(String, i64, String)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let row = sqlx::query("SELECT person_id, COUNT(*) AS n FROM tt_course_teachers GROUP BY person_id ORDER BY n DESC LIMIT 1").fetch_one(&pool).await?;
    let (person, courses): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
    let token = "bench-calendar-feed-token-0123456789abcdefghij".to_owned();
    sqlx::query("INSERT INTO calendar_links (person_id, digest, created_at) VALUES ($1, $2, 0)")
        .bind(person.clone())
        .bind(preau_identity::secrets::digest(&token))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok((person, courses, token))
}

/// A school year of homework for every demo course: one item a week, due on the course's
/// weekday, written straight into the database; the pupil ticks every other one of theirs.
/// How many items were written.
async fn seed_homework(db: &Path, year: i32) -> Result<usize> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let courses = sqlx::query("SELECT c.id, c.structure_id, c.subject, c.weekday, (SELECT MIN(person_id) FROM tt_course_teachers t WHERE t.course_id = c.id) AS teacher, (SELECT MIN(group_id) FROM tt_course_groups g WHERE g.course_id = c.id) AS grp FROM tt_courses c")
        .fetch_all(&pool)
        .await?;
    let pupil: String = sqlx::query("SELECT id FROM people WHERE login = $1").bind(PUPIL.0).fetch_one(&pool).await?.try_get(0)?;
    let mine: Vec<String> = sqlx::query("SELECT group_id FROM group_members WHERE person_id = $1")
        .bind(pupil.clone())
        .fetch_all(&pool)
        .await?
        .iter()
        .filter_map(|r| r.try_get(0).ok())
        .collect();
    let start = chrono::NaiveDate::from_ymd_opt(year, 9, 7).context("date")?;
    let mut tx = pool.begin().await?;
    let mut n = 0;
    for c in &courses {
        let (id, structure, subject, weekday): (String, String, String, i64) = (c.try_get(0)?, c.try_get(1)?, c.try_get(2)?, c.try_get(3)?);
        let (teacher, group): (Option<String>, Option<String>) = (c.try_get(4)?, c.try_get(5)?);
        let (Some(teacher), Some(group)) = (teacher, group) else { continue };
        for week in 0..40u64 {
            let due = start + chrono::Days::new(week * 7 + weekday as u64 - 1);
            let set_on = due - chrono::Days::new(7);
            let hw = uuid::Uuid::now_v7().to_string();
            sqlx::query("INSERT INTO cdt_homework (id, structure_id, course_id, set_on, subject, teacher_id, due_date, instructions, minutes, attachments, hand_in, publish_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 20, '[]', 0, 0, 0, 0)")
                .bind(hw.clone()).bind(structure.clone()).bind(id.clone()).bind(set_on.to_string()).bind(subject.clone()).bind(teacher.clone()).bind(due.to_string())
                .bind(format!("<p>Exercices {} et {} page {}</p>", week + 1, week + 2, 10 + week * 3))
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO cdt_homework_groups (group_id, due_date, homework_id) VALUES ($1, $2, $3)")
                .bind(group.clone())
                .bind(due.to_string())
                .bind(hw.clone())
                .execute(&mut *tx)
                .await?;
            if mine.contains(&group) && n % 2 == 0 {
                sqlx::query("INSERT INTO cdt_done (pupil_id, homework_id, at) VALUES ($1, $2, 0)").bind(pupil.clone()).bind(hw).execute(&mut *tx).await?;
            }
            n += 1;
        }
    }
    tx.commit().await?;
    pool.close().await;
    Ok(n)
}

/// The demo school with the most courses, and its timetable as the CSV a timetabling tool
/// would export (teachers by login, classes by code); with `moved`, every tenth course in
/// another room.
async fn school_csv(db: &Path, moved: bool) -> Result<(String, usize, String)> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", db.display())).await?;
    let structure: String =
        sqlx::query("SELECT structure_id FROM tt_courses GROUP BY structure_id ORDER BY COUNT(*) DESC LIMIT 1").fetch_one(&pool).await?.try_get(0)?;
    let rows = sqlx::query("SELECT c.weekday, c.start_minute, c.end_minute, c.subject, c.room, c.weeks, (SELECT MIN(g.code) FROM tt_course_groups cg JOIN class_groups g ON g.id = cg.group_id WHERE cg.course_id = c.id) AS grp, (SELECT MIN(p.login) FROM tt_course_teachers t JOIN people p ON p.id = t.person_id WHERE t.course_id = c.id) AS teacher FROM tt_courses c WHERE c.structure_id = $1 AND c.source <> 'csv' ORDER BY c.id")
        .bind(structure.clone())
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    let mut csv = String::from("jour;debut;fin;matiere;classes;professeurs;salle;semaines\n");
    let hm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    for (i, r) in rows.iter().enumerate() {
        let (day, start, end, subject, room, weeks): (i64, i64, i64, String, String, String) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
        let (group, teacher): (Option<String>, Option<String>) = (r.try_get(6)?, r.try_get(7)?);
        let room = if moved && i % 10 == 0 { format!("{room}-bis") } else { room };
        csv.push_str(&format!("{day};{};{};{subject};{};{};{room};{weeks}\n", hm(start), hm(end), group.unwrap_or_default(), teacher.unwrap_or_default()));
    }
    Ok((structure, rows.len(), csv))
}

/// Posts a CSV import as the admin; the time in ms and the report.
async fn timed_import(addr: &str, admin: &(String, String), structure: &str, csv: &str) -> Result<(f64, String)> {
    let mut c = Conn::open(addr).await?;
    let t = Instant::now();
    let r = c
        .send_json("POST", &format!("/api/v1/structures/{structure}/timetable/import"), &format!("Cookie: {}\r\nX-CSRF-Token: {}\r\n", admin.0, admin.1), csv)
        .await?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if r.status != 200 {
        bail!("import answered {}: {}", r.status, c.body());
    }
    Ok((ms, c.body()))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Fetches `path` `n` times on one connection; the latencies in ms, sorted, and the last body.
async fn sequential(addr: &str, path: &str, cookie: Option<&str>, n: usize) -> Result<(Vec<f64>, String)> {
    let mut c = Conn::open(addr).await?;
    let mut ms = vec![];
    for _ in 0..n {
        let t = Instant::now();
        let r = c.get(path, cookie).await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        if r.status != 200 {
            bail!("{path} answered {}", r.status);
        }
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms, c.body()))
}

/// Each phase (a baseline, a JSON endpoint, a page) at [`RATE`] in an open loop, then at
/// saturation in a closed loop; the tables and the ratios to the baseline.
async fn at_rate_then_saturated(addr: &str, secs: f64, what: &str, phases: &[(&str, Req)]) -> Result<()> {
    println!("\n## {what}, open loop at {RATE:.0} req/s, {CONNS} connections\n| endpoint | req/s | p50 ms | p99 ms | non-200 |\n|---|---|---|---|---|");
    let mut p99s = vec![];
    for (name, req) in phases {
        let (by, el) = open(addr, CONNS, RATE, secs, vec![req.clone()]).await?;
        let mut st = merged(&by, |_| true);
        let ok = count(&by, |c| c == 200);
        let p99 = st.pct(0.99);
        p99s.push(p99);
        println!("| {name} | {:.0} | {:.2} | {p99:.2} | {} |", st.latencies_us.len() as f64 / el, st.pct(0.5), st.latencies_us.len() - ok);
    }
    println!("p99 ratio to /healthz at the same rate: JSON {:.2}, page {:.2}", p99s[1] / p99s[0], p99s[2] / p99s[0]);
    println!("\n## {what}, saturation (closed loop, {CONNS} connections)\n| endpoint | req/s | p50 ms | p99 ms |\n|---|---|---|---|");
    let mut rates = vec![];
    for (name, req) in phases {
        let (by, el) = closed(addr, CONNS, secs, vec![req.clone()]).await?;
        let mut st = merged(&by, |c| c == 200);
        let r = st.latencies_us.len() as f64 / el;
        rates.push(r);
        println!("| {name} | {r:.0} | {:.2} | {:.2} |", st.pct(0.5), st.pct(0.99));
    }
    println!("throughput ratio to /healthz: JSON {:.2}, page {:.2}", rates[1] / rates[0], rates[2] / rates[0]);
    Ok(())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub async fn bench(a: &crate::Args) -> Result<()> {
    let data = std::env::temp_dir().join(format!("preau-bench-timetable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let port = 21_000 + (std::process::id() % 1000) as u16;
    let s = spawn(&a.bin, &data, port, "demo")?;
    ready(&s.addr, Instant::now()).await?;
    let year = school_year()?;
    let week = format!("{year}-10-07");
    println!("# Préau timetable benchmark — binary {}, {} s per load phase, week of {week}", a.bin.display(), a.secs);

    let mut c = Conn::open(&s.addr).await?;
    let r = c.post_form("/login", &format!("login={}&password={}", PUPIL.0, PUPIL.1)).await?;
    let cookie = r.set_cookie.with_context(|| format!("pupil login answered {}", r.status))?;
    let api = leak(format!("/api/v1/timetable?week={week}"));
    let page = leak(format!("/timetable?week={week}"));
    let lessons = c.get(api, Some(&cookie)).await.map(|_| c.body().matches("\"course\"").count())?;
    if lessons == 0 {
        bail!("the pupil's week has no lessons");
    }
    println!("the pupil's week: {lessons} lessons");

    let phases = [
        ("/healthz (baseline)", Req::Get("/healthz", None)),
        ("week, JSON (`/api/v1/timetable`)", Req::Get(api, Some(cookie.clone()))),
        ("week page (`/timetable`)", Req::Get(page, Some(cookie.clone()))),
    ];
    at_rate_then_saturated(&s.addr, a.secs, "a pupil's week", &phases).await?;

    // Homework due over two weeks.
    let written = seed_homework(&data.join("preau.db"), year).await?;
    // As the pupil asks every evening: from today, two weeks (the default).
    let (due_api, due_page) = ("/api/v1/homework", "/cahier");
    let items = c.get(due_api, Some(&cookie)).await.map(|_| c.body().matches("\"instructions\"").count())?;
    if items == 0 {
        bail!("the pupil has no homework due");
    }
    let phases = [
        ("/healthz (baseline)", Req::Get("/healthz", None)),
        ("homework due, JSON (`/api/v1/homework`)", Req::Get(due_api, Some(cookie.clone()))),
        ("cahier page (`/cahier`)", Req::Get(due_page, Some(cookie.clone()))),
    ];
    let what = format!("a pupil's homework due over two weeks ({items} items; {written} written for the school year)");
    at_rate_then_saturated(&s.addr, a.secs, &what, &phases).await?;

    // The busiest teacher's calendar feed and whole year.
    let (teacher, courses, token) = busiest_teacher_feed(&data.join("preau.db")).await?;
    let (health, _) = sequential(&s.addr, "/healthz", None, 200).await?;
    let (feed, ics) = sequential(&s.addr, &format!("/ics/{token}"), None, 200).await?;
    let events = ics.matches("BEGIN:VEVENT").count();
    let admin = admin_session(&s.addr, &data.join("preau.db")).await?;
    let year_path = format!("/api/v1/timetable?person={teacher}&from={year}-09-01&to={}-07-31", year + 1);
    let (whole, body) = sequential(&s.addr, &year_path, Some(&admin.0), 100).await?;
    let year_lessons = body.matches("\"course\"").count();
    println!("\n## the calendar of the demo teacher with the most courses ({courses} weekly courses), one request after the other");
    println!("| request | what it holds | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|");
    println!("| `/healthz` (baseline, 200) | | {:.2} | {:.2} | {:.2} |", pct(&health, 0.5), pct(&health, 0.99), health[health.len() - 1]);
    println!(
        "| calendar feed `/ics/…` (200) | {events} events, from a week ago to the end of the school year, {} KiB | {:.2} | {:.2} | {:.2} |",
        ics.len() / 1024,
        pct(&feed, 0.5),
        pct(&feed, 0.99),
        feed[feed.len() - 1]
    );
    println!(
        "| the whole school year through the API (100) | {year_lessons} lessons, 1 September to 31 July | {:.2} | {:.2} | {:.2} |",
        pct(&whole, 0.5),
        pct(&whole, 0.99),
        whole[whole.len() - 1]
    );

    // A whole school's timetable imported, then imported again: unchanged, and with a tenth
    // of its courses moved to another room (alternately, so each run applies changes).
    let (structure, n, csv) = school_csv(&data.join("preau.db"), false).await?;
    let (_, _, moved) = school_csv(&data.join("preau.db"), true).await?;
    let (list, _) = sequential(&s.addr, &format!("/api/v1/structures/{structure}/courses"), Some(&admin.0), 20).await?;
    let (first, report) = timed_import(&s.addr, &admin, &structure, &csv).await?;
    println!("\n## a whole school's timetable imported from CSV ({n} courses, {} KiB)\nfirst import: {first:.0} ms — {report}", csv.len() / 1024);
    let (mut same, mut changed) = (vec![], vec![]);
    for i in 0..6 {
        let (ms, _) = timed_import(&s.addr, &admin, &structure, &csv).await?;
        same.push(ms);
        let (ms, report) = timed_import(&s.addr, &admin, &structure, if i % 2 == 0 { &moved } else { &csv }).await?;
        if i == 0 {
            println!("re-import with a tenth moved: {report}");
        }
        changed.push(ms);
    }
    same.sort_by(f64::total_cmp);
    changed.sort_by(f64::total_cmp);
    println!("| request | p50 ms | max ms | ratio of max to the 2 s target | ratio of p50 to reading the school's courses |\n|---|---|---|---|---|");
    println!("| reading the school's courses (`GET …/courses`, 20) | {:.1} | {:.1} | | 1.00 |", pct(&list, 0.5), list[list.len() - 1]);
    for (name, t) in [("re-import, unchanged (6)", &same), ("re-import, changes applied (6)", &changed)] {
        println!("| {name} | {:.1} | {:.1} | {:.3} | {:.1} |", pct(t, 0.5), t[t.len() - 1], t[t.len() - 1] / 2000.0, pct(t, 0.5) / pct(&list, 0.5));
    }
    drop(s);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
