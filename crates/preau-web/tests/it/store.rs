//! Storage conformance: the same stories on SQLite and (in CI) PostgreSQL.

use crate::app::*;
use preau_core::{Error, Profile};
use preau_directory::DirectoryStore;
use preau_identity::IdentityStore;

#[tokio::test]
async fn the_demo_territory_loads_and_reads_back() {
    let app = TestApp::new().await;
    let hasher = preau_identity::PasswordHasher::new(2, 16, 64, 1, std::sync::Arc::new(preau_core::OsRandom)).expect("hasher");
    let logins = preau_web::state::seed_demo(&app.state.store, &hasher, &*app.clock, 2026).await.expect("demo");
    let territories = app.state.store.territories().await.expect("territories");
    let demo = territories.iter().find(|t| t.slug == "val-de-preau").expect("demo territory");
    let structures = app.state.store.structures(demo.id).await.expect("structures");
    assert_eq!(structures.len(), 7);
    let parent = app.state.store.person_by_login(demo.id, &logins[3].login).await.expect("parent");
    let children = app.state.store.children(parent.id).await.expect("children");
    assert_eq!(children.len(), 2);
    let teacher = app.state.store.person_by_login(demo.id, &logins[0].login).await.expect("teacher");
    assert_eq!(app.state.store.memberships(teacher.id).await.expect("m").len(), 2);
    assert!(!app.state.store.teachings_of(teacher.id).await.expect("t").is_empty());
}

#[tokio::test]
async fn an_upgraded_database_keeps_its_links() {
    // Migration 9 rebuilds the link tables on SQLite: a directory written before it reads back whole.
    let store = preau_store::Store::connect(&fresh_database().await, 2).await.expect("database");
    store.migrate_to(8).await.expect("migrations 1 to 8");
    let hasher = preau_identity::PasswordHasher::new(2, 16, 64, 1, std::sync::Arc::new(preau_core::OsRandom)).expect("hasher");
    let (demo, _) = preau_web::state::seed_demo_directory(&store, &hasher, &preau_core::FixedClock::new(T0), 2026).await.expect("demo");
    let logins = demo.logins;
    assert!(store.migrate().await.expect("migration 9") >= 1);
    let demo = store.territories().await.expect("territories").into_iter().find(|t| t.slug == "val-de-preau").expect("demo territory");
    let teacher = store.person_by_login(demo.id, &logins[0].login).await.expect("teacher");
    assert_eq!(store.memberships(teacher.id).await.expect("memberships").len(), 2);
    assert!(!store.teachings_of(teacher.id).await.expect("teachings").is_empty());
    let parent = store.person_by_login(demo.id, &logins[3].login).await.expect("parent");
    let children = store.children(parent.id).await.expect("children");
    assert_eq!(children.len(), 2);
    assert!(!store.groups_of(children[0].0.id).await.expect("classes").is_empty(), "the child is still in a class");
    assert_eq!(store.migrate().await.expect("nothing left"), 0);
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let mut dup = p.clone();
    dup.id = preau_core::PersonId::new();
    let audit = preau_directory::audit::entry::<(), ()>(T0, &app.system, "person.create", "dup".into(), None, None, None);
    let err = app.state.store.insert_person(&dup, &[], &audit).await.expect_err("duplicate login");
    assert!(matches!(err, Error::Conflict("login.taken")));
    assert!(app.state.store.person(dup.id).await.is_err());
    let log = app.state.store.audit_log(app.system.territory, None, 100).await.expect("log");
    assert!(!log.iter().any(|e| e.target == "dup"), "the audit entry was rolled back with the change");
}

#[tokio::test]
async fn logins_and_aliases_are_found_case_insensitively() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    app.state.directory.add_alias(&app.system, p.id, "zdurand").await.expect("alias");
    let t = app.system.territory;
    assert_eq!(app.state.store.person_by_login(t, "ZOE.DURAND").await.expect("login").id, p.id);
    assert_eq!(app.state.store.person_by_login(t, "zdurand").await.expect("alias").id, p.id);
    let taken = app.state.directory.add_alias(&app.system, p.id, "zoe.durand").await;
    assert!(matches!(taken, Err(Error::Conflict(_))));
    assert_eq!(app.state.directory.free_login(t, "Zoé", "Durand").await.expect("free"), "zoe.durand2");
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    let c = app.login(&p).await;
    let restarted = preau_identity::SessionManager::new(Default::default());
    assert_eq!(restarted.restore(&*app.state.store, app.clock.now_secs()).await.expect("restore"), 1);
    let token = c.cookie.as_deref().unwrap_or("").trim_start_matches("preau_session=");
    assert!(restarted.resolve(&*app.state.store, token, app.clock.now_secs()).await.is_some());
}

#[tokio::test]
async fn a_reset_token_is_consumed_once() {
    let app = TestApp::new().await;
    let school = app.school("0290009C", "Collège").await;
    let p = app.person("Zoé", "Durand", &school, Profile::Pupil).await;
    app.state.store.put_reset_token(p.id, "digest", T0 + 10).await.expect("put");
    assert_eq!(app.state.store.consume_reset_token("digest", T0, "h1").await.expect("first"), Some(p.id));
    assert_eq!(app.state.store.consume_reset_token("digest", T0, "h2").await.expect("second"), None);
    assert_eq!(app.state.store.credential(p.id).await.expect("cred").password_hash.as_deref(), Some("h1"));
}

trait NowSecs {
    fn now_secs(&self) -> i64;
}

impl NowSecs for preau_core::FixedClock {
    fn now_secs(&self) -> i64 {
        preau_core::Clock::now(self)
    }
}
