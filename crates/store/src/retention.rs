//! Retention: stripping personal data past its age, in small batches (each its own short
//! transaction, rows taken with SKIP LOCKED on Postgres), and the database lease that lets
//! one replica at a time run a cluster-wide job.
//!
//! Each strip also clears what selects the row (`result`, `remote_data`, `redacted_at`), so
//! a batch never takes a row twice and a lost lease costs nothing but repeated reads.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::erasure::redact_event_data;
use crate::error::StoreResult;

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Take (or extend) the lease on job `name` for `holder` until `until`; `false` while
    /// another holder's lease runs.
    async fn lease_job(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Clear up to `limit` interview results (scores, transcripts, artifacts) last changed
    /// before `older_than`; answers how many.
    async fn strip_results(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
    /// Empty up to `limit` vendors' raw copies last changed before `older_than`: interviews'
    /// `remote_data`, then processed inbound webhook payloads.
    async fn strip_remote_data(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<u64>;
    /// Reduce to ids up to `limit` event payloads (what webhook deliveries send) created
    /// before `older_than` that no delivery still waits to send.
    async fn strip_event_payloads(
        &self,
        older_than: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<u64>;
}

for_each_backend! {
    #[async_trait]
    impl RetentionStore for Backend {
        async fn lease_job(&self, name: &str, holder: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> StoreResult<bool> {
            let row: Option<(String,)> = sqlx::query_as(
                "INSERT INTO job_leases (name, holder, leased_until) VALUES ($1, $2, $4)
                 ON CONFLICT (name) DO UPDATE SET holder = $2, leased_until = $4
                 WHERE job_leases.leased_until < $3 OR job_leases.holder = $2
                 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(now)
            .bind(until)
            .fetch_optional(self.writer())
            .await?;
            Ok(row.is_some())
        }

        async fn strip_results(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
            // The version moves, so a writer holding the row as it was read re-reads it
            // instead of writing the old result back.
            let sql = format!(
                "UPDATE interviews SET result = NULL, version = version + 1
                 WHERE id IN (
                     SELECT id FROM interviews WHERE result IS NOT NULL AND updated_at < $1
                     ORDER BY updated_at LIMIT $2{}
                 )",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(&sql).bind(older_than).bind(limit).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        }

        async fn strip_remote_data(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
            let empty = Json(json!({}));
            let sql = format!(
                "UPDATE interviews SET remote_data = $3, version = version + 1
                 WHERE id IN (
                     SELECT id FROM interviews WHERE remote_data <> '{{}}' AND updated_at < $1
                     ORDER BY updated_at LIMIT $2{}
                 )",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let mut n = sqlx::query(&sql).bind(older_than).bind(limit).bind(&empty).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            if n < limit as u64 {
                // Pending receipts are still to be processed; they go once they are.
                let sql = format!(
                    "UPDATE inbound_receipts SET payload = $3, redacted_at = $1
                     WHERE id IN (
                         SELECT id FROM inbound_receipts
                         WHERE redacted_at IS NULL AND status <> 'pending' AND received_at < $1
                         ORDER BY received_at LIMIT $2{}
                     )",
                    Backend::SKIP_LOCKED
                );
                let mut tx = self.begin_write().await?;
                n += sqlx::query(&sql).bind(older_than).bind(limit - n as i64).bind(&empty).execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
            }
            Ok(n)
        }

        async fn strip_event_payloads(&self, older_than: DateTime<Utc>, now: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
            let sql = format!(
                "SELECT e.id, e.data FROM events e
                 WHERE e.redacted_at IS NULL AND e.created_at < $1
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
                 ORDER BY e.created_at LIMIT $2{}",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let rows: Vec<(Uuid, Json<Value>)> = sqlx::query_as(&sql).bind(older_than).bind(limit).fetch_all(&mut *tx).await?;
            for (id, data) in &rows {
                sqlx::query("UPDATE events SET data = $2, redacted_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(Json(redact_event_data(&data.0)))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        }
    }
}
