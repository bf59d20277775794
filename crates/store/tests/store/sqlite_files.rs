//! The SQLite file and its -wal/-shm hold tenant data and sealed secrets: owner-only (0600),
//! like `master.key`, whatever the umask.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use gateway_store::{connect, PoolSettings};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("interview-gateway-tests")
        .join(format!("{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn sides(db: &Path) -> [PathBuf; 3] {
    let with = |s: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(s);
        PathBuf::from(p)
    };
    [db.to_path_buf(), with("-wal"), with("-shm")]
}

#[tokio::test]
async fn new_database_files_are_owner_only() {
    let db = fresh_dir("perm-new").join("gateway.db");
    let store = connect(
        &format!("sqlite://{}", db.display()),
        PoolSettings::default(),
    )
    .await
    .unwrap();
    // Migrating writes, so the WAL and shared-memory files exist while the store is open.
    store.migrate().await.unwrap();
    for f in sides(&db) {
        assert!(f.exists(), "{} exists", f.display());
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[tokio::test]
async fn existing_readable_files_are_tightened() {
    let db = fresh_dir("perm-old").join("gateway.db");
    for f in sides(&db) {
        std::fs::write(&f, b"").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Empty -wal/-shm are what a clean shutdown can leave; SQLite accepts them.
    let store = connect(
        &format!("sqlite://{}", db.display()),
        PoolSettings::default(),
    )
    .await
    .unwrap();
    store.migrate().await.unwrap();
    for f in sides(&db) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}
