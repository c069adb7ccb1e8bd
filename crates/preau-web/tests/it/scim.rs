//! The SCIM 2.0 server: sources scoped to their structures, the protocol's features as a client
//! uses them, and the `scim2-tester` compliance checker against a real listening server.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;
use preau_directory::DirectoryStore;
use serde_json::{Value, json};

const EXT: &str = "urn:preau:scim:schemas:2.0:EntUser";

async fn source(app: &TestApp, name: &str, uais: &[&str]) -> String {
    let uais: Vec<String> = uais.iter().map(|u| (*u).to_owned()).collect();
    app.state.scim.create_source(&app.system, name, &uais).await.expect("source").1
}

fn user(name: &str, uai: &str, profile: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXT],
        "userName": name,
        "name": {"givenName": "Jeanne", "familyName": "Agent"},
        "emails": [{"value": format!("{name}@collectivite.fr"), "type": "work", "primary": true}],
        EXT: {"profiles": [{"structure": uai, "profile": profile}]},
    })
}

#[tokio::test]
async fn a_token_of_school_a_cannot_touch_school_b() {
    let app = TestApp::new().await;
    app.school("0290009C", "Collège A").await;
    app.school("0750654D", "Collège B").await;
    let a = source(&app, "Annuaire A", &["0290009C"]).await;
    let b = source(&app, "Annuaire B", &["0750654D"]).await;
    let r = app.bearer(&a, "POST", "/scim/v2/Users", Some(user("agent.b", "0750654D", "COL"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "A cannot give a profile in B: {}", r.body);
    assert_eq!(r.json()["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    let r = app.bearer(&b, "POST", "/scim/v2/Users", Some(user("agent.b", "0750654D", "COL"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(user("agent.b", "0290009C", "COL"))),
        ("PATCH", Some(json!({"Operations": [{"op": "remove", "path": "emails"}]}))),
        ("DELETE", None),
    ] {
        let r = app.bearer(&a, method, &format!("/scim/v2/Users/{id}"), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} by A on B's person");
    }
    assert_eq!(app.bearer(&a, "GET", "/scim/v2/Users", None).await.json()["totalResults"], 0, "A lists only its own people");
    let r = app.bearer(&a, "POST", "/scim/v2/Groups", Some(json!({"displayName": "Agents", "members": [{"value": id}]}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "A cannot group B's people");
    let r = app.bearer(&b, "GET", &format!("/scim/v2/Users/{id}"), None).await;
    assert_eq!(r.json()["emails"][0]["value"], "agent.b@collectivite.fr", "B's person is untouched");
}

#[tokio::test]
async fn only_a_territory_admin_registers_a_source_and_a_revoked_token_stops_working() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège A").await;
    let local = app.local_admin(&school).await;
    let caller = app.state.directory.principal_for(app.system.territory, local.id).await.expect("principal");
    let refused = app.state.scim.create_source(&caller, "Annuaire", &["0290009C".to_owned()]).await;
    assert!(matches!(refused, Err(preau_core::Error::Forbidden)));
    let token = source(&app, "Annuaire", &["0290009C"]).await;
    assert!(matches!(app.state.scim.sources(&caller).await, Err(preau_core::Error::Forbidden)), "nor lists the sources");
    let id = app.state.scim.sources(&app.system).await.expect("sources")[0].id.clone();
    assert!(matches!(app.state.scim.revoke_source(&caller, &id).await, Err(preau_core::Error::Forbidden)), "nor revokes one");
    assert_eq!(app.bearer(&token, "GET", "/scim/v2/Users", None).await.status, StatusCode::OK);
    assert_eq!(app.bearer("preau_scim_nope", "GET", "/scim/v2/Users", None).await.status, StatusCode::UNAUTHORIZED);
    app.state.scim.revoke_source(&app.system, &id).await.expect("revoke");
    let r = app.bearer(&token, "GET", "/scim/v2/Users", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get("www-authenticate").is_some());
}

#[tokio::test]
async fn a_provisioned_person_gets_their_profile_and_loses_access_when_made_inactive() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège A").await;
    let token = source(&app, "Annuaire", &["0290009C"]).await;
    let r = app.bearer(&token, "POST", "/scim/v2/Users", Some(user("Jeanne.Agent", "0290009C", "COL"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["userName"], "Jeanne.Agent", "given back as sent");
    assert!(r.location().ends_with(&format!("/scim/v2/Users/{}", v["id"].as_str().unwrap_or(""))));
    let people = app.state.store.people_in(school.id, Some(Profile::LocalAuthority), "", 10).await.expect("people");
    assert_eq!(people.len(), 1);
    let person = people[0].0.clone();
    assert_eq!(person.login, "jeanne.agent");
    app.state.accounts.set_password_as_operator(&app.system, person.id, PASSWORD).await.expect("password");
    let c = app.login(&person).await;
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::OK);
    let r = app
        .bearer(&token, "PATCH", &format!("/scim/v2/Users/{}", person.id), Some(json!({"Operations": [{"op": "replace", "path": "active", "value": false}]})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["active"], false);
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::SEE_OTHER, "the open session is closed");
    let (r, _) = app.try_login("jeanne.agent", PASSWORD).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER, "and the account cannot log in");
    let r = app.bearer(&token, "POST", "/scim/v2/Users", Some(user("JEANNE.AGENT", "0290009C", "COL"))).await;
    assert_eq!((r.status, r.json()["scimType"].as_str()), (StatusCode::CONFLICT, Some("uniqueness")));
}

#[tokio::test]
async fn filters_pages_projections_and_versions() {
    let app = TestApp::new().await;
    app.school("0290009C", "Collège A").await;
    let token = source(&app, "Annuaire", &["0290009C"]).await;
    for name in ["alice", "albert", "bruno"] {
        assert_eq!(app.bearer(&token, "POST", "/scim/v2/Users", Some(user(name, "0290009C", "ETA"))).await.status, StatusCode::CREATED);
    }
    let r = app.bearer(&token, "GET", "/scim/v2/Users?filter=userName%20sw%20%22al%22&startIndex=2&count=1&attributes=userName", None).await;
    let v = r.json();
    assert_eq!((v["totalResults"].as_u64(), v["itemsPerPage"].as_u64(), v["startIndex"].as_u64()), (Some(2), Some(1), Some(2)));
    let only = &v["Resources"][0];
    assert!(only["userName"].as_str().is_some_and(|n| n.starts_with("al")) && only["id"].is_string());
    assert!(only.get("emails").is_none(), "only the attributes asked for");
    let r = app
        .bearer(&token, "POST", "/scim/v2/Users/.search", Some(json!({"filter": format!("{EXT}:profiles.profile eq \"ETA\" and not (userName eq \"bruno\")")})))
        .await;
    assert_eq!(r.json()["totalResults"], 2);
    let r = app.bearer(&token, "GET", "/scim/v2/Users?filter=userName%20zz", None).await;
    assert_eq!((r.status, r.json()["scimType"].as_str()), (StatusCode::BAD_REQUEST, Some("invalidFilter")));

    let listed = app.bearer(&token, "GET", "/scim/v2/Users?filter=userName%20eq%20%22bruno%22", None).await.json();
    let id = listed["Resources"][0]["id"].as_str().expect("id").to_owned();
    let got = app.bearer(&token, "GET", &format!("/scim/v2/Users/{id}"), None).await;
    let etag = got.headers.get("etag").and_then(|v| v.to_str().ok()).expect("ETag").to_owned();
    assert_eq!(etag, got.json()["meta"]["version"].as_str().unwrap_or(""));
    let req = axum::http::Request::get(format!("/scim/v2/Users/{id}")).header("authorization", format!("Bearer {token}")).header("if-none-match", etag.clone());
    assert_eq!(app.send(&Client::default(), req, axum::body::Body::empty()).await.status, StatusCode::NOT_MODIFIED);
    let patch = json!({"Operations": [{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@ville.fr"}]});
    assert_eq!(app.bearer(&token, "PATCH", &format!("/scim/v2/Users/{id}"), Some(patch.clone())).await.status, StatusCode::OK);
    let req = axum::http::Request::patch(format!("/scim/v2/Users/{id}")).header("authorization", format!("Bearer {token}")).header("if-match", etag);
    let stale = app.send(&Client::default(), req, axum::body::Body::from(patch.to_string())).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "a write based on an old version is refused");
    let now = app.bearer(&token, "GET", &format!("/scim/v2/Users/{id}"), None).await.json();
    assert_eq!(now["emails"][0]["value"], "b@ville.fr");
}

#[tokio::test]
async fn groups_are_classes_of_the_source_with_their_members() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège A").await;
    let token = source(&app, "Annuaire", &["0290009C"]).await;
    let r = app.bearer(&token, "POST", "/scim/v2/Users", Some(user("eleve.un", "0290009C", "ELV"))).await;
    let member = r.json()["id"].as_str().expect("id").to_owned();
    let g = json!({"displayName": "CM2 A", "members": [{"value": member}], "urn:preau:scim:schemas:2.0:EntGroup": {"structure": "0290009C", "kind": "class"}});
    let r = app.bearer(&token, "POST", "/scim/v2/Groups", Some(g)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let class = app.state.store.groups_in(school.id).await.expect("groups").into_iter().find(|g| g.name == "CM2 A").expect("the class is in the school");
    assert_eq!(app.state.store.group_members(class.id).await.expect("members").len(), 1);
    let u = app.bearer(&token, "GET", &format!("/scim/v2/Users/{member}"), None).await.json();
    assert_eq!(u[EXT]["classes"], json!(["CM2 A"]));
    assert_eq!(u["groups"][0]["display"], "CM2 A");
    let r = app.bearer(&token, "DELETE", &format!("/scim/v2/Users/{member}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(app.state.store.group_members(class.id).await.expect("members").is_empty(), "a deleted person leaves their groups");
    assert_eq!(app.bearer(&token, "GET", &format!("/scim/v2/Users/{member}"), None).await.status, StatusCode::NOT_FOUND);
}

/// Runs the `scim2-tester` compliance checker (PyPI) against a real listening server: `.ci/run`
/// installs it in a virtual environment and sets `PREAU_TEST_SCIM_PYTHON` to its interpreter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs scim2-tester; run by .ci/run"]
async fn scim2_tester_passes_against_the_server() {
    let python = std::env::var("PREAU_TEST_SCIM_PYTHON").expect("PREAU_TEST_SCIM_PYTHON=path/to/venv/bin/python");
    let app = TestApp::new().await;
    app.school("0290009C", "Collège A").await;
    let token = source(&app, "Conformité", &["0290009C"]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut state = app.state.clone();
    state.accounts.base_url = format!("http://{addr}");
    let router = preau_web::router(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scim/check.py");
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python).arg(script).arg(format!("http://{addr}/scim/v2")).arg(token).output())
        .await
        .expect("join")
        .expect("run scim2-tester");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "scim2-tester failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[tokio::test]
async fn a_territory_admin_registers_a_source_in_the_console_and_a_local_admin_cannot() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège A").await;
    let admin = app.territory_admin().await;
    let c = app.login(&admin).await;
    let r = app.post_form(&c, "/admin/scim", &[("name", "Annuaire agricole"), ("uais", "0290009C")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.body.split("preau_scim_").nth(1).and_then(|t| t.split('<').next()).map(|t| format!("preau_scim_{t}")).expect("the token is shown once");
    assert_eq!(app.bearer(&token, "GET", "/scim/v2/ServiceProviderConfig", None).await.status, StatusCode::OK);
    assert!(!app.get(&c, "/admin/scim").await.body.contains(&token), "and never again");
    let r = app.post_form(&c, "/admin/scim", &[("name", "Erreur"), ("uais", "9999999Z")]).await;
    assert!(r.body.contains("Établissement inconnu"), "an unknown UAI is explained");
    let local = app.local_admin(&school).await;
    let lc = app.login(&local).await;
    assert_eq!(app.get(&lc, "/admin/scim").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_form(&lc, "/admin/scim", &[("name", "X"), ("uais", "0290009C")]).await.status, StatusCode::FORBIDDEN);
}
