//! Idempotency keys: the first request with a key runs, later ones with the same key and
//! body replay its stored response.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::WorkspaceId;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// This request owns the key until `locked_until`: run it, then complete or release.
    Started,
    /// Another request with this key is running.
    InProgress,
    /// Done before: replay this response (sealed by the caller when it stored it).
    Completed { status: u16, body: Vec<u8> },
    /// Done before, and the answer named a person since erased: the store replaced it with
    /// the erasure's notice, which is plain (the store cannot seal) and names no one.
    Erased { status: u16, body: Vec<u8> },
    /// The key was used with a different request.
    Mismatch,
}

#[derive(Debug, Clone, Copy)]
pub struct IdempotencyTimes {
    pub now: DateTime<Utc>,
    /// How long a running request holds the key before another may take it over.
    pub locked_until: DateTime<Utc>,
    /// When the stored response is forgotten.
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn begin_idempotent(
        &self,
        ws: WorkspaceId,
        key: &str,
        request_hash: &[u8],
        times: IdempotencyTimes,
    ) -> StoreResult<IdempotencyBegin>;
    async fn complete_idempotent(
        &self,
        ws: WorkspaceId,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()>;
    /// As `complete_idempotent`, with the gateway ids the answer names (space-separated),
    /// kept in plain text beside a sealed body so an erasure can find the replays naming a
    /// person.
    async fn complete_idempotent_naming(
        &self,
        ws: WorkspaceId,
        key: &str,
        status: u16,
        body: &[u8],
        subjects: &str,
    ) -> StoreResult<()>;
    /// Give the key back without a stored response (the request changed nothing), so a
    /// retry runs afresh.
    async fn release_idempotent(&self, ws: WorkspaceId, key: &str) -> StoreResult<()>;
    /// Forget expired keys; returns how many.
    async fn purge_expired_idempotency(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// What `subjects` holds once an erasure buried the row's answer: no id list looks like it
/// (an id list starts with a space).
pub(crate) const ERASED_SUBJECTS: &str = "erased";

#[derive(sqlx::FromRow)]
struct KeyRow {
    subjects: Option<String>,
    request_hash: Vec<u8>,
    state: String,
    response_status: Option<i32>,
    response_body: Option<Vec<u8>>,
    locked_until: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    holder: Option<uuid::Uuid>,
}

for_each_backend! {
    #[async_trait]
    impl IdempotencyStore for Backend {
        async fn begin_idempotent(
            &self,
            ws: WorkspaceId,
            key: &str,
            request_hash: &[u8],
            t: IdempotencyTimes,
        ) -> StoreResult<IdempotencyBegin> {
            // Two rounds at most: the second follows the removal of an expired or abandoned row.
            for _ in 0..2 {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (workspace_id, key, request_hash, state,
                         locked_until, created_at, expires_at, holder)
                     VALUES ($1, $2, $3, 'in_progress', $4, $5, $6, $7)
                     ON CONFLICT (workspace_id, key) DO NOTHING",
                )
                .bind(ws.as_uuid())
                .bind(key)
                .bind(request_hash)
                .bind(t.locked_until)
                .bind(t.now)
                .bind(t.expires_at)
                .bind(self.instance)
                .execute(self.writer())
                .await?;
                if inserted.rows_affected() == 1 {
                    return Ok(IdempotencyBegin::Started);
                }
                let row: Option<KeyRow> = sqlx::query_as(
                    "SELECT request_hash, state, response_status, response_body, locked_until, expires_at,
                         holder, subjects
                     FROM idempotency_keys WHERE workspace_id = $1 AND key = $2",
                )
                .bind(ws.as_uuid())
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { continue };
                if row.expires_at <= t.now {
                    sqlx::query(
                        "DELETE FROM idempotency_keys
                         WHERE workspace_id = $1 AND key = $2 AND expires_at <= $3",
                    )
                    .bind(ws.as_uuid())
                    .bind(key)
                    .bind(t.now)
                    .execute(self.writer())
                    .await?;
                    continue;
                }
                if row.request_hash != request_hash {
                    return Ok(IdempotencyBegin::Mismatch);
                }
                if row.state == "completed" {
                    let status = row.response_status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200);
                    let body = row.response_body.unwrap_or_default();
                    return Ok(if row.subjects.as_deref() == Some(ERASED_SUBJECTS) {
                        IdempotencyBegin::Erased { status, body }
                    } else {
                        IdempotencyBegin::Completed { status, body }
                    });
                }
                let expired = row.locked_until <= t.now;
                if expired || !self.holder_alive(row.holder).await? {
                    // The owner died mid-request (its lock ran out, or its process is gone).
                    // Take the key over atomically: only one of several waiting retries
                    // wins the update, which names the holder (or the expiry) it saw.
                    let taken = sqlx::query(
                        "UPDATE idempotency_keys SET locked_until = $3, holder = $5
                         WHERE workspace_id = $1 AND key = $2 AND state = 'in_progress'
                           AND (locked_until <= $4 OR holder = $6)",
                    )
                    .bind(ws.as_uuid())
                    .bind(key)
                    .bind(t.locked_until)
                    .bind(if expired { t.now } else { row.locked_until - chrono::Duration::microseconds(1) })
                    .bind(self.instance)
                    .bind(row.holder)
                    .execute(self.writer())
                    .await?;
                    if taken.rows_affected() == 1 {
                        return Ok(IdempotencyBegin::Started);
                    }
                }
                return Ok(IdempotencyBegin::InProgress);
            }
            Ok(IdempotencyBegin::InProgress)
        }

        async fn complete_idempotent(
            &self,
            ws: WorkspaceId,
            key: &str,
            status: u16,
            body: &[u8],
        ) -> StoreResult<()> {
            self.complete_idempotent_naming(ws, key, status, body, "").await
        }

        async fn complete_idempotent_naming(
            &self,
            ws: WorkspaceId,
            key: &str,
            status: u16,
            body: &[u8],
            subjects: &str,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_body = $4,
                     subjects = $5
                 WHERE workspace_id = $1 AND key = $2",
            )
            .bind(ws.as_uuid())
            .bind(key)
            .bind(i32::from(status))
            .bind(body)
            .bind(subjects)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn release_idempotent(&self, ws: WorkspaceId, key: &str) -> StoreResult<()> {
            sqlx::query(
                "DELETE FROM idempotency_keys
                 WHERE workspace_id = $1 AND key = $2 AND state = 'in_progress'",
            )
            .bind(ws.as_uuid())
            .bind(key)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn purge_expired_idempotency(&self, now: DateTime<Utc>) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(self.writer())
                .await?;
            Ok(done.rows_affected())
        }
    }
}
