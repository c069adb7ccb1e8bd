//! The OpenID Connect provider: the code flow with PKCE through the portal session, consent,
//! what a client receives, single-use codes, refresh rotation and reuse detection,
//! introspection and revocation, logout, key rotation — and the refusals.

use crate::app::*;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use preau_core::Profile;
use preau_directory::DirectoryStore;
use preau_web::cas::query_escape as urlencode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ISSUER: &str = "https://ent.example.org";
const VERIFIER: &str = "a-code-verifier-of-forty-three-characters-at-least-0123";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub fn oidc_connector(code: &str, profiles: &[&str], release: &[&str]) -> Value {
    json!({
        "code": code, "name": format!("Service {code}"), "url": format!("https://{code}.example.org/"), "protocol": "oidc",
        "service_urls": [format!("https://{code}.example.org/callback")], "profiles": profiles, "release": release, "subject": "login",
        "purpose": "Manuels numériques", "legal_basis": "Mission d'intérêt public (RGPD 6.1.e)",
        "post_logout_uris": [format!("https://{code}.example.org/bye")]
    })
}

/// A registered client: its id, its secret (confidential) and its redirect URI.
pub struct Rp {
    pub id: String,
    pub secret: String,
    pub redirect: String,
}

/// Registers an OIDC connector as territory admin (through `admin`) and puts it in the school's
/// bouquet for `profile`.
pub async fn register_rp(app: &TestApp, admin: &Client, school: &preau_directory::Structure, body: Value, profile: &str) -> Rp {
    let redirect = body["service_urls"][0].as_str().unwrap_or_default().to_owned();
    let r = app.json(admin, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["service"].as_str().unwrap_or_default().to_owned();
    let secret = r.json()["client_secret"].as_str().unwrap_or_default().to_owned();
    let r = app.json(admin, "PUT", &format!("/api/v1/structures/{}/bouquet/{profile}", school.id), Some(json!({"services": [id]}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    Rp { id, secret, redirect }
}

fn authorize_url(rp: &Rp, scope: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        rp.id,
        urlencode(&rp.redirect),
        urlencode(scope),
        challenge(VERIFIER)
    )
}

fn param(location: &str, name: &str) -> String {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap_or_default().to_owned()
}

fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    body.split(&marker).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
}

fn basic(rp: &Rp) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Basic {}", STANDARD.encode(format!("{}:{}", rp.id, rp.secret))))]
}

/// Runs the authorization request for a logged-in browser, consenting when asked; returns the
/// redirect to the client.
async fn authorize(app: &TestApp, c: &Client, rp: &Rp, scope: &str) -> String {
    let r = app.get(c, &authorize_url(rp, scope, "")).await;
    if r.status == StatusCode::OK {
        assert!(r.body.contains("/oidc/consent"), "{}", r.body);
        let r = app.post_form(c, "/oidc/consent", &[("request", &hidden(&r.body, "request")), ("decision", "allow")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        return r.location();
    }
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location()
}

async fn exchange(app: &TestApp, rp: &Rp, code: &str, verifier: &str) -> Resp {
    app.post_raw(
        "/oidc/token",
        &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &rp.redirect), ("code_verifier", verifier)],
        &basic(rp),
    )
    .await
}

/// Verifies an ID token against the published JWKS, as a client would.
async fn verify(app: &TestApp, token: &str, audience: &str) -> Value {
    let jwks: JwkSet = serde_json::from_str(&app.get(&Client::default(), "/oidc/jwks").await.body).expect("a JWK set");
    let header = jsonwebtoken::decode_header(token).expect("a JWT");
    let jwk = jwks.find(header.kid.as_deref().unwrap_or_default()).expect("its key is published");
    let mut v = Validation::new(header.alg);
    v.set_audience(&[audience]);
    v.set_issuer(&[ISSUER]);
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).expect("key"), &v).expect("a valid signature").claims
}

async fn userinfo(app: &TestApp, token: &str) -> Resp {
    let req = axum::http::Request::get("/oidc/userinfo").header("authorization", format!("Bearer {token}"));
    app.send(&Client::default(), req, axum::body::Body::empty()).await
}

#[tokio::test]
async fn a_teacher_signs_in_with_pkce_and_the_client_receives_only_what_it_was_granted() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let rp = register_rp(&app, &admin, &school, oidc_connector("manuels", &["ENS"], &["family_name", "given_name", "structures"]), "ENS").await;
    assert!(rp.secret.len() > 30, "a confidential client gets its secret once");
    let mut teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    teacher.email = Some("anne.martin@example.org".into());
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
    app.state.store.update_person(&teacher, &audit).await.expect("an e-mail the client must not get");
    let c = app.login(&teacher).await;

    // First sign-in: the consent screen says what the client will receive, and why.
    let r = app.get(&c, &authorize_url(&rp, "openid profile email", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for shown in ["Service manuels", "Nom de famille", "Prénom", "Manuels numériques"] {
        assert!(r.body.contains(shown), "{shown} missing from the consent page");
    }
    assert!(!r.body.contains("Adresse e-mail"), "e-mail is not in the policy: it is not asked");
    let r = app.post_form(&c, "/oidc/consent", &[("request", &hidden(&r.body, "request")), ("decision", "allow")]).await;
    let to = r.location();
    assert!(to.starts_with(&rp.redirect) && param(&to, "state") == "st-1", "{to}");
    assert_eq!(param(&to, "iss"), urlencode(ISSUER));
    let code = param(&to, "code");

    // A wrong verifier is refused and spends the code.
    let r = exchange(&app, &rp, &code, "another-verifier-of-forty-three-characters-xxxx").await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{}", r.body);
    // The second sign-in asks no consent again.
    let code = param(&authorize(&app, &c, &rp, "openid profile email").await, "code");
    let r = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let tokens = r.json();
    assert!(tokens.get("refresh_token").is_none(), "no refresh token without offline_access");
    let claims = verify(&app, tokens["id_token"].as_str().unwrap_or_default(), &rp.id).await;
    assert_eq!(claims["sub"], json!(teacher.login));
    assert_eq!(claims["nonce"], json!("n-1"));
    assert_eq!((claims["family_name"].as_str(), claims["given_name"].as_str()), (Some("Martin"), Some("Anne")));
    // Granted but not asked for (no `structures` scope), and asked for but not granted (email).
    for absent in ["structures", "email", "birthdate"] {
        assert!(claims.get(absent).is_none(), "{absent} was released: {claims}");
    }
    let info = userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(info.json(), json!({"sub": teacher.login, "family_name": "Martin", "given_name": "Anne"}));

    // A code is single-use; replaying it also revokes what it obtained.
    let r = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(r.json()["error"], json!("invalid_grant"));
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await.status, StatusCode::UNAUTHORIZED);
    // A wrong secret is an authentication failure.
    let bad = Rp { secret: "not-the-secret".into(), ..rp };
    let r = exchange(&app, &bad, "whatever", VERIFIER).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}

#[tokio::test]
async fn a_pupil_is_refused_and_unregistered_addresses_are_never_redirected_to() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let mut body = oidc_connector("pro", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let pupil = app.person("Léo", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    let to = authorize(&app, &c, &rp, "openid profile").await;
    assert!(to.starts_with(&rp.redirect) && to.contains("error=access_denied") && param(&to, "code").is_empty(), "{to}");

    // Unknown redirect URI, unknown client: an error page, no redirect.
    let evil = Rp { redirect: "https://evil.example.net/callback".into(), id: rp.id.clone(), secret: String::new() };
    let r = app.get(&c, &authorize_url(&evil, "openid", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers.get("location").is_none() && r.body.contains("adresse de retour"), "{}", r.body);
    let prefix = Rp { redirect: format!("{}/../x", rp.redirect), id: rp.id.clone(), secret: String::new() };
    assert!(app.get(&c, &authorize_url(&prefix, "openid", "")).await.headers.get("location").is_none(), "redirect URIs match exactly");
    let r = app.get(&c, &authorize_url(&Rp { id: "00000000-0000-0000-0000-000000000000".into(), ..evil }, "openid", "")).await;
    assert!(r.headers.get("location").is_none());

    // Without a session, prompt=none answers login_required; otherwise the login form comes.
    let r = app.get(&Client::default(), &authorize_url(&rp, "openid", "&prompt=none")).await;
    assert!(r.location().contains("error=login_required"), "{}", r.location());
    let r = app.get(&Client::default(), &authorize_url(&rp, "openid", "")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"next\"") && r.body.contains("Service pro"), "{}", r.body);
    // Without openid, or with a response type other than code: refused back to the client.
    let r = app.get(&c, &authorize_url(&rp, "profile", "")).await;
    assert!(r.location().contains("error=invalid_scope"), "{}", r.location());
}

#[tokio::test]
async fn logging_in_from_a_client_comes_back_to_it_and_a_public_client_must_use_pkce() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let mut body = oidc_connector("appli", &["ELV"], &["given_name", "classes"]);
    body["client_type"] = json!("public");
    body["preapproved"] = json!(true);
    let rp = register_rp(&app, &admin, &school, body, "ELV").await;
    assert!(rp.secret.is_empty(), "a public client has no secret");
    let pupil = app.person("Léo", "Durand", &school, Profile::Pupil).await;
    let no_pkce = format!("/oidc/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid", rp.id, urlencode(&rp.redirect));
    let r = app.get(&Client::default(), &no_pkce).await;
    assert!(r.location().contains("error=invalid_request"), "{}", r.location());

    // Not logged in: the login form, then straight back to the client (pre-approved: no consent).
    let r = app.get(&Client::default(), &authorize_url(&rp, "openid profile classes", "")).await;
    let next = hidden(&r.body, "next");
    assert!(next.starts_with("/oidc/continue"), "{}", r.body);
    let r = app.post_form(&Client::default(), "/login", &[("login", &pupil.login), ("password", PASSWORD), ("next", &next.replace("&amp;", "&"))]).await;
    assert_eq!(r.location(), next.replace("&amp;", "&"));
    let c = app.client_of(&r);
    let r = app.get(&c, &r.location()).await;
    let code = param(&r.location(), "code");
    assert!(!code.is_empty(), "{}", r.location());
    let r = app
        .post_raw(
            "/oidc/token",
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &rp.redirect), ("code_verifier", VERIFIER), ("client_id", &rp.id)],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let claims = verify(&app, r.json()["id_token"].as_str().unwrap_or_default(), &rp.id).await;
    assert_eq!(claims["given_name"], json!("Léo"));
    // A login that is not a path of this site is never followed.
    let r = app.post_form(&Client::default(), "/login", &[("login", &pupil.login), ("password", PASSWORD), ("next", "//evil.example.net/")]).await;
    assert_eq!(r.location(), "/portal");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_whole_grant() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let rp = register_rp(&app, &admin, &school, oidc_connector("notes", &["ENS"], &["family_name"]), "ENS").await;
    let other = register_rp(&app, &admin, &school, oidc_connector("autre", &["ENS"], &["family_name"]), "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let r = app.get(&c, &authorize_url(&rp, "openid profile offline_access", "")).await;
    assert!(r.body.contains("Rester connecté au service en votre absence"), "offline access is asked for explicitly");
    let to = app.post_form(&c, "/oidc/consent", &[("request", &hidden(&r.body, "request")), ("decision", "allow")]).await.location();
    let tokens = exchange(&app, &rp, &param(&to, "code"), VERIFIER).await.json();
    let first = tokens["refresh_token"].as_str().unwrap_or_default().to_owned();
    assert!(!first.is_empty(), "{tokens}");

    // Introspection: the client learns about its own tokens only.
    let access = tokens["access_token"].as_str().unwrap_or_default();
    let r = app.post_raw("/oidc/introspect", &[("token", access)], &basic(&rp)).await;
    assert_eq!((r.json()["active"].as_bool(), r.json()["sub"].as_str()), (Some(true), Some(teacher.login.as_str())), "{}", r.body);
    assert_eq!(app.post_raw("/oidc/introspect", &[("token", access)], &basic(&other)).await.json(), json!({"active": false}));
    assert_eq!(app.post_raw("/oidc/introspect", &[("token", access)], &[]).await.status, StatusCode::UNAUTHORIZED);

    let refresh = |token: String| {
        let app = &app;
        let rp = &rp;
        async move { app.post_raw("/oidc/token", &[("grant_type", "refresh_token"), ("refresh_token", &token)], &basic(rp)).await }
    };
    let r = refresh(first.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let second = r.json()["refresh_token"].as_str().unwrap_or_default().to_owned();
    assert!(!second.is_empty() && second != first, "rotated");
    let claims = verify(&app, r.json()["id_token"].as_str().unwrap_or_default(), &rp.id).await;
    assert_eq!(claims["sub"], json!(teacher.login));
    let renewed_access = r.json()["access_token"].as_str().unwrap_or_default().to_owned();
    // The first token again: someone replays it; the whole grant goes.
    let r = refresh(first).await;
    assert_eq!(r.json()["error"], json!("invalid_grant"), "{}", r.body);
    assert_eq!(refresh(second).await.json()["error"], json!("invalid_grant"), "the legitimate holder's token is revoked too");
    assert_eq!(userinfo(&app, &renewed_access).await.status, StatusCode::UNAUTHORIZED);

    // Revocation (RFC 7009) of a fresh grant's refresh token, by its client only.
    let to = authorize(&app, &c, &rp, "openid offline_access").await;
    let tokens = exchange(&app, &rp, &param(&to, "code"), VERIFIER).await.json();
    let token = tokens["refresh_token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.post_raw("/oidc/revoke", &[("token", &token)], &basic(&other)).await.status, StatusCode::OK);
    assert_eq!(app.post_raw("/oidc/introspect", &[("token", &token)], &basic(&rp)).await.json()["active"], json!(true), "another client cannot revoke it");
    assert_eq!(app.post_raw("/oidc/revoke", &[("token", &token)], &basic(&rp)).await.status, StatusCode::OK);
    assert_eq!(app.post_raw("/oidc/introspect", &[("token", &token)], &basic(&rp)).await.json()["active"], json!(false));
    assert_eq!(refresh(token).await.json()["error"], json!("invalid_grant"));
}

#[tokio::test]
async fn a_blocked_person_refreshes_nothing() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin_person = app.territory_admin().await;
    let admin = app.login(&admin_person).await;
    let mut body = oidc_connector("notes", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let to = authorize(&app, &c, &rp, "openid offline_access").await;
    let refresh = exchange(&app, &rp, &param(&to, "code"), VERIFIER).await.json()["refresh_token"].as_str().unwrap_or_default().to_owned();
    let r = app.json(&admin, "POST", &format!("/api/v1/people/{}/block", teacher.id), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = app.post_raw("/oidc/token", &[("grant_type", "refresh_token"), ("refresh_token", &refresh)], &basic(&rp)).await;
    assert_eq!(r.json()["error"], json!("invalid_grant"), "{}", r.body);
}

pub type Received = std::sync::Arc<tokio::sync::Mutex<Vec<String>>>;

/// A client's back-channel logout endpoint (`/bc`) listening on loopback: its port, and the
/// bodies it receives.
pub async fn back_channel() -> (u16, Received) {
    let received: Received = std::sync::Arc::default();
    let sink = received.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let receiver = axum::Router::new().route(
        "/bc",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move { sink.lock().await.push(body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    (port, received)
}

/// The first body the endpoint receives (waits up to a second).
pub async fn first_received(received: &Received) -> String {
    for _ in 0..50 {
        if let Some(b) = received.lock().await.first() {
            return b.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    String::new()
}

#[tokio::test]
async fn blocking_a_person_logs_them_out_of_the_services_they_signed_in_to() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let (port, received) = back_channel().await;
    let mut body = oidc_connector("vie", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    body["backchannel_logout_uri"] = json!(format!("http://127.0.0.1:{port}/bc"));
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let to = authorize(&app, &c, &rp, "openid").await;
    let tokens = exchange(&app, &rp, &param(&to, "code"), VERIFIER).await.json();
    let r = app.json(&admin, "POST", &format!("/api/v1/people/{}/block", teacher.id), None).await;
    assert!(r.status.is_success(), "{}", r.body);
    let body = first_received(&received).await;
    let logout = verify(&app, body.strip_prefix("logout_token=").unwrap_or_default(), &rp.id).await;
    assert_eq!(logout["sub"], json!(teacher.login), "{body}");
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_out_notifies_clients_on_the_back_channel_and_goes_back_only_to_registered_addresses() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let (port, received) = back_channel().await;
    let mut body = oidc_connector("vie", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    body["subject"] = json!("pairwise");
    body["backchannel_logout_uri"] = json!(format!("http://127.0.0.1:{port}/bc"));
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let to = authorize(&app, &c, &rp, "openid").await;
    let tokens = exchange(&app, &rp, &param(&to, "code"), VERIFIER).await.json();
    let id_token = tokens["id_token"].as_str().unwrap_or_default().to_owned();
    let claims = verify(&app, &id_token, &rp.id).await;
    assert_ne!(claims["sub"], json!(teacher.login), "pairwise: not the login");

    // RP-initiated logout with the client's own ID token: no question, back to its address.
    let r = app.get(&c, &format!("/oidc/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=s2", urlencode("https://vie.example.org/bye"))).await;
    assert_eq!(r.location(), "https://vie.example.org/bye?state=s2");
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::SEE_OTHER, "the portal session is over");
    assert_eq!(userinfo(&app, tokens["access_token"].as_str().unwrap_or_default()).await.status, StatusCode::UNAUTHORIZED);
    let body = first_received(&received).await;
    let token = body.strip_prefix("logout_token=").unwrap_or_default();
    assert!(!token.is_empty(), "no logout token arrived: {body}");
    let logout = verify(&app, token, &rp.id).await;
    assert_eq!((logout["sub"].clone(), logout["sid"].clone()), (claims["sub"].clone(), claims["sid"].clone()));
    assert!(logout["events"].get("http://schemas.openid.net/event/backchannel-logout").is_some(), "{logout}");

    // An unregistered post-logout address is not followed; without a valid hint, the person is asked.
    let c = app.login(&teacher).await;
    let r = app.get(&c, &format!("/oidc/logout?client_id={}&post_logout_redirect_uri={}", rp.id, urlencode("https://evil.example.net/"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Me déconnecter"), "{}", r.body);
    let r = app.post_form(&c, "/oidc/logout", &[("client_id", &rp.id), ("post_logout_redirect_uri", "https://evil.example.net/")]).await;
    assert!(r.headers.get("location").is_none(), "not redirected to an unregistered address");
}

#[tokio::test]
async fn rotated_keys_stay_published_so_earlier_tokens_still_verify() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let mut body = oidc_connector("rs", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    let rsa = register_rp(&app, &admin, &school, body.clone(), "ENS").await;
    body["code"] = json!("ec");
    body["signing_alg"] = json!("ES256");
    body["service_urls"] = json!(["https://ec.example.org/callback"]);
    let ec = register_rp(&app, &admin, &school, body, "ENS").await;
    let r = app.json(&admin, "PUT", &format!("/api/v1/structures/{}/bouquet/ENS", school.id), Some(json!({"services": [rsa.id, ec.id]}))).await;
    assert!(r.status.is_success());
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let mut tokens = vec![];
    for rp in [&rsa, &ec] {
        let to = authorize(&app, &c, rp, "openid").await;
        tokens.push(exchange(&app, rp, &param(&to, "code"), VERIFIER).await.json()["id_token"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(jsonwebtoken::decode_header(&tokens[0]).expect("jwt").alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(jsonwebtoken::decode_header(&tokens[1]).expect("jwt").alg, jsonwebtoken::Algorithm::ES256);
    let before: JwkSet = serde_json::from_str(&app.get(&Client::default(), "/oidc/jwks").await.body).expect("jwks");
    assert_eq!(before.keys.len(), 2);
    let new_kids = app.state.sso.rotate_keys().await.expect("rotation");
    let after: JwkSet = serde_json::from_str(&app.get(&Client::default(), "/oidc/jwks").await.body).expect("jwks");
    assert_eq!(after.keys.len(), 4, "old keys stay published during the grace period");
    verify(&app, &tokens[0], &rsa.id).await;
    verify(&app, &tokens[1], &ec.id).await;
    let to = authorize(&app, &c, &rsa, "openid").await;
    let fresh = exchange(&app, &rsa, &param(&to, "code"), VERIFIER).await.json()["id_token"].as_str().unwrap_or_default().to_owned();
    let kid = jsonwebtoken::decode_header(&fresh).expect("jwt").kid.unwrap_or_default();
    assert!(new_kids.contains(&kid), "new tokens are signed with the new key");
    // After the grace period, the old keys are gone at the next rotation.
    app.clock.advance(8 * 24 * 3600);
    app.state.sso.rotate_keys().await.expect("rotation");
    let later: JwkSet = serde_json::from_str(&app.get(&Client::default(), "/oidc/jwks").await.body).expect("jwks");
    assert!(later.keys.iter().all(|k| before.keys.iter().all(|b| b.common.key_id != k.common.key_id)));
}

#[tokio::test]
async fn only_the_territory_can_skip_consent_and_a_refusal_goes_back_as_access_denied() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let local = app.login(&app.local_admin(&school).await).await;
    let mut body = oidc_connector("ecole", &["ENS"], &["family_name"]);
    body["owner"] = json!("0290009C");
    body["preapproved"] = json!(true);
    let r = app.json(&local, "POST", "/api/v1/connectors", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    body["preapproved"] = json!(false);
    let rp = register_rp(&app, &local, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let r = app.get(&c, &authorize_url(&rp, "openid profile", "")).await;
    let r = app.post_form(&c, "/oidc/consent", &[("request", &hidden(&r.body, "request")), ("decision", "deny")]).await;
    assert!(r.location().starts_with(&rp.redirect) && r.location().contains("error=access_denied"), "{}", r.location());
    // Refused consent is not remembered as given.
    assert_eq!(app.get(&c, &authorize_url(&rp, "openid profile", "")).await.status, StatusCode::OK);
    let r = app.get(&c, &authorize_url(&rp, "openid profile", "&prompt=none")).await;
    assert!(r.location().contains("error=consent_required"), "{}", r.location());
}

#[tokio::test]
async fn discovery_publishes_the_endpoints_and_what_is_supported() {
    let app = TestApp::new().await;
    let r = app.get(&Client::default(), "/.well-known/openid-configuration").await;
    let d = r.json();
    assert_eq!(d["issuer"], json!(ISSUER));
    assert_eq!(d["token_endpoint"], json!(format!("{ISSUER}/oidc/token")));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert!(d["id_token_signing_alg_values_supported"].as_array().is_some_and(|a| a.contains(&json!("RS256"))));
    let jwks: JwkSet = serde_json::from_str(&app.get(&Client::default(), "/oidc/jwks").await.body).expect("jwks");
    assert!(jwks.keys.iter().all(|k| k.common.key_id.is_some()), "every key has its kid");
    assert!(!app.get(&Client::default(), "/oidc/jwks").await.body.contains("\"d\""), "no private part is published");
}

/// Authlib and joserfc (PyPI), written by others, run the flows against the server on a real
/// port. Needs `PREAU_TEST_OIDC_PYTHON` (a Python with `tests/oidc/requirements.txt`); `.ci/run`
/// provides it.
#[tokio::test]
#[ignore = "needs Python with Authlib: run by .ci/run"]
async fn authlib_runs_the_code_flow_and_verifies_the_tokens() {
    let python = std::env::var("PREAU_TEST_OIDC_PYTHON").expect("PREAU_TEST_OIDC_PYTHON=path/to/venv/bin/python");
    let (app, base) = TestApp::served().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let redirect = "http://127.0.0.1:9/callback";
    let mut body = oidc_connector("manuels", &["ENS"], &["family_name", "given_name"]);
    body["service_urls"] = json!([redirect]);
    let conf = register_rp(&app, &admin, &school, body.clone(), "ENS").await;
    body["code"] = json!("appli");
    body["client_type"] = json!("public");
    body["signing_alg"] = json!("ES256");
    body["preapproved"] = json!(true);
    let public = register_rp(&app, &admin, &school, body, "ENS").await;
    let r = app.json(&admin, "PUT", &format!("/api/v1/structures/{}/bouquet/ENS", school.id), Some(json!({"services": [conf.id, public.id]}))).await;
    assert!(r.status.is_success());
    let mut teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    teacher.email = Some("anne.martin@example.org".into());
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
    app.state.store.update_person(&teacher, &audit).await.expect("an e-mail the clients must not get");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc/check.py");
    let args = [base, teacher.login.clone(), PASSWORD.to_owned(), teacher.family_name.clone(), conf.id, conf.secret, public.id, redirect.to_owned()];
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new(python).arg(script).args(args).output()).await.expect("join").expect("run Authlib");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "Authlib checks failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("checks passed"), "{stdout}");
}

#[tokio::test]
async fn a_renewed_secret_replaces_the_old_one_and_only_its_managers_may_renew_it() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let other = app.school("0290010D", "Lycée").await;
    let local = app.login(&app.local_admin(&school).await).await;
    let mut body = oidc_connector("ecole", &["ENS"], &["family_name"]);
    body["owner"] = json!("0290009C");
    let rp = register_rp(&app, &local, &school, body, "ENS").await;
    let outsider = app.login(&app.local_admin(&other).await).await;
    let r = app.json(&outsider, "POST", &format!("/api/v1/connectors/{}/secret", rp.id), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.json(&local, "POST", &format!("/api/v1/connectors/{}/secret", rp.id), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let renewed = Rp { secret: r.json()["client_secret"].as_str().unwrap_or_default().to_owned(), id: rp.id.clone(), redirect: rp.redirect.clone() };
    assert!(!renewed.secret.is_empty() && renewed.secret != rp.secret);
    assert!(app.json(&local, "GET", &format!("/api/v1/connectors/{}", rp.id), None).await.json().get("client_secret").is_none(), "never shown again");
    let old = app.post_raw("/oidc/introspect", &[("token", "x")], &basic(&rp)).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "the old secret no longer works");
    assert_eq!(app.post_raw("/oidc/introspect", &[("token", "x")], &basic(&renewed)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_session_that_expires_unnoticed_is_logged_out_of_the_services_by_the_sweep() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let (port, received) = back_channel().await;
    let mut body = oidc_connector("vie", &["ENS"], &["family_name"]);
    body["preapproved"] = json!(true);
    body["backchannel_logout_uri"] = json!(format!("http://127.0.0.1:{port}/bc"));
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    let to = authorize(&app, &c, &rp, "openid").await;
    exchange(&app, &rp, &param(&to, "code"), VERIFIER).await;
    assert_eq!(app.state.accounts.sessions.sweep(&*app.state.store, preau_core::Clock::now(&*app.clock)).await.expect("sweep"), 0, "nothing has expired yet");
    app.clock.advance(2 * 3600);
    assert!(app.state.accounts.sessions.sweep(&*app.state.store, preau_core::Clock::now(&*app.clock)).await.expect("sweep") >= 1);
    let body = first_received(&received).await;
    let logout = verify(&app, body.strip_prefix("logout_token=").unwrap_or_default(), &rp.id).await;
    assert_eq!(logout["sub"], json!(teacher.login));
}

#[tokio::test]
async fn a_phone_app_comes_back_to_its_own_scheme_or_to_loopback_on_any_port() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let mut body = oidc_connector("appli", &["ENS"], &["family_name"]);
    body["service_urls"] = json!(["fr.example.appli:/callback", "http://127.0.0.1/callback"]);
    let r = app.json(&admin, "POST", "/api/v1/connectors", Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a confidential client has web addresses only: {}", r.body);
    body["client_type"] = json!("public");
    body["preapproved"] = json!(true);
    let rp = register_rp(&app, &admin, &school, body, "ENS").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&teacher).await;
    for (given, ok) in [
        ("fr.example.appli:/callback", true),
        ("http://127.0.0.1:53123/callback", true),
        ("http://127.0.0.1:53123/other", false),
        ("fr.example.appli:/other", false),
    ] {
        let r = app.get(&c, &authorize_url(&Rp { redirect: given.to_owned(), id: rp.id.clone(), secret: String::new() }, "openid", "")).await;
        assert_eq!(r.location().starts_with(&format!("{given}?code=")), ok, "{given}: {} {}", r.status, r.location());
    }
}
