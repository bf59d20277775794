//! "A webhook delivery is ready": wakes the senders the moment a message is queued instead
//! of on their next tick. The delivery is still leased through the table, so a wake-up is
//! only a hint — a missed one costs a tick, a spurious one an empty lease query.
//!
//! Postgres: a trigger on `webhook_deliveries` (migration 20261202000020) notifies every
//! replica, this one included. SQLite: one process owns the file, so the writer
//! connection's commit hook signals this process when a committed transaction touched the
//! queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, Notify};

use crate::backend::{PgStore, SqliteStore};
use crate::error::StoreResult;

const CHANNEL: &str = "interview_gateway_deliveries";

#[async_trait]
pub trait DeliverySignalStore: Send + Sync {
    /// One message per wake-up (several queued at once may fold into one).
    async fn deliveries_queued(&self) -> StoreResult<mpsc::Receiver<()>>;
}

#[async_trait]
impl DeliverySignalStore for PgStore {
    async fn deliveries_queued(&self) -> StoreResult<mpsc::Receiver<()>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    // A dropped connection (`None`) may have lost notices: look anyway.
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "delivery listener failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
                match tx.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                    Err(mpsc::error::TrySendError::Closed(())) => break,
                }
            }
        });
        Ok(rx)
    }
}

#[async_trait]
impl DeliverySignalStore for SqliteStore {
    async fn deliveries_queued(&self) -> StoreResult<mpsc::Receiver<()>> {
        let (tx, rx) = mpsc::channel(1);
        let queued = self.queued.clone();
        tokio::spawn(async move {
            loop {
                queued.notified().await;
                match tx.try_send(()) {
                    Ok(()) | Err(mpsc::error::TrySendError::Full(())) => {}
                    Err(mpsc::error::TrySendError::Closed(())) => break,
                }
            }
        });
        Ok(rx)
    }
}

/// Hooks on the SQLite writer connection: a write to `webhook_deliveries` marks the
/// transaction, its commit signals `queued`, a rollback forgets it. The signal is read by a
/// sender whose lease needs this same (single) writer connection, so it runs after the
/// commit has finished.
pub(crate) async fn install_sqlite_hooks(
    conn: &mut sqlx::SqliteConnection,
    queued: Arc<Notify>,
) -> Result<(), sqlx::Error> {
    let touched = Arc::new(AtomicBool::new(false));
    let mut handle = conn.lock_handle().await?;
    let mark = touched.clone();
    handle.set_update_hook(move |change| {
        if change.table == "webhook_deliveries" {
            mark.store(true, Ordering::Relaxed);
        }
    });
    let commit = touched.clone();
    handle.set_commit_hook(move || {
        if commit.swap(false, Ordering::Relaxed) {
            queued.notify_one();
        }
        true
    });
    handle.set_rollback_hook(move || touched.store(false, Ordering::Relaxed));
    Ok(())
}
