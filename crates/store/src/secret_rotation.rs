//! Re-sealing every secret at rest under a new master key (`interview-gateway
//! rotate-master-key`).

use async_trait::async_trait;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

/// Where a sealed value lives, so the caller can rebuild the context it was sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedRef {
    ConnectionCredentials(gateway_core::ConnectionId),
    GatewaySecret(String),
    WebhookEndpointSecret(gateway_core::WebhookEndpointId),
}

/// Re-seals a value: gets where it lives and its ciphertext, answers the new ciphertext.
pub type Rewrap<'a> = dyn Fn(&SealedRef, &[u8]) -> Result<Vec<u8>, String> + Send + Sync + 'a;

#[async_trait]
pub trait SecretRotationStore: Send + Sync {
    /// Re-seal every secret at rest (connection credentials of every workspace, deleted ones
    /// too, webhook endpoint secrets, and the gateway's own secrets) in one transaction: all or nothing. Answers how
    /// many values were re-sealed.
    async fn rewrap_all_secrets(&self, rewrap: &Rewrap<'_>) -> StoreResult<usize>;
}

for_each_backend! {
    #[async_trait]
    impl SecretRotationStore for Backend {
        async fn rewrap_all_secrets(&self, rewrap: &Rewrap<'_>) -> StoreResult<usize> {
            let mut tx = self.begin_write().await?;
            let mut n = 0;
            let rows: Vec<(uuid::Uuid, Vec<u8>)> = sqlx::query_as("SELECT id, credentials FROM connections")
                .fetch_all(&mut *tx)
                .await?;
            for (id, sealed) in rows {
                let at = SealedRef::ConnectionCredentials(gateway_core::ConnectionId::from_uuid(id));
                let fresh = rewrap(&at, &sealed).map_err(crate::StoreError::Internal)?;
                sqlx::query("UPDATE connections SET credentials = $2 WHERE id = $1")
                    .bind(id)
                    .bind(fresh)
                    .execute(&mut *tx)
                    .await?;
                n += 1;
            }
            let rows: Vec<(uuid::Uuid, Vec<u8>)> = sqlx::query_as("SELECT id, secret FROM webhook_endpoints")
                .fetch_all(&mut *tx)
                .await?;
            for (id, sealed) in rows {
                let at = SealedRef::WebhookEndpointSecret(gateway_core::WebhookEndpointId::from_uuid(id));
                let fresh = rewrap(&at, &sealed).map_err(crate::StoreError::Internal)?;
                sqlx::query("UPDATE webhook_endpoints SET secret = $2 WHERE id = $1")
                    .bind(id)
                    .bind(fresh)
                    .execute(&mut *tx)
                    .await?;
                n += 1;
            }
            let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT name, ciphertext FROM gateway_secrets")
                .fetch_all(&mut *tx)
                .await?;
            for (name, sealed) in rows {
                let fresh = rewrap(&SealedRef::GatewaySecret(name.clone()), &sealed).map_err(crate::StoreError::Internal)?;
                sqlx::query("UPDATE gateway_secrets SET ciphertext = $2 WHERE name = $1")
                    .bind(name)
                    .bind(fresh)
                    .execute(&mut *tx)
                    .await?;
                n += 1;
            }
            tx.commit().await?;
            Ok(n)
        }
    }
}
