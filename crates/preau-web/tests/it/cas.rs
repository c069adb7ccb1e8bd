//! The connector registry and the CAS server: sign-in through the portal session, what a
//! service receives, single use of tickets, and the refusals (profile not offered, unknown
//! service, another school's admin).

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;
use preau_directory::DirectoryStore;
use preau_web::cas::query_escape as urlencode;
use serde_json::{Value, json};

const PRONOTE: &str = "https://pronote.example.org/";

fn connector(code: &str, profiles: &[&str], release: &[&str], subject: &str) -> Value {
    json!({
        "code": code, "name": format!("Service {code}"), "url": format!("https://{code}.example.org/"), "protocol": "cas",
        "service_urls": [format!("https://{code}.example.org/")], "profiles": profiles, "release": release, "subject": subject,
        "purpose": "Vie scolaire", "legal_basis": "Mission d'intérêt public (RGPD 6.1.e)"
    })
}

/// Registers a CAS connector as territory admin and puts it in the school's bouquet for `profile`.
async fn register(app: &TestApp, school: &preau_directory::Structure, body: Value, profile: &str) -> String {
    let c = app.login(&app.territory_admin().await).await;
    register_as(app, &c, school, body, profile).await
}

async fn register_as(app: &TestApp, c: &Client, school: &preau_directory::Structure, body: Value, profile: &str) -> String {
    let r = app.json(c, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["service"].as_str().unwrap_or_default().to_owned();
    let r = app.json(c, "PUT", &format!("/api/v1/structures/{}/bouquet/{profile}", school.id), Some(json!({"services": [id]}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    id
}

fn ticket_of(location: &str) -> String {
    location.split("ticket=").nth(1).unwrap_or_default().to_owned()
}

async fn sign_in(app: &TestApp, c: &Client, service: &str) -> String {
    let r = app.get(c, &format!("/cas/login?service={}", urlencode(service))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with(service), "{}", r.location());
    ticket_of(&r.location())
}

async fn validate(app: &TestApp, path: &str, ticket: &str, service: &str) -> String {
    app.get(&Client::default(), &format!("{path}?ticket={ticket}&service={}", urlencode(service))).await.body
}

#[tokio::test]
async fn a_teacher_signs_in_and_the_service_receives_only_what_it_was_granted() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    register(&app, &school, connector("pronote", &["ENS"], &["family_name=nom", "given_name=prenom", "categories"], "login"), "ENS").await;
    let mut teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    teacher.email = Some("anne.martin@example.org".into());
    teacher.birth_date = Some("1980-04-02".into());
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
    app.state.store.update_person(&teacher, &audit).await.expect("an e-mail and a birth date the service must not get");
    let c = app.login(&teacher).await;
    let service = format!("{PRONOTE}enseignant.html");
    let ticket = sign_in(&app, &c, &service).await;
    assert!(ticket.starts_with("ST-") && ticket.len() > 30);
    let xml = validate(&app, "/cas/p3/serviceValidate", &ticket, &service).await;
    assert!(xml.contains(&format!("<cas:user>{}</cas:user>", teacher.login)), "{xml}");
    assert!(xml.contains("<cas:nom>Martin</cas:nom>") && xml.contains("<cas:prenom>Anne</cas:prenom>"), "{xml}");
    assert!(xml.contains("<cas:categories>National_3</cas:categories>"), "{xml}");
    for not_granted in ["mail", "anne.martin@example.org", "ENTPersonDateNaissance", "02/04/1980", "ENTPersonStructRattachUAI", "0290009C"] {
        assert!(!xml.contains(not_granted), "{not_granted} was released: {xml}");
    }
    // Single use: the same ticket again, and a made-up one, are refused.
    let again = validate(&app, "/cas/p3/serviceValidate", &ticket, &service).await;
    assert!(again.contains("INVALID_TICKET"), "{again}");
    let forged = validate(&app, "/cas/serviceValidate", "ST-forged0000000000000000000000", &service).await;
    assert!(forged.contains("INVALID_TICKET"), "{forged}");
    // A ticket is only good for the service it was issued for, and only for 30 seconds.
    let t2 = sign_in(&app, &c, &service).await;
    let other = validate(&app, "/cas/serviceValidate", &t2, "https://pronote.example.org/autre.html").await;
    assert!(other.contains("INVALID_SERVICE"), "{other}");
    let t3 = sign_in(&app, &c, &service).await;
    app.clock.advance(31);
    assert!(validate(&app, "/cas/serviceValidate", &t3, &service).await.contains("INVALID_TICKET"));
    // The JSON form of CAS 3.0.
    let t5 = sign_in(&app, &c, &service).await;
    let json: Value = serde_json::from_str(&validate(&app, "/cas/p3/serviceValidate", &format!("{t5}&format=JSON"), &service).await).unwrap_or(Value::Null);
    let ok = &json["serviceResponse"]["authenticationSuccess"];
    assert_eq!(ok["user"], json!(teacher.login));
    assert_eq!(ok["attributes"]["nom"], json!(["Martin"]));
    assert!(ok["attributes"].get("mail").is_none());
    let again: Value = serde_json::from_str(&validate(&app, "/cas/p3/serviceValidate", &format!("{t5}&format=JSON"), &service).await).unwrap_or(Value::Null);
    assert_eq!(again["serviceResponse"]["authenticationFailure"]["code"], json!("INVALID_TICKET"));
    // The text protocol of CAS 1.
    let t4 = sign_in(&app, &c, &service).await;
    assert_eq!(validate(&app, "/cas/validate", &t4, &service).await, format!("yes\n{}\n", teacher.login));
}

#[tokio::test]
async fn a_pupil_cannot_sign_in_to_a_connector_offered_to_teachers() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let id = register_as(&app, &admin, &school, connector("pronote", &["ENS"], &["family_name"], "login"), "ENS").await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    let r = app.get(&c, &format!("/cas/login?service={}", urlencode(PRONOTE))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.location().is_empty());
    // Nor through the portal tile.
    assert_eq!(app.get(&c, &format!("/launch/{id}")).await.status, StatusCode::FORBIDDEN);
    // And the bouquet of pupils cannot show it.
    let r = app.json(&admin, "PUT", &format!("/api/v1/structures/{}/bouquet/ELV", school.id), Some(json!({"services": [id]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("connector.not_offered"), "{}", r.body);
}

#[tokio::test]
async fn an_unregistered_service_gets_an_error_page_and_no_redirect() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    register(&app, &school, connector("pronote", &["ENS"], &[], "login"), "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    for evil in ["https://evil.example.org/", "https://pronote.example.org.evil.fr/", "https://pronote.example.orgx/"] {
        let r = app.get(&c, &format!("/cas/login?service={}", urlencode(evil))).await;
        assert!(r.status.is_client_error(), "{evil}: {}", r.status);
        assert!(r.location().is_empty(), "{evil} redirected");
        let r = app.get(&Client::default(), &format!("/cas/logout?service={}", urlencode(evil))).await;
        assert!(r.location().is_empty(), "logout redirected to {evil}");
    }
}

#[tokio::test]
async fn without_a_session_the_login_form_signs_in_and_gateway_returns_without_ticket() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    register(&app, &school, connector("pronote", &["ENS"], &[], "login"), "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let anonymous = Client::default();
    let page = app.get(&anonymous, &format!("/cas/login?service={}", urlencode(PRONOTE))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("action=\"/cas/login\"") && page.body.contains("Service pronote"));
    let gw = app.get(&anonymous, &format!("/cas/login?gateway=true&service={}", urlencode(PRONOTE))).await;
    assert_eq!(gw.location(), PRONOTE);
    let r = app.post_form(&anonymous, "/cas/login", &[("login", &teacher.login), ("password", PASSWORD), ("service", PRONOTE), ("renew", "true")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ticket = ticket_of(&r.location());
    // renew=true at validation: only a ticket from a password typed just now passes.
    let xml = validate(&app, "/cas/p3/serviceValidate", &format!("{ticket}&renew=true"), PRONOTE).await;
    assert!(xml.contains("<cas:isFromNewLogin>true</cas:isFromNewLogin>"), "{xml}");
    let wrong = app.post_form(&anonymous, "/cas/login", &[("login", &teacher.login), ("password", "faux"), ("service", PRONOTE)]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.location().is_empty());
}

#[tokio::test]
async fn pairwise_identifiers_are_stable_per_connector_and_differ_between_connectors() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.territory_admin().await;
    let ca = app.login(&admin).await;
    let mut ids = vec![];
    for code in ["moodle", "mooc"] {
        let r = app.json(&ca, "POST", "/api/v1/connectors", Some(connector(code, &["ELV"], &[], "pairwise"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["service"].as_str().unwrap_or_default().to_owned());
    }
    app.json(&ca, "PUT", &format!("/api/v1/structures/{}/bouquet/ELV", school.id), Some(json!({"services": ids}))).await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    let mut users = vec![];
    for code in ["moodle", "moodle", "mooc"] {
        let service = format!("https://{code}.example.org/");
        let t = sign_in(&app, &c, &service).await;
        let xml = validate(&app, "/cas/serviceValidate", &t, &service).await;
        let user = xml.split("<cas:user>").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default().to_owned();
        assert!(!user.is_empty() && !user.contains(&pupil.login), "{xml}");
        users.push(user);
    }
    assert_eq!(users[0], users[1], "stable for one connector");
    assert_ne!(users[0], users[2], "different for another");
}

#[tokio::test]
async fn a_local_admin_manages_their_schools_connectors_only() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège A").await;
    let b = app.school("0290010D", "Collège B").await;
    let admin_a = app.login(&app.local_admin(&a).await).await;
    let admin_b = app.login(&app.local_admin(&b).await).await;
    let mut body = connector("cdi", &["ENS", "ELV"], &["family_name"], "login");
    // Territory-wide: refused to a local admin.
    assert_eq!(app.json(&admin_a, "POST", "/api/v1/connectors", Some(body.clone())).await.status, StatusCode::FORBIDDEN);
    body["owner"] = json!("0290009C");
    let r = app.json(&admin_a, "POST", "/api/v1/connectors", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["service"].as_str().unwrap_or_default().to_owned();
    assert_eq!(r.json()["structures"], json!([a.id]), "offered in its school only");
    body["release"] = json!(["family_name", "email", "birth_date"]);
    let r = app.json(&admin_b, "PUT", &format!("/api/v1/connectors/{id}"), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "school B's admin changed A's release policy");
    let r = app.json(&admin_a, "PUT", &format!("/api/v1/connectors/{id}"), Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The change is audited with the policy before and after.
    let log = app.state.store.audit_log(app.system.territory, None, 10).await.expect("audit");
    assert!(log.iter().any(|e| e.action == "connector.update" && e.before.is_some()));
    // A bad policy is refused with every reason and nothing changes.
    body["release"] = json!(["shoe_size"]);
    body["profiles"] = json!([]);
    let r = app.json(&admin_a, "PUT", &format!("/api/v1/connectors/{id}"), Some(body)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("release") && r.body.contains("profiles"), "{}", r.body);
}

#[tokio::test]
async fn launches_are_counted_per_connector_structure_profile_and_day() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let id = register_as(&app, &admin, &school, connector("pronote", &["ENS"], &[], "login"), "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    sign_in(&app, &c, PRONOTE).await;
    let r = app.get(&c, &format!("/launch/{id}")).await;
    assert_eq!(r.location(), "https://pronote.example.org/");
    let day = preau_sso::launches::day_of(T0);
    let r = app.json(&admin, "GET", &format!("/api/v1/launches?from={day}&to={day}"), None).await;
    assert_eq!(r.json(), json!([{"day": day, "service": id, "structure": school.id, "profile": "ENS", "launches": 2}]));
    // A teacher is not an admin: no report.
    assert_eq!(app.json(&c, "GET", &format!("/api/v1/launches?from={day}&to={day}"), None).await.status, StatusCode::FORBIDDEN);
}

/// python-cas (PyPI), a CAS client written by others, against a listening server: CAS 1, 2 and 3
/// validation, attributes, single use, proxy tickets, single logout. `.ci/run` installs it in a
/// virtual environment and sets `PREAU_TEST_CAS_PYTHON` to its interpreter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python-cas; run by .ci/run"]
async fn python_cas_validates_tickets_against_the_server() {
    let python = std::env::var("PREAU_TEST_CAS_PYTHON").expect("PREAU_TEST_CAS_PYTHON=path/to/venv/bin/python");
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let mut body = connector("vie-scolaire", &["ENS"], &["family_name=nom", "categories"], "login");
    body["service_urls"] = json!([format!("http://127.0.0.1:{port}/")]);
    register(&app, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = preau_web::router(app.state.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cas/check.py");
    let args = [format!("http://{addr}"), teacher.login.clone(), PASSWORD.to_owned(), teacher.family_name.clone(), port.to_string()];
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new(python).arg(script).args(args).output()).await.expect("join").expect("run python-cas");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "python-cas checks failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[tokio::test]
async fn the_console_registers_a_connector_and_shows_what_it_receives() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    assert_eq!(app.get(&admin, "/admin/connectors/new").await.status, StatusCode::OK);
    let form = |profile: &'static str| {
        vec![
            ("csrf", admin.csrf.clone()),
            ("name", "Vie scolaire".to_owned()),
            ("code", "vs".to_owned()),
            ("url", "https://vs.example.org/".to_owned()),
            ("icon", "school".to_owned()),
            ("protocol", "cas".to_owned()),
            ("service_urls", "https://vs.example.org/ent/".to_owned()),
            ("profile", profile.to_owned()),
            ("structures", "0290009C".to_owned()),
            ("rel_family_name", "on".to_owned()),
            ("name_family_name", "nom".to_owned()),
            ("name_email", "courriel".to_owned()),
            ("subject", "pairwise".to_owned()),
            ("purpose", "Absences et notes".to_owned()),
            ("legal_basis", "Mission d'intérêt public".to_owned()),
        ]
    };
    let as_refs = |v: &[(&'static str, String)]| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    // Nothing ticked for profiles: refused with the reason, what was typed is kept.
    let bad: Vec<(&str, String)> = as_refs(&form("ENS")).into_iter().filter(|(k, _)| *k != "profile").collect();
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&admin, "/admin/connectors/new", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Choisissez au moins un profil") && r.body.contains("Absences et notes"), "{}", r.body);
    let good = form("ENS");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&admin, "/admin/connectors/new", &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&admin, "/admin/connectors").await.body;
    for shown in [
        "Vie scolaire",
        "Enseignant",
        "Collège (0290009C)",
        "<code>nom</code>",
        "Un pseudonyme propre à ce service",
        "Absences et notes",
        "Mission d&#39;intérêt public",
    ] {
        assert!(page.contains(shown), "{shown} not shown:\n{page}");
    }
    assert!(!page.contains("courriel"), "a name typed for an attribute not ticked is not released");
    // Only admins read the registry; a teacher is refused.
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let tc = app.login(&teacher).await;
    assert_eq!(app.get(&tc, "/admin/connectors").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_of_the_portal_sends_a_logout_request_to_each_service_signed_in_to() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    // The service: a listener that records the form bodies POSTed to it.
    let received = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<String>::new()));
    let sink = received.clone();
    let service_app = axum::Router::new().route(
        "/app",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move { sink.lock().await.push(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, service_app).await });
    let mut body = connector("vs", &["ENS"], &[], "login");
    body["service_urls"] = json!([format!("http://127.0.0.1:{port}/")]);
    register(&app, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let ticket = sign_in(&app, &c, &format!("http://127.0.0.1:{port}/app")).await;
    let r = app.post_form(&c, "/logout", &[("csrf", &c.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut got = vec![];
    for _ in 0..100 {
        got = received.lock().await.clone();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(got.len(), 1, "one logout request for the one ticket");
    assert!(got[0].starts_with("logoutRequest=") && got[0].contains(&ticket), "{}", got[0]);
    // The session is gone: the next sign-in asks for the password again.
    let again = app.get(&c, &format!("/cas/login?service={}", urlencode(&format!("http://127.0.0.1:{port}/app")))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.location().is_empty());
}

#[tokio::test]
async fn a_charter_to_accept_comes_between_the_password_and_the_service() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    register(&app, &school, connector("pronote", &["ENS"], &[], "login"), "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    app.publish_charter("Charte d'usage 2026").await;
    let r = app.post_form(&Client::default(), "/cas/login", &[("login", &teacher.login), ("password", PASSWORD), ("service", PRONOTE)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/charter?service={}", urlencode(PRONOTE)));
    let c = app.client_of(&r);
    // Before accepting, the service gets no ticket.
    assert_eq!(app.get(&c, &format!("/cas/login?service={}", urlencode(PRONOTE))).await.location(), format!("/charter?service={}", urlencode(PRONOTE)));
    let page = app.get(&c, &r.location()).await;
    assert!(page.body.contains(&format!("name=\"service\" value=\"{PRONOTE}\"")), "{}", page.body);
    let r = app.post_form(&c, "/charter", &[("csrf", &c.csrf), ("service", PRONOTE)]).await;
    assert_eq!(r.location(), format!("/cas/login?service={}", urlencode(PRONOTE)));
    let ticket = sign_in(&app, &c, PRONOTE).await;
    assert!(validate(&app, "/cas/p3/serviceValidate", &ticket, PRONOTE).await.contains(&teacher.login));
}
