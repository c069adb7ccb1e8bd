//! WebDAV at `/dav/`, signed in with an application password: through the router for the
//! rights and the tree, and checked by `litmus` (Debian) against a listening server.

use crate::app::*;
use crate::messaging::{School, school};
use axum::http::StatusCode;
use base64::Engine;
use preau_directory::Person;

/// An application password made on the account page, as its person does.
async fn app_password(s: &School, c: &Client, label: &str) -> String {
    let r = s.app.post_form(c, "/account/app-passwords", &[("label", label)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.split("<code class=\"code\">").nth(1).and_then(|t| t.split('<').next()).expect("the password is shown once").to_owned()
}

fn basic(p: &Person, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", p.login)))
}

async fn dav(s: &School, auth: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut req = axum::http::Request::builder().method(method).uri(path).header("authorization", auth);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    s.app.send(&Client::default(), req, axum::body::Body::from(body.to_vec())).await
}

const MINE: &str = "/dav/Mes%20documents";

#[tokio::test]
async fn webdav_mounts_ones_spaces_with_an_application_password_and_the_same_rights_apply() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let secret = app_password(&s, &claire, "Ordinateur du collège").await;
    let account = s.app.get(&claire, "/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(!account.body.contains(&secret), "shown once only");
    let auth = basic(&teacher, &secret);

    // Without it, or with a wrong one: asked to sign in.
    let r = dav(&s, "", "PROPFIND", "/dav/", &[("depth", "1")], b"").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.headers.get("www-authenticate").is_some(), "{:?} {}", r.headers, r.body);
    assert_eq!(dav(&s, &basic(&teacher, "faux"), "PROPFIND", "/dav/", &[("depth", "1")], b"").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        dav(&s, &basic(&teacher, crate::app::PASSWORD), "PROPFIND", "/dav/", &[], b"").await.status,
        StatusCode::UNAUTHORIZED,
        "not the account's password"
    );

    // The top lists her spaces.
    let r = dav(&s, &auth, "PROPFIND", "/dav/", &[("depth", "1")], b"").await;
    assert_eq!(r.status.as_u16(), 207, "{}", r.body);
    for name in ["Mes%20documents", "4B", "Partag%C3%A9s%20avec%20moi"] {
        assert!(r.body.contains(&format!("/dav/{name}/")), "{name} in {}", r.body);
    }

    // Files and folders, the same as in the pages.
    assert_eq!(dav(&s, &auth, "PUT", &format!("{MINE}/cours.txt"), &[], b"Chapitre 1").await.status, StatusCode::CREATED);
    assert_eq!(dav(&s, &auth, "GET", &format!("{MINE}/cours.txt"), &[], b"").await.body, "Chapitre 1");
    assert_eq!(dav(&s, &auth, "PUT", &format!("{MINE}/cours.txt"), &[], b"Chapitre 2").await.status, StatusCode::NO_CONTENT);
    assert_eq!(dav(&s, &auth, "MKCOL", &format!("{MINE}/S%C3%A9quence"), &[], b"").await.status, StatusCode::CREATED);
    let dest = format!("http://localhost{MINE}/S%C3%A9quence/cours.txt");
    let r = dav(&s, &auth, "MOVE", &format!("{MINE}/cours.txt"), &[("destination", &dest)], b"").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let space = format!("person:{}", teacher.id);
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    let folder = listing["items"][0]["id"].as_str().expect("the folder").to_owned();
    let inside = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}?folder={folder}"), None).await.json();
    assert_eq!(inside["items"][0]["name"], "cours.txt");
    assert_eq!(inside["items"][0]["version"], 2, "the upload over it kept the first as a version");
    assert_eq!(dav(&s, &auth, "DELETE", &format!("{MINE}/S%C3%A9quence/cours.txt"), &[], b"").await.status, StatusCode::NO_CONTENT);
    let trash = s.app.json(&claire, "GET", "/api/v1/documents/trash", None).await.json();
    assert_eq!(trash[0]["name"], "cours.txt", "a deletion goes to the trash");

    // A pupil of 4B reads her class's space but cannot write to it, and sees no one else's space.
    let r = dav(&s, &auth, "PUT", "/dav/4B/programme.txt", &[], b"Programme").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let zoe_auth = basic(&zoe_p, &app_password(&s, &zoe, "Tablette").await);
    assert_eq!(dav(&s, &zoe_auth, "GET", "/dav/4B/programme.txt", &[], b"").await.body, "Programme");
    assert_eq!(dav(&s, &zoe_auth, "PUT", "/dav/4B/moi.txt", &[], b"x").await.status, StatusCode::FORBIDDEN);
    let top = dav(&s, &zoe_auth, "PROPFIND", "/dav/", &[("depth", "1")], b"").await;
    // Her own space once, her class's, her school's, what was shared: nobody else's space.
    assert_eq!(top.body.matches("<D:href>").count(), 5, "{}", top.body);
    assert!(top.body.contains("/dav/Mes%20documents/") && !top.body.contains("Mes%20documents%20(2)"), "{}", top.body);
    // Reading is not changing, whatever the method.
    let proppatch: &[u8] =
        br#"<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:note>x</Z:note></D:prop></D:set></D:propertyupdate>"#;
    for (method, path, body) in
        [("DELETE", "/dav/4B/programme.txt", &b""[..]), ("MKCOL", "/dav/4B/Zoe", &b""[..]), ("PROPPATCH", "/dav/4B/programme.txt", proppatch)]
    {
        let r = dav(&s, &zoe_auth, method, path, &[], body).await;
        assert!(r.status == StatusCode::FORBIDDEN || r.status.as_u16() == 207 && r.body.contains("403"), "{method} {path}: {} {}", r.status, r.body);
    }
    let dest = "http://localhost/dav/Mes%20documents/pris.txt";
    assert_eq!(dav(&s, &zoe_auth, "MOVE", "/dav/4B/programme.txt", &[("destination", dest)], b"").await.status, StatusCode::FORBIDDEN);
    assert_eq!(dav(&s, &zoe_auth, "GET", "/dav/4B/programme.txt", &[], b"").await.body, "Programme", "still there");
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let hugo_p = s.who("Hugo", "Roux").await;
    let hugo_auth = basic(&hugo_p, &app_password(&s, &hugo, "PC").await);
    assert_eq!(dav(&s, &hugo_auth, "GET", "/dav/4B/programme.txt", &[], b"").await.status, StatusCode::NOT_FOUND);

    // A revoked password stops working at once; only its person may revoke it.
    let page = s.app.get(&zoe, "/account").await.body;
    let id = page.split("/account/app-passwords/").nth(1).and_then(|t| t.split('/').next()).expect("the password's revoke form").to_owned();
    assert_eq!(s.app.post_form(&hugo, &format!("/account/app-passwords/{id}/revoke"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(dav(&s, &zoe_auth, "GET", "/dav/4B/programme.txt", &[], b"").await.status, StatusCode::OK, "Hugo could not revoke it");
    s.app.post_form(&zoe, &format!("/account/app-passwords/{id}/revoke"), &[]).await;
    assert_eq!(dav(&s, &zoe_auth, "GET", "/dav/4B/programme.txt", &[], b"").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
#[ignore = "needs litmus (Debian): PREAU_TEST_LITMUS=/usr/bin/litmus"]
async fn litmus_passes_against_webdav() {
    let litmus = std::env::var("PREAU_TEST_LITMUS").expect("PREAU_TEST_LITMUS=/usr/bin/litmus");
    let (app, base) = TestApp::served().await;
    let school = app.school("0290009C", "Collège A").await;
    let teacher = app.person("Claire", "Martin", &school, preau_core::Profile::Teacher).await;
    let principal = app.state.directory.principal_for(app.system.territory, teacher.id).await.expect("principal");
    let (_, secret) = app.state.accounts.create_app_password(&principal, "litmus").await.expect("app password");
    let url = format!("{base}/dav/Mes%20documents/");
    let login = teacher.login.clone();
    // litmus writes its logs (debug.log, child.log) where it runs: a folder of its own.
    let logs = std::env::temp_dir().join(format!("preau-litmus-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&logs).expect("logs folder");
    let cwd = logs.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(litmus).current_dir(cwd).env("TESTS", "basic copymove props locks").arg(url).arg(login).arg(secret).output()
    })
    .await
    .expect("join")
    .expect("run litmus");
    let _ = std::fs::remove_dir_all(&logs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "litmus failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for suite in ["basic", "copymove", "props", "locks"] {
        assert!(stdout.contains(&format!("<- summary for `{suite}': of ")), "{suite} ran:\n{stdout}");
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    // The summaries, for the CI log.
    for line in stdout.lines().filter(|l| l.contains("<- summary")) {
        println!("{line}");
    }
}
