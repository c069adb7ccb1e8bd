//! Communication rules and messaging, on the directory of a real feed (`feeds::base_feed`):
//! Collège Jules Verne (0290009C) with Zoé and Inès in 4B, Hugo in 4C, Zoé's guardians Anne and
//! Marc Lefèvre (her grandmother is a contact without an account), Inès's guardian Awa Diallo,
//! Claire Martin who teaches 4B there and 6A at Collège Simone Veil (where Léo is), and the
//! head, Paul Girard.

use crate::app::*;
use axum::http::StatusCode;
use preau_directory::{DirectoryStore, Person, Structure};
use serde_json::{Value, json};

pub(crate) struct School {
    pub app: TestApp,
    pub jv: Structure,
    pub sv: Structure,
}

pub(crate) async fn school() -> School {
    let app = TestApp::new().await;
    preau_feeds::import::import_aaf(&*app.state.store, &app.system, &crate::feeds::base_feed(), &preau_feeds::import::Options::new("RENNES"), T0, &mut |_| {})
        .await
        .expect("feed");
    let jv = app.state.store.structure_by_uai(app.system.territory, "0290009C").await.expect("Jules Verne");
    let sv = app.state.store.structure_by_uai(app.system.territory, "0750654D").await.expect("Simone Veil");
    School { app, jv, sv }
}

impl School {
    /// The person of that name in a structure.
    pub(crate) async fn who(&self, given: &str, family: &str) -> Person {
        for s in [&self.jv, &self.sv] {
            let found = self.app.state.store.people_in(s.id, None, &family.to_lowercase(), 50).await.expect("people");
            if let Some((p, _)) = found.into_iter().find(|(p, _)| p.given_name == given && p.family_name == family) {
                return p;
            }
        }
        panic!("{given} {family} is not in the feed")
    }

    /// That person, logged in.
    pub(crate) async fn browser(&self, given: &str, family: &str) -> (Person, Client) {
        let p = self.who(given, family).await;
        self.app.state.accounts.set_password_as_operator(&self.app.system, p.id, PASSWORD).await.expect("password");
        let c = self.app.login(&p).await;
        (p, c)
    }

    async fn may_write(&self, c: &Client, to: &Person) -> bool {
        let r = self.app.json(c, "GET", &format!("/api/v1/communication/may-write/{}", to.id), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["allowed"].as_bool().expect("a yes or no")
    }

    pub(crate) async fn class(&self, code: &str) -> String {
        let groups = self.app.state.store.groups_in(self.jv.id).await.expect("groups");
        groups.into_iter().find(|g| g.code == code).map(|g| g.id.to_string()).expect("the class")
    }

    async fn send(&self, c: &Client, body: Value) -> (StatusCode, Value) {
        let r = self.app.json(c, "POST", "/api/v1/messages", Some(body)).await;
        (r.status, r.json())
    }

    async fn inbox(&self, c: &Client) -> Vec<String> {
        let r = self.app.json(c, "GET", "/api/v1/messages?folder=inbox", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json().as_array().map(|a| a.iter().map(|e| e["message"]["subject"].as_str().unwrap_or("").to_owned()).collect()).unwrap_or_default()
    }
}

fn person(p: &Person) -> Value {
    json!({"kind": "person", "person": p.id})
}

fn class(group: &str, profile: &str) -> Value {
    json!({"kind": "class", "group": group, "profile": profile})
}

#[tokio::test]
async fn default_rules_let_each_profile_reach_whom_it_should_and_refuse_the_rest() {
    let s = school().await;
    let (claire, teacher) = s.browser("Claire", "Martin").await;
    let (zoe, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (_, parent) = s.browser("Anne", "Lefèvre").await;
    let (_, hugo_browser) = s.browser("Hugo", "Roux").await;
    let (ines, hugo, leo, paul, awa) = (
        s.who("Inès", "Diallo").await,
        s.who("Hugo", "Roux").await,
        s.who("Léo", "Lefèvre").await,
        s.who("Paul", "Girard").await,
        s.who("Awa", "Diallo").await,
    );
    // A pupil: the teachers of her class and the direction, not a classmate, not another school's pupil.
    assert!(s.may_write(&pupil, &claire).await);
    assert!(s.may_write(&pupil, &paul).await);
    assert!(!s.may_write(&pupil, &ines).await, "classmates only if the school allows it");
    assert!(!s.may_write(&pupil, &leo).await, "a pupil of another school");
    assert!(!s.may_write(&hugo_browser, &claire).await, "not a teacher of his class");
    // A parent: her child and her child's teachers, not another child's parent nor another child.
    assert!(s.may_write(&parent, &zoe).await);
    assert!(s.may_write(&parent, &claire).await);
    assert!(!s.may_write(&parent, &awa).await, "another child's parent");
    assert!(!s.may_write(&parent, &ines).await, "another child");
    // A teacher reaches everyone of the schools she teaches in.
    assert!(s.may_write(&teacher, &hugo).await);
    assert!(s.may_write(&teacher, &leo).await);

    // The school lets classmates write to each other: Zoé reaches Inès, still not Hugo of 4C.
    let admin = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let path = format!("/api/v1/structures/{}/communication-rules", s.jv.id);
    let r = s.app.json(&admin, "GET", &path, None).await;
    assert_eq!(r.json()["defaults"], true, "{}", r.body);
    let mut rules = r.json()["rules"].as_array().cloned().unwrap_or_default();
    assert!(rules.contains(&json!({"from": "class:TUT", "to": "class:ENS"})), "parents reach their children's teachers by default");
    rules.push(json!({"from": "class:ELV", "to": "class:ELV"}));
    let r = s.app.json(&admin, "PUT", &path, Some(json!({ "rules": rules }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["defaults"], false);
    assert!(s.may_write(&pupil, &ines).await);
    assert!(!s.may_write(&pupil, &hugo).await);
    // Nobody else changes them: a teacher, the admin of the other school.
    assert_eq!(s.app.json(&teacher, "GET", &path, None).await.status, StatusCode::FORBIDDEN);
    let other = s.app.login(&s.app.local_admin(&s.sv).await).await;
    assert_eq!(s.app.json(&other, "PUT", &path, Some(json!({"rules": []}))).await.status, StatusCode::FORBIDDEN);
    // Back to the defaults.
    assert_eq!(s.app.json(&admin, "DELETE", &path, None).await.json()["defaults"], true);
    assert!(!s.may_write(&pupil, &ines).await);
}

#[tokio::test]
async fn a_message_to_a_class_and_its_parents_is_expanded_when_sent_and_misses_the_neighbouring_class() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let c4b = s.class("4B").await;
    let (status, sent) =
        s.send(&teacher, json!({"to": [class(&c4b, "Pupil"), class(&c4b, "Parent")], "subject": "Sortie au musée", "body": "Départ à 8 h."})).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["recipients"], 5, "Zoé, Inès, Anne, Marc and Awa: {sent}");
    for (given, family) in [("Zoé", "Lefèvre"), ("Inès", "Diallo"), ("Anne", "Lefèvre"), ("Marc", "Lefèvre"), ("Awa", "Diallo")] {
        let (_, c) = s.browser(given, family).await;
        assert_eq!(s.inbox(&c).await, ["Sortie au musée"], "{given} {family}");
        assert_eq!(s.app.json(&c, "GET", "/api/v1/messages/unread", None).await.json()["unread"], 1);
    }
    for (given, family) in [("Hugo", "Roux"), ("Léo", "Lefèvre")] {
        let (_, c) = s.browser(given, family).await;
        assert!(s.inbox(&c).await.is_empty(), "{given} {family} is not in 4B nor a guardian of it");
    }
    // The class was expanded when the message left: Hugo joining 4B later does not receive it.
    let hugo = s.who("Hugo", "Roux").await;
    s.app.state.directory.add_group_member(&s.app.system, c4b.parse().expect("id"), hugo.id).await.expect("joins 4B");
    let (_, c) = s.browser("Hugo", "Roux").await;
    assert!(s.inbox(&c).await.is_empty());
    // A pupil cannot write to all the pupils of the school.
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let (status, body) = s.send(&pupil, json!({"to": [{"kind": "structure", "structure": s.jv.id, "profile": "Pupil"}], "subject": "Fête", "body": "!"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_recalled_message_disappears_from_unread_inboxes_only() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let c4b = s.class("4B").await;
    let (_, sent) = s.send(&teacher, json!({"to": [class(&c4b, "Pupil")], "subject": "Contrôle demain", "body": "Chapitre 3."})).await;
    let id = sent["id"].as_str().expect("id").to_owned();
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let (_, ines) = s.browser("Inès", "Diallo").await;
    let r = s.app.json(&zoe, "GET", &format!("/api/v1/messages/{id}"), None).await;
    assert_eq!(r.json()["message"]["body"], "Chapitre 3.");
    // Only its sender recalls it.
    assert_eq!(s.app.json(&ines, "POST", &format!("/api/v1/messages/{id}/recall"), None).await.status, StatusCode::FORBIDDEN);
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    assert_eq!(s.app.json(&hugo, "POST", &format!("/api/v1/messages/{id}/recall"), None).await.status, StatusCode::NOT_FOUND);
    let r = s.app.json(&teacher, "POST", &format!("/api/v1/messages/{id}/recall"), None).await;
    assert_eq!(r.json(), json!({"taken_back": 1, "already_read": 1}), "{}", r.body);
    assert_eq!(s.inbox(&zoe).await, ["Contrôle demain"], "Zoé had read it: she keeps it");
    assert!(s.inbox(&ines).await.is_empty(), "Inès had not: it is gone");
    assert_eq!(s.app.json(&ines, "GET", &format!("/api/v1/messages/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replies_thread_and_broadcasts_by_the_direction_cannot_be_answered() {
    let s = school().await;
    let (claire, teacher) = s.browser("Claire", "Martin").await;
    let (anne, parent) = s.browser("Anne", "Lefèvre").await;
    let (paul, head) = s.browser("Paul", "Girard").await;
    let (_, first) = s.send(&teacher, json!({"to": [person(&anne)], "bcc": [person(&paul)], "subject": "Zoé", "body": "Pouvons-nous nous voir ?"})).await;
    let first = first["id"].as_str().expect("id").to_owned();
    // Anne does not see the blind copy; the head received it.
    let r = s.app.json(&parent, "GET", &format!("/api/v1/messages/{first}"), None).await;
    assert_eq!(r.json()["message"]["addressees"].as_array().map(Vec::len), Some(1), "{}", r.body);
    assert_eq!(s.inbox(&head).await, ["Zoé"]);
    let (status, reply) = s.send(&parent, json!({"to": [person(&claire)], "subject": "Re: Zoé", "body": "Oui, jeudi.", "reply_to": first})).await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["thread"], first.as_str());
    let r = s.app.json(&teacher, "GET", &format!("/api/v1/messages/{}", reply["id"].as_str().unwrap_or("")), None).await;
    let doc = r.json();
    let thread: Vec<&str> = doc["thread"].as_array().map(|t| t.iter().filter_map(|e| e["message"]["body"].as_str()).collect()).unwrap_or_default();
    assert_eq!(thread, ["Pouvons-nous nous voir ?", "Oui, jeudi."]);

    // The head's broadcast to all parents, no reply; a teacher may not send one.
    let parents = json!([{"kind": "structure", "structure": s.jv.id, "profile": "Parent"}]);
    let (status, note) = s.send(&head, json!({"to": parents, "subject": "Grève jeudi", "body": "Le collège sera fermé.", "no_reply": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let (status, _) = s.send(&parent, json!({"to": [person(&paul)], "subject": "Re", "body": "?", "reply_to": note["id"]})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s.send(&teacher, json!({"to": parents, "subject": "x", "body": "y", "no_reply": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn drafts_scheduled_sending_trash_and_search() {
    let s = school().await;
    let (claire, teacher) = s.browser("Claire", "Martin").await;
    let (zoe, pupil) = s.browser("Zoé", "Lefèvre").await;
    // A draft waits in Drafts, then goes out, scheduled for an hour later.
    let (status, draft) = s.send(&teacher, json!({"to": [person(&zoe)], "subject": "Devoir", "body": "Exercice 4", "draft": true})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let drafts = s.app.json(&teacher, "GET", "/api/v1/messages?folder=drafts", None).await.json();
    assert_eq!(drafts.as_array().map(Vec::len), Some(1));
    let at = T0 + 3_600;
    let (status, later) =
        s.send(&teacher, json!({"to": [person(&zoe)], "subject": "Devoir", "body": "Exercice 4 page 12", "draft_id": draft["id"], "send_at": at})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(s.app.json(&teacher, "GET", "/api/v1/messages?folder=drafts", None).await.json(), json!([]));
    assert!(s.inbox(&pupil).await.is_empty(), "not before its time");
    // Before its time it does not exist for Zoé: not to open, answer or report.
    let id = later["id"].as_str().expect("the scheduled message's id").to_owned();
    assert_eq!(s.app.json(&pupil, "GET", &format!("/api/v1/messages/{id}"), None).await.status, StatusCode::NOT_FOUND);
    let (status, _) = s.send(&pupil, json!({"to": [person(&claire)], "subject": "Re", "body": "?", "reply_to": id})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let report = s.app.json(&pupil, "POST", "/api/v1/reports", Some(json!({"kind": "message", "id": id, "reason": "?"}))).await;
    assert_eq!(report.status, StatusCode::NOT_FOUND);
    s.app.clock.advance(3_600);
    assert_eq!(s.inbox(&pupil).await, ["Devoir"]);
    // Search, trash and back.
    assert_eq!(s.app.json(&pupil, "GET", "/api/v1/messages?q=PAGE%2012", None).await.json().as_array().map(Vec::len), Some(1));
    assert_eq!(s.app.json(&pupil, "GET", "/api/v1/messages?q=cantine", None).await.json(), json!([]));
    let id = s.app.json(&pupil, "GET", "/api/v1/messages", None).await.json()[0]["message"]["id"].as_str().unwrap_or("").to_owned();
    assert_eq!(s.app.json(&pupil, "PUT", &format!("/api/v1/messages/{id}/folder"), Some(json!({"folder": "trash"}))).await.status, StatusCode::NO_CONTENT);
    assert!(s.inbox(&pupil).await.is_empty());
    assert_eq!(s.app.json(&pupil, "GET", "/api/v1/messages?folder=trash", None).await.json().as_array().map(Vec::len), Some(1));
    s.app.json(&pupil, "PUT", &format!("/api/v1/messages/{id}/folder"), Some(json!({"folder": "inbox"}))).await;
    assert_eq!(s.inbox(&pupil).await, ["Devoir"]);
    // The picker offers the class's teachers to Zoé, by name.
    let picker = s.app.json(&pupil, "GET", "/api/v1/communication/picker?q=mar", None).await.json();
    assert!(picker["people"].as_array().is_some_and(|p| p.iter().any(|x| x["name"] == "Claire Martin")), "{picker}");
}

#[tokio::test]
async fn a_teacher_writes_to_a_class_through_the_pages_and_a_parent_reads_it() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    // The form's search offers the parents of 4B; "Ajouter" keeps what was written.
    let r = s.app.post_form(&teacher, "/messages/new", &[("q", "4B"), ("subject", "Réunion"), ("body", "Jeudi 18 h."), ("action", "search")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c4b = s.class("4B").await;
    let parents = format!("class:{c4b}:TUT");
    assert!(r.body.contains(&format!("value=\"{parents}\"")) && r.body.contains("Parents — 4B"), "{}", r.body);
    let r = s
        .app
        .post_form(&teacher, "/messages/new", &[("add", &parents), ("add_as", "to"), ("subject", "Réunion"), ("body", "Jeudi 18 h."), ("action", "add")])
        .await;
    assert!(r.body.contains("Jeudi 18 h.") && r.body.contains(&format!("name=\"to\" value=\"{parents}\" checked")), "{}", r.body);
    // Without a subject the form comes back with the reason and the recipients.
    let r = s.app.post_form(&teacher, "/messages/new", &[("to", &parents), ("subject", ""), ("body", "Jeudi 18 h."), ("action", "send")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("role=\"alert\"") && r.body.contains(&format!("value=\"{parents}\" checked")), "{}", r.body);
    let r = s.app.post_form(&teacher, "/messages/new", &[("to", &parents), ("subject", "Réunion"), ("body", "Jeudi 18 h."), ("action", "send")]).await;
    assert_eq!(r.location(), "/messages?done=sent", "{}", r.body);
    // Scheduled through the form in Paris time: 18:00 in Paris is 16:00 UTC in September.
    let later = [("to", parents.as_str()), ("subject", "Rappel"), ("body", "Demain."), ("send_at", "2026-09-21T18:00"), ("action", "send")];
    assert_eq!(s.app.post_form(&teacher, "/messages/new", &later).await.location(), "/messages?done=sent");
    let sent = s.app.json(&teacher, "GET", "/api/v1/messages?folder=sent", None).await.json();
    let rappel = sent.as_array().and_then(|a| a.iter().find(|e| e["message"]["subject"] == "Rappel")).cloned().unwrap_or_default();
    assert_eq!(rappel["message"]["deliver_at"], T0 + 6_400, "{sent}");
    assert!(s.app.get(&teacher, "/messages?folder=sent").await.body.contains("21/09/2026 18:00"));

    let (_, parent) = s.browser("Awa", "Diallo").await;
    let inbox = s.app.get(&parent, "/messages").await;
    assert!(inbox.body.contains("Réunion") && inbox.body.contains("class=\"unread\""), "{}", inbox.body);
    let id = inbox.body.split("<li id=\"m-").nth(1).and_then(|x| x.split('"').next()).unwrap_or("").to_owned();
    let page = s.app.get(&parent, &format!("/messages/{id}")).await;
    assert!(page.body.contains("Jeudi 18 h.") && page.body.contains("Claire Martin"), "{}", page.body);
    assert!(!s.app.get(&parent, "/messages").await.body.contains("class=\"unread\""), "read now");
    // The reply form is addressed to the teacher, quoting her.
    let reply = s.app.get(&parent, &format!("/messages/new?reply={id}")).await;
    assert!(reply.body.contains("Re: Réunion") && reply.body.contains("&#62; Jeudi 18 h.") && reply.body.contains("Claire Martin"), "{}", reply.body);
    // Someone else cannot open it.
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    assert_eq!(s.app.get(&hugo, &format!("/messages/{id}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_local_admin_sees_and_changes_the_rules_on_the_console_and_a_teacher_cannot() {
    let s = school().await;
    let admin = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let path = format!("/admin/structures/{}/communication", s.jv.id);
    let page = s.app.get(&admin, &path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("value=\"class:TUT&gt;class:ENS\"") || page.body.contains("value=\"class:TUT&#62;class:ENS\""), "{}", page.body);
    assert!(page.body.contains("Parents de la même classe → Enseignants de la même classe"));
    // Tick "pupils of the same class → pupils of the same class" on top of what is ticked.
    let mut ticked: Vec<String> = page
        .body
        .split("name=\"rule\" value=\"")
        .skip(1)
        .filter(|x| x.split('>').next().is_some_and(|tag| tag.contains(" checked")))
        .filter_map(|x| x.split('"').next())
        .map(|v| v.replace("&#62;", ">").replace("&gt;", ">"))
        .collect();
    assert!(!ticked.is_empty());
    ticked.push("class:ELV>class:ELV".into());
    let mut fields: Vec<(&str, &str)> = ticked.iter().map(|v| ("rule", v.as_str())).collect();
    fields.push(("action", "save"));
    let r = s.app.post_form(&admin, &path, &fields).await;
    assert!(r.body.contains("Règles enregistrées"), "{}", r.body);
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    assert!(s.may_write(&pupil, &s.who("Inès", "Diallo").await).await);
    assert!(s.may_write(&pupil, &s.who("Claire", "Martin").await).await, "the other rules were kept");
    // A rule the page cannot read (a stale or altered form) is refused: nothing is deleted.
    // (Without "pupils → pupils", and with a rule it does not know.)
    let mut stale: Vec<(&str, &str)> = fields.iter().copied().filter(|(_, v)| *v != "class:ELV>class:ELV").collect();
    stale.push(("rule", "class:XYZ>class:ELV"));
    let r = s.app.post_form(&admin, &path, &stale).await;
    assert!(r.body.contains("pas pu être lu"), "{}", r.body);
    assert!(s.may_write(&pupil, &s.who("Inès", "Diallo").await).await, "the rule left out of the stale form is still there");
    let (_, teacher) = s.browser("Claire", "Martin").await;
    assert_eq!(s.app.get(&teacher, &path).await.status, StatusCode::FORBIDDEN);
    let r = s.app.post_form(&admin, &path, &[("action", "reset")]).await;
    assert!(r.body.contains("règles par défaut de Préau"), "{}", r.body);
    assert!(!s.may_write(&pupil, &s.who("Inès", "Diallo").await).await);
}

#[tokio::test]
async fn news_go_from_a_teachers_draft_to_the_parents_of_a_class_once_the_head_publishes() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let (_, anne) = s.browser("Anne", "Lefèvre").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let c4b = s.class("4B").await;
    // The page's form with a profile it does not offer (a stale or altered form): refused,
    // not sent to a wider audience (nothing is created: the head's list below has one item).
    let (jv, group) = (s.jv.id.to_string(), c4b.to_string());
    let form = [("structure", jv.as_str()), ("group", group.as_str()), ("profile", "XYZ"), ("title", "Sortie"), ("body", "Vendredi."), ("action", "submit")];
    let r = s.app.post_form(&teacher, "/news/new", &form).await;
    assert!(r.body.contains("Profil inconnu") && r.body.contains("Sortie"), "{}", r.body);
    // A group it cannot read is refused too, not read as "no group" (the whole school).
    let form = [("structure", jv.as_str()), ("group", "4B"), ("title", "Sortie"), ("body", "Vendredi."), ("action", "submit")];
    let r = s.app.post_form(&teacher, "/news/new", &form).await;
    assert!(r.body.contains("pas pu être lu") && r.body.contains("Sortie"), "{}", r.body);
    let body =
        json!({"structure": s.jv.id, "group": c4b, "profiles": ["Parent"], "title": "Réunion parents-professeurs", "body": "Jeudi à 18 h.", "submit": true});
    let r = s.app.json(&teacher, "POST", "/api/v1/news", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap_or("").to_owned();
    assert_eq!(r.json()["state"], "submitted");
    let titles = |v: &Value, key: &str| {
        v[key].as_array().map(|a| a.iter().filter_map(|n| n["title"].as_str().map(str::to_owned)).collect::<Vec<_>>()).unwrap_or_default()
    };
    assert!(titles(&s.app.json(&anne, "GET", "/api/v1/news", None).await.json(), "published").is_empty(), "not before it is published");
    assert_eq!(titles(&s.app.json(&head, "GET", "/api/v1/news", None).await.json(), "to_work_on"), ["Réunion parents-professeurs"]);
    // The writer does not publish; the head does, and the parents are told.
    assert_eq!(s.app.json(&teacher, "POST", &format!("/api/v1/news/{id}/publish"), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&head, "POST", &format!("/api/v1/news/{id}/publish"), None).await.json()["state"], "published");
    assert_eq!(titles(&s.app.json(&anne, "GET", "/api/v1/news", None).await.json(), "published"), ["Réunion parents-professeurs"]);
    let feed = s.app.json(&anne, "GET", "/api/v1/notifications", None).await.json();
    assert!(feed.as_array().is_some_and(|f| f.iter().any(|n| n["link"] == format!("/news/{id}"))), "{feed}");
    // Not for the pupils of 4B, nor the other class's people.
    assert!(titles(&s.app.json(&zoe, "GET", "/api/v1/news", None).await.json(), "published").is_empty());
    assert_eq!(s.app.json(&zoe, "GET", &format!("/api/v1/news/{id}"), None).await.status, StatusCode::NOT_FOUND);
    // Pupils and parents do not write news.
    let r = s.app.json(&anne, "POST", "/api/v1/news", Some(json!({"structure": s.jv.id, "title": "Vente de gâteaux"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_news_item_is_changed_on_its_page_by_its_author_before_publication_and_by_the_head_after() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let (_, anne) = s.browser("Anne", "Lefèvre").await;
    let c4b = s.class("4B").await;
    let body = json!({"structure": s.jv.id, "group": c4b, "profiles": ["Parent"], "title": "Sortie au musée", "body": "Mardi.", "expires_at": T0 + 7 * 86_400});
    let id = s.app.json(&teacher, "POST", "/api/v1/news", Some(body)).await.json()["id"].as_str().unwrap_or("").to_owned();
    // The author's draft offers "Modifier"; the form holds the item as it is.
    assert!(s.app.get(&teacher, &format!("/news/{id}")).await.body.contains(&format!("href=\"/news/{id}/edit\"")));
    let form = s.app.get(&teacher, &format!("/news/{id}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    for held in ["value=\"Sortie au musée\"", "Mardi.</textarea>", &format!("value=\"{c4b}\" selected"), "value=\"TUT\" checked", "value=\"2026-09-28\""] {
        assert!(form.body.contains(held), "{held} in {}", form.body);
    }
    let fields = [
        ("structure", s.jv.id.to_string()),
        ("group", c4b.clone()),
        ("profile", "TUT".into()),
        ("title", "Sortie au musée d'art".into()),
        ("body", "Mardi, 9 h.".into()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(s.app.post_form(&teacher, &format!("/news/{id}/edit"), &fields).await.location(), format!("/news/{id}"));
    assert!(s.app.get(&teacher, &format!("/news/{id}")).await.body.contains("Sortie au musée d&#39;art"));
    // A parent may not change it; once published, neither may its author; the head may.
    assert_eq!(s.app.get(&anne, &format!("/news/{id}/edit")).await.status, StatusCode::NOT_FOUND);
    s.app.json(&head, "POST", &format!("/api/v1/news/{id}/publish"), None).await;
    assert_eq!(s.app.get(&anne, &format!("/news/{id}/edit")).await.status, StatusCode::FORBIDDEN);
    let page = s.app.get(&teacher, &format!("/news/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("/edit\""));
    assert_eq!(s.app.post_form(&teacher, &format!("/news/{id}/edit"), &fields).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.get(&head, &format!("/news/{id}/edit")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn public_news_are_on_the_public_page_and_in_its_atom_feed_until_they_expire() {
    let s = school().await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let body =
        json!({"structure": s.jv.id, "title": "Portes ouvertes & visite", "body": "Samedi 10 h <entrée libre>.", "public": true, "expires_at": T0 + 86_400});
    let id = s.app.json(&head, "POST", "/api/v1/news", Some(body)).await.json()["id"].as_str().unwrap_or("").to_owned();
    s.app.json(&head, "POST", &format!("/api/v1/news/{id}/publish"), None).await;
    let page = s.app.get(&Client::default(), "/s/0290009C").await;
    assert!(page.body.contains("Portes ouvertes &amp; visite") || page.body.contains("Portes ouvertes &#38; visite"), "{}", page.body);
    let atom = s.app.get(&Client::default(), "/s/0290009C/news.atom").await;
    assert!(atom.content_type().starts_with("application/atom+xml"));
    assert!(preau_sso::saml::verify::parse(&atom.body).is_ok(), "well-formed XML: {}", atom.body);
    assert!(atom.body.contains("<title>Portes ouvertes &amp; visite</title>") && atom.body.contains("&lt;entrée libre&gt;"), "{}", atom.body);
    s.app.clock.advance(2 * 86_400);
    assert!(!s.app.get(&Client::default(), "/s/0290009C/news.atom").await.body.contains("Portes ouvertes"), "expired");
}

#[tokio::test]
async fn the_carnet_de_liaison_shows_its_sender_who_acknowledged_and_reminds_the_others() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, anne) = s.browser("Anne", "Lefèvre").await;
    let (_, awa) = s.browser("Awa", "Diallo").await;
    let c4b = s.class("4B").await;
    let body = json!({"to": [class(&c4b, "Parent")], "subject": "Autorisation de sortie", "body": "Merci de confirmer.", "acknowledge": true});
    let (status, m) = s.send(&teacher, body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let id = m["id"].as_str().unwrap_or("").to_owned();
    // Anne acknowledges from the page; Awa only reads it.
    let page = s.app.get(&anne, &format!("/messages/{id}")).await;
    assert!(page.body.contains("J&#39;ai pris connaissance de ce message") || page.body.contains("J'ai pris connaissance de ce message"), "{}", page.body);
    let r = s.app.post_form(&anne, &format!("/messages/{id}/acknowledge"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    s.app.json(&awa, "GET", &format!("/api/v1/messages/{id}"), None).await;
    let acks = s.app.json(&teacher, "GET", &format!("/api/v1/messages/{id}/acknowledgements"), None).await.json();
    let state: Vec<(String, bool, bool)> = acks
        .as_array()
        .map(|a| a.iter().map(|x| (x["name"].as_str().unwrap_or("").to_owned(), !x["read_at"].is_null(), !x["acknowledged_at"].is_null())).collect())
        .unwrap_or_default();
    assert_eq!(state, [("Awa Diallo".to_owned(), true, false), ("Anne Lefèvre".to_owned(), true, true), ("Marc Lefèvre".to_owned(), false, false)]);
    // The sender reminds the two who have not confirmed; a recipient may not see the list.
    assert_eq!(s.app.json(&teacher, "POST", &format!("/api/v1/messages/{id}/remind"), None).await.json()["reminded"], 2);
    assert_eq!(s.app.json(&awa, "GET", &format!("/api/v1/messages/{id}/acknowledgements"), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&awa, "POST", &format!("/api/v1/messages/{id}/remind"), None).await.status, StatusCode::FORBIDDEN);
    let feed = s.app.json(&awa, "GET", "/api/v1/notifications", None).await.json();
    assert!(feed.as_array().is_some_and(|f| f.iter().any(|n| n["title"].as_str().is_some_and(|t| t.starts_with("Rappel")))), "{feed}");
    // Recalled: Marc, who had not read it, loses it from his feed with its reminder; Awa, who
    // read it, keeps both.
    let (_, marc) = s.browser("Marc", "Lefèvre").await;
    let told = |feed: serde_json::Value| feed.as_array().map(|f| f.iter().filter(|n| n["link"] == format!("/messages/{id}")).count()).unwrap_or(0);
    assert_eq!(told(s.app.json(&marc, "GET", "/api/v1/notifications", None).await.json()), 2, "the message and its reminder");
    assert_eq!(s.app.json(&teacher, "POST", &format!("/api/v1/messages/{id}/recall"), None).await.status, StatusCode::OK);
    assert_eq!(told(s.app.json(&marc, "GET", "/api/v1/notifications", None).await.json()), 0);
    assert_eq!(told(s.app.json(&awa, "GET", "/api/v1/notifications", None).await.json()), 2);
    // Parents may not ask for acknowledgements.
    let claire = s.who("Claire", "Martin").await;
    let (status, _) = s.send(&anne, json!({"to": [person(&claire)], "subject": "x", "body": "y", "acknowledge": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reported_message_goes_to_the_schools_moderators_who_hide_it_and_the_decision_is_logged() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (anne_p, anne) = s.browser("Anne", "Lefèvre").await;
    let (_, m) = s.send(&teacher, json!({"to": [person(&anne_p)], "subject": "Propos déplacés", "body": "Un contenu à signaler."})).await;
    let id = m["id"].as_str().unwrap_or("").to_owned();
    // Only someone who received it reports it.
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    assert_eq!(s.app.json(&hugo, "POST", "/api/v1/reports", Some(json!({"kind": "message", "id": id, "reason": "?"}))).await.status, StatusCode::NOT_FOUND);
    let moderator = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let other = s.app.login(&s.app.local_admin(&s.sv).await).await;
    let r = s.app.post_form(&anne, &format!("/messages/{id}/report"), &[("reason", "Ton inacceptable")]).await;
    assert_eq!(r.location(), format!("/messages/{id}?reported=1"), "{}", r.body);
    // Jules Verne's moderator is told in their feed; Simone Veil's admin is not.
    let feed = s.app.json(&moderator, "GET", "/api/v1/notifications", None).await.json();
    assert!(feed.as_array().is_some_and(|f| f.iter().any(|n| n["kind"] == "report" && n["link"] == "/moderation")), "{feed}");
    let feed = s.app.json(&other, "GET", "/api/v1/notifications", None).await.json();
    assert!(feed.is_array() && !feed.to_string().contains("\"report\""), "{feed}");
    // The moderators of Jules Verne see it with its content; a teacher and another school's admin do not.
    let list = s.app.json(&moderator, "GET", "/api/v1/reports", None).await.json();
    assert_eq!(list[0]["body"], "Un contenu à signaler.", "{list}");
    assert_eq!(list[0]["report"]["reason"], "Ton inacceptable");
    assert_eq!(s.app.json(&teacher, "GET", "/api/v1/reports", None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&other, "GET", "/api/v1/reports", None).await.json(), json!([]));
    let report = list[0]["report"]["id"].as_str().unwrap_or("").to_owned();
    assert_eq!(s.app.json(&other, "POST", &format!("/api/v1/reports/{report}/decision"), Some(json!({"hide": true}))).await.status, StatusCode::FORBIDDEN);
    // Hidden from the page of the moderators, then for everyone.
    let page = s.app.get(&moderator, "/moderation").await;
    assert!(page.body.contains("Un contenu à signaler."), "{}", page.body);
    let r = s.app.post_form(&moderator, &format!("/moderation/{report}"), &[("decision", "hide")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let seen = s.app.get(&anne, &format!("/messages/{id}")).await;
    assert!(seen.body.contains("masqué par la modération") && !seen.body.contains("Un contenu à signaler."), "{}", seen.body);
    assert!(seen.body.contains("<title>Propos déplacés – Préau</title>"), "the report form is in the page, not its title: {}", seen.body);
    assert_eq!(s.app.json(&teacher, "GET", &format!("/api/v1/messages/{id}"), None).await.json()["message"]["body"], "");
    let audit = s.app.json(&moderator, "GET", "/api/v1/audit", None).await.json();
    assert!(audit.to_string().contains("moderation.hide"), "{audit}");
    assert_eq!(s.app.json(&moderator, "POST", &format!("/api/v1/reports/{report}/decision"), Some(json!({"hide": false}))).await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_compose_form_never_names_someone_out_of_reach() {
    let s = school().await;
    let (_, pupil) = s.browser("Zoé", "Lefèvre").await;
    let leo = s.who("Léo", "Lefèvre").await;
    let claire = s.who("Claire", "Martin").await;
    let (far, near) = (format!("person:{}", leo.id), format!("person:{}", claire.id));
    let r = s.app.post_form(&pupil, "/messages/new", &[("to", &far), ("to", &near), ("subject", "x"), ("action", "search")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Claire Martin"), "{}", r.body);
    assert!(!r.body.contains(&far) && !r.body.contains("Léo Lefèvre"), "a pupil of another school is neither kept nor named: {}", r.body);
}

#[tokio::test]
async fn a_news_item_is_changed_by_its_author_until_published_then_by_publishers_only() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let (_, anne) = s.browser("Anne", "Lefèvre").await;
    let draft = json!({"structure": s.jv.id, "title": "Cross du collège", "body": "Mardi."});
    let id = s.app.json(&teacher, "POST", "/api/v1/news", Some(draft)).await.json()["id"].as_str().unwrap_or("").to_owned();
    let path = format!("/api/v1/news/{id}");
    let edit = |title: &str| json!({"structure": s.jv.id, "title": title, "body": "Mardi 14 h."});
    assert_eq!(s.app.json(&teacher, "PUT", &path, Some(edit("Cross du collège (14 h)"))).await.json()["title"], "Cross du collège (14 h)");
    assert_eq!(s.app.json(&anne, "PUT", &path, Some(edit("Annulé"))).await.status, StatusCode::FORBIDDEN);
    s.app.json(&head, "POST", &format!("{path}/publish"), None).await;
    assert_eq!(s.app.json(&teacher, "PUT", &path, Some(edit("Changé après coup"))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&head, "PUT", &path, Some(edit("Cross : départ 14 h"))).await.json()["title"], "Cross : départ 14 h");
}

/// Uploads a file through the API, as a client does before attaching it.
async fn upload(s: &School, c: &Client, name: &str, bytes: &[u8]) -> Resp {
    let req = axum::http::Request::post(format!("/api/v1/attachments?name={}", enc(name))).header("x-csrf-token", c.csrf.clone());
    s.app.send(c, req, axum::body::Body::from(bytes.to_vec())).await
}

/// The files kept in storage.
fn stored_files(s: &School) -> usize {
    s.app.stored_blobs()
}

#[tokio::test]
async fn attachments_reach_the_recipients_only_and_never_run_in_the_browser() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    // An HTML file, with a path in its name: kept under its own name, typed from its content.
    let html = b"<html><script>alert(document.cookie)</script></html>";
    let r = upload(&s, &teacher, "../../sortie.html", html).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let file = r.json();
    assert_eq!(
        (file["name"].as_str(), file["content_type"].as_str(), file["size"].as_i64()),
        (Some("sortie.html"), Some("application/octet-stream"), Some(html.len() as i64))
    );
    let c4b = s.class("4B").await;
    let (status, m) =
        s.send(&teacher, json!({"to": [class(&c4b, "Pupil")], "subject": "Sortie", "body": "Le programme est joint.", "attachments": [file["id"]]})).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    let path = format!("/messages/{}/attachments/{}", m["id"].as_str().unwrap_or(""), file["id"].as_str().unwrap_or(""));
    // Zoé, in 4B, sees it listed on the message and downloads it as a file that cannot run.
    let page = s.app.get(&zoe, &format!("/messages/{}", m["id"].as_str().unwrap_or(""))).await;
    assert!(page.body.contains(&format!("href=\"{path}\"")) && page.body.contains("sortie.html ("), "{}", page.body);
    let r = s.app.get(&zoe, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.as_bytes(), html);
    let h = |k: &str| r.headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(h("content-disposition").starts_with("attachment; filename=\"sortie.html\""), "{}", h("content-disposition"));
    assert_eq!((h("content-type").as_str(), h("x-content-type-options").as_str()), ("application/octet-stream", "nosniff"));
    assert!(h("content-security-policy").contains("sandbox"));
    assert_eq!(s.app.json(&zoe, "GET", &format!("/api/v1{path}"), None).await.status, StatusCode::OK);
    // Hugo (4C) and the head received nothing: not found, by the page or the API.
    for c in [&hugo, &head] {
        assert_eq!(s.app.get(c, &path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(s.app.json(c, "GET", &format!("/api/v1{path}"), None).await.status, StatusCode::NOT_FOUND);
    }
    // Nobody attaches a file that is not theirs, nor one already sent with another message.
    let (status, _) = s.send(&hugo, json!({"to": [class(&c4b, "Teacher")], "subject": "x", "body": "y", "attachments": [file["id"]]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = s.send(&teacher, json!({"to": [class(&c4b, "Pupil")], "subject": "x", "body": "y", "attachments": [file["id"]]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn uploads_over_the_limits_are_refused_whole_and_unattached_ones_are_purged_after_a_day() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    assert_eq!(upload(&s, &teacher, "vide.txt", b"").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let r = upload(&s, &teacher, "film.mp4", &big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("10 Mo") || r.body.contains("10 MB"), "{}", r.body);
    assert_eq!(stored_files(&s), 0, "nothing kept of a refused upload");
    let r = upload(&s, &teacher, "cours.pdf", b"%PDF-1.4 le cours").await;
    assert_eq!(r.json()["content_type"], "application/pdf");
    assert_eq!(stored_files(&s), 1);
    // A day later, never attached: the file and its record are gone.
    s.app.clock.advance(86_400 + 60);
    assert_eq!(preau_web::communication::attachments::purge(&s.app.state).await.expect("purge"), 1);
    assert_eq!(stored_files(&s), 0);
    let teacher = s.app.login(&s.who("Claire", "Martin").await).await;
    let c4b = s.class("4B").await;
    let (status, _) = s.send(&teacher, json!({"to": [class(&c4b, "Pupil")], "subject": "x", "body": "y", "attachments": [r.json()["id"]]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A compose form with a file, as a browser sends it (`multipart/form-data`).
fn compose_form(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----preau-compose";
    let mut body = vec![];
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").into_bytes());
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n")
                .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_teacher_attaches_a_file_in_the_compose_form_keeps_it_in_a_draft_and_sends_it() {
    let s = school().await;
    let (_, teacher) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let pupils = format!("class:{}:ELV", s.class("4B").await);
    let post = |fields: Vec<(&'static str, String)>, file: Option<(&'static str, &'static [u8])>| {
        let fields: Vec<(&str, String)> = fields;
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (kind, body) = compose_form(&refs, file);
        let req = axum::http::Request::post("/messages/new").header(axum::http::header::CONTENT_TYPE, kind);
        s.app.send(&teacher, req, axum::body::Body::from(body))
    };
    // Without the form's token first, no file is kept.
    let r = post(vec![("to", pupils.clone()), ("action", "send".into())], Some(("devoir.pdf", b"%PDF-1.4 devoir"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(stored_files(&s), 0);
    // Saved as a draft with its file; the draft's form shows the file, chosen.
    let fields = vec![
        ("csrf", teacher.csrf.clone()),
        ("to", pupils.clone()),
        ("subject", "Devoir".into()),
        ("body", "Voir le sujet.".into()),
        ("action", "draft".into()),
    ];
    let r = post(fields, Some(("devoir.pdf", b"%PDF-1.4 devoir"))).await;
    assert!(r.location().starts_with("/messages?folder=drafts"), "{} {}", r.status, r.body);
    let draft = s.app.json(&teacher, "GET", "/api/v1/messages?folder=drafts", None).await.json()[0]["message"].clone();
    let file = draft["attachments"][0]["id"].as_str().unwrap_or("").to_owned();
    assert_eq!(draft["attachments"][0]["name"], "devoir.pdf", "{draft}");
    let form = s.app.get(&teacher, &format!("/messages/new?draft={}", draft["id"].as_str().unwrap_or(""))).await;
    assert!(form.body.contains(&format!("name=\"attachment\" value=\"{file}\" checked")) && form.body.contains("devoir.pdf ("), "{}", form.body);
    // Sent from the draft: Zoé downloads the file.
    let fields = vec![
        ("csrf", teacher.csrf.clone()),
        ("draft_id", draft["id"].as_str().unwrap_or("").to_owned()),
        ("to", pupils.clone()),
        ("subject", "Devoir".into()),
        ("body", "Voir le sujet.".into()),
        ("attachment", file.clone()),
        ("action", "send".into()),
    ];
    assert_eq!(post(fields, None).await.location(), "/messages?done=sent");
    let got = s.app.json(&zoe, "GET", "/api/v1/messages", None).await.json()[0]["message"].clone();
    assert_eq!(got["attachments"][0]["id"], file.as_str(), "{got}");
    let r = s.app.get(&zoe, &format!("/messages/{}/attachments/{file}", got["id"].as_str().unwrap_or(""))).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "%PDF-1.4 devoir"));
}
