//! Vendor webhooks as received: stored (de-duplicated) before the vendor hears 2xx, then
//! processed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ConnectionId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub id: Uuid,
    pub connection_id: ConnectionId,
    pub workspace_id: WorkspaceId,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStatus {
    Processed,
    /// Verified but about nothing this gateway tracks.
    Ignored,
    Failed,
}

impl ReceiptStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Ignored => "ignored",
            Self::Failed => "failed",
        }
    }
}

#[async_trait]
pub trait InboundStore: Send + Sync {
    /// Store a payload; `None` when one with the same key was already received (a vendor
    /// retry), which must not be processed again.
    async fn insert_receipt(
        &self,
        connection: ConnectionId,
        ws: WorkspaceId,
        dedupe_key: &str,
        payload: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>>;
    /// Receipts still pending that arrived before `older_than` (left by a crash).
    async fn pending_receipts(
        &self,
        older_than: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Receipt>>;
    async fn get_receipt(&self, id: Uuid) -> StoreResult<Option<Receipt>>;
    /// When the connection's latest verified webhook arrived (`None`: never). While a
    /// vendor's webhooks keep arriving, the poller only reconciles.
    async fn latest_receipt_at(
        &self,
        ws: WorkspaceId,
        connection: ConnectionId,
    ) -> StoreResult<Option<DateTime<Utc>>>;
    async fn finish_receipt(
        &self,
        id: Uuid,
        status: ReceiptStatus,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    connection_id: Uuid,
    workspace_id: Uuid,
    payload: Json<serde_json::Value>,
}

impl From<Row> for Receipt {
    fn from(r: Row) -> Self {
        Receipt {
            id: r.id,
            connection_id: ConnectionId::from_uuid(r.connection_id),
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            payload: r.payload.0,
        }
    }
}

for_each_backend! {
    #[async_trait]
    impl InboundStore for Backend {
        async fn insert_receipt(
            &self,
            connection: ConnectionId,
            ws: WorkspaceId,
            dedupe_key: &str,
            payload: &serde_json::Value,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<Uuid>> {
            let id = Uuid::now_v7();
            let done = sqlx::query(
                "INSERT INTO inbound_receipts (id, connection_id, workspace_id, dedupe_key, payload, status, received_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6)
                 ON CONFLICT (connection_id, dedupe_key) DO NOTHING",
            )
            .bind(id)
            .bind(connection.as_uuid())
            .bind(ws.as_uuid())
            .bind(dedupe_key)
            .bind(Json(payload))
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok((done.rows_affected() == 1).then_some(id))
        }

        async fn pending_receipts(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Receipt>> {
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT id, connection_id, workspace_id, payload FROM inbound_receipts
                 WHERE status = 'pending' AND received_at < $1 ORDER BY received_at LIMIT $2",
            )
            .bind(older_than)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        async fn latest_receipt_at(
            &self,
            ws: WorkspaceId,
            connection: ConnectionId,
        ) -> StoreResult<Option<DateTime<Utc>>> {
            // ORDER BY … LIMIT 1, not MAX(): the column keeps its type on both backends,
            // and the (connection_id, received_at) index answers it.
            let latest: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT received_at FROM inbound_receipts
                 WHERE workspace_id = $1 AND connection_id = $2
                 ORDER BY received_at DESC LIMIT 1",
            )
            .bind(ws.as_uuid())
            .bind(connection.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
            Ok(latest.map(|(at,)| at))
        }

        async fn get_receipt(&self, id: Uuid) -> StoreResult<Option<Receipt>> {
            let row: Option<Row> = sqlx::query_as("SELECT id, connection_id, workspace_id, payload FROM inbound_receipts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(Into::into))
        }

        async fn finish_receipt(&self, id: Uuid, status: ReceiptStatus, detail: Option<&str>, at: DateTime<Utc>) -> StoreResult<()> {
            sqlx::query("UPDATE inbound_receipts SET status = $2, detail = $3, processed_at = $4 WHERE id = $1")
                .bind(id)
                .bind(status.as_str())
                .bind(detail)
                .bind(at)
                .execute(self.writer())
                .await?;
            Ok(())
        }
    }
}
