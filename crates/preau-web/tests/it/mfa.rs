//! The second factor: forced enrolment of admins, the code at each login (no replay), recovery
//! codes, remembered devices, the per-profile policy, resets by an admin — and the refusals.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::{Clock, Profile, Role, Scope};
use preau_directory::{Grantee, Person};
use preau_identity::mfa::{base32_decode, totp};
use serde_json::json;

fn code(secret: &str, now: i64) -> String {
    format!("{:06}", totp(&base32_decode(secret).expect("base32"), now.div_euclid(30)))
}

/// Logs in with the password only: the browser then holds a session waiting for its code.
async fn password_only(app: &TestApp, p: &Person) -> (Resp, Client) {
    let r = app.post_form(&Client::default(), "/login", &[("login", &p.login), ("password", PASSWORD)]).await;
    let c = app.client_of(&r);
    (r, c)
}

/// Enrols through the pages (forced after the password, or offered from the account page);
/// returns the secret and the recovery codes.
async fn enrol(app: &TestApp, c: &Client) -> (String, Vec<String>) {
    let mut page = app.get(c, "/mfa").await;
    if page.status == StatusCode::SEE_OTHER {
        page = app.get(c, "/mfa/setup").await;
    }
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<svg") && page.body.contains("aria-label"), "a QR code with its text alternative");
    let secret: String = page.body.split("id=\"mfa-secret\">").nth(1).and_then(|s| s.split('<').next()).unwrap_or_default().replace(' ', "");
    assert_eq!(secret.len(), 32, "{secret}");
    let r = app.post_form(c, "/mfa/enrol", &[("code", &code(&secret, app.clock.now())), ("next", "/portal")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes: Vec<String> = r.body.split("<li><code>").skip(1).filter_map(|s| s.split('<').next()).map(str::to_owned).collect();
    assert_eq!(codes.len(), 10, "{}", r.body);
    (secret, codes)
}

async fn school_admin(app: &TestApp, school: &preau_directory::Structure) -> Person {
    let p = app.person("Inès", "Roux", school, Profile::Staff).await;
    app.state.directory.grant_role(&app.system, Role::LocalAdmin, Grantee::Person(p.id), Scope::Structure(school.id)).await.expect("grant");
    p
}

#[tokio::test]
async fn an_admin_must_enrol_then_give_a_fresh_code_at_each_login() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = school_admin(&app, &school).await;
    let (r, c) = password_only(&app, &admin).await;
    assert_eq!(r.location(), "/mfa");
    // Until the second factor is given, the session reaches nothing.
    assert!(app.get(&c, "/admin").await.location().starts_with("/mfa"));
    assert_eq!(app.json(&c, "GET", "/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
    let (secret, recovery) = enrol(&app, &c).await;
    assert_eq!(app.get(&c, "/admin").await.status, StatusCode::OK, "enrolled: the console opens");

    // Next login: the code is asked; the code of the enrolment step is spent (no replay).
    let (r, c) = password_only(&app, &admin).await;
    assert_eq!(r.location(), "/mfa");
    assert!(app.get(&c, "/mfa").await.body.contains("one-time-code"));
    let same_step = app.post_form(&c, "/mfa/verify", &[("code", &code(&secret, app.clock.now()))]).await;
    assert_eq!(same_step.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", same_step.body);
    app.clock.advance(30);
    let r = app.post_form(&c, "/mfa/verify", &[("code", &code(&secret, app.clock.now())), ("next", "/admin")]).await;
    assert_eq!(r.location(), "/admin");
    assert_eq!(app.get(&c, "/admin").await.status, StatusCode::OK);

    // A recovery code works once.
    let (_, c) = password_only(&app, &admin).await;
    assert_eq!(app.post_form(&c, "/mfa/verify", &[("code", &recovery[0])]).await.status, StatusCode::SEE_OTHER);
    let (_, c) = password_only(&app, &admin).await;
    assert_eq!(app.post_form(&c, "/mfa/verify", &[("code", &recovery[0])]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.get(&c, "/account").await.location().starts_with("/mfa"), "still waiting");
}

#[tokio::test]
async fn five_wrong_codes_close_the_session() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let (_, c) = password_only(&app, &admin).await;
    for _ in 0..4 {
        assert_eq!(app.post_form(&c, "/mfa/verify", &[("code", "000000")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = app.post_form(&c, "/mfa/verify", &[("code", "000000")]).await;
    assert!(r.body.contains("Trop de codes erronés"), "{}", r.body);
    assert_eq!(app.get(&c, "/mfa").await.location(), "/", "the session is gone");
}

#[tokio::test]
async fn a_remembered_device_skips_the_code_until_it_expires() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let (_, c) = password_only(&app, &admin).await;
    app.clock.advance(30);
    let r = app.post_form(&c, "/mfa/verify", &[("code", &code(ADMIN_TOTP, app.clock.now())), ("remember", "on")]).await;
    let device = r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|v| v.starts_with("preau_device=")).unwrap_or_default().to_owned();
    assert!(device.contains("HttpOnly") && device.contains("Max-Age=2592000"), "{device}");
    let browser = Client { cookie: device.split(';').next().map(str::to_owned), ..Client::default() };
    let r = app.post_form(&browser, "/login", &[("login", &admin.login), ("password", PASSWORD)]).await;
    assert_eq!(r.location(), "/portal", "this device is remembered");
    app.clock.advance(31 * 86_400);
    let r = app.post_form(&browser, "/login", &[("login", &admin.login), ("password", PASSWORD)]).await;
    assert_eq!(r.location(), "/mfa", "not after 30 days");
}

#[tokio::test]
async fn a_teacher_may_turn_it_on_and_off_unless_the_territory_requires_it_of_teachers() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let pupil = app.person("Léo", "Durand", &school, Profile::Pupil).await;
    let (r, c) = password_only(&app, &teacher).await;
    assert_eq!(r.location(), "/portal", "optional for teachers by default");
    assert!(app.get(&c, "/account").await.body.contains("Désactivée"));
    let (secret, _) = enrol(&app, &c).await;
    app.clock.advance(30);
    let (r, c) = password_only(&app, &teacher).await;
    assert_eq!(r.location(), "/mfa");
    app.post_form(&c, "/mfa/verify", &[("code", &code(&secret, app.clock.now()))]).await;
    app.clock.advance(30);
    let r = app.post_form(&c, "/account/mfa/disable", &[("code", &code(&secret, app.clock.now()))]).await;
    assert!(r.body.contains("La double authentification est désactivée"), "{}", r.body);
    assert_eq!(password_only(&app, &teacher).await.0.location(), "/portal");

    // The territory requires it of teachers: a local admin may not decide it.
    let local = app.login(&app.local_admin(&school).await).await;
    assert_eq!(app.json(&local, "PUT", "/api/v1/mfa-policy", Some(json!({"profiles": ["ENS"]}))).await.status, StatusCode::FORBIDDEN);
    let territory = app.login(&app.territory_admin().await).await;
    assert_eq!(app.json(&territory, "PUT", "/api/v1/mfa-policy", Some(json!({"profiles": ["ENS"]}))).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.json(&territory, "GET", "/api/v1/mfa-policy", None).await.json(), json!({"profiles": ["ENS"]}));
    let (r, c) = password_only(&app, &teacher).await;
    assert_eq!(r.location(), "/mfa");
    assert!(app.get(&c, "/mfa").await.body.contains("Votre rôle demande une double authentification"));
    let (secret, _) = enrol(&app, &c).await;
    app.clock.advance(30);
    let r = app.post_form(&c, "/account/mfa/disable", &[("code", &code(&secret, app.clock.now()))]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "required: it cannot be turned off");
    assert_eq!(password_only(&app, &pupil).await.0.location(), "/portal", "pupils are not concerned");
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_of_their_own_school_only() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let other = app.school("0290010D", "Lycée").await;
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let (_, c) = password_only(&app, &teacher).await;
    enrol(&app, &c).await;
    let outsider_person = app.local_admin(&other).await;
    let outsider = app.login(&outsider_person).await;
    let path = format!("/api/v1/people/{}/mfa", teacher.id);
    assert!(app.json(&outsider, "DELETE", &path, None).await.status.is_client_error());
    assert_eq!(password_only(&app, &teacher).await.0.location(), "/mfa", "still enrolled");
    let local_person = school_admin(&app, &school).await;
    app.admin_second_factor(&local_person).await;
    let local = app.login(&local_person).await;
    assert_eq!(app.json(&local, "DELETE", &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(password_only(&app, &teacher).await.0.location(), "/portal", "reset: the password alone again");
    assert!(app.json(&local, "GET", "/api/v1/audit?limit=5", None).await.body.contains("mfa.reset"), "the reset is audited");
    let own = app.json(&local, "DELETE", &format!("/api/v1/people/{}/mfa", local_person.id), None).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
}

#[tokio::test]
async fn signing_in_to_a_service_waits_for_the_second_factor() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let body = json!({"code": "vs", "name": "Vie scolaire", "url": "https://vs.example.org/", "protocol": "cas", "service_urls": ["https://vs.example.org/"],
        "profiles": ["DOC"], "release": [], "subject": "login", "purpose": "Vie scolaire", "legal_basis": "Mission d'intérêt public"});
    let r = app.json(&admin, "POST", "/api/v1/connectors", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let local = school_admin(&app, &school).await;
    let r = app.post_form(&Client::default(), "/cas/login", &[("login", &local.login), ("password", PASSWORD), ("service", "https://vs.example.org/")]).await;
    assert!(r.location().starts_with("/mfa?next=%2Fcas%2Flogin"), "{}", r.location());
    let c = app.client_of(&r);
    let r = app.get(&c, "/cas/login?service=https%3A%2F%2Fvs.example.org%2F").await;
    assert!(r.location().starts_with("/mfa"), "no ticket before the second factor: {}", r.location());
}

#[tokio::test]
async fn a_cas_renew_answered_with_password_and_code_is_from_a_new_login() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.login(&app.territory_admin().await).await;
    let body = json!({"code": "vs", "name": "Vie scolaire", "url": "https://vs.example.org/", "protocol": "cas", "service_urls": ["https://vs.example.org/"],
        "profiles": ["ETA"], "release": [], "subject": "login", "purpose": "Vie scolaire", "legal_basis": "Mission d'intérêt public"});
    app.json(&admin, "POST", "/api/v1/connectors", Some(body)).await;
    let local = app.local_admin(&school).await;
    let r = app
        .post_form(
            &Client::default(),
            "/cas/login",
            &[("login", &local.login), ("password", PASSWORD), ("service", "https://vs.example.org/"), ("renew", "true")],
        )
        .await;
    let c = app.client_of(&r);
    let page = app.get(&c, &r.location()).await;
    let next = page.body.split("name=\"next\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().replace("&#38;", "&");
    assert!(next.starts_with("/cas/login?service=") && next.ends_with("&renew=true"), "{next}");
    app.clock.advance(30);
    let r = app.post_form(&c, "/mfa/verify", &[("code", &code(ADMIN_TOTP, app.clock.now())), ("next", &next)]).await;
    let r = app.get(&c, &r.location()).await;
    let ticket = r.location().split("ticket=").nth(1).unwrap_or_default().to_owned();
    assert!(ticket.starts_with("ST-"), "{}", r.location());
    let v = app.get(&Client::default(), &format!("/cas/p3/serviceValidate?ticket={ticket}&service=https%3A%2F%2Fvs.example.org%2F&renew=true")).await;
    assert!(v.body.contains("<cas:isFromNewLogin>true</cas:isFromNewLogin>"), "{}", v.body);
    // A minute later, renew asks for the password again.
    app.clock.advance(120);
    let r = app.get(&c, "/cas/login?service=https%3A%2F%2Fvs.example.org%2F&renew=true").await;
    assert_eq!(r.status, StatusCode::OK, "the login form");
}

#[tokio::test]
async fn the_console_sets_the_policy_adds_a_provider_and_resets_a_lost_second_factor() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let local = app.login(&app.local_admin(&school).await).await;
    assert_eq!(app.get(&local, "/admin/login").await.status, StatusCode::FORBIDDEN, "the territory decides");
    let admin = app.login(&app.territory_admin().await).await;
    assert_eq!(app.get(&admin, "/admin/login").await.status, StatusCode::OK);
    let r = app.post_form(&admin, "/admin/login/mfa", &[("profile", "ENS"), ("profile", "DIR")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.json(&admin, "GET", "/api/v1/mfa-policy", None).await.json(), json!({"profiles": ["DIR", "ENS"]}));
    // A profile the form does not know (a stale or altered form) is refused, not dropped: the
    // rule is not widened behind the admin's back.
    let r = app.post_form(&admin, "/admin/login/mfa", &[("profile", "ENS"), ("profile", "XYZ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Profil inconnu"), "{}", r.body);
    assert_eq!(app.json(&admin, "GET", "/api/v1/mfa-policy", None).await.json(), json!({"profiles": ["DIR", "ENS"]}));
    let bad = app
        .post_form(
            &admin,
            "/admin/login/providers",
            &[
                ("name", "ÉduConnect"),
                ("issuer", "pas une adresse"),
                ("client_id", "x"),
                ("client_secret", ""),
                ("scopes", ""),
                ("match_claim", "FrEduCtRefId"),
                ("match_rule", "aaf"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("value=\"ÉduConnect\""), "what was typed is kept");
    let r = app
        .post_form(
            &admin,
            "/admin/login/providers",
            &[
                ("name", "ÉduConnect"),
                ("issuer", "https://educonnect.example.gouv.fr"),
                ("client_id", "x"),
                ("client_secret", "s"),
                ("scopes", ""),
                ("match_claim", "FrEduCtRefId"),
                ("match_rule", "aaf"),
            ],
        )
        .await;
    assert!(r.body.contains("/federation/") && r.body.contains("/callback"), "the redirect address to give the provider is shown");
    assert!(app.get(&Client::default(), "/").await.body.contains("Se connecter avec ÉduConnect"));
    // A teacher who lost their phone: the territory admin resets it from the person's page.
    let teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    let (_, c) = password_only(&app, &teacher).await;
    enrol(&app, &c).await;
    let r = app.post_form(&admin, &format!("/admin/people/{}/mfa-reset", teacher.id), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (r, c) = password_only(&app, &teacher).await;
    assert_eq!(r.location(), "/mfa", "required of teachers now: enrol again");
    assert!(app.get(&c, "/mfa").await.body.contains("mfa-secret"), "a new key to scan");
}
