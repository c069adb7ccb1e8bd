//! The state shared by every handler: the store, the domain services, metrics and settings.

use crate::ops::Metrics;
use preau_core::{Clock, Random, TerritoryId};
use preau_directory::Directory;
use preau_identity::Accounts;
use preau_store::Store;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Set the `Secure` flag on cookies (when served behind HTTPS).
    pub secure_cookies: bool,
    /// The territory served at `/` (the first one when an instance hosts several).
    pub territory: TerritoryId,
    pub territory_name: String,
    /// Where uploaded feed files are kept until they are applied.
    pub upload_dir: std::path::PathBuf,
    /// The public address of Préau (the OpenID Connect issuer), without a trailing slash.
    pub base_url: String,
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub directory: Directory<Store>,
    pub accounts: Accounts<Store>,
    pub metrics: Arc<Metrics>,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Random>,
    pub cache: Arc<crate::auth::PrincipalCache>,
    pub portal_cache: Arc<crate::auth::PortalCache>,
    pub scim: Arc<preau_feeds::scim::Scim<Store>>,
    /// Directory imports started from the console and running in the background.
    pub imports: Arc<crate::pages::imports::Running>,
    /// Single sign-on: connectors, launch counts, CAS tickets.
    pub sso: preau_sso::Sso<Store>,
    /// Calls to outside services (CAS proxy callbacks, single logout).
    pub http: reqwest::Client,
    /// Logins in progress at outside identity providers, and choices of account.
    pub federation: Arc<crate::federation::Pending>,
    /// The outside identity providers shown on the login page: (id, name).
    pub providers: Arc<std::sync::RwLock<Vec<(String, String)>>>,
    /// Communication rules, messaging and notifications.
    pub communication: preau_communication::Communication<Store>,
    /// The open pages that receive live notifications.
    pub hub: Arc<crate::communication::live::Hub>,
    /// Personal and shared spaces of documents.
    pub documents: preau_documents::Documents<Store>,
    /// The timetable: courses, lesson changes, calendar feeds.
    pub timetable: preau_timetable::Timetable<Store>,
    /// Where the bytes of documents are kept.
    pub blobs: Arc<crate::documents::blobs::Blobs>,
    /// The antivirus every upload goes through, when one is configured.
    pub antivirus: Option<crate::documents::antivirus::Clamd>,
    /// The WebDAV handler, with its locks.
    pub dav: Arc<dav_server::DavHandler<crate::documents::dav::DavUser>>,
    /// Fetches timetables published at an address.
    pub fetch: Arc<crate::timetable::fetch::Fetcher>,
}

impl AppState {
    /// Wires the domain services over a migrated store.
    #[expect(clippy::too_many_arguments, reason = "the one place where every part is assembled")]
    pub async fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        rng: Arc<dyn Random>,
        hasher: preau_identity::PasswordHasher,
        mailer: Arc<dyn preau_identity::mail::Mailer>,
        policy: preau_identity::sessions::SessionPolicy,
        base_url: String,
        secure_cookies: bool,
        data_dir: std::path::PathBuf,
    ) -> preau_core::Result<AppState> {
        use preau_directory::DirectoryStore;
        let territories = store.territories().await?;
        let territory = match territories.first() {
            Some(t) => t.clone(),
            None => {
                let t = preau_directory::Territory { id: TerritoryId::new(), slug: "territoire".into(), name: "Préau".into() };
                store.insert_territory(&t).await?;
                t
            }
        };
        let directory = Directory::new(store.clone(), clock.clone());
        let base_url_public = base_url.trim_end_matches('/').to_owned();
        let sessions = Arc::new(preau_identity::SessionManager::new(policy));
        sessions.restore(&*store, clock.now()).await?;
        let accounts = Accounts {
            store: store.clone(),
            directory: directory.clone(),
            hasher,
            sessions,
            throttle: Arc::new(Default::default()),
            clock: clock.clone(),
            rng: rng.clone(),
            mailer,
            base_url,
            mfa: Arc::default(),
        };
        let scim = Arc::new(preau_feeds::scim::Scim::new(store.clone(), clock.clone(), rng.clone()));
        let sso = preau_sso::Sso::new(store.clone(), clock.clone(), rng.clone());
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(preau_core::Error::internal)?;
        let fanout = crate::slo::Fanout {
            sso: sso.clone(),
            http: http.clone(),
            clock: clock.clone(),
            rng: rng.clone(),
            territory: territory.id,
            issuer: base_url_public.clone(),
        };
        accounts.sessions.on_end(Arc::new(move |key| fanout.session_ended(key)));
        let providers = accounts.upstreams(territory.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
        store.spawn_checkpoints();
        let hub = Arc::new(crate::communication::live::Hub::default());
        let communication = preau_communication::Communication::new(store.clone(), clock.clone(), hub.clone());
        let outbox = communication.clone();
        tokio::spawn(async move { outbox.run_outbox(|e| tracing::error!(error = %e, "telling the recipients of messages failed")).await });
        let left = communication.recover_outbox().await?;
        if left > 0 {
            tracing::info!(messages = left, "telling the recipients of messages sent before a stop");
        }
        let documents = preau_documents::Documents::new(communication.clone(), preau_documents::Policy::default());
        Ok(AppState {
            timetable: preau_timetable::Timetable::new(communication.clone(), documents.clone()),
            documents,
            blobs: Arc::new(crate::documents::blobs::Blobs::local(data_dir.join("documents"))),
            dav: Arc::new(crate::documents::dav::handler()),
            fetch: Arc::default(),
            antivirus: None,
            communication,
            hub,
            federation: Arc::default(),
            providers: Arc::new(std::sync::RwLock::new(providers)),
            sso,
            http,
            scim,
            imports: Arc::new(Default::default()),
            store,
            directory,
            accounts,
            metrics: Arc::new(Default::default()),
            config: Arc::new(WebConfig {
                secure_cookies,
                territory: territory.id,
                territory_name: territory.name,
                upload_dir: data_dir.join("imports"),
                base_url: base_url_public,
            }),
            clock,
            rng,
            cache: Arc::new(Default::default()),
            portal_cache: Arc::new(Default::default()),
        })
    }
}

/// Loads the demo territory into an empty database: the directory, the charter, and passwords
/// for the printed logins. Returns those logins.
/// Administrators must use a second factor: the demo gives each a key, derived from the seed
/// like their password, printed with their login.
pub async fn demo_second_factors(store: &Store, clock: &dyn Clock, seed: u64, logins: &mut [preau_directory::demo::DemoLogin]) -> preau_core::Result<()> {
    use preau_directory::DirectoryStore;
    use preau_identity::IdentityStore;
    use sha2::Digest;
    for l in logins.iter_mut() {
        if !store.assignments_of(l.person).await?.iter().any(|a| a.role.is_admin()) {
            continue;
        }
        let person = store.person(l.person).await?;
        let system = preau_core::Principal::system(person.territory);
        let raw = sha2::Sha256::digest(format!("preau-demo-totp:{seed}:{}", l.login).as_bytes());
        let secret = preau_identity::mfa::base32(&raw[..20]);
        let record = preau_identity::mfa::MfaRecord { secret: secret.clone(), enabled_at: clock.now(), last_step: 0 };
        let audit = preau_directory::audit::entry::<(), ()>(clock.now(), &system, "mfa.enable", format!("person:{}", l.person), None, None, None);
        store.enable_mfa(l.person, &record, &[], &audit).await?;
        l.totp_secret = Some(secret);
    }
    Ok(())
}

pub async fn seed_demo(
    store: &Store,
    hasher: &preau_identity::PasswordHasher,
    clock: &dyn Clock,
    seed: u64,
) -> preau_core::Result<Vec<preau_directory::demo::DemoLogin>> {
    let (demo, system) = seed_demo_directory(store, hasher, clock, seed).await?;
    seed_demo_timetable(store, &demo, &system, clock).await?;
    Ok(demo.logins)
}

/// The demo's directory and accounts only (what a database of any schema version holds).
pub async fn seed_demo_directory(
    store: &Store,
    hasher: &preau_identity::PasswordHasher,
    clock: &dyn Clock,
    seed: u64,
) -> preau_core::Result<(preau_directory::demo::Demo, preau_core::Principal)> {
    use preau_directory::DirectoryStore;
    use preau_identity::IdentityStore;
    let demo = preau_directory::demo::generate(seed);
    store.insert_territory(&demo.territory).await?;
    store.load_snapshot(demo.territory.id, &demo.snapshot).await?;
    let system = preau_core::Principal::system(demo.territory.id);
    let audit = preau_directory::audit::entry::<(), _>(clock.now(), &system, "charter.publish", "charter".into(), None, None, Some(&demo.charter));
    let version = store.publish_charter(demo.territory.id, demo.charter, clock.now(), &audit).await?;
    for l in &demo.logins {
        store.set_password(l.person, &hasher.hash(&l.password).await?).await?;
        store.accept_charter(l.person, version).await?;
    }
    Ok((demo, system))
}

/// The demo's courses, for the school year under way (from the first of September).
async fn seed_demo_timetable(store: &Store, demo: &preau_directory::demo::Demo, system: &preau_core::Principal, clock: &dyn Clock) -> preau_core::Result<()> {
    use preau_timetable::demo::DemoTeaching;
    let today = preau_core::local_time::paris_date(clock.now());
    // The whole school year under way; its calendar keeps the holidays free.
    let (from, to) = preau_timetable::calendar::year_period(today);
    let label = |code: &str| demo.snapshot.subjects.iter().find(|s| s.code == code).map(|s| s.label.clone()).unwrap_or_else(|| code.to_owned());
    let teachings: Vec<DemoTeaching> = demo
        .snapshot
        .teachings
        .iter()
        .filter_map(|t| {
            let g = demo.snapshot.groups.iter().find(|g| g.id == t.group)?;
            Some(DemoTeaching { structure: g.structure, teacher: t.teacher, group: t.group, subject: label(&t.subject_code) })
        })
        .collect();
    let diff = preau_timetable::store::CourseDiff { added: preau_timetable::demo::courses(&teachings, from, to), ..Default::default() };
    let audit = preau_directory::audit::entry::<(), ()>(clock.now(), system, "timetable.demo", "timetable".into(), None, None, None);
    preau_timetable::TimetableStore::apply_courses(store, &diff, &audit).await
}

impl AppState {
    /// Reloads the outside identity providers shown on the login page.
    pub async fn refresh_providers(&self) -> preau_core::Result<()> {
        let list = self.accounts.upstreams(self.config.territory).await?.into_iter().map(|u| (u.id, u.name)).collect();
        if let Ok(mut p) = self.providers.write() {
            *p = list;
        }
        Ok(())
    }
}
