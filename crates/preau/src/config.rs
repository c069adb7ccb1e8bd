//! Configuration: defaults that need nothing, a TOML file (`--config` or `PREAU_CONFIG`), then
//! `PREAU_*` environment variables, each overriding the one before.

use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where Préau listens.
    pub listen: String,
    /// `sqlite://…` (default: a file under `data_dir`) or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// Folder for the SQLite database, files and the mail outbox.
    pub data_dir: PathBuf,
    /// The public address of the instance, used in e-mails and letters.
    pub base_url: String,
    /// `host:port` of an SMTP relay, or an `smtp://`/`smtps://` URL; empty: write mails to the outbox.
    pub smtp: String,
    /// Sender address of e-mails.
    pub mail_from: String,
    /// Minutes of inactivity after which a session ends.
    pub session_idle_minutes: i64,
    /// Hours after which a session ends whatever happens.
    pub session_absolute_hours: i64,
    /// Database connections in the pool.
    pub db_connections: u32,
    /// Argon2id memory cost in KiB (OWASP: 19456) and iterations (OWASP: 2).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// Log as JSON lines instead of text.
    pub json_logs: bool,
    /// Days a person detached by a feed is kept before being deleted (three months by default).
    pub retention_days: i64,
    /// Documents in an S3-compatible object store rather than under `data_dir`: its bucket
    /// (empty: local disk), endpoint (empty: AWS), region, keys, and a prefix for the keys.
    pub s3_bucket: String,
    pub s3_endpoint: String,
    pub s3_region: String,
    pub s3_access_key: String,
    pub s3_secret_key: String,
    pub s3_prefix: String,
    /// ClamAV's daemon every upload is scanned by (`unix:/run/clamav/clamd.ctl` or
    /// `host:3310`); empty: no antivirus.
    pub clamd: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            database_url: String::new(),
            data_dir: PathBuf::from("./preau-data"),
            base_url: String::new(),
            smtp: String::new(),
            mail_from: "ne-pas-repondre@preau.invalid".into(),
            session_idle_minutes: 120,
            session_absolute_hours: 12,
            db_connections: 8,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            json_logs: false,
            retention_days: preau_feeds::retention::DEFAULT_RETENTION_DAYS,
            s3_bucket: String::new(),
            s3_endpoint: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key: String::new(),
            s3_secret_key: String::new(),
            s3_prefix: String::new(),
            clamd: String::new(),
        }
    }
}

impl Config {
    pub fn load(file: Option<PathBuf>) -> anyhow::Result<Config> {
        let file = file.or_else(|| std::env::var_os("PREAU_CONFIG").map(PathBuf::from));
        let mut c: Config = match file {
            Some(path) => toml::from_str(&std::fs::read_to_string(&path)?).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            None => Config::default(),
        };
        let env = |k: &str| std::env::var(format!("PREAU_{k}")).ok();
        if let Some(v) = env("LISTEN") {
            c.listen = v
        }
        if let Some(v) = env("DATABASE_URL") {
            c.database_url = v
        }
        if let Some(v) = env("DATA_DIR") {
            c.data_dir = v.into()
        }
        if let Some(v) = env("BASE_URL") {
            c.base_url = v
        }
        if let Some(v) = env("SMTP") {
            c.smtp = v
        }
        if let Some(v) = env("MAIL_FROM") {
            c.mail_from = v
        }
        if let Some(v) = env("SESSION_IDLE_MINUTES") {
            c.session_idle_minutes = v.parse()?
        }
        if let Some(v) = env("SESSION_ABSOLUTE_HOURS") {
            c.session_absolute_hours = v.parse()?
        }
        if let Some(v) = env("DB_CONNECTIONS") {
            c.db_connections = v.parse()?
        }
        if let Some(v) = env("ARGON2_MEMORY_KIB") {
            c.argon2_memory_kib = v.parse()?
        }
        if let Some(v) = env("ARGON2_ITERATIONS") {
            c.argon2_iterations = v.parse()?
        }
        if let Some(v) = env("RETENTION_DAYS") {
            c.retention_days = v.parse()?
        }
        for (k, field) in [
            ("S3_BUCKET", &mut c.s3_bucket),
            ("S3_ENDPOINT", &mut c.s3_endpoint),
            ("S3_REGION", &mut c.s3_region),
            ("S3_ACCESS_KEY", &mut c.s3_access_key),
            ("S3_SECRET_KEY", &mut c.s3_secret_key),
            ("S3_PREFIX", &mut c.s3_prefix),
            ("CLAMD", &mut c.clamd),
        ] {
            if let Some(v) = env(k) {
                *field = v
            }
        }
        if let Some(v) = env("JSON_LOGS") {
            c.json_logs = v == "1" || v == "true"
        }
        if c.database_url.is_empty() {
            c.database_url = format!("sqlite://{}", c.data_dir.join("preau.db").display());
        }
        if c.base_url.is_empty() {
            c.base_url = format!("http://{}", c.listen);
        }
        Ok(c)
    }
}
