//! The notification feed: live delivery to open pages, e-mails at once or in digests, quiet
//! hours that defer them, with the clock injected. T0 is Monday 21 September 2026, 16:13 in
//! Paris (14:13 UTC); Préau's default quiet hours are 20:00 to 07:00 and Sundays.

use crate::app::*;
use axum::http::StatusCode;
use preau_directory::{DirectoryStore, Person};
use serde_json::json;

async fn with_email(app: &TestApp, p: &Person, address: &str) {
    let mut p = p.clone();
    p.email = Some(address.into());
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
    app.state.store.update_person(&p, &audit).await.expect("e-mail");
}

/// Mails sent to an address so far.
fn mails_to(app: &TestApp, address: &str) -> Vec<String> {
    app.mails().into_iter().filter(|m| m.contains(&format!("To: {address}")) || m.contains(&format!("<{address}>"))).collect()
}

async fn send(app: &TestApp, from: &Client, to: &Person, subject: &str) -> String {
    let r = app
        .json(from, "POST", "/api/v1/messages", Some(json!({"to": [{"kind": "person", "person": to.id}], "subject": subject, "body": "Le texte du message."})))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap_or("").to_owned()
}

async fn jobs(app: &TestApp) -> (usize, usize) {
    let c = &app.state.communication;
    let mailer = app.state.accounts.mailer.clone();
    (c.send_due_mails(&*mailer, "https://ent.example.org").await.expect("mails"), c.send_digests(&*mailer, "https://ent.example.org").await.expect("digests"))
}

/// Claire, a teacher, and Anne, a parent with an address, of one school.
async fn teacher_and_parent(app: &TestApp) -> (Person, Person) {
    let school = app.school("0290009C", "Collège").await;
    let teacher = app.person("Claire", "Martin", &school, preau_core::Profile::Teacher).await;
    let parent = app.person("Anne", "Lefèvre", &school, preau_core::Profile::Parent).await;
    with_email(app, &parent, "anne@example.org").await;
    (teacher, parent)
}

#[tokio::test]
async fn quiet_hours_defer_an_email_to_the_morning_and_a_recalled_message_is_not_mailed() {
    let app = TestApp::new().await;
    let (claire, anne) = teacher_and_parent(&app).await;
    let anne_browser = app.login(&anne).await;
    let r = app
        .json(&anne_browser, "PUT", "/api/v1/notifications/settings", Some(json!({"preferences": [{"kind": "message", "live": true, "email": "now"}]})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // 23:00 in Paris: the teacher writes; nothing is mailed at night.
    app.clock.advance(21 * 3600 - (14 * 3600 + 800));
    let (teacher, anne_browser) = (app.login(&claire).await, app.login(&anne).await);
    send(&app, &teacher, &anne, "Rendez-vous").await;
    let recalled = send(&app, &teacher, &anne, "Envoyé par erreur").await;
    assert_eq!(jobs(&app).await.0, 0);
    assert!(mails_to(&app, "anne@example.org").is_empty(), "nothing during quiet hours");
    // The sender was not blocked, and the feed has both at once.
    assert_eq!(app.json(&anne_browser, "GET", "/api/v1/notifications", None).await.json().as_array().map(Vec::len), Some(2));
    let r = app.json(&teacher, "POST", &format!("/api/v1/messages/{recalled}/recall"), None).await;
    assert_eq!(r.json()["taken_back"], 1, "{}", r.body);
    // 06:59 in Paris: still quiet. 07:01: one mail, telling of the message left, without its text.
    app.clock.advance(7 * 3600 + 59 * 60);
    assert_eq!(jobs(&app).await.0, 0);
    app.clock.advance(2 * 60);
    assert_eq!(jobs(&app).await.0, 1);
    let mails = mails_to(&app, "anne@example.org");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Claire Martin : Rendez-vous") && mails[0].contains("https://ent.example.org/messages/"), "{}", mails[0]);
    assert!(!mails[0].contains("Le texte du message") && !mails[0].contains("Envoyé par erreur"), "{}", mails[0]);
    assert_eq!(jobs(&app).await.0, 0, "sent once");
}

#[tokio::test]
async fn a_daily_digest_holds_what_happened_since_the_previous_one() {
    let app = TestApp::new().await;
    let (claire, anne) = teacher_and_parent(&app).await;
    let teacher = app.login(&claire).await;
    // 16:13 in Paris: a message; the digest of 17:00 will carry it, not the one of the day before.
    send(&app, &teacher, &anne, "Premier").await;
    assert_eq!(jobs(&app).await.1, 0);
    app.clock.advance(52 * 60);
    assert_eq!(jobs(&app).await.1, 1);
    let teacher = app.login(&claire).await;
    send(&app, &teacher, &anne, "Second").await;
    assert_eq!(jobs(&app).await.1, 0, "the next one waits for tomorrow's digest");
    app.clock.advance(86_400);
    assert_eq!(jobs(&app).await.1, 1);
    let mails = mails_to(&app, "anne@example.org");
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails[0].contains("Premier") && !mails[0].contains("Second"), "{}", mails[0]);
    assert!(mails[1].contains("Second") && !mails[1].contains("Premier"), "{}", mails[1]);
}

#[tokio::test]
async fn an_open_page_gets_a_message_live_unless_quiet_and_a_scheduled_one_when_it_is_due() {
    let app = TestApp::new().await;
    let (claire, anne) = teacher_and_parent(&app).await;
    let teacher = app.login(&claire).await;
    let mut page = app.state.hub.subscribe(anne.id);
    send(&app, &teacher, &anne, "En direct").await;
    let pushed: serde_json::Value = serde_json::from_str(&page.try_recv().expect("pushed live")).expect("json");
    assert_eq!(pushed["title"], "Claire Martin : En direct");
    // Scheduled ten minutes later: pushed when due, by the minute job.
    let r = app
        .json(
            &teacher,
            "POST",
            "/api/v1/messages",
            Some(json!({"to": [{"kind": "person", "person": anne.id}], "subject": "Plus tard", "body": ".", "send_at": T0 + 600})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(page.try_recv().is_err(), "not before its time");
    app.clock.advance(600);
    app.state.communication.push_due(&*app.state.hub).await.expect("push");
    assert!(page.try_recv().expect("pushed when due").contains("Plus tard"));
    // 23:00 in Paris: nothing live; the feed has it.
    app.clock.advance(21 * 3600 - (14 * 3600 + 800) - 600);
    let teacher = app.login(&claire).await;
    send(&app, &teacher, &anne, "La nuit").await;
    assert!(page.try_recv().is_err(), "quiet hours");
}

/// A server that stopped after storing a message, before telling its recipients, tells them
/// when it starts again, once.
#[tokio::test]
async fn a_message_stored_just_before_a_stop_is_notified_at_the_next_start() {
    use preau_communication::CommunicationStore;
    use preau_communication::messages::{Copy, Message};
    let app = TestApp::new().await;
    let (claire, anne) = teacher_and_parent(&app).await;
    let parent = app.login(&anne).await;
    // What the first half of a send leaves behind: the message and its delivery, stored.
    let id = preau_core::MessageId::new();
    let m = Message {
        id,
        territory: app.system.territory,
        sender: claire.id,
        sender_name: "Claire Martin".into(),
        thread: id,
        parent: None,
        subject: "Avant l'arrêt".into(),
        body: ".".into(),
        addressees: vec![],
        created_at: T0,
        sent_at: Some(T0),
        deliver_at: Some(T0),
        no_reply: false,
        acknowledge: false,
        recalled_at: None,
        hidden_at: None,
        recipients: 1,
        attachments: vec![],
    };
    app.state.store.insert_message(&m, &[(anne.id, Copy::To)], None).await.expect("stored");
    let feed = "/api/v1/notifications";
    assert_eq!(app.json(&parent, "GET", feed, None).await.json().as_array().map(Vec::len), Some(0), "not told yet");
    let again = app.restarted().await;
    again.communication.outbox.settle().await;
    let told = app.json(&parent, "GET", feed, None).await.json();
    assert_eq!(told.as_array().map(Vec::len), Some(1), "{told}");
    assert_eq!(told[0]["title"], "Claire Martin : Avant l'arrêt");
    // Once: a further start finds nothing left.
    let third = app.restarted().await;
    third.communication.outbox.settle().await;
    assert_eq!(app.json(&parent, "GET", feed, None).await.json().as_array().map(Vec::len), Some(1));
}

/// The daily digest through a real SMTP server: `.ci/run` starts Python's `aiosmtpd` with a
/// Maildir and runs this test with `PREAU_TEST_SMTP` and `PREAU_TEST_MAILDIR` set.
#[tokio::test]
#[ignore = "needs an SMTP server; run by .ci/run against aiosmtpd"]
async fn the_daily_digest_is_delivered_over_smtp() {
    let server = std::env::var("PREAU_TEST_SMTP").expect("PREAU_TEST_SMTP=host:port");
    let maildir = std::path::PathBuf::from(std::env::var("PREAU_TEST_MAILDIR").expect("PREAU_TEST_MAILDIR")).join("new");
    let app = TestApp::with_smtp(&server).await;
    let (claire, anne) = teacher_and_parent(&app).await;
    with_email(&app, &anne, "anne.digest@example.org").await;
    let teacher = app.login(&claire).await;
    send(&app, &teacher, &anne, "Sortie au musée").await;
    app.clock.advance(52 * 60);
    assert_eq!(jobs(&app).await.1, 1);
    let mail = std::fs::read_dir(&maildir)
        .expect("maildir")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|m| decode_quoted_printable(&m))
        .find(|m| m.contains("anne.digest@example.org"))
        .expect("the digest reached the SMTP server");
    assert!(mail.contains("Claire Martin : Sortie au musée") && mail.contains("/messages/"), "{mail}");
}

#[tokio::test]
async fn a_schools_quiet_hours_apply_to_its_people_and_only_its_admin_sets_them() {
    let app = TestApp::new().await;
    let (claire, anne) = teacher_and_parent(&app).await;
    let school = app.state.store.structure_by_uai(app.system.territory, "0290009C").await.expect("school");
    let other = app.school("0750654D", "Autre collège").await;
    let path = format!("/api/v1/structures/{}/quiet-hours", school.id);
    // No quiet hours at all for this school: a message at 23:00 in Paris is pushed live.
    let none = json!({"quiet_hours": {"start": 0, "end": 0, "days_off": 0}});
    let teacher = app.login(&claire).await;
    assert_eq!(app.json(&teacher, "PUT", &path, Some(none.clone())).await.status, StatusCode::FORBIDDEN);
    let outsider = app.login(&app.local_admin(&other).await).await;
    assert_eq!(app.json(&outsider, "PUT", &path, Some(none.clone())).await.status, StatusCode::FORBIDDEN);
    let admin = app.login(&app.local_admin(&school).await).await;
    assert_eq!(app.json(&admin, "PUT", &path, Some(none)).await.status, StatusCode::NO_CONTENT);
    app.clock.advance(21 * 3600 - (14 * 3600 + 800));
    let mut page = app.state.hub.subscribe(anne.id);
    send(&app, &app.login(&claire).await, &anne, "Tard").await;
    assert!(page.try_recv().is_ok(), "the school chose no quiet hours");
}

/// The settings page saves what was chosen, and refuses a choice it cannot read (a stale or
/// altered form) instead of replacing it with a default: the settings stay as they were.
#[tokio::test]
async fn the_settings_page_saves_quiet_days_and_refuses_what_it_cannot_read() {
    let app = TestApp::new().await;
    let (_, anne) = teacher_and_parent(&app).await;
    let browser = app.login(&anne).await;
    let chosen = [("email_message", "now"), ("live_message", "on"), ("quiet", "own"), ("start", "21:00"), ("end", "07:00"), ("day", "6")];
    let r = app.post_form(&browser, "/notifications/settings", &chosen).await;
    assert!(r.status == StatusCode::OK && !r.body.contains("role=\"alert\""), "{}", r.body);
    let saved = app.json(&browser, "GET", "/api/v1/notifications/settings", None).await.json();
    for stale in [[("day", "9")], [("email_message", "sometimes")]] {
        let form: Vec<(&str, &str)> = chosen.iter().copied().filter(|(k, _)| *k != stale[0].0).chain(stale).collect();
        let r = app.post_form(&browser, "/notifications/settings", &form).await;
        assert!(r.body.contains("pas pu être lu"), "{:?}: {}", stale, r.body);
        assert_eq!(app.json(&browser, "GET", "/api/v1/notifications/settings", None).await.json(), saved, "{stale:?}: nothing changed");
    }
    assert!(saved.to_string().contains("\"now\"") && saved.to_string().contains("\"days_off\":64"), "what was chosen is saved: {saved}");
}
