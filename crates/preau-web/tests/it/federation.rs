//! Federation: logging in through an outside OpenID Connect provider, played by
//! `oidc-provider-mock` (PyPI) as the national login would: matching by the `{AAF}`-prefixed
//! identifier or the e-mail, linking on first use, the chooser when several accounts match,
//! and the refusals.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;
use preau_directory::DirectoryStore;
use serde_json::json;

/// A running `oidc-provider-mock`, killed at the end.
struct Mock {
    child: std::process::Child,
    base: String,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn mock() -> Mock {
    let bin = std::env::var("PREAU_TEST_OIDC_MOCK").expect("PREAU_TEST_OIDC_MOCK=path/to/oidc-provider-mock");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let child = std::process::Command::new(bin)
        .args(["--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the mock");
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{base}/.well-known/openid-configuration")).await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Mock { child, base }
}

/// The browser that started a login: it holds the cookie the start set.
fn browser_of(r: &Resp) -> Client {
    let cookie = r
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("preau_fed="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    assert!(cookie.is_some(), "the start sets the binding cookie");
    Client { cookie, ..Client::default() }
}

/// The person `sub` logs in at the provider: its authorization form, submitted. Returns Préau's
/// callback path with the code.
async fn at_provider(authorize: &str, sub: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = http.post(authorize).form(&[("sub", sub)]).send().await.expect("authorize");
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(to.contains("/federation/") && to.contains("code="), "{} {to}", r.status());
    to.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned())).unwrap_or_default()
}

#[tokio::test]
#[ignore = "needs oidc-provider-mock (PyPI): run by .ci/run"]
async fn a_parent_logs_in_through_the_national_login_and_is_matched_by_their_academie_identifier() {
    let provider = mock().await;
    let app = TestApp::new().await;
    preau_feeds::import::import_aaf(&*app.state.store, &app.system, &crate::feeds::base_feed(), &preau_feeds::import::Options::new("RENNES"), T0, &mut |_| {})
        .await
        .expect("feed");
    let admin = app.login(&app.territory_admin().await).await;
    let add = |name: &str, claim: &str, rule: &str| json!({"name": name, "issuer": provider.base, "client_id": "preau", "client_secret": "secret", "scopes": "openid email", "match_claim": claim, "match_rule": rule});
    let r = app.json(&admin, "POST", "/api/v1/identity-providers", Some(add("ÉduConnect", "FrEduCtRefId", "aaf"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let educonnect = r.json()["id"].as_str().unwrap_or_default().to_owned();
    assert!(r.json().get("client_secret").is_none(), "the secret is never shown");
    let local = app.login(&app.local_admin(&app.state.store.structure_by_uai(app.system.territory, "0290009C").await.expect("school")).await).await;
    assert_eq!(app.json(&local, "POST", "/api/v1/identity-providers", Some(add("X", "email", "email"))).await.status, StatusCode::FORBIDDEN);
    let http = reqwest::Client::new();
    let claims = json!({"FrEduCtRefId": "{AAF}501"}).to_string();
    http.put(format!("{}/users/anne", provider.base)).header("content-type", "application/json").body(claims).send().await.expect("user");

    // The login page offers it; the provider vouches for "anne", whose claim names relative 501.
    let landing = app.get(&Client::default(), "/").await;
    assert!(landing.body.contains("Se connecter avec ÉduConnect"), "{}", landing.body);
    let r = app.get(&Client::default(), &format!("/federation/{educonnect}/start")).await;
    assert!(r.location().starts_with(&format!("{}/oauth2/authorize?", provider.base)), "{}", r.location());
    let browser = browser_of(&r);
    let callback = at_provider(&r.location(), "anne").await;
    let r = app.get(&browser, &callback).await;
    assert_eq!(r.location(), "/portal", "{}", r.body);
    let c = app.client_of(&r);
    assert!(app.get(&c, "/portal").await.body.contains("Anne"), "logged in as Anne Lefèvre");
    // A code is good once: replaying the callback is refused.
    assert_ne!(app.get(&browser, &callback).await.status, StatusCode::SEE_OTHER);
    // A callback started in another browser (someone luring Anne into their own account) is refused.
    let r = app.get(&Client::default(), &format!("/federation/{educonnect}/start")).await;
    let lure = at_provider(&r.location(), "anne").await;
    let r = app.get(&Client::default(), &lure).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert!(app.client_of(&r).cookie.is_none(), "no session opened");

    // Someone the directory does not know is refused.
    let r = app.get(&Client::default(), &format!("/federation/{educonnect}/start")).await;
    let r = app.get(&browser_of(&r), &at_provider(&r.location(), "stranger@example.org").await).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Aucun compte de l&#39;ENT ne correspond"), "{}", r.body);
}

#[tokio::test]
#[ignore = "needs oidc-provider-mock (PyPI): run by .ci/run"]
async fn a_parent_who_is_also_a_teacher_chooses_an_account_once() {
    let provider = mock().await;
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let mut as_parent = app.person("Anne", "Martin", &school, Profile::Parent).await;
    let mut as_teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    for p in [&mut as_parent, &mut as_teacher] {
        p.email = Some("Anne.Martin@example.org".into());
        let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
        app.state.store.update_person(p, &audit).await.expect("e-mail");
    }
    let admin = app.login(&app.territory_admin().await).await;
    let body = json!({"name": "Guichet agents", "issuer": provider.base, "client_id": "preau", "client_secret": "secret", "scopes": "openid email", "match_claim": "email", "match_rule": "email"});
    let id = app.json(&admin, "POST", "/api/v1/identity-providers", Some(body)).await.json()["id"].as_str().unwrap_or_default().to_owned();
    let chooser = async || {
        let r = app.get(&Client::default(), &format!("/federation/{id}/start")).await;
        let browser = browser_of(&r);
        let page = app.get(&browser, &at_provider(&r.location(), "anne.martin@example.org").await).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let token = page.body.split("name=\"token\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().to_owned();
        (page, browser, token)
    };
    let (page, browser, token) = chooser().await;
    assert!(page.body.contains(&as_parent.login) && page.body.contains(&as_teacher.login), "{}", page.body);
    // Only one of the proposed accounts can be chosen.
    let r = app.post_form(&browser, "/federation/choose", &[("token", &token), ("person", &app.territory_admin_id().await)]).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    // Only by the browser that logged in.
    let (_, _, token) = chooser().await;
    let r = app.post_raw("/federation/choose", &[("token", &token), ("person", &as_teacher.id.to_string())], &[]).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    let (_, browser, token) = chooser().await;
    let r = app.post_form(&browser, "/federation/choose", &[("token", &token), ("person", &as_teacher.id.to_string())]).await;
    assert_eq!(r.location(), "/portal", "{}", r.body);
    // Next time the link is followed: no chooser.
    let r = app.get(&Client::default(), &format!("/federation/{id}/start")).await;
    let r = app.get(&browser_of(&r), &at_provider(&r.location(), "anne.martin@example.org").await).await;
    assert_eq!(r.location(), "/portal");
    let c = app.client_of(&r);
    assert_eq!(
        app.state.accounts.sessions.by_token(c.cookie.as_deref().unwrap_or("").trim_start_matches("preau_session=")).map(|s| s.person),
        Some(as_teacher.id)
    );
}

/// A pysaml2 identity provider (`tests/federation/saml_idp.py`), killed at the end.
struct SamlIdp {
    child: std::process::Child,
    sso: String,
    entity: String,
    certificate: String,
}

impl Drop for SamlIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn saml_idp(app: &TestApp) -> SamlIdp {
    let python = std::env::var("PREAU_TEST_SAML_PYTHON").expect("PREAU_TEST_SAML_PYTHON=path/to/venv/bin/python");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let dir = std::env::temp_dir().join(format!("preau-idp-{port}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let (key, cert, certificate) = crate::saml::sp_key_pair();
    std::fs::write(dir.join("idp.key"), key).expect("key");
    std::fs::write(dir.join("idp.crt"), cert).expect("cert");
    std::fs::write(dir.join("sp.xml"), app.get(&Client::default(), "/federation/saml/metadata").await.body).expect("metadata");
    let entity = "https://idp.example.org/saml".to_owned();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/federation/saml_idp.py");
    let path = |f: &str| dir.join(f).display().to_string();
    let child = std::process::Command::new(python)
        .arg(script)
        .args([port.to_string(), entity.clone(), path("idp.key"), path("idp.crt"), path("sp.xml")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the IdP");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    SamlIdp { child, sso: format!("http://127.0.0.1:{port}/sso"), entity, certificate }
}

/// Sends a browser to the provider as `user`; returns the SAMLResponse it would POST back,
/// and that browser.
async fn saml_response(app: &TestApp, provider: &str, user: &str, mail: &str) -> (String, Client) {
    let r = app.get(&Client::default(), &format!("/federation/{provider}/start")).await;
    let to = format!("{}&user={}&mail={}", r.location(), user, preau_web::cas::query_escape(mail));
    let page = reqwest::get(&to).await.expect("IdP").text().await.expect("page");
    let value = page.split("name=\"SAMLResponse\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default().to_owned();
    assert!(!value.is_empty(), "{page}");
    (value, browser_of(&r))
}

#[tokio::test]
#[ignore = "needs pysaml2 and xmlsec1: run by .ci/run"]
async fn a_teacher_logs_in_through_an_outside_saml_provider_and_tampering_or_replay_is_refused() {
    use base64::Engine;
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let mut teacher = app.person("Anne", "Martin", &school, Profile::Teacher).await;
    teacher.email = Some("anne.martin@example.org".into());
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.update", "test".into(), None, None, None);
    app.state.store.update_person(&teacher, &audit).await.expect("e-mail");
    let idp = saml_idp(&app).await;
    // The provider signs with the real time: so does Préau here.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(T0);
    app.clock.advance(now - T0);
    let admin = app.login(&app.territory_admin().await).await;
    let body = json!({"name": "Guichet agents", "kind": "saml", "issuer": idp.entity, "sso_url": idp.sso, "certificate": idp.certificate, "client_id": "", "client_secret": "", "match_claim": "urn:oid:0.9.2342.19200300.100.1.3", "match_rule": "email"});
    let r = app.json(&admin, "POST", "/api/v1/identity-providers", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap_or_default().to_owned();

    // The response comes by a cross-site POST, without the browser's cookies; the login ends
    // on the same-site redirect that carries them.
    let (good, browser) = saml_response(&app, &id, "agent-anne", "anne.martin@example.org").await;
    let r = app.post_raw("/federation/saml/acs", &[("SAMLResponse", &good)], &[("sec-fetch-site", "cross-site".into())]).await;
    assert!(r.location().starts_with("/federation/saml/finish?t="), "{} {}", r.status, r.body);
    let r = app.get(&browser, &r.location()).await;
    assert_eq!(r.location(), "/portal", "{}", r.body);
    assert!(app.get(&app.client_of(&r), "/portal").await.body.contains("Anne"));
    // The same response again: its request is no longer awaited.
    assert_eq!(app.post_raw("/federation/saml/acs", &[("SAMLResponse", &good)], &[]).await.status, StatusCode::UNAUTHORIZED);
    // A response obtained in another browser and posted from the victim's is not finished there.
    let (lure, _) = saml_response(&app, &id, "agent-anne", "anne.martin@example.org").await;
    let r = app.post_raw("/federation/saml/acs", &[("SAMLResponse", &lure)], &[]).await;
    let r = app.get(&Client::default(), &r.location()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(app.client_of(&r).cookie.is_none(), "no session opened");

    // A tampered assertion: another address, the signature left as it was.
    let xml =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(saml_response(&app, &id, "intrus", "intrus@example.org").await.0).expect("b64"))
            .expect("utf-8");
    let tampered = base64::engine::general_purpose::STANDARD.encode(xml.replace("intrus@example.org", "anne.martin@example.org"));
    assert_eq!(app.post_raw("/federation/saml/acs", &[("SAMLResponse", &tampered)], &[]).await.status, StatusCode::UNAUTHORIZED);
    // Signature wrapping: a forged assertion beside the signed one.
    let xml =
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(saml_response(&app, &id, "intrus", "intrus@example.org").await.0).expect("b64"))
            .expect("utf-8");
    let start = xml
        .find("<saml:Assertion")
        .or_else(|| xml.find("<ns1:Assertion"))
        .or_else(|| xml.find(":Assertion ").and_then(|i| xml[..i].rfind('<')))
        .expect("an assertion");
    let end_tag = xml[start..].split_whitespace().next().unwrap_or("").replace('<', "</") + ">";
    let end = xml.find(&end_tag).map(|i| i + end_tag.len()).expect("its end");
    let forged = xml[start..end].replace("intrus@example.org", "anne.martin@example.org").replace("ID=\"", "ID=\"x");
    let wrapped = format!("{}{}{}", &xml[..start], forged, &xml[start..]);
    let r = app.post_raw("/federation/saml/acs", &[("SAMLResponse", &base64::engine::general_purpose::STANDARD.encode(wrapped))], &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
