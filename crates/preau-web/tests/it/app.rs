//! `TestApp`: a fresh database, the real router, a clock the test moves, cheap password hashing,
//! mail captured in an outbox folder, and builders for a small territory.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use preau_core::{FixedClock, OsRandom, PersonId, Principal, Profile, Role, Scope};
use preau_directory::structures::StructureInput;
use preau_directory::{DirectoryStore, Grantee, Person, Source, Structure};
use preau_identity::sessions::SessionPolicy;
use preau_identity::{IdentityStore, PasswordHasher};
use preau_store::Store;
use preau_web::AppState;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

pub const T0: i64 = 1_790_000_000;
pub const PASSWORD: &str = "mot-de-passe-1";
/// The second factor's key of the admins the fixtures make (base32).
pub const ADMIN_TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// The remember-this-device cookie value each test browser presents for a login: the fixtures
/// trust it for their admins, so that logging them in does not ask for a code every time.
pub fn test_device(login: &str) -> String {
    format!("test-device-{login}")
}

pub struct TestApp {
    pub state: AppState,
    pub router: axum::Router,
    pub clock: Arc<FixedClock>,
    pub outbox: PathBuf,
    pub system: Principal,
    /// The SQLite database's folder, removed with the app (nothing on PostgreSQL).
    data_dir: Option<PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outbox);
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A browser: its session cookie and CSRF token once logged in.
#[derive(Clone, Default)]
pub struct Client {
    pub cookie: Option<String>,
    pub csrf: String,
    pub lang: Option<&'static str>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn location(&self) -> String {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }

    pub fn content_type(&self) -> String {
        self.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }
}

/// A directory of files a test writes (feeds, archives), removed when the test is done.
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A new empty directory in the system's temporary directory, named from `prefix`.
    pub fn new(prefix: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", unique()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        ScratchDir(dir)
    }
}

impl std::ops::Deref for ScratchDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The database of one test: a fresh PostgreSQL database when `PREAU_TEST_DATABASE_URL` is set,
/// else a fresh SQLite file.
pub async fn fresh_database() -> String {
    if let Ok(admin_url) = std::env::var("PREAU_TEST_DATABASE_URL") {
        let name = format!("preau_test_{}", unique());
        let admin = Store::connect(&admin_url, 1).await.expect("PostgreSQL reachable");
        admin.create_database(&name).await.expect("create test database");
        admin.close().await;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin_url);
        format!("{base}/{name}")
    } else {
        let dir = std::env::temp_dir().join(format!("preau-it-{}", unique()));
        format!("sqlite://{}", dir.join("preau.db").display())
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_hasher(PasswordHasher::new(2, 16, 64, 1, Arc::new(OsRandom)).expect("hasher")).await
    }

    pub async fn with_hasher(hasher: PasswordHasher) -> TestApp {
        Self::build(hasher, None, "https://ent.example.org").await
    }

    /// An app served over HTTP on a loopback port, whose public address is that port's: for
    /// clients written by others, which follow the addresses Préau publishes.
    pub async fn served() -> (TestApp, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Self::build(PasswordHasher::new(2, 16, 64, 1, Arc::new(OsRandom)).expect("hasher"), None, &base).await;
        // Outside clients check times against their own clock: start at the real time.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(T0);
        app.clock.advance(now - T0);
        let router = preau_web::router(app.state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        (app, base)
    }

    /// An app whose e-mails go to a real SMTP server (`host:port`).
    pub async fn with_smtp(server: &str) -> TestApp {
        Self::build(PasswordHasher::new(2, 16, 64, 1, Arc::new(OsRandom)).expect("hasher"), Some(server), "https://ent.example.org").await
    }

    async fn build(hasher: PasswordHasher, smtp: Option<&str>, base_url: &str) -> TestApp {
        let url = fresh_database().await;
        let store = Arc::new(Store::connect_with_writer(&url, 4).await.expect("database"));
        store.migrate().await.expect("migrations");
        let clock = Arc::new(FixedClock::new(T0));
        let outbox = std::env::temp_dir().join(format!("preau-outbox-{}", unique()));
        let mailer: Arc<dyn preau_identity::mail::Mailer> = match smtp {
            Some(server) => Arc::new(preau_web::mail::SmtpMailer::new(server, "ne-pas-repondre@preau.invalid").expect("smtp")),
            None => Arc::new(preau_web::mail::OutboxMailer { dir: outbox.clone(), from: "ne-pas-repondre@preau.invalid".into() }),
        };
        let state = AppState::new(
            store,
            clock.clone(),
            Arc::new(OsRandom),
            hasher,
            mailer,
            SessionPolicy { idle_secs: 3600, absolute_secs: 12 * 3600 },
            base_url.into(),
            false,
            outbox.clone(),
        )
        .await
        .expect("state");
        let system = Principal::system(state.config.territory);
        let router = preau_web::router(state.clone());
        let data_dir = url.strip_prefix("sqlite://").and_then(|p| std::path::Path::new(p).parent()).map(std::path::Path::to_path_buf);
        TestApp { state, router, clock, outbox, system, data_dir }
    }

    /// The state a server starting again over the same database would have (its outbox worker
    /// started, what was left recovered).
    pub async fn restarted(&self) -> AppState {
        let mailer: Arc<dyn preau_identity::mail::Mailer> =
            Arc::new(preau_web::mail::OutboxMailer { dir: self.outbox.clone(), from: "ne-pas-repondre@preau.invalid".into() });
        let policy = SessionPolicy { idle_secs: 3600, absolute_secs: 12 * 3600 };
        let hasher = PasswordHasher::new(2, 16, 64, 1, Arc::new(OsRandom)).expect("hasher");
        AppState::new(
            self.state.store.clone(),
            self.clock.clone(),
            Arc::new(OsRandom),
            hasher,
            mailer,
            policy,
            "https://ent.example.org".into(),
            false,
            self.outbox.clone(),
        )
        .await
        .expect("state")
    }

    // ----- Fixtures -----

    pub async fn school(&self, uai: &str, name: &str) -> Structure {
        let input = StructureInput {
            uai: uai.into(),
            name: name.into(),
            kind: "college".into(),
            postal_code: "35400".into(),
            city: "Val-de-Préau".into(),
            address: "1 rue des Écoles".into(),
            ..Default::default()
        };
        self.state.directory.create_structure(&self.system, &input).await.expect("school")
    }

    /// A person with a profile in a structure and an activated account with [`PASSWORD`].
    pub async fn person(&self, given: &str, family: &str, school: &Structure, profile: Profile) -> Person {
        let p = self.unactivated(given, family, school, profile).await;
        self.state.accounts.set_password_as_operator(&self.system, p.id, PASSWORD).await.expect("password");
        p
    }

    pub async fn unactivated(&self, given: &str, family: &str, school: &Structure, profile: Profile) -> Person {
        let input = preau_directory::people::PersonInput {
            given_name: given.into(),
            family_name: family.into(),
            birth_date: None,
            email: Some(format!("{}@example.org", preau_core::text::base_login(given, family))),
            structure: school.id.to_string(),
            profile: profile.code().into(),
        };
        self.state.directory.create_person(&self.system, &input).await.expect("person")
    }

    pub async fn territory_admin(&self) -> Person {
        let p = Person {
            id: PersonId::new(),
            territory: self.system.territory,
            login: "admin.territoire".into(),
            given_name: "Admin".into(),
            family_name: "Territoire".into(),
            birth_date: None,
            email: None,
            source: Source::Manual,
        };
        let audit = preau_directory::audit::entry::<(), ()>(T0, &self.system, "person.create", "test".into(), None, None, None);
        self.state.store.insert_person(&p, &[], &audit).await.expect("admin");
        self.state.directory.grant_role(&self.system, Role::TerritoryAdmin, Grantee::Person(p.id), Scope::Territory).await.expect("grant");
        self.state.accounts.set_password_as_operator(&self.system, p.id, PASSWORD).await.expect("password");
        self.admin_second_factor(&p).await;
        p
    }

    /// The id of the territory admin the fixture made (an account nobody's claim designates).
    pub async fn territory_admin_id(&self) -> String {
        self.state.store.person_by_login(self.system.territory, "admin.territoire").await.map(|p| p.id.to_string()).unwrap_or_default()
    }

    pub async fn local_admin(&self, school: &Structure) -> Person {
        let p = self.person("Alain", "Local", school, Profile::Staff).await;
        self.state.directory.grant_role(&self.system, Role::LocalAdmin, Grantee::Person(p.id), Scope::Structure(school.id)).await.expect("grant");
        self.admin_second_factor(&p).await;
        p
    }

    /// Admins must use a second factor: enrols `p` with [`ADMIN_TOTP`] and trusts the test
    /// browser's device for them.
    pub async fn admin_second_factor(&self, p: &Person) {
        let audit = preau_directory::audit::entry::<(), ()>(T0, &self.system, "mfa.enable", "test".into(), None, None, None);
        let record = preau_identity::mfa::MfaRecord { secret: ADMIN_TOTP.into(), enabled_at: T0, last_step: 0 };
        self.state.store.enable_mfa(p.id, &record, &[], &audit).await.expect("enrol");
        let digest = preau_identity::secrets::digest(&test_device(&p.login));
        self.state.store.trust_device(&digest, p.id, T0, T0 + 10 * 365 * 86_400, "test").await.expect("trust");
    }

    pub async fn publish_charter(&self, text: &str) -> i64 {
        self.state.accounts.publish_charter(&self.system, text).await.expect("charter")
    }

    pub async fn accept_current_charter(&self, p: &Person) {
        let v = self.state.store.charter(self.system.territory).await.expect("charter").map(|c| c.version).unwrap_or(0);
        self.state.store.accept_charter(p.id, v).await.expect("accept");
    }

    pub fn mails(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.outbox).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect()).unwrap_or_default();
        files.sort();
        files.iter().filter_map(|f| std::fs::read_to_string(f).ok()).map(|m| decode_quoted_printable(&m)).collect()
    }

    // ----- HTTP -----

    /// How many blobs (documents' and attachments' bytes) the local storage holds.
    pub fn stored_blobs(&self) -> usize {
        let root = self.state.config.upload_dir.with_file_name("documents");
        std::fs::read_dir(root).map(|d| d.filter_map(|e| e.ok()).map(|e| std::fs::read_dir(e.path()).map(|f| f.count()).unwrap_or(0)).sum()).unwrap_or(0)
    }

    /// The body of a GET as bytes (a file, an archive), not as text.
    pub async fn get_bytes(&self, c: &Client, path: &str) -> Vec<u8> {
        let req = self.with_cookies(c, Request::get(path));
        let response = self.router.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec()
    }

    /// A GET whose body is written to a file as it comes (for answers too large to hold);
    /// the status and the bytes written.
    pub async fn download_to(&self, c: &Client, path: &str, file: &std::path::Path) -> (StatusCode, u64) {
        use futures_util::StreamExt;
        use std::io::Write;
        let req = self.with_cookies(c, Request::get(path));
        let response = self.router.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("infallible");
        let status = response.status();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(file).expect("create"));
        let (mut body, mut written) = (response.into_body().into_data_stream(), 0u64);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.expect("a chunk");
            out.write_all(&chunk).expect("write");
            written += chunk.len() as u64;
        }
        out.flush().expect("flush");
        (status, written)
    }

    fn with_cookies(&self, c: &Client, mut req: axum::http::request::Builder) -> axum::http::request::Builder {
        if let Some(cookie) = &c.cookie {
            req = req.header(
                header::COOKIE,
                match c.lang {
                    Some(l) => format!("{cookie}; preau_lang={l}"),
                    None => cookie.clone(),
                },
            );
        } else if let Some(l) = c.lang {
            req = req.header(header::COOKIE, format!("preau_lang={l}"));
        }
        req
    }

    pub async fn send(&self, c: &Client, req: axum::http::request::Builder, body: Body) -> Resp {
        let req = self.with_cookies(c, req);
        let response = self.router.clone().oneshot(req.body(body).expect("request")).await.expect("infallible");
        // What the request left to the outbox (a message's notifications) is done before the
        // test looks, as it is a moment later for a user.
        self.state.communication.outbox.settle().await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        Resp { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Posts a form with extra headers (a client's `Authorization`), without a CSRF token.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, String)]) -> Resp {
        let body = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        let mut req = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(*k, v.clone());
        }
        self.send(&Client::default(), req, Body::from(body)).await
    }

    pub async fn get(&self, c: &Client, path: &str) -> Resp {
        self.send(c, Request::get(path), Body::empty()).await
    }

    /// Posts a form; the client's CSRF token is added unless the form has one.
    pub async fn post_form(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut pairs: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf".into(), c.csrf.clone()));
        }
        let body = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        self.send(c, Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"), Body::from(body)).await
    }

    pub async fn json(&self, c: &Client, method: &str, path: &str, body: Option<Value>) -> Resp {
        let mut req = Request::builder().method(method).uri(path).header("x-csrf-token", c.csrf.clone());
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(c, req, body.map(|b| Body::from(b.to_string())).unwrap_or_default()).await
    }

    pub async fn bearer(&self, key: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
        let req =
            Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {key}")).header(header::CONTENT_TYPE, "application/json");
        self.send(&Client::default(), req, body.map(|b| Body::from(b.to_string())).unwrap_or_default()).await
    }

    /// Logs in through the login form and returns a client holding the session.
    pub async fn try_login(&self, login: &str, password: &str) -> (Resp, Client) {
        let browser = Client { cookie: Some(format!("preau_device={}", test_device(login))), ..Client::default() };
        let r = self.post_form(&browser, "/login", &[("login", login), ("password", password)]).await;
        let c = self.client_of(&r);
        (r, c)
    }

    /// A browser holding the session a response opened (its cookie and CSRF token), if any.
    pub fn client_of(&self, r: &Resp) -> Client {
        let cookie = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("preau_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let mut c = Client { cookie, ..Default::default() };
        if c.cookie.is_some() {
            let token = c.cookie.as_deref().unwrap_or("").trim_start_matches("preau_session=");
            c.csrf = self.state.accounts.sessions.by_token(token).map(|s| s.csrf.to_string()).unwrap_or_default();
        }
        c
    }

    pub async fn login(&self, p: &Person) -> Client {
        let (r, c) = self.try_login(&p.login, PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login of {} failed: {}", p.login, r.body);
        c
    }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes a quoted-printable mail as a mail client would (soft line breaks, `=XX` bytes).
pub fn decode_quoted_printable(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
