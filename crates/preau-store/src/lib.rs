//! Storage of Préau on SQLite (embedded default) or PostgreSQL (production), through one code
//! path: sqlx's `Any` driver with portable SQL (`$1` placeholders, `ON CONFLICT`, BIGINT times,
//! text UUIDs). The same migrations and the same queries serve both; the conformance tests run on
//! SQLite in every `cargo test` and on PostgreSQL in CI.

mod attachments;
mod cahier;
mod communication;
mod directory;
mod documents;
mod duplicates;
mod federation;
mod feed_batch;
mod feeds;
mod identity;
mod import_sources;
mod messages;
mod mfa;
mod migrate;
mod moderation;
mod news;
mod notifications;
mod rows;
mod scim;
mod sso;
mod structure_settings;
mod timetable;

use preau_core::{Error, Result};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A `FROM` item over the elements of a JSON array bound at `$n`, as rows named `j` with a
    /// column `value`: lists of thousands of rows travel as one parameter (sqlx's cost per
    /// statement grows faster than its number of parameters).
    pub(crate) fn json_rows(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("json_each(${n}) AS j"),
            Dialect::Postgres => format!("jsonb_array_elements(${n}::jsonb) AS j(value)"),
        }
    }

    /// An aggregate of `expr` over the rows of a group, as the text of a JSON array: one row
    /// to read instead of many (reading rows costs more than the query).
    pub(crate) fn json_agg(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_group_array({expr})"),
            Dialect::Postgres => format!("json_agg({expr})::text"),
        }
    }

    /// A subquery of the strings of a JSON array bound at `$n`, for `IN (…)`.
    pub(crate) fn json_strings(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT value FROM json_each(${n})"),
            Dialect::Postgres => format!("SELECT jsonb_array_elements_text(${n}::jsonb)"),
        }
    }

    /// Element `i` of a JSON array row `j.value`, as text or (with `int`) as a number.
    pub(crate) fn json_at(self, i: usize, int: bool) -> String {
        match (self, int) {
            (Dialect::Sqlite, _) => format!("j.value ->> {i}"),
            (Dialect::Postgres, false) => format!("j.value ->> {i}"),
            (Dialect::Postgres, true) => format!("(j.value ->> {i})::bigint"),
        }
    }
}

pub struct Store {
    pub(crate) pool: AnyPool,
    pub dialect: Dialect,
    generation: std::sync::Arc<AtomicU64>,
    /// On SQLite, the hot write paths' one connection: SQLite takes one writer at a time (busy
    /// writers of a shared file sleep and retry), and a connection's page cache is dropped
    /// whenever another connection wrote; with one writer they queue here instead, and its cache
    /// stays warm. On PostgreSQL, the pool itself.
    writer: AnyPool,
    /// Sends waiting for or holding the writer: on SQLite the outbox's batches let them go first.
    senders: std::sync::Arc<AtomicU64>,
    no_sender: std::sync::Arc<tokio::sync::Notify>,
}

/// A send's turn at the writer: counted while it lasts.
pub(crate) struct SenderTurn {
    senders: std::sync::Arc<AtomicU64>,
    no_sender: std::sync::Arc<tokio::sync::Notify>,
}

impl Drop for SenderTurn {
    fn drop(&mut self) {
        if self.senders.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.no_sender.notify_waiters();
        }
    }
}

pub(crate) fn db_err(e: sqlx::Error) -> Error {
    match &e {
        sqlx::Error::RowNotFound => Error::NotFound,
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict("duplicate"),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => Error::NotFound,
        _ => Error::Internal(e.to_string()),
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://…`), creating the SQLite file
    /// and its folder if needed. Does not migrate. On SQLite, the hot write paths share the pool
    /// (what a one-off command such as an import needs); see [`Self::connect_with_writer`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
        Self::open(url, max_connections, false).await
    }

    /// [`Self::connect`] for a server: on SQLite, the hot write paths (sending, the outbox, the
    /// *cahier de textes*) get one connection of their own with a 64 MiB page cache.
    pub async fn connect_with_writer(url: &str, max_connections: u32) -> Result<Store> {
        Self::open(url, max_connections, true).await
    }

    async fn open(url: &str, max_connections: u32, with_writer: bool) -> Result<Store> {
        install_default_drivers();
        let dialect = if url.starts_with("postgres") { Dialect::Postgres } else { Dialect::Sqlite };
        let url = match dialect {
            Dialect::Sqlite => prepare_sqlite_url(url)?,
            Dialect::Postgres => url.to_owned(),
        };
        let max_connections = max_connections.max(1);
        let pool = pool_options(dialect, max_connections, POOL_CACHE_KIB).connect(&url).await.map_err(db_err)?;
        let with_writer = with_writer && dialect == Dialect::Sqlite && !url.contains(":memory:");
        let writer = if with_writer { pool_options(dialect, 1, WRITER_CACHE_KIB).connect(&url).await.map_err(db_err)? } else { pool.clone() };
        if dialect == Dialect::Sqlite {
            // All the connections of a process share one page-cache budget (the bundled SQLite
            // manages its memory): without a limit, one long transaction (a feed's import) kept
            // pages far beyond its connection's cache, growing with the feed. SQLite's memory is
            // held to what the caches were given, plus room for prepared statements and
            // schemas; past it, SQLite reuses pages instead of allocating more.
            let caches_kib = u64::from(max_connections) * u64::from(POOL_CACHE_KIB) + if with_writer { u64::from(WRITER_CACHE_KIB) } else { 0 };
            let limit = format!("PRAGMA soft_heap_limit = {}", (caches_kib + STATEMENTS_KIB) * 1024);
            sqlx::query(sqlx::AssertSqlSafe(limit)).execute(&pool).await.map_err(db_err)?;
        }
        Ok(Store { pool, dialect, generation: std::sync::Arc::new(AtomicU64::new(1)), writer, senders: Default::default(), no_sender: Default::default() })
    }

    /// Applies the migrations not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        migrate::run(&self.pool, self.dialect, i64::MAX).await
    }

    /// Applies the migrations up to and including `version`: a database as an older release
    /// left it (the upgrade tests start from one).
    pub async fn migrate_to(&self, version: i64) -> Result<usize> {
        migrate::run(&self.pool, self.dialect, version).await
    }

    /// Whether the database answers (the readiness probe).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// On SQLite, copies the write-ahead log into the database every half second, in the
    /// background, instead of in the commit of whichever request crosses the log's threshold
    /// (a server does; a one-off command does not need to).
    pub fn spawn_checkpoints(&self) {
        if self.dialect != Dialect::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !pool.is_closed() {
                tick.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::warn!(error = %e, "checkpointing the database failed");
                }
            }
        });
    }

    /// Begins a transaction of the hot write paths: on SQLite, on the writer connection, in
    /// turn with the other writers.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        self.writer.begin().await.map_err(db_err)
    }

    /// [`Self::begin_write`] for a sender, who waits for the answer: counted until the turn is
    /// dropped, so that background batches wait for them ([`Self::begin_background_write`]).
    pub(crate) async fn begin_send(&self) -> Result<(SenderTurn, sqlx::Transaction<'static, sqlx::Any>)> {
        self.senders.fetch_add(1, Ordering::SeqCst);
        let turn = SenderTurn { senders: self.senders.clone(), no_sender: self.no_sender.clone() };
        Ok((turn, self.begin_write().await?))
    }

    /// [`Self::begin_write`] for work nobody waits on (the outbox): on SQLite, only when no
    /// sender is waiting for the writer or holding it.
    pub(crate) async fn begin_background_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        if self.dialect == Dialect::Sqlite {
            loop {
                let idle = self.no_sender.notified();
                tokio::pin!(idle);
                idle.as_mut().enable();
                if self.senders.load(Ordering::SeqCst) == 0 {
                    break;
                }
                idle.await;
            }
        }
        self.begin_write().await
    }

    /// Commits a transaction that changed the directory, so that caches see the change.
    pub(crate) async fn commit_directory(&self, tx: sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
        tx.commit().await.map_err(db_err)?;
        self.bump();
        Ok(())
    }

    pub(crate) fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn current_generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Creates a database on a PostgreSQL server (used by the test harness for one database per
    /// test). The name must be made of lower-case letters, digits and underscores.
    pub async fn create_database(&self, name: &str) -> Result<()> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(Error::invalid("name", "database.name"));
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&self.pool).await.map_err(db_err)?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// The page cache of each pool connection, KiB (SQLite's default).
const POOL_CACHE_KIB: u32 = 2_000;
/// The page cache of the hot write paths' connection, KiB.
const WRITER_CACHE_KIB: u32 = 64_000;
/// SQLite's memory beyond the page caches: prepared statements (a feed's multi-row inserts
/// take several MiB), schemas.
const STATEMENTS_KIB: u64 = 16_384;

/// A pool's options; on SQLite, every connection in WAL mode with the given page cache (KiB).
fn pool_options(dialect: Dialect, max_connections: u32, cache_kib: u32) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10));
    if dialect == Dialect::Postgres {
        return options;
    }
    options.after_connect(move |conn, _| {
        Box::pin(async move {
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.execute("PRAGMA synchronous = NORMAL").await?;
            conn.execute("PRAGMA busy_timeout = 10000").await?;
            // Checkpoints are the background task's (see `spawn_checkpoints`); a connection
            // checkpoints itself only past 10,000 pages of log (a command without it).
            conn.execute("PRAGMA wal_autocheckpoint = 10000").await?;
            conn.execute("PRAGMA foreign_keys = ON").await?;
            conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{cache_kib}"))).await?;
            Ok(())
        })
    })
}

fn prepare_sqlite_url(url: &str) -> Result<String> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path != ":memory:"
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(Error::internal)?;
    }
    Ok(if url.contains('?') { url.to_owned() } else { format!("sqlite://{path}?mode=rwc") })
}
