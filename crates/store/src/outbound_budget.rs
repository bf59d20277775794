//! The outbound budget's sliding log in the database, for replicas that share a Postgres
//! and no Redis. One decision is one short transaction: lock the connection's row, drop
//! calls older than the window, count, and record the call if it fits. The time is the
//! database's, so replicas' clocks do not matter.

use std::time::Duration;

use async_trait::async_trait;
use gateway_core::{ConnectionId, WorkspaceId};

use crate::backend::for_each_backend;
use crate::error::StoreResult;

/// What one attempt to take a slot got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotTake {
    /// Granted; this many calls (this one included) fall in the window.
    Granted(u32),
    /// Refused: a slot under the cap frees after this long.
    Wait(Duration),
}

#[async_trait]
pub trait OutboundBudgetStore: Send + Sync {
    /// Record one call of the connection if fewer than `cap` fall in the last `window`.
    async fn take_outbound_slot(
        &self,
        ws: WorkspaceId,
        connection: ConnectionId,
        cap: u32,
        window: Duration,
    ) -> StoreResult<SlotTake>;
}

for_each_backend! {
    /// The database's clock in milliseconds since the epoch.
    fn now_ms_sql() -> &'static str {
        if std::any::type_name::<Db>().contains("Postgres") {
            "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
        } else {
            "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
        }
    }

    #[async_trait]
    impl OutboundBudgetStore for Backend {
        async fn take_outbound_slot(
            &self,
            ws: WorkspaceId,
            connection: ConnectionId,
            cap: u32,
            window: Duration,
        ) -> StoreResult<SlotTake> {
            let window_ms = window.as_millis() as i64;
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO outbound_budgets (connection_id, workspace_id) VALUES ($1, $2)
                 ON CONFLICT (connection_id) DO NOTHING",
            )
            .bind(connection.as_uuid())
            .bind(ws.as_uuid())
            .execute(&mut *tx)
            .await?;
            let (now,): (i64,) = sqlx::query_as(&format!(
                "SELECT {} FROM outbound_budgets WHERE connection_id = $1 AND workspace_id = $2{}",
                now_ms_sql(),
                Backend::FOR_UPDATE
            ))
            .bind(connection.as_uuid())
            .bind(ws.as_uuid())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM outbound_budget_calls WHERE connection_id = $1 AND at_ms <= $2")
                .bind(connection.as_uuid())
                .bind(now - window_ms)
                .execute(&mut *tx)
                .await?;
            let (used,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM outbound_budget_calls WHERE connection_id = $1")
                    .bind(connection.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
            let take = if used < i64::from(cap) {
                sqlx::query("INSERT INTO outbound_budget_calls (connection_id, at_ms) VALUES ($1, $2)")
                    .bind(connection.as_uuid())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                SlotTake::Granted((used + 1) as u32)
            } else {
                // The slot under `cap` frees when the call `used - cap` places from the oldest
                // leaves the window.
                let (at,): (i64,) = sqlx::query_as(
                    "SELECT at_ms FROM outbound_budget_calls WHERE connection_id = $1
                     ORDER BY at_ms LIMIT 1 OFFSET $2",
                )
                .bind(connection.as_uuid())
                .bind(used - i64::from(cap))
                .fetch_one(&mut *tx)
                .await?;
                SlotTake::Wait(Duration::from_millis((at + window_ms - now).max(1) as u64))
            };
            tx.commit().await?;
            Ok(take)
        }
    }
}
