//! The portal, the structure switcher, parents' children, public pages, language, operations.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;

#[tokio::test]
async fn a_teacher_in_two_schools_switches_between_them() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège Jules-Verne").await;
    let b = app.school("0750654D", "Lycée Anne-de-Bretagne").await;
    let t = app.person("Claire", "Martin", &a, Profile::Teacher).await;
    app.state.directory.add_profile(&app.system, t.id, b.id, Profile::Teacher).await.expect("second school");
    let c = app.login(&t).await;
    let before = app.get(&c, "/portal").await.body;
    assert!(before.contains("<option"));
    let r = app.post_form(&c, "/portal/switch", &[("context", &format!("{}:ENS", b.id))]).await;
    assert_eq!(r.location(), "/portal");
    let after = app.get(&c, "/portal").await.body;
    assert!(after.contains("<strong>Lycée Anne-de-Bretagne</strong>"), "now acting in the lycée");
}

#[tokio::test]
async fn nobody_can_switch_to_a_school_they_do_not_belong_to() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège").await;
    let b = app.school("0750654D", "Lycée").await;
    let t = app.person("Claire", "Martin", &a, Profile::Teacher).await;
    let c = app.login(&t).await;
    let r = app.post_form(&c, "/portal/switch", &[("context", &format!("{}:DIR", b.id))]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_parent_sees_only_their_own_children_even_in_two_schools() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège Jules-Verne").await;
    let b = app.school("0750654D", "Lycée Anne-de-Bretagne").await;
    let lucie = app.person("Lucie", "Martin", &a, Profile::Pupil).await;
    let paul = app.person("Paul", "Martin", &b, Profile::Pupil).await;
    let stranger = app.person("Hugo", "Petit", &a, Profile::Pupil).await;
    let parent = app.person("Marc", "Martin", &a, Profile::Parent).await;
    for child in [&lucie, &paul] {
        app.state.directory.link_parent(&app.system, parent.id, child.id, true).await.expect("link");
    }
    let c = app.login(&parent).await;
    let portal = app.get(&c, "/portal").await.body;
    assert!(portal.contains("Lucie Martin") && portal.contains("Paul Martin"));
    assert!(portal.contains("Collège Jules-Verne") && portal.contains("Lycée Anne-de-Bretagne"));
    assert!(!portal.contains("Hugo"), "another child is never shown");
    let r = app.json(&c, "GET", &format!("/api/v1/people/{}", stranger.id), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_public_page_of_a_school_shows_its_contact() {
    let app = TestApp::new().await;
    app.school("0290009C", "Collège Jules-Verne").await;
    let r = app.get(&Client::default(), "/s/0290009C").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Collège Jules-Verne") && r.body.contains("1 rue des Écoles"));
    assert_eq!(app.get(&Client::default(), "/s/0750654D").await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&Client::default(), "/s/nimportequoi").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_are_french_by_default_and_english_on_request() {
    let app = TestApp::new().await;
    let fr = app.get(&Client::default(), "/").await.body;
    assert!(fr.contains("lang=\"fr\"") && fr.contains("Se connecter"));
    let r = app.post_form(&Client::default(), "/lang", &[("to", "en")]).await;
    let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(cookie.starts_with("preau_lang=en"), "the choice is remembered");
    let en = app.get(&Client { lang: Some("en"), ..Default::default() }, "/").await.body;
    assert!(en.contains("lang=\"en\"") && en.contains("Log in"));
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login_page() {
    let app = TestApp::new().await;
    assert_eq!(app.get(&Client::default(), "/portal").await.location(), "/");
    assert_eq!(app.get(&Client::default(), "/admin").await.location(), "/");
}

#[tokio::test]
async fn operations_endpoints_answer() {
    let app = TestApp::new().await;
    assert_eq!(app.get(&Client::default(), "/healthz").await.body, "ok");
    assert_eq!(app.get(&Client::default(), "/readyz").await.status, StatusCode::OK);
    app.try_login("personne", "x").await;
    let m = app.get(&Client::default(), "/metrics").await;
    assert!(m.body.contains("preau_logins_total{outcome=\"failure\"} 1"));
    assert!(m.body.contains("preau_http_request_duration_seconds_bucket"));
    assert!(m.body.contains("preau_hash_queue_depth"));
    assert!(m.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn an_oversized_request_is_refused_with_413() {
    let app = TestApp::new().await;
    let big = "a".repeat(2 * 1024 * 1024);
    let r = app.post_form(&Client::default(), "/login", &[("login", &big), ("password", "x")]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("trop volumineuse"));
}

#[tokio::test]
async fn a_malformed_form_gets_a_clear_page() {
    let app = TestApp::new().await;
    let r = app.post_form(&Client::default(), "/login", &[("nothing", "here")]).await;
    assert!(r.status.is_client_error());
    assert!(r.body.contains("mal formée"));
}

#[tokio::test]
async fn the_portal_shows_a_bouquet_change_at_once() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let teacher = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    assert!(!app.get(&c, "/portal").await.body.contains("Moodle"));
    let input = preau_directory::services::ServiceInput {
        code: "moodle".into(),
        name: "Moodle".into(),
        kind: "link".into(),
        url: "https://moodle.example.org/".into(),
        icon: "school".into(),
    };
    let moodle = app.state.directory.create_service(&app.system, &input).await.expect("service");
    app.state.directory.set_bouquet(&app.system, school.id, Profile::Teacher, &[moodle.id]).await.expect("bouquet");
    assert!(app.get(&c, "/portal").await.body.contains("Moodle"), "no stale portal after a change");
}

#[tokio::test]
async fn favourites_are_chosen_among_my_services_only() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let mk = |code: &str| preau_directory::services::ServiceInput {
        code: code.into(),
        name: code.to_uppercase(),
        kind: "link".into(),
        url: "https://example.org/".into(),
        icon: "link".into(),
    };
    let mine = app.state.directory.create_service(&app.system, &mk("moodle")).await.expect("service");
    let other = app.state.directory.create_service(&app.system, &mk("secret")).await.expect("service");
    app.state.directory.set_bouquet(&app.system, school.id, Profile::Teacher, &[mine.id]).await.expect("bouquet");
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&t).await;
    let r = app.post_form(&c, "/portal/favourite", &[("service", &mine.id.to_string())]).await;
    assert_eq!(r.location(), "/portal");
    assert!(app.get(&c, "/portal").await.body.contains("Mes favoris"));
    let r = app.post_form(&c, "/portal/favourite", &[("service", &other.id.to_string())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a service outside my bouquets cannot be a favourite");
    app.post_form(&c, "/portal/favourite", &[("service", &mine.id.to_string())]).await;
    assert!(!app.get(&c, "/portal").await.body.contains("Mes favoris"), "toggled off");
}

#[tokio::test]
async fn the_child_picker_opens_the_childs_school_and_refuses_other_children() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège Jules-Verne").await;
    let b = app.school("0750654D", "Lycée Anne-de-Bretagne").await;
    let lucie = app.person("Lucie", "Martin", &a, Profile::Pupil).await;
    let paul = app.person("Paul", "Martin", &b, Profile::Pupil).await;
    let stranger = app.person("Hugo", "Petit", &b, Profile::Pupil).await;
    let parent = app.person("Marc", "Martin", &a, Profile::Parent).await;
    app.state.directory.add_profile(&app.system, parent.id, b.id, Profile::Parent).await.expect("profile");
    for child in [&lucie, &paul] {
        app.state.directory.link_parent(&app.system, parent.id, child.id, true).await.expect("link");
    }
    let c = app.login(&parent).await;
    let r = app.post_form(&c, "/portal/child", &[("child", &paul.id.to_string())]).await;
    assert_eq!(r.location(), "/portal");
    assert!(app.get(&c, "/portal").await.body.contains("<strong>Lycée Anne-de-Bretagne</strong>"));
    let r = app.post_form(&c, "/portal/child", &[("child", &stranger.id.to_string())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_language_chosen_once_follows_the_person_to_another_device() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&t).await;
    app.post_form(&c, "/lang", &[("to", "en")]).await;
    let (r, _) = app.try_login(&t.login, PASSWORD).await;
    let cookies: Vec<&str> = r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("preau_lang=en")), "{cookies:?}");
}
