//! The documents' S3 backend against a real S3-compatible server: moto (PyPI) started by the
//! test with signature checking on (`INITIAL_NO_AUTH_ACTION_COUNT`: after the IAM setup, every
//! request must be signed with the key it made).

use crate::app::*;
use crate::messaging::school;
use axum::http::StatusCode;
use preau_documents::DocumentStore;
use preau_web::documents::blobs::{Blobs, S3Config};
use std::sync::Arc;

/// A moto server on a free port, prepared by `tests/s3/setup.py`; killed when dropped.
struct Moto {
    child: std::process::Child,
    config: S3Config,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn moto() -> Moto {
    let bin = std::path::PathBuf::from(std::env::var("PREAU_TEST_MOTO").expect("PREAU_TEST_MOTO=path/to/venv/bin"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = std::process::Command::new(bin.join("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start moto_server");
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/s3/setup.py");
    let out = std::process::Command::new(bin.join("python")).arg(script).arg(&endpoint).arg("preau-test").output().expect("setup.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).expect("keys");
    let config = S3Config {
        endpoint,
        bucket: "preau-test".into(),
        region: "us-east-1".into(),
        access_key: keys["access_key"].as_str().expect("key").into(),
        secret_key: keys["secret_key"].as_str().expect("secret").into(),
        prefix: "preau".into(),
    };
    Moto { child, config }
}

#[tokio::test]
#[ignore = "needs moto (PyPI): PREAU_TEST_MOTO=path/to/venv/bin"]
async fn s3_backend_keeps_uploads_versions_copies_and_ranges_and_forgets_what_is_purged() {
    let m = moto().await;
    // A wrong secret is refused by the server: signatures are checked.
    let forged = Blobs::s3(&S3Config { secret_key: "pas-le-bon".into(), ..m.config.clone() }).expect("client");
    let mut w = forged.create(10).await.expect("a writer");
    w.write(axum::body::Bytes::from_static(b"x")).await.expect("buffered");
    assert!(w.finish().await.is_err(), "a request signed with a wrong secret is refused");

    let mut s = school().await;
    s.app.state.blobs = Arc::new(Blobs::s3(&m.config).expect("S3"));
    s.app.router = preau_web::router(s.app.state.clone());
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = format!("person:{}", teacher.id);
    // 20 MiB: a multipart upload of several parts.
    let big: Vec<u8> = (0..20 * 1024 * 1024).map(|i: u32| b'a' + (i % 26) as u8).collect();
    let put = |name: &str, bytes: Vec<u8>| {
        let req = axum::http::Request::put(format!("/api/v1/documents/spaces/{space}/files?name={name}")).header("x-csrf-token", claire.csrf.clone());
        (req, axum::body::Body::from(bytes))
    };
    let (req, body) = put("film.bin", big.clone());
    let r = s.app.send(&claire, req, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let content = format!("/api/v1/documents/nodes/{id}/content");
    let got = s.app.send(&claire, axum::http::Request::get(&content), axum::body::Body::empty()).await;
    assert_eq!(got.body.len(), big.len());
    assert!(got.body.as_bytes() == big.as_slice(), "the same bytes come back");
    let req = axum::http::Request::get(&content).header("range", "bytes=10000000-10000009");
    let part = s.app.send(&claire, req, axum::body::Body::empty()).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body.as_bytes(), &big[10_000_000..10_000_010]);

    // A new version keeps the first; a copy has its own object.
    let (req, body) = put("film.bin", b"second".to_vec());
    assert_eq!(s.app.send(&claire, req, body).await.status, StatusCode::OK);
    assert_eq!(s.app.get(&claire, &format!("/api/v1/documents/nodes/{id}/versions/1/content")).await.body.len(), big.len());
    let copy = s.app.json(&claire, "POST", &format!("/api/v1/documents/nodes/{id}/copy"), Some(serde_json::json!({"space": space, "name": "copie.bin"}))).await;
    assert_eq!(copy.status, StatusCode::CREATED, "{}", copy.body);
    let copy_id = copy.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(s.app.get(&claire, &format!("/api/v1/documents/nodes/{copy_id}/content")).await.body, "second");

    // Read back over WebDAV too (read in ranges from the bucket).
    let principal = s.app.state.directory.principal_for(s.app.system.territory, teacher.id).await.expect("principal");
    let (_, secret) = s.app.state.accounts.create_app_password(&principal, "test").await.expect("app password");
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", teacher.login)));
    let req = axum::http::Request::get("/dav/Mes%20documents/copie.bin").header("authorization", auth);
    assert_eq!(s.app.send(&Client::default(), req, axum::body::Body::empty()).await.body, "second");

    // Deleted for good: its objects are gone from the bucket, the copy's stays.
    let node = s.app.state.store.node(id.parse().expect("id")).await.expect("node").expect("exists");
    let blob = node.blob.clone().expect("blob");
    s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{id}"), None).await;
    assert_eq!(s.app.json(&claire, "DELETE", &format!("/api/v1/documents/trash/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert!(s.app.state.blobs.read(&blob, 0, 1).await.is_err(), "the object is deleted");
    assert_eq!(s.app.get(&claire, &format!("/api/v1/documents/nodes/{copy_id}/content")).await.body, "second");

    // An upload over quota leaves no object behind (aborted), and nothing is recorded.
    let (kept, listed) = (objects(&s.app.state.blobs).await, listing(&s, &claire, &space).await);
    s.app.state.documents.set_policy(preau_documents::Policy { default_personal_quota: 100, ..Default::default() });
    let (req, body) = put("trop.bin", vec![1u8; 1000]);
    assert_eq!(s.app.send(&claire, req, body).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(objects(&s.app.state.blobs).await, kept, "no object left in the bucket");
    assert_eq!(listing(&s, &claire, &space).await, listed, "nothing recorded");
}

/// The objects in the bucket.
async fn objects(blobs: &Blobs) -> usize {
    use futures_util::StreamExt;
    match blobs {
        Blobs::S3 { store, .. } => store.list(None).count().await,
        Blobs::Local { .. } => panic!("the S3 backend is expected"),
    }
}

/// The names in the top of a space.
async fn listing(s: &crate::messaging::School, c: &Client, space: &str) -> serde_json::Value {
    let r = s.app.json(c, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].clone()
}
