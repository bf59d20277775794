//! Server-wide secrets the gateway generates for itself, stored encrypted under the master
//! key (the store only ever sees ciphertext).

use async_trait::async_trait;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[async_trait]
pub trait GatewaySecretStore: Send + Sync {
    /// The stored ciphertext for `name`; stores `candidate` first when there is none. Safe
    /// when several replicas start at once: all end up with the first one written.
    async fn get_or_insert_gateway_secret(
        &self,
        name: &str,
        candidate: &[u8],
    ) -> StoreResult<Vec<u8>>;
    async fn list_gateway_secrets(&self) -> StoreResult<Vec<(String, Vec<u8>)>>;
    async fn update_gateway_secret(&self, name: &str, ciphertext: &[u8]) -> StoreResult<()>;
}

for_each_backend! {
    #[async_trait]
    impl GatewaySecretStore for Backend {
        async fn get_or_insert_gateway_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
            sqlx::query(
                "INSERT INTO gateway_secrets (name, ciphertext, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(candidate)
            .bind(gateway_core::time::now())
            .execute(self.writer())
            .await?;
            let (ciphertext,): (Vec<u8>,) =
                sqlx::query_as("SELECT ciphertext FROM gateway_secrets WHERE name = $1")
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?;
            Ok(ciphertext)
        }

        async fn list_gateway_secrets(&self) -> StoreResult<Vec<(String, Vec<u8>)>> {
            Ok(sqlx::query_as("SELECT name, ciphertext FROM gateway_secrets ORDER BY name")
                .fetch_all(&self.pool)
                .await?)
        }

        async fn update_gateway_secret(&self, name: &str, ciphertext: &[u8]) -> StoreResult<()> {
            sqlx::query("UPDATE gateway_secrets SET ciphertext = $2 WHERE name = $1")
                .bind(name)
                .bind(ciphertext)
                .execute(self.writer())
                .await?;
            Ok(())
        }
    }
}
