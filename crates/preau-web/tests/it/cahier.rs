//! Cahier de textes: a teacher writes up a lesson and sets homework; the class's pupils and
//! their parents read it (a scheduled item only once published), a pupil ticks work done for
//! themselves alone, others are refused; the workload of a class; the head's and inspectors'
//! reads audited, the head's visa locking what it covers; an archived class is read-only. On
//! `messaging::school` (Claire Martin teaches 4B: Zoé, Inès; Hugo is in 4C; Anne Lefèvre is
//! Zoé's mother; Paul Girard is the head); the clock is Monday 21 September 2026, 8:00.

use crate::app::*;
use crate::documents::{id_of, put};
use crate::messaging::{School, school};
use crate::timetable::course;
use axum::http::StatusCode;
use preau_core::Profile;
use preau_directory::DirectoryStore;
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

fn lesson(course: &str, date: &str) -> String {
    format!("/api/v1/cahier/lessons/{course}/{date}")
}

async fn list(s: &School, c: &Client, path: &str) -> Vec<Value> {
    let r = s.app.json(c, "GET", path, None).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.json().as_array().cloned().expect("a list")
}

/// The maths course of 4B on Mondays at 8:00, given by Claire.
async fn maths(s: &School) -> (String, Client) {
    let admin = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let (claire, teacher) = s.browser("Claire", "Martin").await;
    (course(s, &admin, "Mathématiques", "4B", &claire.id.to_string(), (1, "08:00"), "every").await, teacher)
}

async fn audited_reads(s: &School) -> Vec<String> {
    let log = s.app.state.store.audit_log(s.app.system.territory, None, 500).await.expect("audit log");
    log.into_iter().filter(|e| e.action == "cahier.read").map(|e| e.actor).collect()
}

#[tokio::test]
async fn homework_set_in_a_lesson_is_read_by_the_class_and_its_parents_and_ticked_by_the_pupil_alone() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (zoe, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (_, parent) = s.browser("Anne", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let ines = s.who("Inès", "Diallo").await;
    let colleague = s.app.login(&s.app.person("Jean", "Moulin", &s.jv, Profile::Teacher).await).await;

    // The lesson's teacher writes it up; script and handlers are removed, formatting kept.
    let entry =
        json!({"title": "Théorème de Pythagore", "content": "<p onclick=\"x()\">Démonstration <strong>par les aires</strong><script>alert(1)</script></p>"});
    let r = s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(entry.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["content"], "<p>Démonstration <strong>par les aires</strong></p>");
    // Another teacher of the school, or a pupil, may not; nor for a day without the lesson.
    for c in [&colleague, &pupil] {
        assert_eq!(s.app.json(c, "PUT", &lesson(&maths, "2026-09-21"), Some(entry.clone())).await.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-22"), Some(entry)).await.status, StatusCode::NOT_FOUND);
    for c in [&colleague, &pupil] {
        assert_eq!(s.app.json(c, "GET", &lesson(&maths, "2026-09-21"), None).await.status, StatusCode::FORBIDDEN, "the lesson's page is its teachers'");
    }

    // Homework for next Monday's lesson, with a file of her own space; one scheduled for Thursday.
    let doc = id_of(&put(&s, &teacher, &format!("person:{}", s.who("Claire", "Martin").await.id), None, "exercices.pdf", PDF).await);
    let homework = json!({"due": "2026-09-28", "instructions": "Exercices 3 et 4 p. 52", "minutes": 30, "attachments": [doc]});
    let set = s.app.json(&teacher, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(homework)).await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);
    let hw = id_of(&set);
    // A colleague may not set, change or delete homework in her lesson.
    let theirs = json!({"due": "2026-09-28", "instructions": "Autre", "minutes": 5});
    assert_eq!(s.app.json(&colleague, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(theirs.clone())).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&colleague, "PUT", &format!("/api/v1/homework/{hw}"), Some(theirs)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&colleague, "DELETE", &format!("/api/v1/homework/{hw}"), None).await.status, StatusCode::FORBIDDEN);
    // The entry's file too, for the class only.
    let with_file = json!({"title": "Théorème de Pythagore", "content": "Démonstration", "attachments": [doc]});
    let written = s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(with_file)).await;
    let entry_file = format!("/api/v1/cahier/entries/{}/attachments/{doc}", id_of(&written));
    let thursday = T0 + 3 * 86_400;
    let later = json!({"due": "2026-09-28", "instructions": "Apprendre la leçon", "minutes": 45, "publish_at": thursday});
    assert_eq!(s.app.json(&teacher, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(later)).await.status, StatusCode::CREATED);
    // Due before the lesson it is set in, or with a file she cannot read: refused, nothing kept.
    let early = json!({"due": "2026-09-18", "instructions": "Trop tôt", "minutes": 10});
    let r = s.app.json(&teacher, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(early)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("due"), "{}", r.body);
    let zoe_doc = id_of(&put(&s, &pupil, &format!("person:{}", zoe.id), None, "brouillon.pdf", PDF).await);
    let foreign = json!({"due": "2026-09-28", "instructions": "x", "attachments": [zoe_doc]});
    let r = s.app.json(&teacher, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(foreign)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // Zoé sees the published homework by due day, opens its file; not yet Thursday's.
    let due = "/api/v1/homework?from=2026-09-21&to=2026-10-04";
    let seen = list(&s, &pupil, due).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!((seen[0]["subject"].as_str(), seen[0]["due"].as_str(), seen[0]["minutes"].as_u64()), (Some("Mathématiques"), Some("2026-09-28"), Some(30)));
    let file = format!("/api/v1/homework/{hw}/attachments/{doc}");
    assert_eq!(s.app.get_bytes(&pupil, &file).await, PDF);
    assert_eq!(s.app.json(&hugo, "GET", &file, None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get_bytes(&pupil, &entry_file).await, PDF);
    assert_eq!(s.app.json(&hugo, "GET", &entry_file, None).await.status, StatusCode::NOT_FOUND);
    // Her mother sees it; not Inès's; Hugo (4C) has none and may not read Zoé's.
    assert_eq!(list(&s, &parent, &format!("{due}&pupil={}", zoe.id)).await.len(), 1);
    assert_eq!(s.app.json(&parent, "GET", &format!("{due}&pupil={}", ines.id), None).await.status, StatusCode::FORBIDDEN);
    assert!(list(&s, &hugo, due).await.is_empty());
    assert_eq!(s.app.json(&hugo, "GET", &format!("{due}&pupil={}", zoe.id), None).await.status, StatusCode::FORBIDDEN);

    // Zoé ticks it done: she sees her tick, her mother does not; Hugo cannot tick it.
    assert_eq!(s.app.json(&pupil, "PUT", &format!("/api/v1/homework/{hw}/done"), None).await.status, StatusCode::NO_CONTENT);
    assert!(list(&s, &pupil, due).await[0]["done"].is_i64());
    assert!(list(&s, &parent, &format!("{due}&pupil={}", zoe.id)).await[0]["done"].is_null());
    assert_eq!(s.app.json(&hugo, "PUT", &format!("/api/v1/homework/{hw}/done"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&pupil, "DELETE", &format!("/api/v1/homework/{hw}/done"), None).await.status, StatusCode::NO_CONTENT);
    assert!(list(&s, &pupil, due).await[0]["done"].is_null());

    // The lessons' log by subject; the class's workload for its teachers, not its pupils.
    let log = list(&s, &pupil, "/api/v1/cahier/log?from=2026-09-14&to=2026-09-27").await;
    assert_eq!(s.app.json(&hugo, "GET", &format!("/api/v1/cahier/log?pupil={}", zoe.id), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&parent, "GET", &format!("/api/v1/cahier/log?pupil={}", ines.id), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(log.iter().map(|e| e["title"].as_str().unwrap_or("")).collect::<Vec<_>>(), vec!["Théorème de Pythagore"]);
    let class = s.class("4B").await;
    let load = list(&s, &teacher, &format!("/api/v1/classes/{class}/workload?from=2026-09-21&to=2026-10-04")).await;
    assert_eq!(load, vec![json!({"day": "2026-09-28", "count": 2, "minutes": 75, "subjects": ["Mathématiques"]})], "the scheduled homework counts");
    assert_eq!(s.app.json(&pupil, "GET", &format!("/api/v1/classes/{class}/workload"), None).await.status, StatusCode::FORBIDDEN);

    // On Thursday the scheduled homework appears.
    s.app.clock.advance(3 * 86_400);
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    assert_eq!(list(&s, &pupil, due).await.len(), 2);
    // Deleted or moved homework leaves her list at once (nothing stale is kept).
    let (_, teacher) = s.browser("Claire", "Martin").await;
    assert_eq!(s.app.json(&teacher, "DELETE", &format!("/api/v1/homework/{hw}"), None).await.status, StatusCode::NO_CONTENT);
    let left = list(&s, &pupil, due).await;
    assert_eq!(left.iter().map(|h| h["instructions"].as_str().unwrap_or("")).collect::<Vec<_>>(), vec!["<p>Apprendre la leçon</p>"]);
    let id = left[0]["id"].as_str().expect("id").to_owned();
    let moved = json!({"due": "2026-10-12", "instructions": "Apprendre la leçon", "minutes": 45});
    assert_eq!(s.app.json(&teacher, "PUT", &format!("/api/v1/homework/{id}"), Some(moved)).await.status, StatusCode::OK);
    assert!(list(&s, &pupil, due).await.is_empty());
}

#[tokio::test]
async fn the_heads_and_inspectors_reads_are_audited_and_a_visa_locks_what_it_covers() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (paul, head) = s.browser("Paul", "Girard").await;
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let claire = s.who("Claire", "Martin").await;
    let entry = |t: &str| json!({"title": t, "content": "Cours"});
    assert_eq!(s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(entry("Fractions"))).await.status, StatusCode::OK);

    let class = s.class("4B").await;
    let cahier = format!("/api/v1/classes/{class}/cahier?from=2026-09-14&to=2026-09-27");
    // Its teacher and pupils read the class's cahier unaudited; Hugo (4C) may not.
    for c in [&teacher, &pupil] {
        let r = s.app.json(c, "GET", &cahier, None).await;
        assert_eq!((r.status, r.json()["entries"].as_array().map(|e| e.len())), (StatusCode::OK, Some(1)), "{}", r.body);
    }
    assert_eq!(s.app.json(&hugo, "GET", &cahier, None).await.status, StatusCode::FORBIDDEN);
    assert!(audited_reads(&s).await.is_empty());
    // The head's read and an inspector's are in the audit log.
    assert_eq!(s.app.json(&head, "GET", &cahier, None).await.status, StatusCode::OK);
    let inspector = s.app.login(&s.app.person("Irène", "Joliot", &s.jv, Profile::Academy).await).await;
    assert_eq!(s.app.json(&inspector, "GET", &cahier, None).await.status, StatusCode::OK);
    let reads = audited_reads(&s).await;
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads.iter().any(|a| a.contains(&paul.id.to_string()) || a.contains("Girard")), "{reads:?}");

    // The teacher cannot visa; the head visas her cahier up to the 21st.
    let visas = format!("/api/v1/classes/{class}/visas");
    let body = json!({"teacher": claire.id, "until": "2026-09-21", "note": "Vu"});
    assert_eq!(s.app.json(&teacher, "POST", &visas, Some(body.clone())).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&head, "POST", &visas, Some(body)).await.status, StatusCode::CREATED);
    // What it covers can no longer change; the next lesson can be written.
    let r = s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(entry("Autre chose"))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-28"), Some(entry("Suite"))).await.status, StatusCode::OK);
    // Nor by whoever replaces her that day, who may write that lesson otherwise.
    let jean = s.app.person("Jean", "Moulin", &s.jv, Profile::Teacher).await;
    let r = s.app.json(&head, "PUT", &format!("/api/v1/courses/{maths}/lessons/2026-09-21"), Some(json!({"replacement": jean.id}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let replacement = s.app.login(&jean).await;
    assert_eq!(s.app.json(&replacement, "PUT", &lesson(&maths, "2026-09-21"), Some(entry("Remplacé"))).await.status, StatusCode::CONFLICT);
    assert_eq!(s.app.json(&replacement, "DELETE", &lesson(&maths, "2026-09-21"), None).await.status, StatusCode::FORBIDDEN);
    let seen = s.app.json(&teacher, "GET", &cahier, None).await.json();
    assert_eq!(seen["entries"][0]["title"], "Fractions");
    assert_eq!(seen["visas"][0]["note"], "Vu");

    // A visa given by mistake is withdrawn by the head (not the teacher), on the class's page:
    // the lesson can be written again.
    let withdraw = format!("{visas}?teacher={}&until=2026-09-21", claire.id);
    assert_eq!(s.app.json(&teacher, "DELETE", &withdraw, None).await.status, StatusCode::FORBIDDEN);
    let page = format!("/cahier/class/{class}");
    assert!(s.app.get(&head, &page).await.body.contains("Retirer ce visa"));
    assert!(!s.app.get(&teacher, &page).await.body.contains("Retirer ce visa"));
    let form = [("teacher", claire.id.to_string()), ("until", "2026-09-21".to_owned())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(s.app.post_form(&teacher, &format!("{page}/visa/withdraw"), &form).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.post_form(&head, &format!("{page}/visa/withdraw"), &form).await.status, StatusCode::SEE_OTHER);
    assert_eq!(s.app.json(&head, "DELETE", &withdraw, None).await.status, StatusCode::NOT_FOUND, "once");
    assert_eq!(s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(entry("Corrigé"))).await.status, StatusCode::OK);
    let log = s.app.state.store.audit_log(s.app.system.territory, None, 500).await.expect("audit");
    assert_eq!(log.iter().filter(|e| e.action == "cahier.visa_withdraw").count(), 1);
}

#[tokio::test]
async fn an_archived_class_keeps_its_cahier_read_only() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    assert_eq!(s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(json!({"content": "Cours"}))).await.status, StatusCode::OK);
    let class = s.class("4B").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let claire = s.who("Claire", "Martin").await;
    let visas = format!("/api/v1/classes/{class}/visas");
    // A visa of the week before (it does not cover the lesson written above).
    let body = json!({"teacher": claire.id, "until": "2026-09-14", "note": "Vu"});
    assert_eq!(s.app.json(&head, "POST", &visas, Some(body)).await.status, StatusCode::CREATED);
    s.app.state.directory.close_school_year(&s.app.system, "2026-2027").await.expect("close the year");
    assert!(s.app.state.store.group(class.parse().expect("id")).await.expect("4B").archived_year.is_some());
    // Its visas stay as they were: the head can neither withdraw one nor give another.
    let r = s.app.json(&head, "DELETE", &format!("{visas}?teacher={}&until=2026-09-14", claire.id), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = s.app.json(&head, "POST", &visas, Some(json!({"teacher": claire.id, "until": "2026-09-21", "note": ""}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = s.app.json(&head, "GET", &format!("/api/v1/classes/{class}/cahier?from=2026-09-14&to=2026-09-27"), None).await;
    assert_eq!(r.json()["visas"].as_array().map(|v| v.len()), Some(1), "{}", r.body);
    let r = s.app.json(&teacher, "PUT", &lesson(&maths, "2026-09-21"), Some(json!({"content": "Changé"}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = s.app.json(&teacher, "GET", &format!("/api/v1/classes/{class}/cahier?from=2026-09-14&to=2026-09-27"), None).await;
    assert_eq!((r.json()["archived"].as_bool(), r.json()["entries"][0]["content"].as_str()), (Some(true), Some("<p>Cours</p>")), "{}", r.body);
}

#[tokio::test]
async fn the_pages_let_a_teacher_write_a_lesson_up_and_a_pupil_read_and_tick_it() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (zoe, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (_, parent) = s.browser("Anne", "Lefèvre").await;
    // Her week lists the lesson with its link.
    let week = s.app.get(&teacher, "/cahier").await;
    let link = format!("/cahier/lesson/{maths}/2026-09-21");
    assert!(week.body.contains(&link), "{}", week.body);
    let page = s.app.get(&teacher, &link).await;
    assert!(page.body.contains("value=\"2026-09-28\""), "homework defaults to the next lesson: {}", page.body);
    let r = s.app.post_form(&teacher, &link, &[("title", "Les fractions"), ("content", "Cours sur https://example.org/fractions"), ("publish_at", "")]).await;
    assert!(r.location().ends_with("?done=saved"), "{} {}", r.status, r.body);
    let r = s.app.post_form(&teacher, &format!("{link}/homework"), &[("due", "2026-09-28"), ("instructions", "Exercice 12"), ("minutes", "20")]).await;
    assert!(r.location().ends_with("?done=saved"), "{} {}", r.status, r.body);
    // A bad date comes back with the message and what was typed.
    let r = s.app.post_form(&teacher, &format!("{link}/homework"), &[("due", "2026-09-01"), ("instructions", "Trop tôt"), ("minutes", "25")]).await;
    assert!(r.body.contains("La date est avant la séance."), "{}", r.body);
    assert!(
        r.body.contains(">Trop tôt</textarea>") && r.body.contains("value=\"2026-09-01\"") && r.body.contains("value=\"25\""),
        "nothing typed is lost: {}",
        r.body
    );
    assert!(r.body.contains("value=\"Les fractions\""), "the lesson's own form still shows what is stored: {}", r.body);
    // A publication date typed in a form the browser showed as plain text: with a space, it is
    // read; in another shape it is refused, not read as "now" (the homework would go out at once).
    let form = |when: &'static str| [("due", "2026-10-05"), ("instructions", "Exposé"), ("minutes", "30"), ("publish_at", when)];
    let r = s.app.post_form(&teacher, &format!("{link}/homework"), &form("25/09/2026 8h")).await;
    assert!(r.body.contains("Une date et une heure sont attendues"), "{} {}", r.status, r.body);
    assert!(!s.app.get(&pupil, "/cahier").await.body.contains("Exposé"), "nothing published");
    let r = s.app.post_form(&teacher, &format!("{link}/homework"), &form("2026-09-25 08:00")).await;
    assert!(r.location().ends_with("?done=saved"), "{} {}", r.status, r.body);
    assert!(!s.app.get(&pupil, "/cahier").await.body.contains("Exposé"), "planned for Friday: not shown before");
    // A pupil may not post to the lesson.
    let r = s.app.post_form(&pupil, &link, &[("title", "x"), ("content", "y")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Zoé reads it, ticks it; her mother reads it without the tick button.
    let home = s.app.get(&pupil, "/cahier").await;
    assert!(home.body.contains("Exercice 12"), "{}", home.body);
    let log = s.app.get(&pupil, "/cahier?from=2026-09-21&tab=log").await;
    assert!(log.body.contains("Les fractions") && log.body.contains(r#"<a href="https://example.org/fractions""#), "{}", log.body);
    let hw = s.app.json(&pupil, "GET", "/api/v1/homework", None).await.json()[0]["id"].as_str().expect("homework").to_owned();
    let r = s.app.post_form(&pupil, &format!("/cahier/homework/{hw}/done"), &[("done", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(s.app.get(&pupil, "/cahier").await.body.contains("aria-pressed=\"true\""));
    let theirs = s.app.get(&parent, &format!("/cahier?pupil={}", zoe.id)).await;
    assert!(theirs.body.contains("Exercice 12") && !theirs.body.contains("aria-pressed"), "{}", theirs.body);
    // The class's cahier page.
    let class = s.app.get(&teacher, &format!("/cahier/class/{}?from=2026-09-14", s.class("4B").await)).await;
    assert!(class.body.contains("Les fractions"), "{}", class.body);
}

/// Puts a pupil's copy for homework.
async fn hand_in(s: &School, c: &Client, hw: &str, name: &str, bytes: &[u8]) -> Resp {
    let req = axum::http::Request::put(format!("/api/v1/homework/{hw}/copy?name={}", enc(name))).header("x-csrf-token", c.csrf.clone());
    s.app.send(c, req, axum::body::Body::from(bytes.to_vec())).await
}

#[tokio::test]
async fn copies_are_handed_in_late_or_not_read_by_the_teacher_alone_and_returned_corrected() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (zoe, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (_, parent) = s.browser("Anne", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let colleague = s.app.login(&s.app.person("Jean", "Moulin", &s.jv, Profile::Teacher).await).await;
    let body = json!({"due": "2026-09-28", "instructions": "Rédaction", "minutes": 60, "hand_in": true});
    let set = s.app.json(&teacher, "POST", &format!("{}/homework", lesson(&maths, "2026-09-21")), Some(body)).await;
    assert_eq!(set.status, StatusCode::CREATED, "{}", set.body);
    let hw = id_of(&set);

    // Zoé hands in on time; Hugo (4C) cannot; her mother sees it, not the list of the class.
    let r = hand_in(&s, &pupil, &hw, "rédaction.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["late"], false);
    let copy = id_of(&r);
    assert_eq!(hand_in(&s, &hugo, &hw, "x.pdf", PDF).await.status, StatusCode::NOT_FOUND);
    let waiting = s.app.json(&teacher, "GET", &format!("/api/v1/homework/{hw}/copies"), None).await.json();
    assert_eq!(waiting["missing"].as_array().map(|m| m.iter().filter_map(|p| p[1].as_str()).collect::<Vec<_>>()), Some(vec!["Inès Diallo"]));
    assert_eq!(s.app.json(&hugo, "GET", &format!("/api/v1/homework/{hw}/copy?pupil={}", zoe.id), None).await.status, StatusCode::FORBIDDEN);
    for c in [&pupil, &colleague] {
        assert_eq!(s.app.json(c, "GET", &format!("/api/v1/homework/{hw}/copies.zip"), None).await.status, StatusCode::FORBIDDEN);
    }
    let hers = s.app.json(&parent, "GET", &format!("/api/v1/homework/{hw}/copy?pupil={}", zoe.id), None).await;
    assert_eq!(hers.json()["file"]["name"], "rédaction.pdf", "{}", hers.body);
    for c in [&parent, &pupil, &colleague] {
        assert_eq!(s.app.json(c, "GET", &format!("/api/v1/homework/{hw}/copies"), None).await.status, StatusCode::FORBIDDEN);
    }
    // Another pupil of the class, or another teacher, cannot read her copy.
    s.app.clock.advance(7 * 86_400 + 3600);
    let (_, ines) = s.browser("Inès", "Diallo").await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let colleague = s.app.login(&s.who("Jean", "Moulin").await).await;
    assert_eq!(s.app.json(&ines, "GET", &format!("/api/v1/copies/{copy}/file"), None).await.status, StatusCode::NOT_FOUND);
    // Inès hands in after the deadline (8:00 on the 28th): late.
    let r = hand_in(&s, &ines, &hw, "copie.pdf", b"%PDF-1.7 Ines").await;
    assert_eq!(r.json()["late"], true, "{}", r.body);

    // The teacher sees both, and who is missing; downloads all as a zip.
    let list = s.app.json(&teacher, "GET", &format!("/api/v1/homework/{hw}/copies"), None).await.json();
    let names: Vec<&str> = list["copies"].as_array().expect("copies").iter().filter_map(|c| c[1].as_str()).collect();
    assert_eq!(names, vec!["Inès Diallo", "Zoé Lefèvre"]);
    assert_eq!(list["missing"], json!([]), "both handed in");
    let zip = s.app.get_bytes(&teacher, &format!("/api/v1/homework/{hw}/copies.zip")).await;
    assert!(zip.starts_with(b"PK") && zip.windows(PDF.len()).any(|w| w == PDF), "the zip holds Zoé's copy");
    assert!(String::from_utf8_lossy(&zip).contains("Zoé Lefèvre - rédaction.pdf"));

    // Returned with a comment and a corrected file: Zoé and her mother are told; she cannot
    // hand in again.
    let corrected =
        id_of(&crate::documents::put(&s, &teacher, &format!("person:{}", s.who("Claire", "Martin").await.id), None, "corrigé.pdf", b"%PDF-1.7 corrige").await);
    let r = s.app.json(&teacher, "POST", &format!("/api/v1/copies/{copy}/return"), Some(json!({"comment": "Bien construit", "corrected": corrected}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(s.app.json(&colleague, "POST", &format!("/api/v1/copies/{copy}/return"), Some(json!({"comment": "x"}))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.get_bytes(&pupil, &format!("/api/v1/copies/{copy}/corrected")).await, b"%PDF-1.7 corrige");
    assert_eq!(s.app.json(&ines, "GET", &format!("/api/v1/copies/{copy}/corrected"), None).await.status, StatusCode::NOT_FOUND);
    let mine = s.app.json(&pupil, "GET", &format!("/api/v1/homework/{hw}/copy"), None).await.json();
    assert_eq!(mine["returned"]["comment"], "Bien construit");
    assert_eq!(hand_in(&s, &pupil, &hw, "encore.pdf", PDF).await.status, StatusCode::CONFLICT);
    // Returned once only; homework with copies is not deleted (they would be lost).
    assert_eq!(s.app.json(&teacher, "POST", &format!("/api/v1/copies/{copy}/return"), Some(json!({"comment": "Encore"}))).await.status, StatusCode::CONFLICT);
    assert_eq!(s.app.json(&teacher, "DELETE", &format!("/api/v1/homework/{hw}"), None).await.status, StatusCode::CONFLICT);
    let (_, parent) = s.browser("Anne", "Lefèvre").await;
    for c in [&pupil, &parent] {
        let feed = s.app.json(c, "GET", "/api/v1/notifications", None).await;
        assert!(feed.body.contains("copie rendue"), "{}", feed.body);
    }
}

#[tokio::test]
async fn the_pages_let_a_pupil_send_a_copy_and_the_teacher_return_it() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let link = lesson(&maths, "2026-09-21");
    let page = format!("/cahier/lesson/{maths}/2026-09-21");
    let r = s
        .app
        .post_form(&teacher, &format!("{page}/homework"), &[("due", "2026-09-28"), ("instructions", "Rédaction"), ("minutes", "45"), ("hand_in", "on")])
        .await;
    assert!(r.location().ends_with("?done=saved"), "{} {}", r.status, r.body);
    let hw = s.app.json(&teacher, "GET", &link, None).await.json()["homework"][0]["id"].as_str().expect("homework").to_owned();
    assert!(s.app.get(&teacher, &page).await.body.contains(&format!("/cahier/homework/{hw}/copies")));

    // Zoé sends her copy from her cahier.
    assert!(s.app.get(&pupil, "/cahier").await.body.contains(&format!("/cahier/homework/{hw}/copy")));
    let boundary = "XyZ";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"copie.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 copie\r\n--{boundary}--\r\n",
        pupil.csrf
    );
    let req = axum::http::Request::post(format!("/cahier/homework/{hw}/copy")).header("content-type", format!("multipart/form-data; boundary={boundary}"));
    let r = s.app.send(&pupil, req, axum::body::Body::from(form)).await;
    assert!(r.location().contains("done=handed_in"), "{} {}", r.status, r.body);
    assert!(s.app.get(&pupil, "/cahier").await.body.contains("copie.pdf"));

    // The teacher sees it and returns it with a comment; the pupil reads the comment.
    let copies = s.app.get(&teacher, &format!("/cahier/homework/{hw}/copies")).await;
    assert!(copies.body.contains("Zoé Lefèvre") && copies.body.contains("copie.pdf"), "{}", copies.body);
    assert_eq!(s.app.get(&pupil, &format!("/cahier/homework/{hw}/copies")).await.status, StatusCode::FORBIDDEN);
    let copy =
        s.app.json(&teacher, "GET", &format!("/api/v1/homework/{hw}/copies"), None).await.json()["copies"][0][0]["id"].as_str().expect("copy").to_owned();
    let r = s.app.post_form(&teacher, &format!("/cahier/copies/{copy}/return"), &[("comment", "Très bien"), ("corrected", "")]).await;
    assert!(r.location().ends_with("done=returned"), "{} {}", r.status, r.body);
    assert!(s.app.get(&pupil, "/cahier").await.body.contains("Très bien"));
}

#[tokio::test]
async fn days_no_school_could_have_are_refused_not_computed_on() {
    let s = school().await;
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    for path in ["/api/v1/homework?from=%2B262142-12-31", "/api/v1/cahier/log?from=-262143-01-01&to=-262143-01-02", "/api/v1/timetable?week=%2B262142-12-31"] {
        let r = s.app.json(&pupil, "GET", path, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
    }
    for path in ["/cahier?from=%2B262142-12-31", "/cahier?from=-262143-01-01&tab=log", "/timetable?week=%2B262142-12-31"] {
        assert_eq!(s.app.get(&pupil, path).await.status, StatusCode::OK, "{path}: the page falls back to today");
    }
}

#[tokio::test]
async fn a_classs_workload_counts_its_pupils_teaching_groups_as_the_most_any_pupil_has() {
    let s = school().await;
    let (maths_course, teacher) = maths(&s).await;
    let admin = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let claire = s.who("Claire", "Martin").await.id.to_string();
    // Zoé learns Spanish, Inès German: teaching groups of some of 4B's pupils.
    for (code, pupil) in [("4B-ESP", s.who("Zoé", "Lefèvre").await.id), ("4B-ALL", s.who("Inès", "Diallo").await.id)] {
        let input = preau_directory::groups::GroupInput {
            structure: s.jv.id.to_string(),
            kind: "teaching".into(),
            code: code.into(),
            name: code.into(),
            also_in: vec![],
        };
        let g = s.app.state.directory.create_group(&s.app.system, &input).await.expect("group");
        s.app.state.directory.add_group_member(&s.app.system, g.id, pupil).await.expect("member");
    }
    let spanish = course(&s, &admin, "Espagnol", "4B-ESP", &claire, (1, "09:00"), "every").await;
    let german = course(&s, &admin, "Allemand", "4B-ALL", &claire, (1, "10:00"), "every").await;
    // Zoé's Spanish teacher gave two pieces without an estimate; Inès's German one long piece.
    for (c, minutes) in [(&maths_course, 30), (&spanish, 20), (&spanish, 0), (&german, 45)] {
        let body = json!({"due": "2026-09-28", "instructions": "Exercices", "minutes": minutes});
        let r = s.app.json(&teacher, "POST", &format!("{}/homework", lesson(c, "2026-09-21")), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let class = s.class("4B").await;
    let load = list(&s, &teacher, &format!("/api/v1/classes/{class}/workload?from=2026-09-21&to=2026-10-04")).await;
    // Zoé has three pieces (50 minutes), Inès two (75 minutes): the most of each, not their sums.
    assert_eq!(load, vec![json!({"day": "2026-09-28", "count": 3, "minutes": 75, "subjects": ["Mathématiques", "Espagnol", "Allemand"]})]);
    let (_, pupil) = s.browser("Inès", "Diallo").await;
    assert_eq!(s.app.json(&pupil, "GET", &format!("/api/v1/classes/{class}/workload"), None).await.status, StatusCode::FORBIDDEN);
}

/// The titles and links of the homework notices in someone's feed.
async fn homework_notices(s: &School, c: &Client) -> Vec<(String, String)> {
    list(s, c, "/api/v1/notifications")
        .await
        .iter()
        .filter(|n| n["kind"] == "homework")
        .map(|n| (n["title"].as_str().unwrap_or("").to_owned(), n["link"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test]
async fn pupils_and_their_parents_are_told_of_new_homework_when_it_is_published_and_not_of_homework_withdrawn() {
    let s = school().await;
    let (maths, teacher) = maths(&s).await;
    let (zoe, ines) = (s.who("Zoé", "Lefèvre").await, s.who("Inès", "Diallo").await);
    let set = |body: Value| {
        let (s, teacher, path) = (&s, &teacher, format!("{}/homework", lesson(&maths, "2026-09-21")));
        async move {
            let r = s.app.json(teacher, "POST", &path, Some(body)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            id_of(&r)
        }
    };
    let now = set(json!({"due": "2026-09-28", "instructions": "Exercices 3 et 4", "minutes": 30})).await;
    let thursday = T0 + 3 * 86_400;
    let later = set(json!({"due": "2026-09-28", "instructions": "Apprendre la leçon", "minutes": 45, "publish_at": thursday})).await;
    let dropped = set(json!({"due": "2026-10-05", "instructions": "Annulé", "minutes": 10, "publish_at": thursday})).await;
    let moved = set(json!({"due": "2026-10-05", "instructions": "Exposé", "minutes": 60, "publish_at": thursday})).await;
    assert_eq!(s.app.json(&teacher, "DELETE", &format!("/api/v1/homework/{dropped}"), None).await.status, StatusCode::NO_CONTENT);
    let r =
        s.app.json(&teacher, "PUT", &format!("/api/v1/homework/{moved}"), Some(json!({"due": "2026-10-12", "instructions": "Exposé", "minutes": 60}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let title = "Mathématiques : travail pour le 28/09".to_owned();
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    assert_eq!(homework_notices(&s, &pupil).await, vec![(title.clone(), format!("/cahier#hw-{now}"))], "the scheduled ones are not told yet");
    let (_, mother) = s.browser("Anne", "Lefèvre").await;
    assert_eq!(
        homework_notices(&s, &mother).await,
        vec![(format!("{title} — Zoé Lefèvre"), format!("/cahier?pupil={}#hw-{now}", zoe.id))],
        "her child's cahier"
    );
    let (_, awa) = s.browser("Awa", "Diallo").await;
    assert_eq!(homework_notices(&s, &awa).await, vec![(format!("{title} — Inès Diallo"), format!("/cahier?pupil={}#hw-{now}", ines.id))]);
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    assert!(homework_notices(&s, &hugo).await.is_empty(), "4C is not told of 4B's homework");
    assert!(homework_notices(&s, &teacher).await.is_empty(), "nor is the teacher who set it");

    // On Thursday: the scheduled piece is told; the deleted one never is; the moved one is told once, as it now is.
    s.app.clock.advance(3 * 86_400 + 60);
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let mut titles: Vec<String> = homework_notices(&s, &pupil).await.into_iter().map(|(t, _)| t).collect();
    titles.sort();
    assert_eq!(titles, vec!["Mathématiques : travail pour le 12/10".to_owned(), title.clone(), title.clone()], "{later} told, {dropped} not");
    let (_, mother) = s.browser("Anne", "Lefèvre").await;
    let mut theirs: Vec<String> = homework_notices(&s, &mother).await.into_iter().map(|(t, _)| t).collect();
    theirs.sort();
    let hers = |t: &str| format!("{t} — Zoé Lefèvre");
    assert_eq!(theirs, vec![hers("Mathématiques : travail pour le 12/10"), hers(&title), hers(&title)], "and her mother's, withdrawn alike");
}
