//! The JSON API: same operations and refusals as the pages, API keys, CSRF, problem+json.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;
use serde_json::json;

async fn api_key(app: &TestApp) -> String {
    let (_, key) = app.state.accounts.issue_api_key(&app.system, "tests").await.expect("key");
    key
}

#[tokio::test]
async fn an_api_key_creates_a_structure_and_a_person() {
    let app = TestApp::new().await;
    let key = api_key(&app).await;
    let r = app.bearer(&key, "POST", "/api/v1/structures", Some(json!({"uai": "0290009C", "name": "Collège", "kind": "college"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let r = app.bearer(&key, "POST", "/api/v1/people", Some(json!({"given_name": "Zoé", "family_name": "Durand", "structure": id, "profile": "ELV"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["person"]["login"], "zoe.durand");
    assert!(r.json()["activation_code"].as_str().is_some());
    let people = app.bearer(&key, "GET", &format!("/api/v1/structures/{id}/people"), None).await;
    assert_eq!(people.json().as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_revoked_or_forged_api_key_is_refused() {
    let app = TestApp::new().await;
    let (rec, key) = app.state.accounts.issue_api_key(&app.system, "tests").await.expect("key");
    assert_eq!(app.bearer(&key, "GET", "/api/v1/structures", None).await.status, StatusCode::OK);
    app.state.accounts.revoke_api_key(&app.system, &rec.id).await.expect("revoke");
    let r = app.bearer(&key, "GET", "/api/v1/structures", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.content_type(), "application/problem+json");
    assert_eq!(app.bearer("preau_forged", "GET", "/api/v1/structures", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn invalid_input_is_a_problem_listing_each_field() {
    let app = TestApp::new().await;
    let key = api_key(&app).await;
    let r = app.bearer(&key, "POST", "/api/v1/structures", Some(json!({"uai": "12", "name": "", "kind": "usine"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.content_type(), "application/problem+json");
    let fields: Vec<String> = r.json()["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect();
    assert!(fields.contains(&"uai".into()) && fields.contains(&"name".into()) && fields.contains(&"kind".into()), "{fields:?}");
}

#[tokio::test]
async fn malformed_json_is_a_problem_too() {
    let app = TestApp::new().await;
    let key = api_key(&app).await;
    let req = axum::http::Request::post("/api/v1/structures").header("authorization", format!("Bearer {key}")).header("content-type", "application/json");
    let r = app.send(&Client::default(), req, axum::body::Body::from("{not json")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.content_type(), "application/problem+json");
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_header() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let mut c = app.login(&admin).await;
    let body = json!({"given_name": "Zoé", "family_name": "Durand", "structure": school.id, "profile": "ELV"});
    let good_csrf = std::mem::take(&mut c.csrf);
    assert_eq!(app.json(&c, "POST", "/api/v1/people", Some(body.clone())).await.status, StatusCode::FORBIDDEN);
    c.csrf = good_csrf;
    assert_eq!(app.json(&c, "POST", "/api/v1/people", Some(body)).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_api_refuses_what_the_pages_refuse() {
    let app = TestApp::new().await;
    let a = app.school("0290009C", "Collège A").await;
    let b = app.school("0750654D", "Lycée B").await;
    let admin_a = app.local_admin(&a).await;
    let pupil = app.person("Zoé", "Durand", &a, Profile::Pupil).await;
    let c = app.login(&admin_a).await;
    let body = json!({"given_name": "Intrus", "family_name": "X", "structure": b.id, "profile": "ELV"});
    assert_eq!(app.json(&c, "POST", "/api/v1/people", Some(body)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.json(&c, "GET", &format!("/api/v1/structures/{}/people", b.id), None).await.status, StatusCode::FORBIDDEN);
    let p = app.login(&pupil).await;
    assert_eq!(app.json(&p, "GET", "/api/v1/audit", None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.json(&p, "GET", "/api/v1/structures", None).await.status, StatusCode::FORBIDDEN);
    let me = app.json(&p, "GET", "/api/v1/me", None).await;
    assert_eq!(me.json()["portal"]["person"]["login"], "zoe.durand");
}

#[tokio::test]
async fn the_json_login_sets_a_session() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let r = app.json(&Client::default(), "POST", "/api/v1/session", Some(json!({"login": t.login, "password": PASSWORD}))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["csrf"].as_str().is_some());
    let bad = app.json(&Client::default(), "POST", "/api/v1/session", Some(json!({"login": t.login, "password": "faux"}))).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.content_type(), "application/problem+json");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_that_exists() {
    let app = TestApp::new().await;
    let doc = app.get(&Client::default(), "/api/v1/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut n = 0;
    for (path, ops) in paths {
        for (method, _) in ops.as_object().expect("ops") {
            let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string()).replace("{profile}", "ENS").replace("{date}", "2026-09-14");
            let req = axum::http::Request::builder().method(method.to_uppercase().as_str()).uri(concrete.as_str());
            let r = app.send(&Client::default(), req, axum::body::Body::empty()).await;
            assert_ne!(r.status, StatusCode::NOT_FOUND, "{method} {path} is routed");
            assert_ne!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            n += 1;
        }
    }
    assert!(n >= 20);
    // And every API route of the router is described: the paths its source declares.
    let mut declared = vec![];
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source file");
                for part in text.split(".route(\"/api/v1/").skip(1) {
                    declared.push(format!("/api/v1/{}", part.split('"').next().unwrap_or("")));
                }
            }
        }
    }
    assert!(declared.len() >= 20, "{declared:?}");
    let missing: Vec<&String> = declared.iter().filter(|p| !paths.contains_key(p.as_str()) && p.as_str() != "/api/v1/openapi.json").collect();
    assert!(missing.is_empty(), "routes the OpenAPI document does not describe: {missing:?}");
}
