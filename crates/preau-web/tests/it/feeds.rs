//! AAF imports: hand-written small feeds covering each rule, on SQLite and PostgreSQL.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::{Error, Profile};
use preau_directory::DirectoryStore;
use preau_feeds::aaf::generate::entry;
use preau_feeds::import::{Options, import_aaf};
use preau_feeds::report::{Outcome, Report};
use std::path::Path;

fn v(s: &str) -> Vec<String> {
    vec![s.to_owned()]
}

fn vs(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| (*x).to_owned()).collect()
}

fn file(dir: &Path, category: &str, index: u32, entries: &[String]) {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR>\n{}</ficAlimMENESR>\n", entries.concat());
    std::fs::write(dir.join(format!("ENT_Complet_20260901_{category}_{index:04}.xml")), body).expect("write");
}

fn school(id: &str, uai: &str, name: &str) -> String {
    entry(
        "categorieStructure",
        "EtabEducNat",
        id,
        &[("ENTStructureJointure", v(id)), ("ENTStructureUAI", v(uai)), ("ENTStructureNomCourant", v(name)), ("ENTStructureTypeStruct", v("COLLEGE"))],
    )
}

fn pupil(id: &str, given: &str, family: &str, school: &str, class: &str, relatives: &[&str]) -> String {
    entry(
        "categoriePersonne",
        "Eleve",
        id,
        &[
            ("ENTPersonJointure", v(id)),
            ("sn", v(family)),
            ("givenName", v(given)),
            ("ENTPersonDateNaissance", v("14/03/2012")),
            ("ENTPersonStructRattach", v(school)),
            ("ENTEleveClasses", v(&format!("{school}${class}"))),
            ("ENTElevePersRelEleve", vs(relatives)),
        ],
    )
}

fn relative(id: &str, given: &str, family: &str) -> String {
    entry(
        "categoriePersonne",
        "PersRelEleve",
        id,
        &[("ENTPersonJointure", v(id)), ("sn", v(family)), ("givenName", v(given)), ("mail", v(&format!("r{id}@example.org")))],
    )
}

fn teacher(id: &str, given: &str, family: &str, fonctions: &[&str], classes_subjects: &[&str], principal: &[&str]) -> String {
    entry(
        "categoriePersonne",
        "PersEducNat",
        id,
        &[
            ("ENTPersonJointure", v(id)),
            ("sn", v(family)),
            ("givenName", v(given)),
            ("ENTPersonFonctions", vs(fonctions)),
            ("ENTAuxEnsClassesMatieres", vs(classes_subjects)),
            ("ENTAuxEnsClassesPrincipal", vs(principal)),
            ("ENTAttributInventeParUneAcademie", v("x")),
        ],
    )
}

/// A small académie: two collèges, four pupils, their relatives, two teachers.
pub fn base_feed() -> ScratchDir {
    let dir = ScratchDir::new("preau-aaf");
    file(&dir, "EtabEducNat", 0, &[school("100", "0290009C", "COLLEGE JULES VERNE"), school("200", "0750654D", "COLLEGE SIMONE VEIL")]);
    file(
        &dir,
        "MatiereEducNat",
        0,
        &[entry("categorieMatiere", "MatEducNat", "030201", &[("ENTMatJointure", v("030201")), ("ENTLibelleMatiere", v("ANGLAIS LV1"))])],
    );
    file(
        &dir,
        "Eleve",
        0,
        &[
            pupil("1", "Zoé", "Lefèvre", "100", "4B", &["501$10$1$1$0$1", "502$20$1$1$0$1", "503$50$0$0$1$0"]),
            pupil("2", "Léo", "Lefèvre", "200", "6A", &["501$10$1$1$0$1"]),
        ],
    );
    file(&dir, "Eleve", 1, &[pupil("3", "Inès", "Diallo", "100", "4B", &["504$10$1$1$0$1"]), pupil("4", "Hugo", "Roux", "100", "4C", &[])]);
    file(
        &dir,
        "PersRelEleve",
        0,
        &[relative("501", "Anne", "Lefèvre"), relative("502", "Marc", "Lefèvre"), relative("503", "Mamie", "Lefèvre"), relative("504", "Awa", "Diallo")],
    );
    file(
        &dir,
        "PersEducNat",
        0,
        &[
            teacher(
                "900",
                "Claire",
                "Martin",
                &["100$ENS$ENSEIGNEMENT$L0422$ANGLAIS", "200$ENS$ENSEIGNEMENT$L0422$ANGLAIS"],
                &["100$4B$030201", "200$6A$030201"],
                &["100$4B"],
            ),
            teacher("901", "Paul", "Girard", &["100$DIR$DIRECTION$$PRINCIPAL"], &[], &[]),
        ],
    );
    dir
}

fn opts(dry_run: bool) -> Options {
    Options { dry_run, ..Options::new("RENNES") }
}

async fn run(app: &TestApp, dir: &Path, dry_run: bool) -> Result<Report, Error> {
    import_aaf(&*app.state.store, &app.system, dir, &opts(dry_run), T0, &mut |_| {}).await
}

async fn people_count(app: &TestApp) -> usize {
    let mut n = 0;
    for s in app.state.store.structures(app.system.territory).await.expect("structures") {
        n += app.state.store.people_in(s.id, None, "", 10_000).await.expect("people").len();
    }
    n
}

#[tokio::test]
async fn a_full_extract_builds_schools_people_classes_and_links() {
    let app = TestApp::new().await;
    let dir = base_feed();
    let report = run(&app, &dir, false).await.expect("import");
    assert_eq!(report.get("Eleve", Outcome::Created), 4);
    assert_eq!(report.get("PersRelEleve", Outcome::Created), 3, "three legal guardians get accounts");
    assert_eq!(report.get("PersEducNat", Outcome::Created), 2);
    assert!(report.warnings.keys().any(|w| w.contains("ENTAttributInventeParUneAcademie")), "unknown attributes are warnings");
    let t = app.system.territory;
    let zoe = app.state.store.person_by_login(t, "zoe.lefevre").await.expect("zoe");
    let parents = app.state.store.parents(zoe.id).await.expect("parents");
    assert_eq!(parents.iter().filter(|(_, legal)| *legal).count(), 2, "two legal guardians");
    let (mamie, legal) = parents.iter().find(|(p, _)| p.given_name == "Mamie").expect("the grandmother is kept as a contact");
    assert!(!legal);
    assert!(app.state.store.memberships(mamie.id).await.expect("m").is_empty(), "a contact has no profile, so no portal");
    assert_eq!(report.get("PersRelEleve (contacts)", Outcome::Created), 1);
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let page = app.get(&c, &format!("/admin/people/{}", zoe.id)).await.body;
    assert!(page.contains("Mamie Lefèvre") && page.contains("Contact, sans autorité parentale"), "the pupil's page lists the contact");
    let anne = app.state.store.person_by_login(t, "anne.lefevre").await.expect("anne");
    let anne_schools = app.state.store.memberships(anne.id).await.expect("m");
    assert_eq!(anne_schools.len(), 2, "a parent with children in two schools is a parent in both");
    assert!(anne_schools.iter().all(|m| m.profile == Profile::Parent));
    let claire = app.state.store.person_by_login(t, "claire.martin").await.expect("claire");
    assert_eq!(app.state.store.memberships(claire.id).await.expect("m").len(), 2, "a teacher in two schools");
    assert_eq!(app.state.store.teachings_of(claire.id).await.expect("t").len(), 2);
    let girard = app.state.store.person_by_login(t, "paul.girard").await.expect("girard");
    assert_eq!(app.state.store.memberships(girard.id).await.expect("m")[0].profile, Profile::Direction);
    let jv = app.state.store.structure_by_uai(t, "0290009C").await.expect("school");
    let class = app.state.store.groups_in(jv.id).await.expect("groups").into_iter().find(|g| g.code == "4B").expect("4B");
    assert_eq!(app.state.store.group_members(class.id).await.expect("members").len(), 3, "two pupils and their teacher");
}

#[tokio::test]
async fn contacts_can_be_left_out_by_configuration() {
    let app = TestApp::new().await;
    let dir = base_feed();
    let o = Options { contacts: false, ..opts(false) };
    let report = import_aaf(&*app.state.store, &app.system, &dir, &o, T0, &mut |_| {}).await.expect("import");
    assert_eq!(report.get("PersRelEleve (contacts)", Outcome::Created), 0);
    let zoe = app.state.store.person_by_login(app.system.territory, "zoe.lefevre").await.expect("zoe");
    let parents = app.state.store.parents(zoe.id).await.expect("parents");
    assert_eq!(parents.len(), 2, "only the legal guardians");
    assert!(parents.iter().all(|(_, legal)| *legal));
}

#[tokio::test]
async fn re_importing_the_same_feed_changes_nothing() {
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("first");
    let again = run(&app, &dir, false).await.expect("second");
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(again.get("Eleve", Outcome::Unchanged), 4);
    assert_eq!(people_count(&app).await, 11);
}

#[tokio::test]
async fn a_pupil_who_changes_class_moves_and_one_who_leaves_is_detached_then_restored() {
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("first");
    file(&dir, "Eleve", 1, &[pupil("3", "Inès", "Diallo", "100", "4C", &["504$10$1$1$0$1"])]);
    let r = run(&app, &dir, false).await.expect("second");
    assert_eq!(r.get("Eleve", Outcome::Updated), 1);
    assert_eq!(r.get("Personnes", Outcome::Detached), 1, "Hugo left");
    let t = app.system.territory;
    let ines = app.state.store.person_by_login(t, "ines.diallo").await.expect("ines");
    let groups: Vec<String> = app.state.store.groups_of(ines.id).await.expect("g").into_iter().map(|g| g.code).collect();
    assert_eq!(groups, vec!["4C"]);
    let hugo = app.state.store.person_by_login(t, "hugo.roux").await.expect("hugo is kept, not deleted");
    assert!(app.state.store.memberships(hugo.id).await.expect("m").is_empty(), "but no longer in a school");
    file(&dir, "Eleve", 1, &[pupil("3", "Inès", "Diallo", "100", "4C", &["504$10$1$1$0$1"]), pupil("4", "Hugo", "Roux", "100", "4C", &[])]);
    let r = run(&app, &dir, false).await.expect("third");
    assert_eq!(r.get("Eleve", Outcome::Restored), 1);
    assert_eq!(app.state.store.memberships(hugo.id).await.expect("m").len(), 1);
    assert_eq!(app.state.store.person_by_login(t, "hugo.roux").await.expect("same account").id, hugo.id);
}

/// Claire sets homework to hand in for 4C at Jules Verne; Hugo (logged in as `hugo`) hands in.
async fn hand_in_a_copy(app: &TestApp, hugo: &Client) {
    let t = app.system.territory;
    let jv = app.state.store.structure_by_uai(t, "0290009C").await.expect("Jules Verne");
    let class = app.state.store.groups_in(jv.id).await.expect("groups").into_iter().find(|g| g.code == "4C").expect("4C");
    let claire = app.state.store.person_by_login(t, "claire.martin").await.expect("Claire");
    app.state.accounts.set_password_as_operator(&app.system, claire.id, PASSWORD).await.expect("password");
    let admin = app.login(&app.local_admin(&jv).await).await;
    let body = serde_json::json!({"subject": "Anglais", "groups": [class.id], "teachers": [claire.id], "weekday": 1, "start": "09:00", "end": "09:55", "from": "2026-09-01", "to": "2027-07-02"});
    let course = app.json(&admin, "POST", &format!("/api/v1/structures/{}/courses", jv.id), Some(body)).await.json()["id"].as_str().expect("course").to_owned();
    let teacher = app.login(&claire).await;
    let hw = serde_json::json!({"due": "2026-09-28", "instructions": "Essay", "hand_in": true});
    let r = app.json(&teacher, "POST", &format!("/api/v1/cahier/lessons/{course}/2026-09-21/homework"), Some(hw)).await;
    let id = r.json()["id"].as_str().expect("homework").to_owned();
    let req = axum::http::Request::put(format!("/api/v1/homework/{id}/copy?name=essay.txt")).header("x-csrf-token", hugo.csrf.clone());
    assert_eq!(app.send(hugo, req, axum::body::Body::from("my essay")).await.status, axum::http::StatusCode::CREATED);
}

#[tokio::test]
async fn detached_people_are_deleted_after_the_retention_delay_and_only_them() {
    use preau_feeds::retention::{DEFAULT_RETENTION_DAYS, purge_detached};
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("first");
    let school = app.school("0290010D", "École à la main").await;
    let manual = app.person("Marie", "Manuelle", &school, Profile::Teacher).await;
    // Hugo keeps a file in his own documents while he is a pupil.
    let hugo = app.state.store.person_by_login(app.system.territory, "hugo.roux").await.expect("Hugo");
    app.state.accounts.set_password_as_operator(&app.system, hugo.id, PASSWORD).await.expect("password");
    let c = app.login(&hugo).await;
    let req = axum::http::Request::put(format!("/api/v1/documents/spaces/person:{}/files?name=notes.txt", hugo.id)).header("x-csrf-token", c.csrf.clone());
    assert_eq!(app.send(&c, req, axum::body::Body::from("mes notes")).await.status, axum::http::StatusCode::CREATED);
    // And a copy handed in for homework of his class.
    hand_in_a_copy(&app, &c).await;
    assert_eq!(app.stored_blobs(), 2);
    file(&dir, "Eleve", 1, &[pupil("3", "Inès", "Diallo", "100", "4B", &["504$10$1$1$0$1"])]);
    run(&app, &dir, false).await.expect("Hugo leaves");
    let t = app.system.territory;
    let hugo = app.state.store.person_by_login(t, "hugo.roux").await.expect("kept while detached");
    let day = 86_400;
    assert_eq!(purge_detached(&*app.state.store, &app.system, T0 + 60 * day, DEFAULT_RETENTION_DAYS).await.expect("purge"), 0, "two months: kept");
    assert!(app.state.store.person(hugo.id).await.is_ok());
    let n = purge_detached(&*app.state.store, &app.system, T0 + (DEFAULT_RETENTION_DAYS + 1) * day, DEFAULT_RETENTION_DAYS).await.expect("purge");
    assert_eq!(n, 1, "three months and a day: deleted");
    assert!(app.state.store.person(hugo.id).await.is_err());
    // His documents go with him.
    preau_web::documents::purge_departed(&app.state).await.expect("documents purge");
    assert_eq!(app.stored_blobs(), 0, "his file's and his copy's bytes are deleted");
    let left = preau_documents::DocumentStore::space_nodes(&*app.state.store, &format!("person:{}", hugo.id)).await.expect("nodes");
    assert!(left.is_empty(), "his space is gone");
    assert!(app.state.store.person(manual.id).await.is_ok(), "a manual account is never purged");
    assert!(app.state.store.person_by_login(t, "ines.diallo").await.is_ok(), "nor anyone still in the feed");
    let local = app.local_admin(&school).await;
    let caller = app.state.directory.principal_for(t, local.id).await.expect("principal");
    assert!(matches!(purge_detached(&*app.state.store, &caller, T0, 0).await, Err(Error::Forbidden)), "a local admin cannot purge");
}

#[tokio::test]
async fn a_manual_account_and_its_fed_twin_are_proposed_then_merged_or_kept_apart() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège Jules Verne").await;
    let mut ids = vec![];
    for (given, family) in [("ZOÉ", "LEFEVRE"), ("Léo", "Lefèvre")] {
        let input = preau_directory::people::PersonInput {
            given_name: given.into(),
            family_name: family.into(),
            birth_date: Some("2012-03-14".into()),
            email: None,
            structure: school.id.to_string(),
            profile: "ELV".into(),
        };
        let p = app.state.directory.create_person(&app.system, &input).await.expect("manual");
        app.state.accounts.set_password_as_operator(&app.system, p.id, PASSWORD).await.expect("password");
        ids.push(p);
    }
    let (zoe, leo) = (ids[0].clone(), ids[1].clone());
    let report = run(&app, &base_feed(), false).await.expect("import");
    assert_eq!(report.warnings.iter().find(|(w, _)| w.contains("doublon probable")).map(|(_, n)| *n), Some(2), "{report}");
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let page = app.get(&c, "/admin/duplicates").await.body;
    assert!(page.contains(&zoe.login) && page.contains(&leo.login), "both pairs are proposed");
    let t = app.system.territory;
    let fed_zoe = app.state.store.person_by_login(t, "zoe.lefevre2").await.expect("the feed made a second Zoé");
    let fed_leo = app.state.store.person_by_login(t, "leo.lefevre2").await.expect("and a second Léo");
    let r = app.post_form(&c, &format!("/admin/duplicates/{}/{}/reject", leo.id, fed_leo.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.post_form(&c, &format!("/admin/duplicates/{}/{}/merge", zoe.id, fed_zoe.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.get(&c, "/admin/duplicates").await.body.contains("Aucun doublon probable"), "decided pairs are not proposed again");
    assert_eq!(app.state.store.person_by_login(t, "zoe.lefevre2").await.expect("alias").id, zoe.id, "the fed login now opens the kept account");
    let groups: Vec<String> = app.state.store.groups_of(zoe.id).await.expect("groups").into_iter().map(|g| g.code).collect();
    assert_eq!(groups, vec!["4B"], "the kept account has the feed's class");
    assert_eq!(app.state.store.parents(zoe.id).await.expect("parents").iter().filter(|(_, l)| *l).count(), 2, "and the feed's guardians");
    app.login(&zoe).await;
    let again = run(&app, &base_feed(), false).await.expect("re-import");
    assert_eq!(again.get("Eleve", Outcome::Created), 0, "the next feed recognises the merged account: {again}");
    assert!(app.state.store.person(fed_leo.id).await.is_ok() && app.state.store.person(leo.id).await.is_ok(), "a rejected pair stays two people");
    let local = app.local_admin(&school).await;
    let lc = app.login(&local).await;
    assert_eq!(app.get(&lc, "/admin/duplicates").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_form(&lc, &format!("/admin/duplicates/{}/{}/reject", leo.id, fed_leo.id), &[]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn manual_accounts_are_never_touched_by_a_feed() {
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("first");
    let jv = app.state.store.structure_by_uai(app.system.territory, "0290009C").await.expect("school");
    let manual = app.person("Zoé", "Lefèvre", &jv, Profile::Guest).await;
    assert_eq!(manual.login, "zoe.lefevre2");
    std::fs::remove_file(dir.join("ENT_Complet_20260901_Eleve_0001.xml")).expect("rm");
    let r = run(&app, &dir, false).await.expect("second");
    assert_eq!(r.get("Personnes", Outcome::Detached), 2);
    assert_eq!(app.state.store.memberships(manual.id).await.expect("m").len(), 1, "the manual account keeps its profile");
}

#[tokio::test]
async fn a_feed_that_fails_half_way_leaves_the_directory_untouched() {
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("first");
    let before = people_count(&app).await;
    file(&dir, "Eleve", 1, &[pupil("3", "Inès", "Diallo-Nouvelle", "100", "4C", &[])]);
    std::fs::write(dir.join("ENT_Complet_20260901_PersEducNat_0001.xml"), "<ficAlimMENESR><addRequest><attributes></addRequest>").expect("broken file");
    let err = run(&app, &dir, false).await.expect_err("malformed XML fails the import");
    assert!(matches!(err, Error::Invalid(ref f) if f[0].field.contains("PersEducNat_0001")), "{err:?}");
    assert_eq!(people_count(&app).await, before);
    assert!(app.state.store.person_by_login(app.system.territory, "ines.diallo").await.is_ok(), "the earlier change was rolled back");
}

#[tokio::test]
async fn bad_records_are_rejected_with_their_reason_and_the_rest_applies() {
    let app = TestApp::new().await;
    let dir = base_feed();
    let bad_date = entry(
        "categoriePersonne",
        "Eleve",
        "7",
        &[
            ("ENTPersonJointure", v("7")),
            ("sn", v("Petit")),
            ("givenName", v("Lou")),
            ("ENTPersonDateNaissance", v("31/02/2012")),
            ("ENTPersonStructRattach", v("100")),
        ],
    );
    let no_name = entry("categoriePersonne", "Eleve", "8", &[("ENTPersonJointure", v("8")), ("givenName", v("Sans")), ("ENTPersonStructRattach", v("100"))]);
    let duplicate = pupil("4", "Hugo", "Roux", "100", "4C", &[]);
    file(&dir, "Eleve", 2, &[bad_date, no_name, duplicate]);
    let r = run(&app, &dir, false).await.expect("import");
    assert_eq!(r.get("Eleve", Outcome::Created), 4);
    assert_eq!(r.get("Eleve", Outcome::Rejected), 3);
    let reasons: Vec<&str> = r.rejected.iter().map(|x| x.reason.as_str()).collect();
    assert!(reasons.iter().any(|x| x.contains("date de naissance mal formée : 31/02/2012")), "{reasons:?}");
    assert!(reasons.iter().any(|x| x.contains("nom manquant")));
    assert!(reasons.iter().any(|x| x.contains("identifiant en double")));
}

/// A pupil of no known school, 600 namesakes (more than one batch of people), then the first
/// namesake and the pupil of no school again, in a later file.
fn namesakes_and_a_late_duplicate(dir: &Path) {
    let mut pupils = vec![pupil("x1", "Noé", "Sansecole", "999", "4B", &[])];
    pupils.extend((0..600).map(|i| pupil(&format!("n{i}"), "Léa", "Martin", "100", "4B", &[])));
    file(dir, "Eleve", 2, &pupils);
    file(dir, "Eleve", 3, &[pupil("n0", "Léa", "Martin", "100", "4C", &[]), pupil("x1", "Noé", "Sansecole", "100", "4C", &[])]);
}

#[tokio::test]
async fn a_duplicate_read_long_after_its_first_record_is_rejected_on_every_import() {
    let app = TestApp::new().await;
    let dir = base_feed();
    namesakes_and_a_late_duplicate(&dir);
    let first = run(&app, &dir, false).await.expect("first");
    assert_eq!(first.get("Eleve", Outcome::Created), 604, "{first}");
    assert_eq!(first.get("Eleve", Outcome::Rejected), 3, "{first}");
    for reason in ["identifiant en double : n0", "identifiant en double : x1", "aucune structure connue"] {
        assert!(first.rejected.iter().any(|r| r.reason == reason), "{reason}: {:?}", first.rejected);
    }
    // Every namesake got a login of their own; the duplicate did not move the first to 4C.
    let t = app.system.territory;
    for login in ["lea.martin", "lea.martin2", "lea.martin600"] {
        assert!(app.state.store.person_by_login(t, login).await.is_ok(), "{login}");
    }
    assert!(app.state.store.person_by_login(t, "lea.martin601").await.is_err());
    let school = app.state.store.structures(t).await.expect("s").into_iter().find(|s| s.uai.as_str() == "0290009C").expect("school");
    let class_4c = app.state.store.groups_in(school.id).await.expect("g").into_iter().find(|g| g.code == "4C").expect("4C");
    assert_eq!(app.state.store.group_members(class_4c.id).await.expect("m").len(), 1, "only Hugo");
    let again = run(&app, &dir, false).await.expect("again");
    assert!(!again.changed_anything(), "{again}");
    assert_eq!(again.get("Eleve", Outcome::Unchanged), 604);
    for reason in ["identifiant en double : n0", "identifiant en double : x1"] {
        assert!(again.rejected.iter().any(|r| r.reason == reason), "{reason}: {:?}", again.rejected);
    }
    assert_eq!(people_count(&app).await, 611);
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let app = TestApp::new().await;
    let dir = base_feed();
    let r = run(&app, &dir, true).await.expect("dry run");
    assert!(r.dry_run);
    assert_eq!(r.get("Eleve", Outcome::Created), 4);
    assert!(app.state.store.structures(app.system.territory).await.expect("s").is_empty());
}

#[tokio::test]
async fn iso_8859_15_feeds_keep_their_accents() {
    let app = TestApp::new().await;
    let dir = base_feed();
    let xml =
        format!("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n<ficAlimMENESR>\n{}</ficAlimMENESR>\n", pupil("1", "Zoé", "Lefèvre", "100", "4B", &[]));
    let bytes: Vec<u8> = xml.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect();
    std::fs::write(dir.join("ENT_Complet_20260901_Eleve_0000.xml"), bytes).expect("latin file");
    run(&app, &dir, false).await.expect("import");
    let zoe = app.state.store.person_by_login(app.system.territory, "zoe.lefevre").await.expect("zoe");
    assert_eq!(zoe.family_name, "Lefèvre");
}

/// A small 1st-degree (AAF 1D, from ONDE) extract: a primary school, its pupils with their class
/// and the holders of parental authority, a teacher and a directrice who also teaches.
#[tokio::test]
async fn a_first_degree_feed_uses_its_own_attribute_set() {
    let app = TestApp::new().await;
    let dir = ScratchDir::new("preau-aaf1d");
    file(
        &dir,
        "EtabEducNat",
        0,
        &[entry(
            "categorieStructure",
            "EtabEducNat",
            "3000",
            &[
                ("ENTStructureJointure", v("3000")),
                ("ENTStructureUAI", v("0291234J")),
                ("ENTStructureNomCourant", v("ECOLE ELEMENTAIRE PUBLIQUE$JEAN JAURES")),
                ("ENTStructureTypeStruct", v("ECOLE DE NIVEAU ELEMENTAIRE")),
                ("ENTStructureVille", v("BREST")),
                ("ENTEcoleCirconscription", v("BREST NORD")),
            ],
        )],
    );
    let eleve = |id: &str, given: &str, family: &str, class: &str, parents: &[&str]| {
        entry(
            "categoriePersonne",
            "Eleve",
            id,
            &[
                ("ENTPersonJointure", v(id)),
                ("ENTPersonNom", v(family)),
                ("ENTPersonPrenom", v(given)),
                ("ENTPersonDateNaissance", v("02/05/2016")),
                ("ENTPersonStructRattach", v("3000")),
                ("ENTPersonClasses", v(&format!("3000$$${}$CM2 {class}", class.to_lowercase()))),
                ("ENTEleveAutoriteParentale", vs(parents)),
                ("ENTEleveNiveau", v("CM2")),
                ("ENTEleveCycle", v("CYCLE III")),
                ("ENTEleveRestaurantScolaire", v("O")),
            ],
        )
    };
    file(&dir, "Eleve", 0, &[eleve("11", "Lina", "Kerouac", "A", &["71$10", "72$20"]), eleve("12", "Tom", "Le Gall", "B", &["73$10"])]);
    let parent = |id: &str, given: &str, family: &str| {
        entry(
            "categoriePersonne",
            "PersRelEleve",
            id,
            &[("ENTPersonJointure", v(id)), ("ENTPersonNom", v(family)), ("ENTPersonPrenom", v(given)), ("ENTPersRelEleveTelMobile", v("0600000000"))],
        )
    };
    file(&dir, "PersRelEleve", 0, &[parent("71", "Maëlle", "Kerouac"), parent("72", "Yann", "Kerouac"), parent("73", "Soizic", "Le Gall")]);
    let staff = |id: &str, given: &str, family: &str, extra: &[(&str, Vec<String>)]| {
        let mut attrs = vec![
            ("ENTPersonJointure", v(id)),
            ("ENTPersonNom", v(family)),
            ("ENTPersonPrenom", v(given)),
            ("ENTPersonMail", v(&format!("{}@ac-rennes.fr", given.to_lowercase()))),
            ("ENTPersonStructRattach", v("3000")),
            ("ENTPersonFonctions", v("3000$ENS$ENSEIGNANT$-$-")),
        ];
        attrs.extend(extra.iter().cloned());
        entry("categoriePersonne", "PersEducNat", id, &attrs)
    };
    file(
        &dir,
        "PersEducNat",
        0,
        &[staff("91", "Gwen", "Morvan", &[]), staff("92", "Anne", "Riou", &[("ENTEnsFonctionDir", v("3000")), ("ENTPersonCategorieEnseignant", v("O"))])],
    );
    let report = run(&app, &dir, false).await.expect("import");
    assert!(report.warnings.keys().all(|w| !w.contains("attribut inconnu")), "the 1D attribute set is known: {report}");
    assert_eq!(
        (report.get("Eleve", Outcome::Created), report.get("PersRelEleve", Outcome::Created), report.get("PersEducNat", Outcome::Created)),
        (2, 3, 2),
        "{report}"
    );
    let t = app.system.territory;
    let school = app.state.store.structure_by_uai(t, "0291234J").await.expect("school");
    assert_eq!(school.name, "ECOLE ELEMENTAIRE PUBLIQUE - JEAN JAURES");
    let lina = app.state.store.person_by_login(t, "lina.kerouac").await.expect("lina");
    let classes: Vec<String> = app.state.store.groups_of(lina.id).await.expect("groups").into_iter().map(|g| g.code).collect();
    assert_eq!(classes, vec!["CM2 A"]);
    assert_eq!(app.state.store.parents(lina.id).await.expect("parents").iter().filter(|(_, legal)| *legal).count(), 2, "both holders of parental authority");
    let maelle = app.state.store.person_by_login(t, "maelle.kerouac").await.expect("parent account");
    assert_eq!(app.state.store.memberships(maelle.id).await.expect("m")[0].profile, Profile::Parent);
    let gwen = app.state.store.person_by_login(t, "gwen.morvan").await.expect("teacher");
    assert_eq!(gwen.email.as_deref(), Some("gwen@ac-rennes.fr"));
    assert_eq!(app.state.store.memberships(gwen.id).await.expect("m")[0].profile, Profile::Teacher);
    let anne = app.state.store.person_by_login(t, "anne.riou").await.expect("directrice");
    let mut profiles: Vec<Profile> = app.state.store.memberships(anne.id).await.expect("m").into_iter().map(|m| m.profile).collect();
    profiles.sort();
    assert_eq!(profiles, vec![Profile::Teacher, Profile::Direction], "a directrice who teaches is both");
    assert!(!run(&app, &dir, false).await.expect("again").changed_anything(), "re-importing a 1D feed changes nothing");
}

#[tokio::test]
async fn two_academies_with_the_same_identifiers_make_different_people() {
    let app = TestApp::new().await;
    let dir = base_feed();
    run(&app, &dir, false).await.expect("rennes");
    let other = ScratchDir::new("preau-aaf");
    file(&other, "EtabEducNat", 0, &[school("100", "0350001L", "LYCEE DE NANTES")]);
    file(&other, "Eleve", 0, &[pupil("1", "Jade", "Morel", "100", "2NDE1", &[])]);
    let o = Options::new("NANTES");
    let r = import_aaf(&*app.state.store, &app.system, &other, &o, T0, &mut |_| {}).await;
    let r = r.expect("nantes");
    assert_eq!(r.get("Eleve", Outcome::Created), 1);
    assert_eq!(r.get("Personnes", Outcome::Detached), 0, "Rennes' people are not detached by Nantes' feed");
    assert!(app.state.store.person_by_login(app.system.territory, "zoe.lefevre").await.is_ok());
}

#[tokio::test]
async fn only_a_territory_admin_imports_a_feed() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let local = app.local_admin(&school).await;
    let p = app.state.directory.principal_for(app.system.territory, local.id).await.expect("principal");
    let r = import_aaf(&*app.state.store, &p, &base_feed(), &opts(false), T0, &mut |_| {}).await;
    assert!(matches!(r, Err(Error::Forbidden)));
    assert!(app.state.store.person_by_login(app.system.territory, "claire.martin").await.is_err());
}

/// A multipart form as a browser sends it: fields, then the files of a folder.
fn multipart(csrf: &str, academie: &str, dry_run: bool, dir: &Path, extra: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----preau-test-boundary";
    let mut body = Vec::new();
    let mut field =
        |name: &str, value: &str| body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes());
    field("csrf", csrf);
    field("academie", academie);
    if dry_run {
        field("dry_run", "on");
    }
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    files.extend(extra.iter().map(|(n, c)| ((*n).to_owned(), c.as_bytes().to_vec())));
    for (name, content) in files {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/xml\r\n\r\n").into_bytes(),
        );
        body.extend(content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, c: &Client, dry_run: bool, extra: &[(&str, &str)]) -> Resp {
    let (content_type, body) = multipart(&c.csrf, "RENNES", dry_run, &base_feed(), extra);
    let req = axum::http::Request::post("/admin/imports/aaf").header("content-type", content_type);
    app.send(c, req, axum::body::Body::from(body)).await
}

/// Follows a console import's progress page (and its JSON twin) until it sends to the report.
async fn finished(app: &TestApp, c: &Client, running: &str) -> String {
    assert!(running.starts_with("/admin/imports/running/"), "{running}");
    for _ in 0..500 {
        let page = app.get(c, running).await;
        let status = app.get(c, &format!("{running}/status")).await.json();
        assert!(status["percent"].as_u64().is_some_and(|p| p <= 100));
        if page.status == axum::http::StatusCode::SEE_OTHER {
            assert_eq!(status["report"].as_str(), Some(page.location().as_str()), "the JSON says so as soon as the page does");
            return page.location();
        }
        assert!(page.body.contains("<progress"), "{}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn a_territory_admin_uploads_a_feed_reads_the_dry_run_then_applies_it() {
    let app = TestApp::new().await;
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let r = upload(&app, &c, true, &[("../../etc/passwd", "nope")]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.body);
    let report_url = finished(&app, &c, &r.location()).await;
    let report = app.get(&c, &report_url).await;
    assert!(report.body.contains("Simulation : rien n"), "{}", report.body);
    let stored: Vec<String> = std::fs::read_dir(&app.state.config.upload_dir)
        .expect("uploads")
        .filter_map(|batch| std::fs::read_dir(batch.ok()?.path()).ok())
        .flatten()
        .filter_map(|f| Some(f.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(stored.len(), 6, "{stored:?}");
    assert!(stored.iter().all(|n| preau_feeds::aaf::category_of(n).is_some()), "a file of another name is never written: {stored:?}");
    assert!(report.body.contains("Appliquer cet import"));
    assert!(app.state.store.person_by_login(app.system.territory, "claire.martin").await.is_err(), "a dry run writes nothing");
    let apply = format!("{report_url}/apply");
    let r = app.post_form(&c, &apply, &[]).await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER);
    let applied = app.get(&c, &finished(&app, &c, &r.location()).await).await;
    assert!(applied.body.contains("Import appliqué."));
    assert!(app.state.store.person_by_login(app.system.territory, "claire.martin").await.is_ok());
    let list = app.get(&c, "/admin/imports").await;
    assert_eq!(list.body.matches("<tr><td><a href=\"/admin/imports/").count(), 2, "both reports are kept");
}

#[tokio::test]
async fn a_local_admin_cannot_upload_a_feed() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let local = app.local_admin(&school).await;
    let c = app.login(&local).await;
    assert_eq!(upload(&app, &c, false, &[]).await.status, axum::http::StatusCode::FORBIDDEN);
    assert_eq!(app.get(&c, "/admin/imports").await.status, axum::http::StatusCode::FORBIDDEN);
    assert!(app.state.store.person_by_login(app.system.territory, "claire.martin").await.is_err());
}

fn delta_file(dir: &Path, category: &str, body: &str) {
    let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR>\n{body}</ficAlimMENESR>\n");
    std::fs::write(dir.join(format!("ENT_Delta_20260915_{category}_0000.xml")), xml).expect("write");
}

fn modify(category: &str, id: &str, name: &str, values: &[&str]) -> String {
    let v: String = values.iter().map(|x| format!("<value>{x}</value>")).collect();
    format!(
        "<modifyRequest><operationalAttributes><attr name=\"categoriePersonne\"><value>{category}</value></attr></operationalAttributes><identifier><id>{id}</id></identifier><modifications><modification name=\"{name}\" operation=\"replace\">{v}</modification></modifications></modifyRequest>\n"
    )
}

fn delete(category: &str, id: &str) -> String {
    format!(
        "<deleteRequest><operationalAttributes><attr name=\"categoriePersonne\"><value>{category}</value></attr></operationalAttributes><identifier><id>{id}</id></identifier></deleteRequest>\n"
    )
}

#[tokio::test]
async fn a_delta_moves_a_pupil_detaches_another_and_leaves_the_rest_alone() {
    let app = TestApp::new().await;
    run(&app, &base_feed(), false).await.expect("full");
    let delta = ScratchDir::new("preau-delta");
    delta_file(
        &delta,
        "Eleve",
        &[modify("Eleve", "3", "ENTEleveClasses", &["100$4C"]), delete("Eleve", "4"), modify("Eleve", "77", "sn", &["Inconnu"])].concat(),
    );
    let r = run(&app, &delta, false).await.expect("delta");
    assert_eq!(r.get("Eleve", Outcome::Updated), 1, "{r}");
    assert_eq!(r.get("Eleve", Outcome::Detached), 1);
    assert_eq!(r.get("Eleve", Outcome::Rejected), 1, "a modification of someone unknown is rejected");
    assert_eq!(r.get("Personnes", Outcome::Detached), 0, "a delta does not detach those it does not name");
    let t = app.system.territory;
    let ines = app.state.store.person_by_login(t, "ines.diallo").await.expect("ines");
    let groups: Vec<String> = app.state.store.groups_of(ines.id).await.expect("g").into_iter().map(|g| g.code).collect();
    assert_eq!(groups, vec!["4C"]);
    assert_eq!(app.state.store.parents(ines.id).await.expect("p").len(), 1, "her other attributes are kept");
    let hugo = app.state.store.person_by_login(t, "hugo.roux").await.expect("hugo");
    assert!(app.state.store.memberships(hugo.id).await.expect("m").is_empty());
    let zoe = app.state.store.person_by_login(t, "zoe.lefevre").await.expect("zoe");
    assert_eq!(app.state.store.memberships(zoe.id).await.expect("m").len(), 1, "untouched");
}

#[tokio::test]
async fn a_parent_loses_the_parent_profile_in_a_school_their_child_left_by_a_delta() {
    let app = TestApp::new().await;
    run(&app, &base_feed(), false).await.expect("full");
    let t = app.system.territory;
    let jv = app.state.store.structure_by_uai(t, "0290009C").await.expect("school").id;
    let sv = app.state.store.structure_by_uai(t, "0750654D").await.expect("school").id;
    let schools = |ms: Vec<preau_directory::Membership>| -> Vec<preau_core::StructureId> {
        ms.into_iter().filter(|m| m.profile == Profile::Parent).map(|m| m.structure).collect()
    };
    let anne = app.state.store.person_by_login(t, "anne.lefevre").await.expect("anne");
    let marc = app.state.store.person_by_login(t, "marc.lefevre").await.expect("marc");
    assert_eq!(schools(app.state.store.memberships(anne.id).await.expect("m")).len(), 2);
    let delta = ScratchDir::new("preau-delta");
    // Zoé (Anne's and Marc's daughter) leaves the Jules Verne school.
    delta_file(&delta, "Eleve", &delete("Eleve", "1"));
    run(&app, &delta, false).await.expect("delta");
    assert_eq!(schools(app.state.store.memberships(anne.id).await.expect("m")), vec![sv], "Anne stays a parent where Léo is, not where Zoé was");
    assert!(schools(app.state.store.memberships(marc.id).await.expect("m")).is_empty(), "Marc had no other child: no parent profile left");
    assert!(!schools(app.state.store.memberships(anne.id).await.expect("m")).contains(&jv));
}

#[tokio::test]
async fn full_and_delta_files_cannot_be_mixed_in_one_import() {
    let app = TestApp::new().await;
    let dir = base_feed();
    delta_file(&dir, "Eleve", &delete("Eleve", "4"));
    let err = run(&app, &dir, false).await.expect_err("mixed");
    assert!(matches!(err, Error::Invalid(ref f) if f[0].code == "aaf.mixed"));
}

mod csv {
    use super::*;
    use preau_feeds::csv_import::{CsvOptions, CsvProfile, import_csv};

    fn opts(profile: CsvProfile) -> CsvOptions {
        CsvOptions { uai: "0290009C".into(), profile, dry_run: false, mapping: vec![] }
    }

    const PUPILS: &str = "\u{feff}Nom;Prénom;Identifiant;Classe;Date de naissance\nLefèvre;Zoé;E1;4b;14/03/2012\nDiallo;Inès;E2;4B;02/11/2012\n";

    async fn import(app: &TestApp, caller: &preau_core::Principal, bytes: &[u8], o: &CsvOptions) -> Result<Report, Error> {
        import_csv(&*app.state.store, caller, bytes, "eleves.csv", o, T0).await
    }

    #[tokio::test]
    async fn pupils_and_parents_come_from_csv_files_utf8_and_latin1() {
        let app = TestApp::new().await;
        let school = app.school("0290009C", "Collège privé Saint-Joseph").await;
        let r = import(&app, &app.system, PUPILS.as_bytes(), &opts(CsvProfile::Pupils)).await.expect("pupils");
        assert_eq!(r.get("Élèves (CSV)", Outcome::Created), 2, "{r}");
        let class = app.state.store.groups_in(school.id).await.expect("g").into_iter().find(|g| g.code == "4B").expect("4B");
        assert_eq!(app.state.store.group_members(class.id).await.expect("m").len(), 2);
        let latin: Vec<u8> = "Nom;Prénom;Identifiant;Identifiants enfants;Courriel\nLefèvre;Anne;P1;E1;anne@example.org\n"
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        let r = import(&app, &app.system, &latin, &opts(CsvProfile::Parents)).await.expect("parents");
        assert_eq!(r.get("Parents (CSV)", Outcome::Created), 1);
        let zoe = app.state.store.person_by_login(app.system.territory, "zoe.lefevre").await.expect("zoe");
        let parents = app.state.store.parents(zoe.id).await.expect("parents");
        assert_eq!(parents.len(), 1);
        assert_eq!(parents[0].0.given_name, "Anne");
        assert_eq!(app.state.store.memberships(parents[0].0.id).await.expect("m")[0].profile, Profile::Parent);
        let again = import(&app, &app.system, PUPILS.as_bytes(), &opts(CsvProfile::Pupils)).await.expect("again");
        assert!(!again.changed_anything(), "{again}");
    }

    #[tokio::test]
    async fn one_wrong_line_is_reported_and_nothing_is_written() {
        let app = TestApp::new().await;
        app.school("0290009C", "Collège").await;
        let bad = "Nom;Prénom;Identifiant;Classe;Date de naissance\nLefèvre;Zoé;E1;4B;14/03/2012\n;Inès;E2;4B;31/02/2012\n";
        let r = import(&app, &app.system, bad.as_bytes(), &opts(CsvProfile::Pupils)).await.expect("report");
        assert_eq!(r.rejected_total, 1);
        assert_eq!(r.rejected[0].id, "ligne 3");
        assert!(r.rejected[0].reason.contains("« Nom » vide") && r.rejected[0].reason.contains("31/02/2012"), "{}", r.rejected[0].reason);
        assert!(app.state.store.person_by_login(app.system.territory, "zoe.lefevre").await.is_err(), "not even the good line");
    }

    #[tokio::test]
    async fn headers_can_be_mapped_and_missing_ones_are_named() {
        let app = TestApp::new().await;
        app.school("0290009C", "Collège").await;
        let file = "Nom de famille;Prénom;Identifiant\nLefèvre;Zoé;E1\n";
        let err = import(&app, &app.system, file.as_bytes(), &opts(CsvProfile::Pupils)).await.expect_err("no Nom column");
        assert!(matches!(err, Error::Invalid(ref f) if f[0].code.contains("colonne obligatoire absente : Nom")));
        let mut o = opts(CsvProfile::Pupils);
        o.mapping = vec![("Nom de famille".into(), "Nom".into())];
        let r = import(&app, &app.system, file.as_bytes(), &o).await.expect("mapped");
        assert_eq!(r.get("Élèves (CSV)", Outcome::Created), 1);
    }

    #[tokio::test]
    async fn the_local_admin_of_another_school_cannot_import_into_this_one() {
        let app = TestApp::new().await;
        app.school("0290009C", "Collège A").await;
        let b = app.school("0750654D", "Lycée B").await;
        let admin_b = app.local_admin(&b).await;
        let p = app.state.directory.principal_for(app.system.territory, admin_b.id).await.expect("principal");
        let r = import(&app, &p, PUPILS.as_bytes(), &opts(CsvProfile::Pupils)).await;
        assert!(matches!(r, Err(Error::Forbidden)));
        let mut own = opts(CsvProfile::Pupils);
        own.uai = "0750654D".into();
        assert!(import(&app, &p, PUPILS.as_bytes(), &own).await.is_ok(), "but into their own school, yes");
    }
}

#[tokio::test]
async fn closing_the_school_year_archives_classes_and_the_next_feed_places_pupils_again() {
    let app = TestApp::new().await;
    run(&app, &base_feed(), false).await.expect("2025 feed");
    let t = app.system.territory;
    let jv = app.state.store.structure_by_uai(t, "0290009C").await.expect("school");
    let old_4b = app.state.store.groups_in(jv.id).await.expect("g").into_iter().find(|g| g.code == "4B").expect("4B");
    let local = app.local_admin(&jv).await;
    let l = app.login(&local).await;
    assert_eq!(app.post_form(&l, "/admin/school-year", &[("year", "2025-2026")]).await.status, axum::http::StatusCode::FORBIDDEN);
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let bad = app.post_form(&c, "/admin/school-year", &[("year", "2025")]).await;
    assert_eq!(bad.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_form(&c, "/admin/school-year", &[("year", "2025-2026")]).await;
    assert!(r.body.contains("classes et groupes archivés"), "{}", r.body);
    let archived = app.state.store.group(old_4b.id).await.expect("kept");
    assert_eq!(archived.archived_year.as_deref(), Some("2025-2026"));
    assert_eq!(app.state.store.group_members(old_4b.id).await.expect("m").len(), 3, "history is kept");
    let zoe = app.state.store.person_by_login(t, "zoe.lefevre").await.expect("zoe");
    let r = app.post_form(&c, &format!("/admin/groups/{}/members", old_4b.id), &[("login", "hugo.roux")]).await;
    assert_eq!(r.status, axum::http::StatusCode::CONFLICT, "an archived class is read-only");
    let report = run(&app, &base_feed(), false).await.expect("2026 feed");
    assert_eq!(report.get("Eleve", Outcome::Updated), 4, "everyone is placed again");
    let groups: Vec<String> = app.state.store.groups_of(zoe.id).await.expect("g").into_iter().filter(|g| g.archived_year.is_none()).map(|g| g.code).collect();
    assert_eq!(groups, vec!["4B"], "in the new year's 4B");
    assert_eq!(app.state.store.group_members(old_4b.id).await.expect("m").len(), 3, "the old 4B still lists last year's pupils");
}

#[tokio::test]
async fn a_pupil_removed_by_a_delta_stays_in_the_history_of_an_archived_class() {
    let app = TestApp::new().await;
    run(&app, &base_feed(), false).await.expect("2025 feed");
    let t = app.system.territory;
    let jv = app.state.store.structure_by_uai(t, "0290009C").await.expect("school");
    let old_4c = app.state.store.groups_in(jv.id).await.expect("g").into_iter().find(|g| g.code == "4C").expect("4C");
    app.state.directory.close_school_year(&app.system, "2025-2026").await.expect("close");
    let delta = ScratchDir::new("preau-delta");
    delta_file(&delta, "Eleve", &delete("Eleve", "4"));
    let r = run(&app, &delta, false).await.expect("delta");
    assert_eq!(r.get("Eleve", Outcome::Detached), 1);
    let hugo = app.state.store.person_by_login(t, "hugo.roux").await.expect("hugo");
    assert!(app.state.store.group_members(old_4c.id).await.expect("m").iter().any(|p| p.id == hugo.id), "last year's 4C still lists Hugo");
}

#[tokio::test]
async fn a_local_admin_cannot_read_or_apply_a_kept_report() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.territory_admin().await;
    let t = app.login(&admin).await;
    let running = upload(&app, &t, true, &[]).await.location();
    let local = app.local_admin(&school).await;
    let l = app.login(&local).await;
    assert_eq!(app.get(&l, &running).await.status, axum::http::StatusCode::FORBIDDEN, "nor follow a running one");
    assert_eq!(app.get(&l, &format!("{running}/status")).await.status, axum::http::StatusCode::FORBIDDEN);
    let report = finished(&app, &t, &running).await;
    assert_eq!(app.get(&l, &report).await.status, axum::http::StatusCode::FORBIDDEN);
    assert_eq!(app.post_form(&l, &format!("{report}/apply"), &[]).await.status, axum::http::StatusCode::FORBIDDEN);
    assert!(app.state.store.person_by_login(app.system.territory, "claire.martin").await.is_err(), "nothing was applied");
    assert_eq!(app.get(&t, &report).await.status, axum::http::StatusCode::OK);
}
