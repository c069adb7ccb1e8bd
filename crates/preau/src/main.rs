//! The `preau` binary: the command line, configuration and wiring. Everything it runs lives in
//! the library crates; this file only assembles them.

mod config;

use anyhow::Context;
use clap::{Parser, Subcommand};
use config::Config;
use preau_core::{Clock, OsRandom, Principal, SystemClock};
use preau_directory::DirectoryStore;
use preau_identity::PasswordHasher;
use preau_identity::sessions::SessionPolicy;
use preau_store::Store;
use preau_web::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Préau: the digital workspace (ENT) of a territory's schools.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file (also `PREAU_CONFIG`).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Préau.
    Serve,
    /// Serve Préau, generating the demo territory first when the database is empty.
    Demo {
        /// Seed of the demo generator: the same seed gives the same territory.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Instead of serving, write a synthetic AAF full extract into this folder and exit.
        #[arg(long, value_name = "DIR")]
        export_aaf: Option<PathBuf>,
        /// With --export-aaf: about how many accounts the feed holds.
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// With --export-aaf: about how many pupils each school has.
        #[arg(long, default_value_t = 600)]
        per_school: usize,
        /// With --export-aaf: write instead a delta against that feed in which this percentage
        /// of pupils changes class.
        #[arg(long, value_name = "PERCENT")]
        delta: Option<usize>,
    },
    /// Import a directory feed.
    Import {
        #[command(subcommand)]
        source: ImportSource,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Administrative tasks.
    Admin {
        #[command(subcommand)]
        task: AdminTask,
    },
}

#[derive(Subcommand)]
enum ImportSource {
    /// Import a full AAF extract set (all `*_Complet_*_<Category>_NNNN.xml` files of a folder).
    Aaf {
        /// The folder holding the extract files.
        dir: PathBuf,
        /// The académie the feed comes from (its identifiers are namespaced with it).
        #[arg(long)]
        academie: String,
        /// Compute and report without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Leave relatives who are not legal guardians out of the directory (by default they are
        /// kept as contacts of their pupils, without access to the portal).
        #[arg(long)]
        no_contacts: bool,
    },
    /// Import a `;`-separated CSV file of one profile for one school (UTF-8 or Latin-1).
    Csv {
        /// The CSV file.
        file: PathBuf,
        /// The school's UAI.
        #[arg(long)]
        structure: String,
        /// eleves, parents, enseignants, personnels or invites.
        #[arg(long)]
        profile: String,
        /// Map a header of the file to the one Préau expects: `--map "Nom de famille=Nom"`.
        #[arg(long = "map", value_name = "FROM=TO")]
        mapping: Vec<String>,
        /// Validate and report without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import the people of an LDAP search as one profile of one school.
    Ldap {
        /// `ldap://host:389` or `ldaps://host:636`.
        #[arg(long)]
        url: String,
        /// Upgrade `ldap://` with StartTLS before binding.
        #[arg(long)]
        starttls: bool,
        /// DN to bind with (anonymous when absent); the password is read from `PREAU_LDAP_PASSWORD`.
        #[arg(long)]
        bind_dn: Option<String>,
        #[arg(long, env = "PREAU_LDAP_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Search base, e.g. `ou=agents,dc=collectivite,dc=fr`.
        #[arg(long)]
        base: String,
        /// Search filter.
        #[arg(long, default_value = "(objectClass=inetOrgPerson)")]
        filter: String,
        /// The school's UAI.
        #[arg(long)]
        structure: String,
        /// eleves, parents, enseignants, personnels or invites.
        #[arg(long)]
        profile: String,
        /// Map a Préau header to an LDAP attribute: `--map "Identifiant=employeeNumber"`
        /// (defaults: Identifiant=uid, Nom=sn, Prénom=givenName, Courriel=mail).
        #[arg(long = "map", value_name = "HEADER=ATTRIBUTE")]
        mapping: Vec<String>,
        /// Validate and report without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum AdminTask {
    /// Create a territory administrator and print their login.
    CreateAdmin {
        #[arg(long)]
        given_name: String,
        #[arg(long)]
        family_name: String,
        /// The password (read from `PREAU_ADMIN_PASSWORD` when absent).
        #[arg(long, env = "PREAU_ADMIN_PASSWORD")]
        password: String,
    },
    /// Rotate the keys that sign OpenID Connect tokens now (done by itself every 90 days); the
    /// old keys stay published for a week so tokens they signed still verify.
    RotateKeys,
    /// Close a school year: archive its classes and groups, wait for the new year's feed.
    CloseYear {
        /// The year to close, e.g. 2025-2026.
        #[arg(long)]
        year: String,
    },
    /// Register a SCIM provisioning source for some structures and print its bearer token (once).
    ScimSource {
        /// A name for the source, e.g. "Annuaire de la collectivité".
        #[arg(long)]
        name: String,
        /// UAI of a structure the source may provision (repeat for several).
        #[arg(long = "uai", required = true)]
        uais: Vec<String>,
    },
    /// Delete now the people detached by a feed for longer than the retention delay (the server
    /// also does it every six hours).
    PurgeDetached,
    /// Set a new password for a login and close their sessions.
    ResetPassword {
        #[arg(long)]
        login: String,
        #[arg(long, env = "PREAU_NEW_PASSWORD")]
        password: String,
    },
}

fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PREAU_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json { builder.json().init() } else { builder.init() }
}

/// The store, migrated: a server's (`with_writer`) gets on SQLite the hot write paths' own
/// connection; a one-off command (an import, an admin task) does without.
async fn open_store(c: &Config, with_writer: bool) -> anyhow::Result<Arc<Store>> {
    let store =
        if with_writer { Store::connect_with_writer(&c.database_url, c.db_connections).await } else { Store::connect(&c.database_url, c.db_connections).await };
    let store = store.with_context(|| format!("cannot open the database {}", c.database_url))?;
    store.migrate().await.context("migrations failed")?;
    Ok(Arc::new(store))
}

fn hasher(c: &Config) -> anyhow::Result<PasswordHasher> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Ok(PasswordHasher::new(cores, cores * 8, c.argon2_memory_kib, c.argon2_iterations, Arc::new(OsRandom))?)
}

async fn state(c: &Config, store: Arc<Store>, hasher: PasswordHasher) -> anyhow::Result<AppState> {
    let mailer: Arc<dyn preau_identity::mail::Mailer> = if c.smtp.is_empty() {
        Arc::new(preau_web::mail::OutboxMailer { dir: c.data_dir.join("outbox"), from: c.mail_from.clone() })
    } else {
        Arc::new(preau_web::mail::SmtpMailer::new(&c.smtp, &c.mail_from)?)
    };
    let policy = SessionPolicy { idle_secs: c.session_idle_minutes * 60, absolute_secs: c.session_absolute_hours * 3600 };
    let mut state = AppState::new(
        store,
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        hasher,
        mailer,
        policy,
        c.base_url.clone(),
        c.base_url.starts_with("https://"),
        c.data_dir.clone(),
    )
    .await?;
    if !c.s3_bucket.is_empty() {
        let s3 = preau_web::documents::blobs::S3Config {
            endpoint: c.s3_endpoint.clone(),
            bucket: c.s3_bucket.clone(),
            region: c.s3_region.clone(),
            access_key: c.s3_access_key.clone(),
            secret_key: c.s3_secret_key.clone(),
            prefix: c.s3_prefix.clone(),
        };
        state.blobs = Arc::new(preau_web::documents::blobs::Blobs::s3(&s3)?);
        tracing::info!(bucket = %c.s3_bucket, "documents are kept in the S3 bucket");
    }
    state.documents.set_policy(c.documents_policy()?);
    state.fetch.allow_networks(&c.fetch_allowed_networks).map_err(|e| anyhow::anyhow!("fetch_allowed_networks: {e}"))?;
    if !c.clamd.is_empty() {
        state.antivirus = Some(preau_web::documents::antivirus::Clamd { address: c.clamd.clone() });
        tracing::info!(clamd = %c.clamd, "uploads are scanned by the antivirus");
    }
    Ok(state)
}

async fn serve(c: &Config, state: AppState, started: Instant) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    // No Nagle delay: a streamed response (a download) goes out as its chunks are ready.
    let listener = tokio::net::TcpListener::bind(&c.listen).await.with_context(|| format!("cannot listen on {}", c.listen))?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let store = state.store.clone();
    tokio::spawn(purge_detached_daily(state.clone(), c.retention_days));
    tokio::spawn(write_launch_counts(state.clone()));
    tokio::spawn(refresh_published_timetables(state.clone()));
    let sso = state.sso.clone();
    let app = preau_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tracing::info!(address = %c.listen, ready_ms = started.elapsed().as_millis() as u64, "Préau is ready");
    println!("Préau écoute sur {} (prêt en {} ms)", c.base_url, started.elapsed().as_millis());
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    if let Err(e) = sso.flush_launches().await {
        tracing::error!(error = %e, "launch counts not written at shutdown");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Every minute: writes the launch counts gathered in memory, ends the sessions that expired
/// unnoticed (which logs them out of the services they signed in to), and delivers the
/// notifications that became due.
async fn write_launch_counts(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = state.sso.flush_launches().await {
            tracing::error!(error = %e, "launch counts not written (kept for the next minute)");
        }
        if let Err(e) = state.accounts.sessions.sweep(&*state.store, state.clock.now()).await {
            tracing::error!(error = %e, "expired sessions not swept");
        }
        deliver_notifications(&state).await;
    }
}

/// Notifications that became due: scheduled messages pushed live, e-mails whose quiet hours are
/// over, digests whose time has come.
async fn deliver_notifications(state: &AppState) {
    let c = &state.communication;
    if let Err(e) = c.push_due(&*state.hub).await {
        tracing::error!(error = %e, "due notifications not pushed");
    }
    if let Err(e) = c.send_due_mails(&*state.accounts.mailer, &state.config.base_url).await {
        tracing::error!(error = %e, "notification e-mails not sent (retried next minute)");
    }
    if let Err(e) = c.send_digests(&*state.accounts.mailer, &state.config.base_url).await {
        tracing::error!(error = %e, "digests not sent (retried next minute)");
    }
    if let Err(e) = preau_web::communication::attachments::purge(state).await {
        tracing::error!(error = %e, "unattached uploads not purged (retried next minute)");
    }
    if let Err(e) = preau_web::documents::purge(state).await {
        tracing::error!(error = %e, "the documents' trash not purged (retried next minute)");
    }
}

/// Every half hour, at night in Paris (2:00 to 5:00): imports again the timetables published
/// at an address, each once a day.
async fn refresh_published_timetables(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1800));
    loop {
        tick.tick().await;
        if !preau_web::timetable::fetch::is_night(state.clock.now()) {
            continue;
        }
        match preau_web::timetable::fetch::refresh_sources(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(schools = n, "published timetables imported again"),
            Err(e) => tracing::error!(error = %e, "the published timetables were not imported again"),
        }
    }
}

/// Deletes, once at start and then every six hours, the people detached by a feed for longer
/// than the retention delay; rotates the token signing keys when they are due.
async fn purge_detached_daily(state: AppState, days: i64) {
    let system = Principal::system(state.config.territory);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(6 * 3600));
    loop {
        tick.tick().await;
        match preau_feeds::retention::purge_detached(&*state.store, &system, state.clock.now(), days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, retention_days = days, "detached people deleted after their retention delay"),
            Err(e) => tracing::error!(error = %e, "purge of detached people failed"),
        }
        match preau_web::documents::purge_departed(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "the documents of people who are gone deleted"),
            Err(e) => tracing::error!(error = %e, "purge of the documents of people who are gone failed"),
        }
        match state.sso.rotate_keys_if_due().await {
            Ok(true) => tracing::info!("OpenID Connect signing keys rotated"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "rotation of the signing keys failed"),
        }
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let c = Config::load(cli.config)?;
    init_logs(c.json_logs);
    match cli.command {
        Command::Migrate => {
            let store = Store::connect(&c.database_url, 1).await?;
            let n = store.migrate().await?;
            println!("{n} migration(s) appliquée(s).");
        }
        Command::Serve => {
            let store = open_store(&c, true).await?;
            let s = state(&c, store, hasher(&c)?).await?;
            serve(&c, s, started).await?;
        }
        Command::Demo { export_aaf: Some(dir), accounts, delta: Some(percent), .. } => {
            let n = preau_feeds::aaf::generate::write_delta(&dir, accounts, 100 / percent.clamp(1, 100))?;
            println!("Delta AAF écrit dans {} : {n} élèves changent de classe.", dir.display());
        }
        Command::Demo { export_aaf: Some(dir), accounts, seed, per_school, .. } => {
            let g = preau_feeds::aaf::generate::write_feed_sized(&dir, accounts, seed, per_school)?;
            println!(
                "Flux AAF écrit dans {} : {} fichiers, {} établissements, {} élèves, {} responsables, {} personnels.",
                dir.display(),
                g.files.len(),
                g.structures,
                g.pupils,
                g.relatives,
                g.staff
            );
        }
        Command::Import { source: ImportSource::Aaf { dir, academie, dry_run, no_contacts } } => {
            let store = open_store(&c, false).await?;
            let s = state(&c, store.clone(), hasher(&c)?).await?;
            import_aaf(&s, &dir, academie, dry_run, !no_contacts).await?;
        }
        Command::Import { source: ImportSource::Csv { file, structure, profile, mapping, dry_run } } => {
            let store = open_store(&c, false).await?;
            let s = state(&c, store.clone(), hasher(&c)?).await?;
            let profile =
                preau_feeds::csv_import::CsvProfile::parse(&profile).context("profil inconnu : eleves, parents, enseignants, personnels ou invites")?;
            let mapping = mapping.iter().filter_map(|m| m.split_once('=')).map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())).collect();
            let opts = preau_feeds::csv_import::CsvOptions { uai: structure, profile, dry_run, mapping };
            let bytes = std::fs::read(&file).with_context(|| format!("{}", file.display()))?;
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let system = Principal::system(s.config.territory);
            let report = preau_feeds::csv_import::import_csv(&*s.store, &system, &bytes, &name, &opts, SystemClock.now()).await?;
            let json = serde_json::to_string(&report)?;
            preau_feeds::store::FeedStore::save_report(&*s.store, system.territory, &format!("csv:{name}"), SystemClock.now(), SystemClock.now(), &json)
                .await?;
            println!("{report}");
            if report.rejected_total > 0 {
                anyhow::bail!("{} ligne(s) à corriger : rien n'a été importé", report.rejected_total);
            }
        }
        Command::Import { source: ImportSource::Ldap { url, starttls, bind_dn, password, base, filter, structure, profile, mapping, dry_run } } => {
            let store = open_store(&c, false).await?;
            let s = state(&c, store.clone(), hasher(&c)?).await?;
            let profile =
                preau_feeds::csv_import::CsvProfile::parse(&profile).context("profil inconnu : eleves, parents, enseignants, personnels ou invites")?;
            let mapping = mapping.iter().filter_map(|m| m.split_once('=')).map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())).collect();
            let src = preau_feeds::ldap::LdapSource { url: url.clone(), starttls, bind_dn, password, base, filter, mapping };
            let opts = preau_feeds::csv_import::CsvOptions { uai: structure, profile, dry_run, mapping: vec![] };
            let system = Principal::system(s.config.territory);
            let report = preau_feeds::ldap::import_ldap(&*s.store, &system, &src, &opts, SystemClock.now()).await?;
            let json = serde_json::to_string(&report)?;
            preau_feeds::store::FeedStore::save_report(&*s.store, system.territory, &format!("ldap:{url}"), SystemClock.now(), SystemClock.now(), &json)
                .await?;
            println!("{report}");
            if report.rejected_total > 0 {
                anyhow::bail!("{} entrée(s) à corriger : rien n'a été importé", report.rejected_total);
            }
        }
        Command::Demo { seed, .. } => {
            let store = open_store(&c, true).await?;
            let h = hasher(&c)?;
            if store.is_empty().await? {
                println!("Génération du territoire de démonstration (graine {seed})…");
                let mut logins = preau_web::state::seed_demo(&store, &h, &SystemClock, seed).await?;
                preau_web::state::demo_second_factors(&store, &SystemClock, seed, &mut logins).await?;
                println!("\nComptes de démonstration (identifiant / mot de passe) :");
                for l in &logins {
                    println!("  {:<42} {:<32} {}", l.label, l.login, l.password);
                    if let Some(secret) = &l.totp_secret {
                        println!(
                            "  {:<42} clé TOTP {secret} ({})",
                            "  double authentification",
                            preau_identity::mfa::otpauth_uri("Préau démo", &l.login, secret)
                        );
                    }
                }
                println!();
            } else {
                println!("La base n'est pas vide : le territoire de démonstration n'est pas régénéré.");
            }
            let s = state(&c, store, h).await?;
            serve(&c, s, started).await?;
        }
        Command::Admin { task } => admin(&c, task).await?,
    }
    Ok(())
}

async fn admin(c: &Config, task: AdminTask) -> anyhow::Result<()> {
    let store = open_store(c, false).await?;
    let s = state(c, store.clone(), hasher(c)?).await?;
    let system = Principal::system(s.config.territory);
    match task {
        AdminTask::CreateAdmin { given_name, family_name, password } => {
            preau_identity::accounts::check_password_strength(&password)?;
            let login = s.directory.free_login(system.territory, &given_name, &family_name).await?;
            let person = preau_directory::Person {
                id: preau_core::PersonId::new(),
                territory: system.territory,
                login: login.clone(),
                given_name,
                family_name,
                birth_date: None,
                email: None,
                source: preau_directory::Source::Manual,
            };
            let audit =
                preau_directory::audit::entry::<(), _>(SystemClock.now(), &system, "person.create", format!("person:{}", person.id), None, None, Some(&person));
            store.insert_person(&person, &[], &audit).await?;
            s.directory
                .grant_role(&system, preau_core::Role::TerritoryAdmin, preau_directory::Grantee::Person(person.id), preau_core::Scope::Territory)
                .await?;
            s.accounts.set_password_as_operator(&system, person.id, &password).await?;
            println!("Administrateur du territoire créé : {login}");
        }
        AdminTask::ScimSource { name, uais } => {
            let (source, token) = s.scim.create_source(&system, &name, &uais).await?;
            println!("Source SCIM « {} » créée pour {} établissement(s).", source.name, source.structures.len());
            println!("Point d'accès : {}/scim/v2", s.accounts.base_url.trim_end_matches('/'));
            println!("Jeton (affiché une seule fois) : {token}");
        }
        AdminTask::RotateKeys => {
            let kids = s.sso.rotate_keys().await?;
            println!("Nouvelles clés de signature : {}", kids.join(", "));
        }
        AdminTask::PurgeDetached => {
            let n = preau_feeds::retention::purge_detached(&*s.store, &system, SystemClock.now(), c.retention_days).await?;
            println!("{n} personne(s) détachée(s) depuis plus de {} jours supprimée(s).", c.retention_days);
        }
        AdminTask::CloseYear { year } => {
            let n = s.directory.close_school_year(&system, &year).await?;
            println!("Année {year} close : {n} classes et groupes archivés ; les élèves attendent l'annuaire de la nouvelle année.");
        }
        AdminTask::ResetPassword { login, password } => {
            let person = store.person_by_login(system.territory, &login).await.with_context(|| format!("identifiant inconnu : {login}"))?;
            s.accounts.set_password_as_operator(&system, person.id, &password).await?;
            println!("Mot de passe changé pour {login} ; ses sessions sont fermées.");
        }
    }
    Ok(())
}

async fn import_aaf(s: &AppState, dir: &std::path::Path, academie: String, dry_run: bool, contacts: bool) -> anyhow::Result<()> {
    let system = Principal::system(s.config.territory);
    let opts = preau_feeds::import::Options { dry_run, contacts, ..preau_feeds::import::Options::new(&academie) };
    let started = SystemClock.now();
    let t = Instant::now();
    let mut progress = |p: &preau_feeds::import::Progress| {
        let percent = p.percent() as usize;
        let bar: String = (0..30).map(|i| if i * 100 < percent * 30 { '#' } else { '-' }).collect();
        eprint!("\r[{bar}] {percent:>3} %  {:<48} {:>9} entrées  {:>6.1} s", p.file, p.entries, t.elapsed().as_secs_f64());
    };
    let result = preau_feeds::import::import_aaf(&*s.store, &system, dir, &opts, started, &mut progress).await;
    eprintln!();
    let finished = SystemClock.now();
    let source = format!("aaf:{}", dir.display());
    match result {
        Ok(report) => {
            let json = serde_json::to_string(&report)?;
            preau_feeds::store::FeedStore::save_report(&*s.store, system.territory, &source, started, finished, &json).await?;
            println!("{report}");
            println!("Durée : {:.1} s", t.elapsed().as_secs_f64());
            Ok(())
        }
        Err(e) => {
            let json = serde_json::json!({ "failed": e.to_string() }).to_string();
            let _ = preau_feeds::store::FeedStore::save_report(&*s.store, system.territory, &source, started, finished, &json).await;
            anyhow::bail!("l'import a échoué, rien n'a été modifié : {e}")
        }
    }
}
