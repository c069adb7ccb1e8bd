//! The documents service through its API and pages, on the school of `messaging::school`:
//! Claire Martin teaches 4B (Zoé, Inès) at Collège Jules Verne; Hugo is in 4C; Anne Lefèvre is
//! Zoé's mother; Paul Girard is the head.

use crate::app::*;
use crate::messaging::{School, school};
use axum::http::StatusCode;
use preau_directory::Person;
use serde_json::json;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n";

fn personal(p: &Person) -> String {
    format!("person:{}", p.id)
}

/// Uploads `bytes` as `name` to a space (and folder) through the API.
pub(crate) async fn put(s: &School, c: &Client, space: &str, folder: Option<&str>, name: &str, bytes: &[u8]) -> Resp {
    let folder = folder.map(|f| format!("&folder={f}")).unwrap_or_default();
    let req = axum::http::Request::put(format!("/api/v1/documents/spaces/{space}/files?name={}{folder}", enc(name)))
        .header("x-csrf-token", c.csrf.clone())
        .header("content-length", bytes.len().to_string());
    s.app.send(c, req, axum::body::Body::from(bytes.to_vec())).await
}

/// The same upload without announcing its size (a chunked body).
async fn put_unannounced(s: &School, c: &Client, space: &str, name: &str, bytes: &[u8]) -> Resp {
    let req = axum::http::Request::put(format!("/api/v1/documents/spaces/{space}/files?name={}", enc(name))).header("x-csrf-token", c.csrf.clone());
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes.chunks(100).map(|c| Ok(axum::body::Bytes::copy_from_slice(c))).collect();
    s.app.send(c, req, axum::body::Body::from_stream(futures_util::stream::iter(chunks))).await
}

pub(crate) fn id_of(r: &Resp) -> String {
    r.json()["id"].as_str().expect("an id").to_owned()
}

async fn names_in(s: &School, c: &Client, space: &str, folder: Option<&str>) -> Vec<String> {
    let q = folder.map(|f| format!("?folder={f}")).unwrap_or_default();
    let r = s.app.json(c, "GET", &format!("/api/v1/documents/spaces/{space}{q}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().expect("items").iter().map(|n| n["name"].as_str().unwrap_or("").to_owned()).collect()
}

async fn share(s: &School, c: &Client, id: &str, targets: &[String], level: &str) -> Resp {
    s.app.json(c, "POST", &format!("/api/v1/documents/nodes/{id}/shares"), Some(json!({"targets": targets, "level": level}))).await
}

/// The blobs kept on disk.
fn blobs(s: &School) -> usize {
    s.app.stored_blobs()
}

#[tokio::test]
async fn a_personal_space_is_its_owners_and_a_share_to_a_class_reaches_its_pupils_not_the_next_class() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let space = personal(&teacher);
    let r = put(&s, &claire, &space, None, "Cours 1.pdf", PDF).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["content_type"], "application/pdf");
    let id = id_of(&r);
    let content = format!("/api/v1/documents/nodes/{id}/content");
    assert_eq!(s.app.get(&claire, &content).await.body.as_bytes(), PDF);

    // Nobody else sees a personal space.
    assert_eq!(s.app.json(&zoe, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get(&zoe, &content).await.status, StatusCode::NOT_FOUND);

    // Shared with the pupils of 4B: Zoé reads it and is told; Hugo (4C) is not.
    let pupils_4b = format!("class:{}:ELV", s.class("4B").await);
    let r = share(&s, &claire, &id, std::slice::from_ref(&pupils_4b), "read").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(s.app.get(&zoe, &content).await.body.as_bytes(), PDF);
    let shared = s.app.json(&zoe, "GET", "/api/v1/documents/shared", None).await.json();
    assert_eq!(shared[0]["node"]["name"], "Cours 1.pdf");
    assert_eq!(shared[0]["level"], "read");
    let feed = s.app.json(&zoe, "GET", "/api/v1/notifications", None).await.json();
    assert!(feed.as_array().expect("feed").iter().any(|n| n["kind"] == "document" && n["title"].as_str().unwrap_or("").contains("Cours 1.pdf")), "{feed}");
    assert_eq!(s.app.get(&hugo, &content).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&hugo, "GET", "/api/v1/documents/shared", None).await.json(), json!([]));

    // Reading is not changing: Zoé can neither rename, delete nor reshare it.
    let node = format!("/api/v1/documents/nodes/{id}");
    assert_eq!(s.app.json(&zoe, "PATCH", &node, Some(json!({"name": "x.pdf"}))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&zoe, "DELETE", &node, None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(share(&s, &zoe, &id, std::slice::from_ref(&pupils_4b), "read").await.status, StatusCode::FORBIDDEN);

    // Only its manager sees and revokes its shares: a reader is refused, an outsider finds nothing.
    assert_eq!(s.app.json(&zoe, "GET", &format!("{node}/shares"), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("{node}/shares/{pupils_4b}"), None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&hugo, "GET", &format!("{node}/shares"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&hugo, "GET", &node, None).await.status, StatusCode::NOT_FOUND);
    // The owner sees the share and revokes it: gone at once.
    let shares = s.app.json(&claire, "GET", &format!("{node}/shares"), None).await.json();
    assert_eq!(shares[0]["target"]["kind"], "class");
    assert_eq!(shares[0]["name"], "4B");
    let r = s.app.json(&claire, "DELETE", &format!("{node}/shares/{pupils_4b}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(s.app.get(&zoe, &content).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&zoe, "GET", "/api/v1/documents/shared", None).await.json(), json!([]));
}

#[tokio::test]
async fn shares_follow_the_communication_rules() {
    let s = school().await;
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let hugo = s.who("Hugo", "Roux").await;
    let teacher = s.who("Claire", "Martin").await;
    let id = id_of(&put(&s, &zoe, &personal(&zoe_p), None, "exposé.pdf", PDF).await);
    // A pupil reaches her class's teachers, not the pupils of another class.
    let r = share(&s, &zoe, &id, &[format!("person:{}", hugo.id)], "read").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("document.share_out_of_reach"), "{}", r.body);
    assert_eq!(share(&s, &zoe, &id, &[format!("person:{}", teacher.id)], "read").await.status, StatusCode::OK);
    assert_eq!(share(&s, &zoe, &id, &[], "read").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_folder_shared_to_contribute_takes_pupils_work_and_each_changes_only_their_own() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let (_, ines) = s.browser("Inès", "Diallo").await;
    let space = personal(&teacher);
    let r = s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Travaux 4B"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let folder = id_of(&r);
    // Not shared yet: Zoé cannot add to it.
    assert_eq!(put(&s, &zoe, &space, Some(&folder), "zoe.pdf", PDF).await.status, StatusCode::NOT_FOUND);
    share(&s, &claire, &folder, &[format!("class:{}:ELV", s.class("4B").await)], "contribute").await;
    let zoe_file = id_of(&put(&s, &zoe, &space, Some(&folder), "zoe.pdf", PDF).await);
    assert_eq!(put(&s, &ines, &space, Some(&folder), "ines.pdf", PDF).await.status, StatusCode::CREATED);
    assert_eq!(names_in(&s, &ines, &space, Some(&folder)).await, vec!["ines.pdf", "zoe.pdf"]);
    // Inès reads Zoé's work (inherited share) but cannot change it, nor upload over it.
    assert_eq!(s.app.get(&ines, &format!("/api/v1/documents/nodes/{zoe_file}/content")).await.status, StatusCode::OK);
    let zoe_node = format!("/api/v1/documents/nodes/{zoe_file}");
    assert_eq!(s.app.json(&ines, "PATCH", &zoe_node, Some(json!({"name": "copie.pdf"}))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&ines, "DELETE", &zoe_node, None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(put(&s, &ines, &space, Some(&folder), "ZOE.pdf", PDF).await.status, StatusCode::FORBIDDEN);
    // A folder of hers holding Inès's work is not hers to delete or take away: its contents are not all hers.
    let group = id_of(&s.app.json(&zoe, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Groupe", "folder": folder}))).await);
    assert_eq!(put(&s, &ines, &space, Some(&group), "partie-ines.pdf", PDF).await.status, StatusCode::CREATED);
    let group_node = format!("/api/v1/documents/nodes/{group}");
    assert_eq!(s.app.json(&zoe, "DELETE", &group_node, None).await.status, StatusCode::FORBIDDEN);
    let zoe_space = format!("person:{}", s.who("Zoé", "Lefèvre").await.id);
    assert_eq!(s.app.json(&zoe, "PATCH", &group_node, Some(json!({"space": zoe_space}))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(names_in(&s, &claire, &space, Some(&group)).await, vec!["partie-ines.pdf"], "still there");
    // Its page offers her renaming it, not moving or deleting it; the API says the same.
    let view = s.app.json(&zoe, "GET", &group_node, None).await.json();
    assert_eq!((view["level"].as_str(), view["may_rename"].as_bool(), view["may_take"].as_bool()), (Some("contribute"), Some(true), Some(false)), "{view}");
    let page = s.app.get(&zoe, &format!("/documents/nodes/{group}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/documents/nodes/{group}/rename")), "{}", page.body);
    assert!(!page.body.contains(&format!("/documents/nodes/{group}/delete")) && !page.body.contains(&format!("/documents/nodes/{group}/move")));
    // Her own file may not go where she cannot add: her class's space (read only), or nowhere she cannot see.
    let class_space = format!("group:{}", s.class("4B").await);
    assert_eq!(s.app.json(&zoe, "PATCH", &zoe_node, Some(json!({"space": class_space}))).await.status, StatusCode::FORBIDDEN);
    let hugo_space = format!("person:{}", s.who("Hugo", "Roux").await.id);
    assert_eq!(s.app.json(&zoe, "PATCH", &zoe_node, Some(json!({"space": hugo_space}))).await.status, StatusCode::NOT_FOUND);
    // Zoé renames her own; the names of a folder stay unique whatever their case.
    assert_eq!(s.app.json(&zoe, "PATCH", &zoe_node, Some(json!({"name": "Zoé - devoir.pdf"}))).await.status, StatusCode::OK);
    let r = s.app.json(&zoe, "PATCH", &zoe_node, Some(json!({"name": "INES.pdf"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // The teacher manages everything in her folder, and cannot move it into itself.
    assert_eq!(s.app.json(&claire, "PATCH", &zoe_node, Some(json!({"name": "Zoé.pdf"}))).await.status, StatusCode::OK);
    let r = s.app.json(&claire, "PATCH", &format!("/api/v1/documents/nodes/{folder}"), Some(json!({"space": space, "folder": folder}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Moving a file to the top of her space: the pupils lose it with the folder's share.
    let r = s.app.json(&claire, "PATCH", &zoe_node, Some(json!({"space": space}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(s.app.get(&ines, &format!("/api/v1/documents/nodes/{zoe_file}/content")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(names_in(&s, &claire, &space, None).await, vec!["Travaux 4B", "Zoé.pdf"]);
}

#[tokio::test]
async fn shared_spaces_of_a_class_and_a_school_give_each_profile_its_level() {
    let s = school().await;
    let (_, claire) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    let (_, anne) = s.browser("Anne", "Lefèvre").await;
    let (_, head) = s.browser("Paul", "Girard").await;
    let class_space = format!("group:{}", s.class("4B").await);
    let school_space = format!("structure:{}", s.jv.id);
    // The class's teacher adds to its space; its pupils read it; another class's pupil and a parent do not see it.
    assert_eq!(put(&s, &claire, &class_space, None, "programme.pdf", PDF).await.status, StatusCode::CREATED);
    assert_eq!(names_in(&s, &zoe, &class_space, None).await, vec!["programme.pdf"]);
    assert_eq!(put(&s, &zoe, &class_space, None, "moi.pdf", PDF).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&hugo, "GET", &format!("/api/v1/documents/spaces/{class_space}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&anne, "GET", &format!("/api/v1/documents/spaces/{class_space}"), None).await.status, StatusCode::NOT_FOUND);
    // The school's space: the head manages, teachers contribute, pupils read, parents do not see it.
    assert_eq!(put(&s, &head, &school_space, None, "règlement.pdf", PDF).await.status, StatusCode::CREATED);
    assert_eq!(put(&s, &claire, &school_space, None, "sortie.pdf", PDF).await.status, StatusCode::CREATED);
    assert_eq!(names_in(&s, &hugo, &school_space, None).await, vec!["règlement.pdf", "sortie.pdf"]);
    assert_eq!(put(&s, &hugo, &school_space, None, "hugo.pdf", PDF).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.json(&anne, "GET", &format!("/api/v1/documents/spaces/{school_space}"), None).await.status, StatusCode::NOT_FOUND);
    // The head sees what the school's spaces hold; a teacher may not.
    let usage = s.app.json(&head, "GET", &format!("/api/v1/structures/{}/documents-usage", s.jv.id), None).await.json();
    assert_eq!(usage["used"], 3 * PDF.len(), "{usage}");
    assert_eq!(s.app.json(&claire, "GET", &format!("/api/v1/structures/{}/documents-usage", s.jv.id), None).await.status, StatusCode::FORBIDDEN);
    assert!(s.app.get(&head, &format!("/documents/spaces/{school_space}")).await.body.contains("Espaces partagés de l"));
    let spaces = s.app.json(&zoe, "GET", "/api/v1/documents/spaces", None).await.json();
    let levels: Vec<(String, String)> = spaces
        .as_array()
        .expect("spaces")
        .iter()
        .map(|e| (e["name"].as_str().unwrap_or("").to_owned(), e["level"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(levels.contains(&("4B".into(), "read".into())), "{levels:?}");
    assert!(levels.contains(&(s.jv.name.clone(), "read".into())), "{levels:?}");
}

#[tokio::test]
async fn an_upload_over_quota_is_refused_up_front_and_versions_and_trash_count_until_emptied() {
    let s = school().await;
    s.app.state.documents.set_policy(preau_documents::Policy { personal_quota: vec![(preau_core::Profile::Pupil, 1000)], ..Default::default() });
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&zoe_p);
    let usage = |r: Resp| r.json()["used"].as_i64().expect("used");
    let six_hundred = vec![b'a'; 600];
    assert_eq!(put(&s, &zoe, &space, None, "a.txt", &six_hundred).await.status, StatusCode::CREATED);
    let before = blobs(&s);
    // Announced too large: refused before a byte is kept, with the reason.
    let r = put(&s, &zoe, &space, None, "b.txt", &six_hundred).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("document.over_quota"), "{}", r.body);
    // Not announced: stopped as the bytes pass the room left, nothing kept either.
    let r = put_unannounced(&s, &zoe, &space, "b.txt", &six_hundred).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(blobs(&s), before);
    assert_eq!(names_in(&s, &zoe, &space, None).await, vec!["a.txt"]);
    // A new version keeps the previous one, which counts.
    let r = put(&s, &zoe, &space, None, "a.txt", b"second").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    assert_eq!(usage(s.app.json(&zoe, "GET", "/api/v1/documents/usage", None).await), 606);
    let id = id_of(&r);
    let versions = s.app.json(&zoe, "GET", &format!("/api/v1/documents/nodes/{id}/versions"), None).await.json();
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(s.app.get(&zoe, &format!("/api/v1/documents/nodes/{id}/versions/1/content")).await.body.as_bytes(), &six_hundred[..]);
    assert_eq!(s.app.get(&zoe, &format!("/api/v1/documents/nodes/{id}/content")).await.body, "second");
    let (_, hugo) = s.browser("Hugo", "Roux").await;
    assert_eq!(s.app.json(&hugo, "GET", &format!("/api/v1/documents/nodes/{id}/versions"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get(&hugo, &format!("/api/v1/documents/nodes/{id}/versions/1/content")).await.status, StatusCode::NOT_FOUND);
    // In the trash it still counts; deleted for good it frees the room and its bytes.
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/nodes/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(usage(s.app.json(&zoe, "GET", "/api/v1/documents/usage", None).await), 606);
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/trash/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(usage(s.app.json(&zoe, "GET", "/api/v1/documents/usage", None).await), 0);
    assert_eq!(blobs(&s), 0);
    assert_eq!(put(&s, &zoe, &space, None, "b.txt", &six_hundred).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_trash_restores_a_folder_in_place_and_is_purged_after_thirty_days() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Séquence 3"}))).await);
    put(&s, &claire, &space, Some(&folder), "fiche.pdf", PDF).await;
    assert_eq!(s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{folder}"), None).await.status, StatusCode::NO_CONTENT);
    assert!(names_in(&s, &claire, &space, None).await.is_empty());
    let trash = s.app.json(&claire, "GET", "/api/v1/documents/trash", None).await.json();
    assert_eq!(trash.as_array().map(|t| t.len()), Some(1), "the folder only, its contents with it: {trash}");
    // Someone else's trash is not theirs to restore.
    assert_eq!(s.app.json(&zoe, "POST", &format!("/api/v1/documents/trash/{folder}/restore"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/trash/{folder}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&zoe, "GET", "/api/v1/documents/trash", None).await.json(), json!([]), "not in her trash");
    // A folder of the same name made meanwhile: the restored one is numbered.
    s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Séquence 3"}))).await;
    let r = s.app.json(&claire, "POST", &format!("/api/v1/documents/trash/{folder}/restore"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["name"], "Séquence 3 (2)");
    assert_eq!(names_in(&s, &claire, &space, Some(&folder)).await, vec!["fiche.pdf"]);

    // Deleted again, it waits 30 days, then the job purges it and its bytes.
    s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{folder}"), None).await;
    let kept = blobs(&s);
    s.app.clock.advance(29 * 86_400);
    preau_web::documents::purge(&s.app.state).await.expect("purge");
    assert_eq!(blobs(&s), kept);
    s.app.clock.advance(2 * 86_400);
    preau_web::documents::purge(&s.app.state).await.expect("purge");
    assert_eq!(blobs(&s), kept - 1);
    let claire = s.app.login(&teacher).await;
    assert_eq!(s.app.json(&claire, "GET", "/api/v1/documents/trash", None).await.json(), json!([]));
}

#[tokio::test]
async fn an_uploaded_page_is_served_as_a_download_that_cannot_run_and_ranges_resume() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let html = b"<html><body><script>alert(document.cookie)</script></body></html>";
    let id = id_of(&put(&s, &claire, &personal(&teacher), None, "../../page.html", html).await);
    let r = s.app.get(&claire, &format!("/documents/nodes/{id}/download?inline=1")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/octet-stream");
    let h = |k: &str| r.headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(h("content-disposition").starts_with("attachment; filename=\"page.html\""), "{}", h("content-disposition"));
    assert!(h("content-security-policy").contains("sandbox"));
    assert_eq!(h("x-content-type-options"), "nosniff");
    // A range: the rest of an interrupted download.
    let req = axum::http::Request::get(format!("/api/v1/documents/nodes/{id}/content")).header("range", "bytes=6-11");
    let r = s.app.send(&claire, req, axum::body::Body::empty()).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, "<body>");
    assert_eq!(r.headers.get("content-range").and_then(|v| v.to_str().ok()), Some(format!("bytes 6-11/{}", html.len()).as_str()));
    let req = axum::http::Request::get(format!("/api/v1/documents/nodes/{id}/content")).header("range", "bytes=999-");
    assert_eq!(s.app.send(&claire, req, axum::body::Body::empty()).await.status, StatusCode::RANGE_NOT_SATISFIABLE);
}

/// A multipart form with a CSRF token, a folder, and files.
fn multipart(csrf: &str, folder: &str, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "preau-test-boundary";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("folder", folder)] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (name, bytes) in files {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_folder_moves_into_a_folder_of_another_space_whose_top_has_the_same_name() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let mine = personal(&teacher);
    let class = format!("group:{}", s.class("4B").await);
    let folder = |space: &str, name: &str, parent: Option<&str>| {
        let body = json!({"name": name, "folder": parent});
        let path = format!("/api/v1/documents/spaces/{space}/folders");
        let claire = &claire;
        let s = &s;
        async move { id_of(&s.app.json(claire, "POST", &path, Some(body)).await) }
    };
    let cours = folder(&mine, "Cours", None).await;
    folder(&class, "Cours", None).await;
    let archives = folder(&class, "Archives", None).await;
    let r = s.app.json(&claire, "PATCH", &format!("/api/v1/documents/nodes/{cours}"), Some(json!({"space": class, "folder": archives}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(names_in(&s, &claire, &class, Some(&archives)).await, vec!["Cours"]);
    assert_eq!(names_in(&s, &claire, &class, None).await, vec!["Archives", "Cours"]);
}

#[tokio::test]
async fn what_one_deleted_where_one_may_no_longer_add_leaves_ones_trash() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (pupil, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Rendus"}))).await);
    let target = format!("person:{}", pupil.id);
    assert_eq!(share(&s, &claire, &folder, std::slice::from_ref(&target), "contribute").await.status, StatusCode::OK);
    let file = id_of(&put(&s, &zoe, &space, Some(&folder), "devoir.pdf", PDF).await);
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/nodes/{file}"), None).await.status, StatusCode::NO_CONTENT);
    let trash = s.app.json(&zoe, "GET", "/api/v1/documents/trash", None).await;
    assert_eq!((trash.status, trash.json().as_array().map(|t| t.len())), (StatusCode::OK, Some(1)), "hers while she may add there");

    // The share revoked, she may no longer restore into that folder.
    let r = s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{folder}/shares/{target}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let trash = s.app.json(&zoe, "GET", "/api/v1/documents/trash", None).await;
    assert_eq!((trash.status, trash.json()), (StatusCode::OK, json!([])));
    assert_eq!(s.app.json(&zoe, "POST", &format!("/api/v1/documents/trash/{file}/restore"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/trash/{file}"), None).await.status, StatusCode::NOT_FOUND);
    // The folder's owner still may.
    let r = s.app.json(&claire, "POST", &format!("/api/v1/documents/trash/{file}/restore"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn the_pages_upload_several_files_make_folders_share_and_restore_from_the_trash() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&teacher);
    let r = s.app.get(&claire, "/documents").await;
    assert_eq!(r.location(), format!("/documents/spaces/{space}"));
    let page = s.app.get(&claire, &r.location()).await;
    assert!(page.body.contains("Mes documents") && page.body.contains("Ce dossier est vide."), "{}", page.body);

    let (kind, body) = multipart(&claire.csrf, "", &[("un.pdf", PDF), ("deux.txt", b"bonjour")]);
    let req = axum::http::Request::post(format!("/documents/spaces/{space}/upload")).header("content-type", kind);
    let r = s.app.send(&claire, req, axum::body::Body::from(body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().ends_with("done=uploaded"), "{}", r.location());
    // Without the form's token nothing is taken.
    let (kind, body) = multipart("forged", "", &[("trois.txt", b"x")]);
    let req = axum::http::Request::post(format!("/documents/spaces/{space}/upload")).header("content-type", kind);
    assert_eq!(s.app.send(&claire, req, axum::body::Body::from(body)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(names_in(&s, &claire, &space, None).await, vec!["deux.txt", "un.pdf"]);

    let r = s.app.post_form(&claire, &format!("/documents/spaces/{space}/folders"), &[("name", "Projets"), ("folder", "")]).await;
    assert!(r.location().ends_with("done=folder"), "{}", r.location());
    let r = s.app.post_form(&claire, &format!("/documents/spaces/{space}/folders"), &[("name", "projets"), ("folder", "")]).await;
    assert!(r.location().ends_with("error=name_taken"), "{}", r.location());
    let page = s.app.get(&claire, &r.location()).await;
    assert!(page.body.contains("Ce nom est déjà pris dans ce dossier."), "{}", page.body);

    // Sharing from the file's page: search, pick, share.
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    let un = listing["items"].as_array().expect("items").iter().find(|n| n["name"] == "un.pdf").expect("un.pdf")["id"].as_str().expect("id").to_owned();
    let page = s.app.get(&claire, &format!("/documents/nodes/{un}?q=Lef")).await;
    let zoe_p = s.who("Zoé", "Lefèvre").await;
    assert!(page.body.contains(&format!("person:{}", zoe_p.id)), "{}", page.body);
    let r = s.app.post_form(&claire, &format!("/documents/nodes/{un}/share"), &[("target", &format!("person:{}", zoe_p.id)), ("level", "read")]).await;
    assert!(r.location().ends_with("done=shared"), "{}", r.location());
    let page = s.app.get(&zoe, "/documents/shared").await;
    assert!(page.body.contains("un.pdf"), "{}", page.body);
    // Posting the changes anyway is refused to her, by the operation itself.
    for action in ["rename", "delete", "share"] {
        let r = s
            .app
            .post_form(&zoe, &format!("/documents/nodes/{un}/{action}"), &[("name", "x.pdf"), ("target", &format!("person:{}", zoe_p.id)), ("level", "read")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(s.app.post_form(&zoe, &format!("/documents/spaces/{space}/folders"), &[("name", "Zoé"), ("folder", "")]).await.status, StatusCode::NOT_FOUND);
    // Zoé's page of it offers no change, no share.
    let page = s.app.get(&zoe, &format!("/documents/nodes/{un}")).await;
    assert!(page.body.contains("Télécharger") && !page.body.contains("Renommer") && !page.body.contains("Partages"), "{}", page.body);

    let r = s.app.post_form(&claire, &format!("/documents/nodes/{un}/delete"), &[]).await;
    assert!(r.location().ends_with("done=trashed"), "{}", r.location());
    let page = s.app.get(&claire, "/documents/trash").await;
    assert!(page.body.contains("un.pdf"), "{}", page.body);
    let r = s.app.post_form(&claire, &format!("/documents/trash/{un}/restore"), &[]).await;
    assert_eq!(r.location(), "/documents/trash?done=restored");
    assert_eq!(names_in(&s, &claire, &space, None).await, vec!["Projets", "deux.txt", "un.pdf"]);

    // Moved into a folder from the file's page, which offers the folders she may add to.
    let listing = s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{space}"), None).await.json();
    let find =
        |name: &str| listing["items"].as_array().expect("items").iter().find(|n| n["name"] == name).expect("there")["id"].as_str().expect("id").to_owned();
    let (deux, projets) = (find("deux.txt"), find("Projets"));
    assert!(s.app.get(&claire, &format!("/documents/nodes/{deux}")).await.body.contains(&format!("<option value=\"{projets}\">Projets</option>")));
    let r = s.app.post_form(&claire, &format!("/documents/nodes/{deux}/move"), &[("folder", &projets)]).await;
    assert!(r.location().ends_with("done=moved"), "{}", r.location());
    assert_eq!(names_in(&s, &claire, &space, Some(&projets)).await, vec!["deux.txt"]);
    // Zoé copies what was shared with her into her own documents.
    let r = s.app.post_form(&zoe, &format!("/documents/nodes/{un}/copy"), &[]).await;
    assert!(r.location().ends_with("done=copied"), "{}", r.location());
    assert_eq!(names_in(&s, &zoe, &format!("person:{}", zoe_p.id), None).await, vec!["un.pdf"]);
}

#[tokio::test]
async fn a_pupil_copies_a_shared_folder_into_her_space_as_her_own_within_her_quota() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Exercices"}))).await);
    put(&s, &claire, &space, Some(&folder), "ex1.pdf", PDF).await;
    share(&s, &claire, &folder, &[format!("class:{}:ELV", s.class("4B").await)], "read").await;
    let mine = personal(&zoe_p);
    let r = s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{folder}/copy"), Some(json!({"space": mine}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let copy = id_of(&r);
    assert_eq!(names_in(&s, &zoe, &mine, Some(&copy)).await, vec!["ex1.pdf"]);
    // Hers: she renames it; the teacher's original is untouched and the copy is not shared back.
    assert_eq!(s.app.json(&zoe, "PATCH", &format!("/api/v1/documents/nodes/{copy}"), Some(json!({"name": "Mes exercices"}))).await.status, StatusCode::OK);
    assert_eq!(names_in(&s, &claire, &space, None).await, vec!["Exercices"]);
    assert_eq!(s.app.json(&claire, "GET", &format!("/api/v1/documents/spaces/{mine}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.json(&zoe, "GET", "/api/v1/documents/usage", None).await.json()["used"], PDF.len());
    // Copied again under the same name: refused; into the teacher's space: she may not add there.
    let again = s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{folder}/copy"), Some(json!({"space": mine, "name": "Mes exercices"}))).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    let there = s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{copy}/copy"), Some(json!({"space": space, "folder": folder}))).await;
    assert_eq!(there.status, StatusCode::FORBIDDEN);
    // What she may not read cannot be copied.
    let private = id_of(&put(&s, &claire, &space, None, "corrigé.pdf", PDF).await);
    assert_eq!(s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{private}/copy"), Some(json!({"space": mine}))).await.status, StatusCode::NOT_FOUND);
    // Over her quota: refused, nothing written.
    s.app
        .state
        .documents
        .set_policy(preau_documents::Policy { personal_quota: vec![(preau_core::Profile::Pupil, PDF.len() as i64 + 10)], ..Default::default() });
    let full = s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{folder}/copy"), Some(json!({"space": mine, "name": "Encore"}))).await;
    assert_eq!(full.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(full.body.contains("document.over_quota"), "{}", full.body);
}

#[tokio::test]
async fn public_links_open_a_file_without_an_account_until_their_date_and_pupils_cannot_make_them() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let id = id_of(&put(&s, &claire, &personal(&teacher), None, "sortie.pdf", PDF).await);
    let r = s.app.json(&claire, "POST", &format!("/api/v1/documents/nodes/{id}/links"), Some(json!({"days": 7}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.json()["url"].as_str().expect("url").to_owned();
    let path = url.split_once("/p/").map(|(_, t)| format!("/p/{t}")).expect("a /p/ address");
    let anyone = Client::default();
    let page = s.app.get(&anyone, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("sortie.pdf"), "{}", page.body);
    let file = s.app.get(&anyone, &format!("{path}/download")).await;
    assert_eq!(file.body.as_bytes(), PDF);
    assert!(file.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").starts_with("attachment"));
    assert_eq!(s.app.get(&anyone, "/p/not-a-token").await.status, StatusCode::NOT_FOUND);

    // Behind a password: the page asks for it; a wrong one is refused.
    let r = s.app.json(&claire, "POST", &format!("/api/v1/documents/nodes/{id}/links"), Some(json!({"days": 1, "password": "sortie-2026"}))).await;
    let locked = r.json()["url"].as_str().and_then(|u| u.split_once("/p/")).map(|(_, t)| format!("/p/{t}")).expect("url");
    assert_eq!(s.app.get(&anyone, &format!("{locked}/download")).await.status, StatusCode::SEE_OTHER, "back to the page that asks for the password");
    assert_eq!(s.app.post_form(&anyone, &format!("{locked}/download"), &[("password", "faux")]).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.app.post_form(&anyone, &format!("{locked}/download"), &[("password", "sortie-2026")]).await.body.as_bytes(), PDF);

    // A pupil may not make one, even of her own file.
    let hers = id_of(&put(&s, &zoe, &personal(&zoe_p), None, "moi.pdf", PDF).await);
    assert_eq!(s.app.json(&zoe, "POST", &format!("/api/v1/documents/nodes/{hers}/links"), Some(json!({"days": 7}))).await.status, StatusCode::FORBIDDEN);
    let her_page = s.app.get(&zoe, &format!("/documents/nodes/{hers}")).await;
    assert_eq!(her_page.status, StatusCode::OK);
    assert!(!her_page.body.contains("Créer un lien public"));
    // Only the file's manager sees and deletes its links.
    assert_eq!(s.app.json(&zoe, "GET", &format!("/api/v1/documents/nodes/{id}/links"), None).await.status, StatusCode::NOT_FOUND);
    let page = s.app.get(&claire, &format!("/documents/nodes/{id}")).await.body;
    assert!(page.contains("<title>sortie.pdf – Préau</title>") && page.matches("Créer un lien public").count() == 1, "{page}");

    // Revoked: gone at once. Past its date: gone too.
    let links = s.app.json(&claire, "GET", &format!("/api/v1/documents/nodes/{id}/links"), None).await.json();
    assert_eq!(links.as_array().map(|l| l.len()), Some(2));
    let first = links[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(s.app.json(&zoe, "DELETE", &format!("/api/v1/documents/nodes/{id}/links/{first}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get(&anyone, &path).await.status, StatusCode::OK, "still open");
    assert_eq!(s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{id}/links/{first}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.app.get(&anyone, &path).await.status, StatusCode::NOT_FOUND);
    s.app.clock.advance(2 * 86_400);
    assert_eq!(s.app.get(&anyone, &locked).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_folder_downloads_as_a_zip_that_unzip_reads_back() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Séquence 3"}))).await);
    let inner =
        id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Annexes", "folder": folder}))).await);
    put(&s, &claire, &space, Some(&folder), "fiche élève.pdf", PDF).await;
    put(&s, &claire, &space, Some(&inner), "notes.txt", b"Bonjour").await;
    let r = s.app.get(&claire, &format!("/documents/nodes/{folder}/zip")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/zip");
    // Read back by Info-ZIP's unzip, a reader written by others.
    let dir = ScratchDir::new("preau-zip");
    let zip_bytes = s.app.get_bytes(&claire, &format!("/api/v1/documents/nodes/{folder}/zip")).await;
    std::fs::write(dir.join("a.zip"), &zip_bytes).expect("write");
    let out = std::process::Command::new("unzip").arg("-o").arg("-q").arg(dir.join("a.zip")).arg("-d").arg(dir.join("x")).output().expect("unzip");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("x/fiche élève.pdf")).expect("pdf"), PDF);
    assert_eq!(std::fs::read_to_string(dir.join("x/Annexes/notes.txt")).expect("txt"), "Bonjour");
    drop(dir);
    // Someone who may not read the folder gets nothing.
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    assert_eq!(s.app.get(&zoe, &format!("/documents/nodes/{folder}/zip")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get(&zoe, &format!("/api/v1/documents/nodes/{folder}/zip")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_of_ones_documents_is_attached_to_a_message_as_a_copy() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Sorties"}))).await);
    let doc = id_of(&put(&s, &claire, &space, Some(&folder), "programme.pdf", PDF).await);
    // The compose page offers the files of her space, with their folders.
    let page = s.app.get(&claire, "/messages/new").await;
    assert!(page.body.contains("Sorties/programme.pdf"), "{}", page.body);
    let r = s.app.json(&claire, "POST", &format!("/api/v1/attachments/from-document/{doc}"), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["content_type"], "application/pdf");
    let file = r.json()["id"].as_str().expect("id").to_owned();
    let to = json!([{"kind": "person", "person": zoe_p.id}]);
    let sent = s.app.json(&claire, "POST", "/api/v1/messages", Some(json!({"to": to, "subject": "Sortie", "body": "Ci-joint.", "attachments": [file]}))).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let message = sent.json()["id"].as_str().expect("id").to_owned();
    // The message keeps its copy when the document goes.
    assert_eq!(s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{doc}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.app.json(&claire, "DELETE", &format!("/api/v1/documents/trash/{doc}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.app.json(&claire, "GET", &format!("/api/v1/documents/nodes/{doc}"), None).await.status, StatusCode::NOT_FOUND, "the document is gone");
    assert_eq!(s.app.get_bytes(&zoe, &format!("/api/v1/messages/{message}/attachments/{file}")).await, PDF);
    // A document she may not read cannot be attached by Zoé.
    let other = id_of(&put(&s, &claire, &space, None, "corrigé.pdf", PDF).await);
    assert_eq!(s.app.json(&zoe, "POST", &format!("/api/v1/attachments/from-document/{other}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_image_gets_a_thumbnail_made_once_and_deleted_with_it() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = personal(&teacher);
    let photo = image::RgbImage::from_fn(600, 400, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut png = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut png, image::ImageFormat::Png).expect("png");
    let id = id_of(&put(&s, &claire, &space, None, "sortie.png", png.get_ref()).await);
    assert_eq!(s.app.stored_blobs(), 1);
    let page = s.app.get(&claire, &format!("/documents/spaces/{space}")).await;
    assert!(page.body.contains(&format!("/documents/nodes/{id}/thumbnail")), "{}", page.body);
    let thumb = s.app.get_bytes(&claire, &format!("/documents/nodes/{id}/thumbnail")).await;
    let small = image::load_from_memory(&thumb).expect("a decodable thumbnail");
    assert_eq!((small.width(), small.height()), (256, 171));
    assert_eq!(s.app.stored_blobs(), 2, "kept beside the image");
    assert_eq!(s.app.get_bytes(&claire, &format!("/documents/nodes/{id}/thumbnail")).await, thumb);
    assert_eq!(s.app.stored_blobs(), 2, "made once");
    // Not an image: no thumbnail. Someone who may not read the image: none either.
    let pdf = id_of(&put(&s, &claire, &space, None, "cours.pdf", PDF).await);
    assert_eq!(s.app.get(&claire, &format!("/documents/nodes/{pdf}/thumbnail")).await.status, StatusCode::NOT_FOUND);
    let (_, zoe) = s.browser("Zoé", "Lefèvre").await;
    assert_eq!(s.app.get(&zoe, &format!("/documents/nodes/{id}/thumbnail")).await.status, StatusCode::NOT_FOUND);
    s.app.json(&claire, "DELETE", &format!("/api/v1/documents/nodes/{id}"), None).await;
    s.app.json(&claire, "DELETE", &format!("/api/v1/documents/trash/{id}"), None).await;
    assert_eq!(s.app.stored_blobs(), 1, "the image and its thumbnail are gone, the PDF stays");
}

#[tokio::test]
async fn a_public_link_to_a_folder_opens_its_files_and_its_archive_and_nothing_beside() {
    let s = school().await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Sortie"}))).await);
    let inside = id_of(&put(&s, &claire, &space, Some(&folder), "programme.pdf", PDF).await);
    let outside = id_of(&put(&s, &claire, &space, None, "notes.txt", b"prive").await);
    let link = |body: serde_json::Value| {
        let (app, claire, folder) = (&s.app, &claire, &folder);
        async move {
            let r = app.json(claire, "POST", &format!("/api/v1/documents/nodes/{folder}/links"), Some(body)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["url"].as_str().and_then(|u| u.split_once("/p/")).map(|(_, t)| format!("/p/{t}")).expect("url")
        }
    };
    let open = link(json!({"days": 7})).await;
    let anyone = Client::default();
    let page = s.app.get(&anyone, &open).await;
    assert!(page.body.contains("programme.pdf") && !page.body.contains("notes.txt"), "{}", page.body);
    assert_eq!(s.app.get_bytes(&anyone, &format!("{open}/files/{inside}")).await, PDF);
    assert_eq!(s.app.get(&anyone, &format!("{open}/files/{outside}")).await.status, StatusCode::NOT_FOUND, "nothing beside the folder");
    let zip = s.app.get_bytes(&anyone, &format!("{open}/zip")).await;
    assert!(zip.starts_with(b"PK\x03\x04"));
    // Behind a password: nothing until it is given, then the browser keeps it for this link.
    let locked = link(json!({"days": 7, "password": "sortie-2026"})).await;
    let asking = s.app.get(&anyone, &locked).await;
    assert_eq!(asking.status, StatusCode::OK);
    assert!(!asking.body.contains("programme.pdf"));
    assert_eq!(s.app.get(&anyone, &format!("{locked}/zip")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.get(&anyone, &format!("{locked}/files/{inside}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.app.post_form(&anyone, &locked, &[("password", "faux")]).await.status, StatusCode::UNAUTHORIZED);
    let r = s.app.post_form(&anyone, &locked, &[("password", "sortie-2026")]).await;
    let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).and_then(|c| c.split(';').next()).expect("unlocked").to_owned();
    let browser = Client { cookie: Some(cookie), ..Client::default() };
    assert!(s.app.get(&browser, &locked).await.body.contains("programme.pdf"));
    assert_eq!(s.app.get_bytes(&browser, &format!("{locked}/files/{inside}")).await, PDF);
    assert_eq!(s.app.get(&browser, &format!("{locked}/files/{outside}")).await.status, StatusCode::NOT_FOUND, "unlocked, still nothing beside the folder");
}

#[tokio::test]
async fn a_school_sets_its_own_rule_for_public_links_over_the_territorys() {
    let s = school().await;
    let admin = s.app.login(&s.app.local_admin(&s.jv).await).await;
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let (zoe_p, zoe) = s.browser("Zoé", "Lefèvre").await;
    let jean_p = s.app.person("Jean", "Moulin", &s.jv, preau_core::Profile::Teacher).await;
    let jean = s.app.login(&jean_p).await;
    let make = |c: &Client, node: String| {
        let (s, c) = (&s, c.clone());
        async move { s.app.json(&c, "POST", &format!("/api/v1/documents/nodes/{node}/links"), Some(json!({"days": 7}))).await.status }
    };
    let hers = id_of(&put(&s, &zoe, &personal(&zoe_p), None, "expose.pdf", PDF).await);
    let his = id_of(&put(&s, &jean, &personal(&jean_p), None, "cours.pdf", PDF).await);
    let claires = id_of(&put(&s, &claire, &personal(&teacher), None, "sortie.pdf", PDF).await);
    let policy = format!("/api/v1/structures/{}/public-link-policy", s.jv.id);
    assert_eq!(make(&zoe, hers.clone()).await, StatusCode::FORBIDDEN, "the territory's rule: no links for pupils");
    let rule = s.app.json(&admin, "GET", &policy, None).await.json();
    assert_eq!((rule["forbidden"].clone(), rule["own"].clone()), (json!(["ELV"]), json!(false)));
    for c in [&claire, &zoe] {
        assert_eq!(s.app.json(c, "GET", &policy, None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(s.app.json(c, "PUT", &policy, Some(json!({"forbidden": []}))).await.status, StatusCode::FORBIDDEN);
    }

    // Jules Verne lets its pupils make links, and forbids its teachers.
    assert_eq!(s.app.json(&admin, "PUT", &policy, Some(json!({"forbidden": ["ENS"]}))).await.status, StatusCode::NO_CONTENT);
    assert_eq!(make(&zoe, hers.clone()).await, StatusCode::CREATED);
    assert_eq!(make(&jean, his).await, StatusCode::FORBIDDEN, "a teacher of Jules Verne only");
    assert_eq!(make(&claire, claires).await, StatusCode::CREATED, "Claire also teaches at Simone Veil, which keeps the territory's rule");
    // Back to the territory's rule, from the console page.
    let page = s.app.get(&admin, &format!("/admin/structures/{}", s.jv.id)).await.body;
    assert!(page.contains("name=\"forbidden\" value=\"ENS\" checked"), "{page}");
    // A profile code the page does not know is refused, and the rule stays as it was.
    let r = s.app.post_form(&admin, &format!("/admin/structures/{}/public-links", s.jv.id), &[("own", "on"), ("forbidden", "XYZ")]).await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("Profil inconnu"), "{} {}", r.status, r.body);
    assert_eq!(s.app.json(&admin, "GET", &policy, None).await.json()["forbidden"], json!(["ENS"]));
    // (A stale code does not block going back: the ticks are not read then.)
    let r = s.app.post_form(&admin, &format!("/admin/structures/{}/public-links", s.jv.id), &[("forbidden", "ELV"), ("forbidden", "XYZ")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(s.app.json(&admin, "GET", &policy, None).await.json()["own"], json!(false));
    assert_eq!(make(&zoe, hers).await, StatusCode::FORBIDDEN);
    let log = preau_directory::DirectoryStore::audit_log(&*s.app.state.store, s.app.system.territory, None, 500).await.expect("audit");
    // The log reads newest first.
    let changes: Vec<_> = log.iter().rev().filter(|e| e.action == "documents.link_policy").map(|e| (e.before.clone(), e.after.clone())).collect();
    let own = |v: serde_json::Value| Some(v);
    assert_eq!(changes, vec![(own(json!(null)), own(json!(["ENS"]))), (own(json!(["ENS"])), own(json!(null)))], "each change says the rule before and after");
}

/// A large upload, streamed in 1 MiB chunks of a repeating pattern (never held whole).
async fn put_large(s: &School, c: &Client, space: &str, folder: &str, name: &str, size: u64) -> Resp {
    let req = axum::http::Request::put(format!("/api/v1/documents/spaces/{space}/files?name={}&folder={folder}", enc(name)))
        .header("x-csrf-token", c.csrf.clone())
        .header("content-length", size.to_string());
    let chunk = axum::body::Bytes::from((0..1u32 << 20).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let chunks = (0..size.div_ceil(1 << 20)).map(move |i| {
        let len = (size - (i << 20)).min(1 << 20) as usize;
        Ok::<_, std::io::Error>(chunk.slice(..len))
    });
    s.app.send(c, req, axum::body::Body::from_stream(futures_util::stream::iter(chunks))).await
}

#[tokio::test]
#[ignore = "writes 9 GiB: .ci/run runs it (ZIP64 of a folder over 4 GiB, read back by Info-ZIP's unzip)"]
async fn a_folder_over_4_gib_downloads_as_a_zip64_archive_that_unzip_tests() {
    const MIB: u64 = 1 << 20;
    let s = school().await;
    s.app.state.documents.set_policy(preau_documents::Policy { default_personal_quota: 16 << 30, ..preau_documents::Policy::default() });
    let (teacher, claire) = s.browser("Claire", "Martin").await;
    let space = personal(&teacher);
    let folder = id_of(&s.app.json(&claire, "POST", &format!("/api/v1/documents/spaces/{space}/folders"), Some(json!({"name": "Vidéos"}))).await);
    // Two files of 2,200 MiB, then a small one whose place in the archive is past 4 GiB.
    for name in ["sortie partie 1.mp4", "sortie partie 2.mp4"] {
        let r = put_large(&s, &claire, &space, &folder, name, 2_200 * MIB).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    put(&s, &claire, &space, Some(&folder), "zz générique.txt", b"Fin").await;
    let dir = ScratchDir::new("preau-zip64");
    let zip = dir.join("videos.zip");
    let (status, written) = s.app.download_to(&claire, &format!("/api/v1/documents/nodes/{folder}/zip"), &zip).await;
    assert_eq!(status, StatusCode::OK);
    assert!(written > 4_400 * MIB, "{written}");
    let test = std::process::Command::new("unzip").arg("-t").arg(&zip).output().expect("unzip");
    let listing = std::process::Command::new("unzip").arg("-l").arg(&zip).output().expect("unzip -l");
    let extracted = std::process::Command::new("unzip").arg("-p").arg(&zip).arg("zz générique.txt").output().expect("unzip -p");
    drop(dir); // 9 GiB: freed before the checks.
    let (test, listing) = (String::from_utf8_lossy(&test.stdout).to_string(), String::from_utf8_lossy(&listing.stdout).to_string());
    assert!(test.contains("No errors detected"), "unzip -t: {test}");
    assert!(listing.contains("2306867200") && listing.contains("3 files"), "unzip -l: {listing}");
    assert_eq!(extracted.stdout, b"Fin", "the file placed past 4 GiB reads back");
}
