//! Logging in, activation, the charter, forgotten passwords, sessions, blocking.

use crate::app::*;
use axum::http::StatusCode;
use preau_core::Profile;

#[tokio::test]
async fn a_teacher_logs_in_and_reaches_the_portal() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège Jules-Verne").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&t).await;
    let r = app.get(&c, "/portal").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Claire Martin"));
    assert!(r.body.contains("Collège Jules-Verne"));
}

#[tokio::test]
async fn wrong_password_and_unknown_login_get_the_same_clear_message() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let (wrong, c1) = app.try_login(&t.login, "pas-le-bon").await;
    let (unknown, c2) = app.try_login("personne.inconnue", "pas-le-bon").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Identifiant ou mot de passe incorrect."));
    assert!(unknown.body.contains("Identifiant ou mot de passe incorrect."));
    assert!(c1.cookie.is_none() && c2.cookie.is_none());
}

#[tokio::test]
async fn repeated_failures_are_slowed_down_then_allowed_again() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    for _ in 0..5 {
        app.try_login(&t.login, "faux").await;
    }
    let (r, _) = app.try_login(&t.login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    app.clock.advance(5);
    let (r, c) = app.try_login(&t.login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.cookie.is_some());
}

#[tokio::test]
async fn a_blocked_account_cannot_log_in_and_loses_its_sessions() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let admin = app.local_admin(&school).await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let pupil_client = app.login(&pupil).await;
    let a = app.login(&admin).await;
    let r = app.post_form(&a, &format!("/admin/people/{}/block", pupil.id), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get(&pupil_client, "/portal").await.location(), "/", "the open session is closed");
    let (r, c) = app.try_login(&pupil.login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Ce compte est bloqué"));
    assert!(c.cookie.is_none());
    app.post_form(&a, &format!("/admin/people/{}/unblock", pupil.id), &[]).await;
    let (r, _) = app.try_login(&pupil.login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_pupil_cannot_block_anyone() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let pupil = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let other = app.person("Léo", "Petit", &school, Profile::Pupil).await;
    let c = app.login(&pupil).await;
    let r = app.post_form(&c, &format!("/admin/people/{}/block", other.id), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (r, _) = app.try_login(&other.login, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "nothing changed");
}

#[tokio::test]
async fn activation_with_the_code_works_once() {
    let app = TestApp::new().await;
    app.publish_charter("Charte v1").await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.unactivated("Zoé", "Durand", &school, Profile::Pupil).await;
    let code = app.state.accounts.issue_code(&app.system, p.id).await.expect("code");
    let form = |code: &str| {
        vec![
            ("login", p.login.clone()),
            ("code", code.to_owned()),
            ("password", "nouveau-secret".into()),
            ("confirm", "nouveau-secret".into()),
            ("accept", "on".into()),
        ]
    };
    let f = form(&code.to_lowercase());
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&Client::default(), "/activate", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/portal", "the charter was accepted while activating");
    let (r, _) = app.try_login(&p.login, "nouveau-secret").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.post_form(&Client::default(), "/activate", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("déjà servi"));
}

#[tokio::test]
async fn an_expired_activation_code_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.unactivated("Zoé", "Durand", &school, Profile::Pupil).await;
    let code = app.state.accounts.issue_code(&app.system, p.id).await.expect("code");
    app.clock.advance(preau_identity::accounts::ACTIVATION_CODE_SECS + 1);
    let r = app
        .post_form(
            &Client::default(),
            "/activate",
            &[("login", &p.login), ("code", &code), ("password", "nouveau-secret"), ("confirm", "nouveau-secret"), ("accept", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (r, _) = app.try_login(&p.login, "nouveau-secret").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "no password was set");
}

#[tokio::test]
async fn activation_reports_every_problem_of_the_form() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.unactivated("Zoé", "Durand", &school, Profile::Pupil).await;
    let r = app.post_form(&Client::default(), "/activate", &[("login", &p.login), ("code", "XXXX"), ("password", "court"), ("confirm", "autre")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("au moins 8 caractères"));
    assert!(r.body.contains("pas identiques"));
    assert!(r.body.contains("accepter la charte"));
}

#[tokio::test]
async fn a_new_charter_must_be_accepted_at_next_login() {
    let app = TestApp::new().await;
    app.publish_charter("Charte v1").await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    app.accept_current_charter(&t).await;
    let c = app.login(&t).await;
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::OK);
    app.publish_charter("Charte v2 : nouvelles règles").await;
    let (r, c) = app.try_login(&t.login, PASSWORD).await;
    assert_eq!(r.location(), "/charter");
    let portal = app.get(&c, "/portal").await;
    assert_eq!(portal.location(), "/charter", "the portal is closed until the charter is accepted");
    assert!(app.get(&c, "/charter").await.body.contains("nouvelles règles"));
    let r = app.post_form(&c, "/charter", &[]).await;
    assert_eq!(r.location(), "/portal");
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::OK);
    let (r, _) = app.try_login(&t.login, PASSWORD).await;
    assert_eq!(r.location(), "/portal", "accepted once is enough");
}

#[tokio::test]
async fn a_forgotten_password_link_works_once_within_the_hour() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let r = app.post_form(&Client::default(), "/password/forgot", &[("login", &t.login)]).await;
    assert!(r.body.contains("un lien vient d"), "{}", r.body);
    let unknown = app.post_form(&Client::default(), "/password/forgot", &[("login", "personne.inconnue")]).await;
    assert_eq!(unknown.body, r.body, "the answer does not reveal which logins exist");
    let mails = app.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: claire.martin@example.org"));
    let link = mails[0].lines().find(|l| l.contains("/password/reset?token=")).expect("link").trim().to_owned();
    let path = link.trim_start_matches("https://ent.example.org");
    let r = app.post_form(&Client::default(), path, &[("password", "tout-nouveau"), ("confirm", "tout-nouveau")]).await;
    assert!(r.body.contains("Votre mot de passe a été changé"), "{}", r.body);
    assert_eq!(app.try_login(&t.login, "tout-nouveau").await.0.status, StatusCode::SEE_OTHER);
    let again = app.post_form(&Client::default(), path, &[("password", "encore-autre"), ("confirm", "encore-autre")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    app.post_form(&Client::default(), "/password/forgot", &[("login", &t.login)]).await;
    let mail = app.mails().pop().expect("mail");
    let link = mail.lines().find(|l| l.contains("token=")).expect("link").trim().trim_start_matches("https://ent.example.org").to_owned();
    app.clock.advance(3601);
    let r = app.post_form(&Client::default(), &link, &[("password", "tout-nouveau"), ("confirm", "tout-nouveau")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.try_login(&t.login, PASSWORD).await.0.status, StatusCode::SEE_OTHER, "old password unchanged");
}

#[tokio::test]
async fn log_out_elsewhere_closes_my_other_sessions_only() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let phone = app.login(&t).await;
    let laptop = app.login(&t).await;
    let page = app.get(&laptop, "/account").await;
    assert_eq!(page.body.matches("<tr><td>").count(), 2, "both sessions are listed");
    app.post_form(&laptop, "/account/sessions/close-others", &[]).await;
    assert_eq!(app.get(&phone, "/portal").await.location(), "/");
    assert_eq!(app.get(&laptop, "/portal").await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&t).await;
    app.clock.advance(3000);
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::OK);
    app.clock.advance(3601);
    assert_eq!(app.get(&c, "/portal").await.location(), "/");
}

#[tokio::test]
async fn logout_needs_the_csrf_token_and_ends_the_session() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let c = app.login(&t).await;
    let forged = app.post_form(&c, "/logout", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&c, "/portal").await.status, StatusCode::OK);
    let r = app.post_form(&c, "/logout", &[]).await;
    assert_eq!(r.location(), "/");
    assert_eq!(app.get(&c, "/portal").await.location(), "/");
}

#[tokio::test]
async fn session_cookies_are_httponly_and_samesite() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Martin", &school, Profile::Teacher).await;
    let (r, _) = app.try_login(&t.login, PASSWORD).await;
    let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let app = TestApp::new().await;
    let req = axum::http::Request::post("/login").header("content-type", "application/x-www-form-urlencoded").header("sec-fetch-site", "cross-site");
    let r = app.send(&Client::default(), req, axum::body::Body::from("login=a&password=b")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_saturated_hashing_pool_answers_503_with_retry_after() {
    // One worker, no queue, a hash heavy enough (64 MiB, 8 passes) that the first login is still
    // hashing when the others arrive.
    let app = TestApp::with_hasher(preau_identity::PasswordHasher::new(1, 0, 64 * 1024, 8, std::sync::Arc::new(preau_core::OsRandom)).expect("hasher")).await;
    let logins = (0..6).map(|i| {
        let app = &app;
        async move { app.try_login(&format!("inconnu{i}"), "x").await.0 }
    });
    let results = futures_join_all(logins).await;
    let refused: Vec<_> = results.iter().filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!refused.is_empty(), "some logins were refused at once");
    assert!(refused.iter().all(|r| r.headers.get("retry-after").is_some()));
    assert!(results.iter().any(|r| r.status == StatusCode::UNAUTHORIZED), "the admitted one was answered");
}

async fn futures_join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = vec![];
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out = vec![];
    // Poll all concurrently on this task.
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    out.extend(results.into_iter().flatten());
    out
}

/// Sends a reset link through a real SMTP server: `.ci/run` starts Python's `aiosmtpd` with a
/// Maildir and runs this test with `PREAU_TEST_SMTP` and `PREAU_TEST_MAILDIR` set.
#[tokio::test]
#[ignore = "needs an SMTP server; run by .ci/run against aiosmtpd"]
async fn the_reset_link_is_delivered_over_smtp() {
    let server = std::env::var("PREAU_TEST_SMTP").expect("PREAU_TEST_SMTP=host:port");
    let maildir = std::path::PathBuf::from(std::env::var("PREAU_TEST_MAILDIR").expect("PREAU_TEST_MAILDIR")).join("new");
    let app = TestApp::with_smtp(&server).await;
    let school = app.school("0290009C", "Collège").await;
    let t = app.person("Claire", "Smtp", &school, Profile::Teacher).await;
    let r = app.post_form(&Client::default(), "/password/forgot", &[("login", &t.login)]).await;
    assert_eq!(r.status, StatusCode::OK);
    let mail = std::fs::read_dir(&maildir)
        .expect("maildir")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|m| decode_quoted_printable(&m))
        .find(|m| m.contains("claire.smtp@example.org"))
        .expect("the mail reached the SMTP server");
    let link = mail.lines().find(|l| l.contains("/password/reset?token=")).expect("link").trim().trim_start_matches("https://ent.example.org").to_owned();
    let r = app.post_form(&Client::default(), &link, &[("password", "tout-nouveau"), ("confirm", "tout-nouveau")]).await;
    assert!(r.body.contains("Votre mot de passe a été changé"));
}
