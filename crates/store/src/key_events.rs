//! Telling every replica that an API key changed (revoked, rotated), so each drops it from its
//! authentication cache. Postgres carries it with LISTEN/NOTIFY; SQLite serves one process,
//! which evicts its own cache directly, so it has nothing to carry.

use async_trait::async_trait;
use gateway_core::ApiKeyId;
use tokio::sync::mpsc;

use crate::backend::{PgStore, SqliteStore};
use crate::error::StoreResult;

const CHANNEL: &str = "interview_gateway_api_keys";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    /// This key changed: forget it.
    Key(ApiKeyId),
    /// Notifications may have been missed (the listening connection dropped): forget all.
    Resync,
}

#[async_trait]
pub trait KeyEventStore: Send + Sync {
    async fn publish_key_change(&self, id: ApiKeyId) -> StoreResult<()>;
    /// A stream of changes other replicas publish, or `None` where there are no others.
    async fn subscribe_key_changes(&self) -> StoreResult<Option<mpsc::Receiver<KeyChange>>>;
}

#[async_trait]
impl KeyEventStore for PgStore {
    async fn publish_key_change(&self, id: ApiKeyId) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn subscribe_key_changes(&self) -> StoreResult<Option<mpsc::Receiver<KeyChange>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let change = match listener.try_recv().await {
                    Ok(Some(n)) => match n.payload().parse() {
                        Ok(id) => KeyChange::Key(id),
                        Err(_) => continue,
                    },
                    // The connection dropped; the listener reconnects on the next call, but
                    // whatever was sent meanwhile is lost.
                    Ok(None) => KeyChange::Resync,
                    Err(e) => {
                        tracing::warn!(error = %e, "key change listener failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        KeyChange::Resync
                    }
                };
                if tx.send(change).await.is_err() {
                    break;
                }
            }
        });
        Ok(Some(rx))
    }
}

#[async_trait]
impl KeyEventStore for SqliteStore {
    async fn publish_key_change(&self, _id: ApiKeyId) -> StoreResult<()> {
        Ok(())
    }

    async fn subscribe_key_changes(&self) -> StoreResult<Option<mpsc::Receiver<KeyChange>>> {
        Ok(None)
    }
}
