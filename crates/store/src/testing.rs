//! Fresh, isolated databases for tests: each call gets its own Postgres schema or SQLite
//! file, so tests run in parallel without seeing each other's rows.

use std::sync::Arc;

use rand::Rng;

use crate::{connect, PoolSettings, Store, StoreResult};

/// Where the Postgres tests run: `TEST_DATABASE_URL`, else the local `test` database.
pub fn postgres_base_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A migrated database and the URL that reaches it (for spawning gateway processes).
pub struct TestDatabase {
    pub url: String,
    pub store: Arc<dyn Store>,
}

fn unique_suffix() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

/// A new schema in the test database; the URL's `search_path` points at it.
pub async fn postgres() -> StoreResult<TestDatabase> {
    let base = postgres_base_url();
    let schema = format!("t_{}", unique_suffix());
    let pg = crate::PgStore::connect(
        &base,
        PoolSettings {
            max_connections: 1,
            ..Default::default()
        },
    )
    .await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(pg.pool())
        .await?;
    pg.pool().close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = connect(
        &url,
        PoolSettings {
            max_connections: 5,
            ..Default::default()
        },
    )
    .await?;
    store.migrate().await?;
    Ok(TestDatabase { url, store })
}

/// A new SQLite file in the system temp directory.
pub async fn sqlite() -> StoreResult<TestDatabase> {
    let path = std::env::temp_dir()
        .join("interview-gateway-tests")
        .join(format!("{}.db", unique_suffix()));
    let url = format!("sqlite://{}", path.display());
    let store = connect(
        &url,
        PoolSettings {
            max_connections: 5,
            ..Default::default()
        },
    )
    .await?;
    store.migrate().await?;
    Ok(TestDatabase { url, store })
}

/// Every byte a test database holds — the SQLite file and its WAL, or a `pg_dump` of the
/// test's schema — for tests that prove erased data is gone from disk, not only from queries.
pub fn database_bytes(url: &str) -> std::io::Result<Vec<u8>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        let mut bytes = std::fs::read(path)?;
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            bytes.extend(wal);
        }
        return Ok(bytes);
    }
    let schema = url.rsplit("search_path%3D").next().unwrap_or_default();
    let base = postgres_base_url();
    let dbname = base
        .rsplit('/')
        .next()
        .and_then(|d| d.split('?').next())
        .unwrap_or_default()
        .to_string();
    let out = std::process::Command::new("pg_dump")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-n", schema, &dbname])
        .output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(out.stdout)
}
