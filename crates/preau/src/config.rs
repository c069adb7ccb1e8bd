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
    /// Documents: personal quotas in MiB per profile code, `*` for the others
    /// (`ELV=500,TUT=100,GUEST=100,*=2048`); what a school's shared spaces hold together (GiB);
    /// previous versions kept per file; days in the trash; the largest file (MiB); the profiles
    /// that may not make public links (`ELV`).
    pub documents_quotas: String,
    pub documents_school_quota_gib: i64,
    pub documents_versions: usize,
    pub documents_trash_days: i64,
    pub documents_max_file_mib: i64,
    pub documents_no_public_links: String,
    /// ClamAV's daemon every upload is scanned by (`unix:/run/clamav/clamd.ctl` or
    /// `host:3310`); empty: no antivirus.
    pub clamd: String,
    /// The networks outside the public Internet that timetables published at an address may be
    /// fetched from (the school's own timetabling server), as `10.0.0.0/8,192.168.1.20`;
    /// empty: public addresses only.
    pub fetch_allowed_networks: String,
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
            fetch_allowed_networks: String::new(),
            documents_quotas: "ELV=500,TUT=100,GUEST=100,*=2048".into(),
            documents_school_quota_gib: 100,
            documents_versions: 10,
            documents_trash_days: 30,
            documents_max_file_mib: 4096,
            documents_no_public_links: "ELV".into(),
        }
    }
}

impl Config {
    /// The documents policy these settings describe.
    pub fn documents_policy(&self) -> anyhow::Result<preau_documents::Policy> {
        const MIB: i64 = 1024 * 1024;
        let mut p = preau_documents::Policy { personal_quota: vec![], ..Default::default() };
        for part in self.documents_quotas.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (profile, mib) = part.split_once('=').ok_or_else(|| anyhow::anyhow!("documents_quotas: `{part}` is not PROFILE=MiB"))?;
            let bytes = mib.trim().parse::<i64>()? * MIB;
            match profile.trim() {
                "*" => p.default_personal_quota = bytes,
                code => p.personal_quota.push((code.parse().map_err(|_| anyhow::anyhow!("documents_quotas: unknown profile `{code}`"))?, bytes)),
            }
        }
        p.structure_quota = self.documents_school_quota_gib * 1024 * MIB;
        p.versions_kept = self.documents_versions;
        p.trash_days = self.documents_trash_days;
        p.max_file_bytes = self.documents_max_file_mib * MIB;
        p.no_public_links = self
            .documents_no_public_links
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|code| code.parse().map_err(|_| anyhow::anyhow!("documents_no_public_links: unknown profile `{code}`")))
            .collect::<anyhow::Result<_>>()?;
        Ok(p)
    }

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
            ("FETCH_ALLOWED_NETWORKS", &mut c.fetch_allowed_networks),
            ("DOCUMENTS_QUOTAS", &mut c.documents_quotas),
            ("DOCUMENTS_NO_PUBLIC_LINKS", &mut c.documents_no_public_links),
        ] {
            if let Some(v) = env(k) {
                *field = v
            }
        }
        if let Some(v) = env("DOCUMENTS_SCHOOL_QUOTA_GIB") {
            c.documents_school_quota_gib = v.parse()?
        }
        if let Some(v) = env("DOCUMENTS_VERSIONS") {
            c.documents_versions = v.parse()?
        }
        if let Some(v) = env("DOCUMENTS_TRASH_DAYS") {
            c.documents_trash_days = v.parse()?
        }
        if let Some(v) = env("DOCUMENTS_MAX_FILE_MIB") {
            c.documents_max_file_mib = v.parse()?
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

#[cfg(test)]
mod tests {
    use super::*;
    use preau_core::Profile;

    #[test]
    fn the_default_documents_settings_are_the_default_policy_and_others_are_read() {
        let p = Config::default().documents_policy().expect("defaults");
        let d = preau_documents::Policy::default();
        assert_eq!(
            (p.quota_of([Profile::Pupil]), p.quota_of([Profile::Teacher]), p.quota_of([Profile::Parent])),
            (d.quota_of([Profile::Pupil]), d.quota_of([Profile::Teacher]), d.quota_of([Profile::Parent]))
        );
        assert_eq!((p.structure_quota, p.versions_kept, p.trash_days, p.max_file_bytes), (d.structure_quota, d.versions_kept, d.trash_days, d.max_file_bytes));
        assert_eq!(p.no_public_links, vec![Profile::Pupil]);
        let c = Config { documents_quotas: "ELV=50, *=1000".into(), documents_no_public_links: "ELV,TUT".into(), documents_trash_days: 7, ..Config::default() };
        let p = c.documents_policy().expect("custom");
        assert_eq!(p.quota_of([Profile::Pupil]), 50 * 1024 * 1024);
        assert_eq!(p.quota_of([Profile::Parent]), 1000 * 1024 * 1024);
        assert_eq!((p.trash_days, p.no_public_links.len()), (7, 2));
        assert!(Config { documents_quotas: "ELV:50".into(), ..Config::default() }.documents_policy().is_err());
        assert!(Config { documents_no_public_links: "NOPE".into(), ..Config::default() }.documents_policy().is_err());
    }
}
