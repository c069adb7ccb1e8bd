//! Uploads through ClamAV's daemon: a real `clamd` (Debian `clamav-daemon`) started by the test
//! with a one-signature database that knows the EICAR test file (the machine has no network
//! to fetch ClamAV's own databases); and, always, what happens when clamd cannot be reached.

use crate::app::*;
use crate::messaging::school;
use axum::http::StatusCode;
use preau_web::documents::antivirus::Clamd;

/// The EICAR anti-virus test file: harmless, detected by every antivirus.
const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

async fn put(s: &crate::messaging::School, c: &Client, space: &str, name: &str, bytes: &[u8]) -> Resp {
    let req = axum::http::Request::put(format!("/api/v1/documents/spaces/{space}/files?name={name}")).header("x-csrf-token", c.csrf.clone());
    s.app.send(c, req, axum::body::Body::from(bytes.to_vec())).await
}

#[tokio::test]
async fn with_the_antivirus_unreachable_uploads_are_refused_not_kept_unscanned() {
    let mut s = school().await;
    s.app.state.antivirus = Some(Clamd { address: "unix:/nonexistent/clamd.ctl".into() });
    s.app.router = preau_web::router(s.app.state.clone());
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = format!("person:{}", teacher.id);
    let r = put(&s, &claire, &space, "cours.txt", b"Bonjour").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("document.scan_failed"), "{}", r.body);
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    assert_eq!(listing["items"], serde_json::json!([]));
    assert_eq!(s.app.stored_blobs(), 0, "no bytes kept either");
}

/// A clamd on a socket of its own, with only the EICAR signature; killed when dropped.
struct Daemon {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn clamd() -> (Daemon, String) {
    let bin = std::env::var("PREAU_TEST_CLAMD").expect("PREAU_TEST_CLAMD=/usr/sbin/clamd");
    let dir = std::env::temp_dir().join(format!("preau-clamd-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("db")).expect("dir");
    // md5:size:name, ClamAV's hash signature format.
    std::fs::write(dir.join("db/eicar.hdb"), "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n").expect("db");
    let socket = dir.join("clamd.sock");
    let conf = format!(
        "LocalSocket {}\nForeground yes\nDatabaseDirectory {}\nStreamMaxLength 50M\nLogFile {}\n",
        socket.display(),
        dir.join("db").display(),
        dir.join("clamd.log").display()
    );
    std::fs::write(dir.join("clamd.conf"), conf).expect("conf");
    let child = std::process::Command::new(bin)
        .arg("-c")
        .arg(dir.join("clamd.conf"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start clamd");
    for _ in 0..300 {
        if tokio::net::UnixStream::connect(&socket).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    (Daemon { child, dir }, format!("unix:{}", socket.display()))
}

#[tokio::test]
#[ignore = "needs clamd (Debian clamav-daemon): PREAU_TEST_CLAMD=/usr/sbin/clamd"]
async fn clamd_refuses_the_eicar_file_and_lets_clean_files_through() {
    let (_daemon, address) = clamd().await;
    let mut s = school().await;
    s.app.state.antivirus = Some(Clamd { address });
    s.app.router = preau_web::router(s.app.state.clone());
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = format!("person:{}", teacher.id);
    let r = put(&s, &claire, &space, "eicar.com", EICAR).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("document.infected"), "{}", r.body);
    assert_eq!(put(&s, &claire, &space, "cours.txt", b"Chapitre 1").await.status, StatusCode::CREATED);
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    let names: Vec<&str> = listing["items"].as_array().expect("items").iter().filter_map(|n| n["name"].as_str()).collect();
    assert_eq!(names, vec!["cours.txt"], "the infected file was not kept");
    // Through WebDAV too.
    let principal = s.app.state.directory.principal_for(s.app.system.territory, teacher.id).await.expect("principal");
    let (_, secret) = s.app.state.accounts.create_app_password(&principal, "test").await.expect("app password");
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", teacher.login)));
    let clean = axum::http::Request::put("/dav/Mes%20documents/notes.txt").header("authorization", auth.clone());
    assert_eq!(
        s.app.send(&Client::default(), clean, axum::body::Body::from("Notes".as_bytes().to_vec())).await.status,
        StatusCode::CREATED,
        "a clean file goes in"
    );
    let req = axum::http::Request::put("/dav/Mes%20documents/eicar.txt").header("authorization", auth);
    let r = s.app.send(&Client::default(), req, axum::body::Body::from(EICAR.to_vec())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "refused, as a file the person may not write");
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    let names: Vec<&str> = listing["items"].as_array().expect("items").iter().filter_map(|n| n["name"].as_str()).collect();
    assert_eq!(names, vec!["cours.txt", "notes.txt"], "not the infected one");
}
