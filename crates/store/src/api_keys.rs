use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ApiKey, ApiKeyId, RateLimit, Scope, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::page::{push_keyset, Page, PageRequest};

/// A presented key's stored secret, with the key it belongs to: what authentication needs.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCredential {
    pub key: ApiKey,
    pub secret_hash: Vec<u8>,
    /// Set on a secret that was rotated away: it works until then.
    pub secret_expires_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Store a new key with its first secret, atomically.
    async fn insert_api_key(
        &self,
        key: &ApiKey,
        lookup: &str,
        secret_hash: &[u8],
    ) -> StoreResult<()>;
    /// Authentication: find the secret by the public part of a presented key. Not scoped by
    /// workspace: the key is what tells us the workspace.
    async fn find_key_credential(&self, lookup: &str) -> StoreResult<Option<KeyCredential>>;
    /// The workspace a key belongs to (admins act across workspaces).
    async fn api_key_workspace(&self, id: ApiKeyId) -> StoreResult<Option<WorkspaceId>>;
    async fn get_api_key(&self, ws: WorkspaceId, id: ApiKeyId) -> StoreResult<Option<ApiKey>>;
    async fn list_api_keys(&self, ws: WorkspaceId, page: PageRequest) -> StoreResult<Page<ApiKey>>;
    /// Revoke a key; revoking twice keeps the first time. `None` when there is no such key.
    async fn revoke_api_key(
        &self,
        ws: WorkspaceId,
        id: ApiKeyId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ApiKey>>;
    /// Give a key a new secret; its current secrets stop working at `old_until`.
    async fn rotate_api_key(
        &self,
        ws: WorkspaceId,
        id: ApiKeyId,
        lookup: &str,
        secret_hash: &[u8],
        prefix: &str,
        old_until: DateTime<Utc>,
    ) -> StoreResult<Option<ApiKey>>;
    /// The public lookups of a key's secrets (to evict them from caches).
    async fn api_key_lookups(&self, id: ApiKeyId) -> StoreResult<Vec<String>>;
    /// Record when keys were last used, many at once.
    async fn record_key_usage(&self, usage: &[(ApiKeyId, DateTime<Utc>)]) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
struct ApiKeyRow {
    id: Uuid,
    workspace_id: Uuid,
    name: String,
    prefix: String,
    scopes: Json<Vec<Scope>>,
    rate_limit: Option<Json<RateLimit>>,
    expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: ApiKeyId::from_uuid(r.id),
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            name: r.name,
            prefix: r.prefix,
            scopes: r.scopes.0,
            rate_limit: r.rate_limit.map(|j| j.0),
            expires_at: r.expires_at,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CredentialRow {
    #[sqlx(flatten)]
    key: ApiKeyRow,
    secret_hash: Vec<u8>,
    secret_expires_at: Option<DateTime<Utc>>,
}

const KEY_COLUMNS: &str = "k.id, k.workspace_id, k.name, k.prefix, k.scopes, k.rate_limit, \
     k.expires_at, k.created_at, k.last_used_at, k.revoked_at";

for_each_backend! {
    #[async_trait]
    impl ApiKeyStore for Backend {
        async fn insert_api_key(&self, key: &ApiKey, lookup: &str, secret_hash: &[u8]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO api_keys (id, workspace_id, name, prefix, scopes, rate_limit,
                     expires_at, created_at, last_used_at, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(key.id.as_uuid())
            .bind(key.workspace_id.as_uuid())
            .bind(&key.name)
            .bind(&key.prefix)
            .bind(Json(&key.scopes))
            .bind(key.rate_limit.map(Json))
            .bind(key.expires_at)
            .bind(key.created_at)
            .bind(key.last_used_at)
            .bind(key.revoked_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO api_key_secrets (lookup, api_key_id, secret_hash, expires_at, created_at)
                 VALUES ($1, $2, $3, NULL, $4)",
            )
            .bind(lookup)
            .bind(key.id.as_uuid())
            .bind(secret_hash)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn find_key_credential(&self, lookup: &str) -> StoreResult<Option<KeyCredential>> {
            let sql = format!(
                "SELECT {KEY_COLUMNS}, s.secret_hash, s.expires_at AS secret_expires_at
                 FROM api_key_secrets s JOIN api_keys k ON k.id = s.api_key_id
                 WHERE s.lookup = $1"
            );
            let row: Option<CredentialRow> = sqlx::query_as(&sql)
                .bind(lookup)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|r| KeyCredential {
                key: r.key.into(),
                secret_hash: r.secret_hash,
                secret_expires_at: r.secret_expires_at,
            }))
        }

        async fn api_key_workspace(&self, id: ApiKeyId) -> StoreResult<Option<WorkspaceId>> {
            let row: Option<(Uuid,)> = sqlx::query_as("SELECT workspace_id FROM api_keys WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(w,)| WorkspaceId::from_uuid(w)))
        }

        async fn get_api_key(&self, ws: WorkspaceId, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
            let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.workspace_id = $1 AND k.id = $2");
            let row: Option<ApiKeyRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(Into::into))
        }

        async fn list_api_keys(&self, ws: WorkspaceId, page: PageRequest) -> StoreResult<Page<ApiKey>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {KEY_COLUMNS} FROM api_keys k WHERE k.workspace_id = "
            ));
            qb.push_bind(ws.as_uuid());
            push_keyset(&mut qb, "k.id", page);
            let rows: Vec<ApiKeyRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(Into::into))
        }

        async fn revoke_api_key(
            &self,
            ws: WorkspaceId,
            id: ApiKeyId,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<ApiKey>> {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $3
                 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(at)
            .execute(self.writer())
            .await?;
            self.get_api_key(ws, id).await
        }

        async fn rotate_api_key(
            &self,
            ws: WorkspaceId,
            id: ApiKeyId,
            lookup: &str,
            secret_hash: &[u8],
            prefix: &str,
            old_until: DateTime<Utc>,
        ) -> StoreResult<Option<ApiKey>> {
            let mut tx = self.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE api_keys SET prefix = $3
                 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(prefix)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            // Shorten, never extend: a secret already expiring sooner keeps its date.
            sqlx::query(
                "UPDATE api_key_secrets SET expires_at = $2
                 WHERE api_key_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
            )
            .bind(id.as_uuid())
            .bind(old_until)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO api_key_secrets (lookup, api_key_id, secret_hash, expires_at, created_at)
                 VALUES ($1, $2, $3, NULL, $4)",
            )
            .bind(lookup)
            .bind(id.as_uuid())
            .bind(secret_hash)
            .bind(gateway_core::time::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.get_api_key(ws, id).await
        }

        async fn api_key_lookups(&self, id: ApiKeyId) -> StoreResult<Vec<String>> {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT lookup FROM api_key_secrets WHERE api_key_id = $1")
                .bind(id.as_uuid())
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().map(|(l,)| l).collect())
        }

        async fn record_key_usage(&self, usage: &[(ApiKeyId, DateTime<Utc>)]) -> StoreResult<()> {
            if usage.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for (id, at) in usage {
                sqlx::query(
                    "UPDATE api_keys SET last_used_at = $2
                     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
                )
                .bind(id.as_uuid())
                .bind(*at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }
    }
}
