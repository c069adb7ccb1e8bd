//! The admin console: who may manage what, bad input, the audit log, activation letters.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;
use preau_directory::DirectoryStore;

#[tokio::test]
async fn a_pupil_cannot_open_the_admin_console() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    assert_eq!(app.get(&c, "/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&c, &format!("/admin/structures/{}", school.id)).await.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&c, &format!("/admin/structures/{}/people", school.id), &[("given_name", "X"), ("family_name", "Y"), ("profile", "ELV")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.state.store.person_by_login(app.system.territory, "x.y").await.is_err(), "nobody was created");
}

#[tokio::test]
async fn the_local_admin_of_school_a_cannot_touch_school_b() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège A").await;
    let b = app.school("0750654D", "Lycée B").await;
    let admin_a = app.local_admin(&a).await;
    let pupil_b = app.person("Léo", "Petit", &b, Profile::Pupil).await;
    let c = app.login(&admin_a).await;
    assert_eq!(app.get(&c, &format!("/admin/structures/{}", a.id)).await.status, StatusCode::OK);
    assert_eq!(app.get(&c, &format!("/admin/structures/{}", b.id)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&c, &format!("/admin/people/{}", pupil_b.id)).await.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&c, &format!("/admin/structures/{}/people", b.id), &[("given_name", "Intrus"), ("family_name", "Nouveau"), ("profile", "ELV")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_form(&c, &format!("/admin/people/{}/block", pupil_b.id), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.try_login(&pupil_b.login, PASSWORD).await.0.status, StatusCode::SEE_OTHER, "B's pupil is untouched");
    let admin_page = app.get(&c, "/admin").await;
    assert!(admin_page.body.contains("Collège A") && !admin_page.body.contains("Lycée B"), "only A is listed");
}

#[tokio::test]
async fn a_local_admin_creates_a_person_with_a_folded_login_and_an_activation_code() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let c = app.login(&admin).await;
    let path = format!("/admin/structures/{}/people", school.id);
    let first = app.post_form(&c, &path, &[("given_name", "Zoé"), ("family_name", "Lefèvre-D'Aubigné"), ("profile", "ELV")]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("zoe.lefevre-daubigne"));
    let second = app.post_form(&c, &path, &[("given_name", "Zoe"), ("family_name", "Lefevre-D'Aubigne"), ("profile", "ELV")]).await;
    assert!(second.body.contains("zoe.lefevre-daubigne2"), "a namesake gets a numeric suffix");
    let code = second.body.split("class=\"code\">").nth(1).and_then(|s| s.split('<').next()).expect("the code is shown");
    assert_eq!(code.len(), 14);
}

#[tokio::test]
async fn an_invalid_uai_is_refused_with_a_clear_message_and_nothing_is_created() {
    let app = TestApp::new().await;
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let r = app.post_form(&c, "/admin/structures", &[("uai", "0290009D"), ("name", "Collège faux"), ("kind", "college")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("La lettre de contrôle de cet UAI est fausse."));
    assert!(r.body.contains("Collège faux"), "the form keeps what was typed");
    assert!(app.state.store.structures(app.system.territory).await.expect("list").is_empty());
}

#[tokio::test]
async fn a_duplicate_uai_is_a_conflict() {
    let app = TestApp::new().await;
    app.school("0290009C", "Collège").await;
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let r = app.post_form(&c, "/admin/structures", &[("uai", "0290009c"), ("name", "Doublon"), ("kind", "college")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Un établissement porte déjà cet UAI."));
}

#[tokio::test]
async fn a_local_admin_cannot_create_a_structure() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let c = app.login(&admin).await;
    let r = app.post_form(&c, "/admin/structures", &[("uai", "0750654D"), ("name", "Lycée"), ("kind", "lycee")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_admin_action_is_in_the_audit_log_with_before_and_after() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège A").await;
    let b = app.school("0750654D", "Lycée B").await;
    let admin_a = app.local_admin(&a).await;
    let pupil = app.person("Zoé", "Durand", &a, Profile::Pupil).await;
    app.person("Léo", "Petit", &b, Profile::Pupil).await;
    let c = app.login(&admin_a).await;
    app.post_form(&c, &format!("/admin/people/{}/block", pupil.id), &[]).await;
    let log = app.get(&c, "/admin/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("account.block"));
    assert!(log.body.contains(&format!("person:{}", admin_a.id)), "who did it");
    let entries =
        app.state.directory.audit_log(&app.state.directory.principal_for(app.system.territory, admin_a.id).await.expect("p"), 100).await.expect("log");
    assert!(entries.iter().all(|e| e.structure == Some(a.id)), "a local admin reads only their school's entries");
    let block = entries.iter().find(|e| e.action == "account.block").expect("entry");
    assert_eq!(block.before, Some(serde_json::json!(false)));
    assert_eq!(block.after, Some(serde_json::json!(true)));
}

#[tokio::test]
async fn activation_letters_print_a_fresh_code_for_each_pupil_not_yet_activated() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let c = app.login(&admin).await;
    let r = app.post_form(&c, &format!("/admin/structures/{}/groups", school.id), &[("code", "4b"), ("kind", "class")]).await;
    let group = r.location().trim_start_matches("/admin/groups/").to_owned();
    let fresh = app.unactivated("Zoé", "Durand", &school, Profile::Pupil).await;
    let active = app.person("Léo", "Petit", &school, Profile::Pupil).await;
    for p in [&fresh, &active] {
        let r = app.post_form(&c, &format!("/admin/groups/{group}/members"), &[("login", &p.login)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let letters = app.post_form(&c, &format!("/admin/groups/{group}/letters"), &[]).await;
    assert_eq!(letters.status, StatusCode::OK);
    assert!(letters.body.contains(&fresh.login));
    assert!(!letters.body.contains(&active.login), "activated accounts get no letter");
    let code = letters.body.split("class=\"code\">").nth(2).and_then(|s| s.split('<').next()).expect("code");
    let r = app
        .post_form(
            &Client::default(),
            "/activate",
            &[("login", &fresh.login), ("code", code), ("password", "nouveau-secret"), ("confirm", "nouveau-secret"), ("accept", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the printed code works");
}

#[tokio::test]
async fn a_pupil_cannot_print_a_class_letters() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let g = app
        .state
        .directory
        .create_group(
            &app.system,
            &preau_directory::groups::GroupInput { structure: school.id.to_string(), kind: "class".into(), code: "4B".into(), ..Default::default() },
        )
        .await
        .expect("group");
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    assert_eq!(app.post_form(&c, &format!("/admin/groups/{}/letters", g.id), &[]).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_bouquet_is_set_per_profile_in_the_admin_order() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    for (code, name) in [("pronote", "Pronote"), ("moodle", "Moodle")] {
        let r =
            app.post_form(&c, "/admin/services", &[("code", code), ("name", name), ("kind", "link"), ("url", "https://example.org/"), ("icon", "link")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let services = app.state.store.services(app.system.territory).await.expect("services");
    let (pronote, moodle) = (&services[1], &services[0]);
    assert_eq!(pronote.code, "pronote");
    let on_p = format!("on_{}", pronote.id);
    let pos_p = format!("pos_{}", pronote.id);
    let on_m = format!("on_{}", moodle.id);
    let pos_m = format!("pos_{}", moodle.id);
    let r = app
        .post_form(&c, &format!("/admin/structures/{}/bouquet", school.id), &[("profile", "ENS"), (&on_p, "on"), (&pos_p, "2"), (&on_m, "on"), (&pos_m, "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let teacher = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let portal = app.get(&app.login(&teacher).await, "/portal").await.body;
    let (m, p) = (portal.find("Moodle").expect("moodle"), portal.find("Pronote").expect("pronote"));
    assert!(m < p, "Moodle first, as ordered");
    let pupil_portal = app.get(&app.login(&pupil).await, "/portal").await.body;
    assert!(!pupil_portal.contains("Pronote"), "the pupils' bouquet is separate");
}

#[tokio::test]
async fn a_local_admin_appoints_a_moderator_of_a_group_of_their_school_only() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège A").await;
    let b = app.school("0750654D", "Lycée B").await;
    let admin_a = app.local_admin(&a).await;
    let teacher = app.person("Claire", "Martin", &a, Profile::Teacher).await;
    let mk = |s: &preau_directory::Structure| preau_directory::groups::GroupInput {
        structure: s.id.to_string(),
        kind: "manual".into(),
        code: "CLUB".into(),
        ..Default::default()
    };
    let club_a = app.state.directory.create_group(&app.system, &mk(&a)).await.expect("group");
    let club_b = app.state.directory.create_group(&app.system, &mk(&b)).await.expect("group");
    let p = app.state.directory.principal_for(app.system.territory, admin_a.id).await.expect("principal");
    let grantee = preau_directory::Grantee::Person(teacher.id);
    assert!(app.state.directory.grant_role(&p, preau_core::Role::Moderator, grantee, preau_core::Scope::Group(club_a.id)).await.is_ok());
    let refused = app.state.directory.grant_role(&p, preau_core::Role::Moderator, grantee, preau_core::Scope::Group(club_b.id)).await;
    assert!(matches!(refused, Err(preau_core::Error::Forbidden)));
    let t = app.state.directory.principal_for(app.system.territory, teacher.id).await.expect("principal");
    assert!(t.can_in_group(preau_core::Permission::Moderate, a.id, club_a.id));
    assert!(!t.can_in_group(preau_core::Permission::Moderate, b.id, club_b.id));
}

#[tokio::test]
async fn only_a_territory_admin_changes_the_catalogue_the_charter_and_api_keys() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let local = app.local_admin(&school).await;
    let c = app.login(&local).await;
    let r = app.post_form(&c, "/admin/services", &[("code", "x"), ("name", "X"), ("kind", "link"), ("url", "https://example.org/")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_form(&c, "/admin/charter", &[("text", "Autre charte")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_form(&c, "/admin/keys", &[("name", "clé")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&c, "/admin/keys").await.status, StatusCode::FORBIDDEN);
    let body = serde_json::json!({"uai": "0290009C", "name": "Renommé", "kind": "college"});
    assert_eq!(app.json(&c, "PUT", &format!("/api/v1/structures/{}", school.id), Some(body)).await.status, StatusCode::FORBIDDEN);
    assert!(app.state.store.services(app.system.territory).await.expect("services").is_empty());
    assert_eq!(app.state.store.structure(school.id).await.expect("s").name, "Collège");

    let admin = app.territory_admin().await;
    let t = app.login(&admin).await;
    let r = app.post_form(&t, "/admin/keys", &[("name", "annuaire")]).await;
    assert!(r.body.contains("preau_"), "the territory admin gets the key once");
    assert_eq!(app.post_form(&t, "/admin/charter", &[("text", "Charte v2")]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_territory_admin_edits_a_structure_and_a_local_admin_cannot() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let fields = [("uai", "0290009C"), ("name", "Collège Jules-Verne"), ("kind", "college"), ("city", "Brest"), ("postal_code", "29200")];
    let local = app.local_admin(&school).await;
    let l = app.login(&local).await;
    assert_eq!(app.post_form(&l, &format!("/admin/structures/{}/edit", school.id), &fields).await.status, StatusCode::FORBIDDEN);
    let admin = app.territory_admin().await;
    let t = app.login(&admin).await;
    let r = app.post_form(&t, &format!("/admin/structures/{}/edit", school.id), &fields).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.state.store.structure(school.id).await.expect("s").name, "Collège Jules-Verne");
    let bad = app
        .post_form(&t, &format!("/admin/structures/{}/edit", school.id), &[("uai", "0290009C"), ("name", "X"), ("kind", "college"), ("postal_code", "29")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.state.store.structure(school.id).await.expect("s").name, "Collège Jules-Verne", "a bad edit changes nothing");
}
