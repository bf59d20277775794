//! The two backends and the macro that gives both one implementation body.
//!
//! Every concern module writes its queries once inside `for_each_backend!`, which compiles
//! them twice: against `PgStore` (sqlx Postgres) and `SqliteStore` (sqlx SQLite). The SQL
//! text is shared because both dialects accept `$N` parameters, `ON CONFLICT`, and
//! `RETURNING`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Connection;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");
pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

impl BackendKind {
    /// Chosen by the database URL's scheme.
    pub fn of_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else {
            Err(StoreError::Internal(
                "database.url must start with postgres://, postgresql:// or sqlite:".into(),
            ))
        }
    }
}

/// What differs between the dialects, as text the shared queries splice in.
pub(crate) trait Dialect {
    /// Row locks for work queues; SQLite has one writer, so it needs none.
    const SKIP_LOCKED: &'static str;
    /// A row lock held to the commit (SQLite's write transaction already excludes others).
    const FOR_UPDATE: &'static str;
    /// Appended to a JSON column to search its text.
    const JSON_TEXT: &'static str;
    /// `STRPOS(text, sub)`: where `sub` starts in `text`, 0 when absent.
    const STRPOS: &'static str;
    /// `haystack` (bytes) contains `needle` (bytes): an integer > 0 when it does.
    fn find_bytes(haystack: &str, needle: &str) -> String;
    /// The JSON object `old` with `new`'s keys laid over it: keys only `old` has are kept.
    fn json_overlay(old: &str, new: &str) -> String;
}

impl Dialect for PgStore {
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const JSON_TEXT: &'static str = "::text";
    const STRPOS: &'static str = "strpos";
    fn find_bytes(haystack: &str, needle: &str) -> String {
        format!("position({needle} IN {haystack})")
    }
    fn json_overlay(old: &str, new: &str) -> String {
        format!("{old} || {new}")
    }
}

impl PgStore {
    /// `AND i.metadata[key]` equals `value` as text (`->>` gives numbers and booleans as
    /// their JSON text).
    pub(crate) fn push_metadata_eq(
        qb: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>,
        key: &str,
        value: &str,
    ) {
        qb.push(" AND i.metadata ->> ")
            .push_bind(key.to_string())
            .push(" = ")
            .push_bind(value.to_string());
    }
}

impl SqliteStore {
    /// As on Postgres: json_extract gives booleans as 1/0, so they are named here.
    pub(crate) fn push_metadata_eq(
        qb: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>,
        key: &str,
        value: &str,
    ) {
        // The key is quoted in the path so `.` in it is no nesting.
        let path = format!("$.\"{}\"", key.replace('"', ""));
        qb.push(" AND (CASE json_type(i.metadata, ")
            .push_bind(path.clone())
            .push(") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(i.metadata, ")
            .push_bind(path)
            .push(") AS TEXT) END) = ")
            .push_bind(value.to_string());
    }
}

impl Dialect for SqliteStore {
    const SKIP_LOCKED: &'static str = "";
    const FOR_UPDATE: &'static str = "";
    const JSON_TEXT: &'static str = "";
    const STRPOS: &'static str = "instr";
    fn find_bytes(haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }
    fn json_overlay(old: &str, new: &str) -> String {
        format!("json_patch({old}, {new})")
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// This process's id, written on what it holds (an in-progress Idempotency-Key).
    pub(crate) instance: Uuid,
    /// A connection of its own holding a session advisory lock named by `instance` for as
    /// long as this store lives: another replica that can take that lock knows the holder
    /// is gone (killed, crashed) without waiting for a timeout.
    _liveness: Arc<std::sync::Mutex<PgConnection>>,
}

/// The advisory lock key of an instance: its id's random half (v7 ids start with time).
fn liveness_key(instance: Uuid) -> i64 {
    let b = instance.as_bytes();
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&b[8..]);
    i64::from_be_bytes(tail)
}

impl PgStore {
    pub async fn connect(url: &str, settings: PoolSettings) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Internal(format!("invalid Postgres URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options.clone())
            .await?;
        let instance = Uuid::now_v7();
        let mut liveness = PgConnection::connect_with(&options).await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(liveness_key(instance))
            .execute(&mut liveness)
            .await?;
        Ok(Self {
            pool,
            instance,
            _liveness: Arc::new(std::sync::Mutex::new(liveness)),
        })
    }

    /// Whether the process that wrote `holder` still runs. An unknown holder (a row from
    /// before holders were written) counts as alive: only its timeout frees it.
    pub(crate) async fn holder_alive(&self, holder: Option<Uuid>) -> StoreResult<bool> {
        let Some(h) = holder else { return Ok(true) };
        if h == self.instance {
            return Ok(true);
        }
        // Taken for the transaction only, so a dead holder's lock is not kept either.
        let mut tx = self.pool.begin().await?;
        let (free,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
            .bind(liveness_key(h))
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(!free)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where statements that write run. Postgres takes concurrent writers, so it is the
    /// one pool.
    pub(crate) fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// A transaction that will write.
    pub(crate) async fn begin_write(
        &self,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// The database holds tenant data and sealed secrets: like `master.key`, it is for the
/// gateway's user alone (0600). With `create`, a missing file is made that way before
/// SQLite opens it; an existing one is tightened. In-memory databases have no file.
fn owner_only(path: &Path, create: bool) -> StoreResult<()> {
    let name = path.as_os_str();
    if name.is_empty() || name == ":memory:" {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let fail = |e: std::io::Error| {
            StoreError::Internal(format!("cannot make {} owner-only: {e}", path.display()))
        };
        if create && !path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(fail)?;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .map_err(fail)?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(e)),
        }
    }
    #[cfg(not(unix))]
    let _ = create;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Readers: WAL lets any number of them run beside the one writer.
    pub(crate) pool: SqlitePool,
    /// The one connection that writes. SQLite admits one writer at a time; writers on
    /// several connections would meet its busy handler, which sleeps 1, 2, 5, 10… ms
    /// between tries (a create took 27 ms at p50 under 500 rps). Queued on this pool
    /// instead, each writer starts the moment the previous one commits.
    pub(crate) write_pool: SqlitePool,
    /// This process start's id. One node owns a SQLite file, so anything held by another
    /// id was held by an earlier process start, which is gone.
    pub(crate) instance: Uuid,
    /// Signalled when a commit touched the webhook queue (see `delivery_signal`).
    pub(crate) queued: Arc<tokio::sync::Notify>,
}

impl SqliteStore {
    pub async fn connect(url: &str, settings: PoolSettings) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Internal(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            // WAL lets readers proceed while one writer commits; NORMAL sync is durable
            // across process crashes, which is what a single-node default needs.
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Deleted and overwritten content is zeroed in the file rather than left in free
            // pages, so erased personal data cannot be read back from the .db file.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Internal(format!(
                        "cannot create the SQLite directory {}: {e}",
                        dir.display()
                    ))
                })?;
            }
        }
        let file = Path::new(options.get_filename()).to_path_buf();
        owner_only(&file, true)?;
        // The writer connects first: it creates the file and switches it to WAL.
        let queued = Arc::new(tokio::sync::Notify::new());
        let hooked = queued.clone();
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout)
            .after_connect(move |conn, _| {
                let queued = hooked.clone();
                Box::pin(
                    async move { crate::delivery_signal::install_sqlite_hooks(conn, queued).await },
                )
            })
            .connect_with(options.clone())
            .await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        // SQLite gives -wal and -shm the database file's mode; files an older version left
        // readable by others are tightened too.
        for suffix in ["-wal", "-shm"] {
            let mut side = file.clone().into_os_string();
            side.push(suffix);
            owner_only(Path::new(&side), false)?;
        }
        Ok(Self {
            pool,
            write_pool,
            instance: Uuid::now_v7(),
            queued,
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// See `PgStore::holder_alive`: here only this process start is alive.
    pub(crate) async fn holder_alive(&self, holder: Option<Uuid>) -> StoreResult<bool> {
        Ok(holder.is_none_or(|h| h == self.instance))
    }

    /// Where statements that write run: the single writer connection.
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.write_pool
    }

    /// A transaction that will write. SQLite cannot upgrade a read transaction to a write
    /// one while another writer holds the lock (it fails at once with "database is locked",
    /// ignoring the busy timeout), so writers take the write lock up front. Within this
    /// process they queue for the writer connection; the busy timeout is only for other
    /// processes on the same file (a CLI command beside a running server).
    pub(crate) async fn begin_write(
        &self,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.write_pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Compile the enclosed items once per backend. Inside, `Backend` is the store type and
/// `Db` its sqlx database.
macro_rules! for_each_backend {
    ($($body:tt)*) => {
        mod postgres_impl {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::backend::Dialect as _;
            #[allow(unused)]
            type Backend = $crate::backend::PgStore;
            #[allow(unused)]
            type Db = sqlx::Postgres;
            $($body)*
        }
        mod sqlite_impl {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::backend::Dialect as _;
            #[allow(unused)]
            type Backend = $crate::backend::SqliteStore;
            #[allow(unused)]
            type Db = sqlx::Sqlite;
            $($body)*
        }
    };
}
pub(crate) use for_each_backend;
