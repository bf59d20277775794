//! The writes of an interview's life that are not vendor reports: the caller cancels it or
//! changes its metadata, and a duplicate row folds into its sibling.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{InterviewId, WorkspaceId};
use sqlx::types::Json;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::interviews::{NewEvent, Saved};

#[async_trait]
pub trait InterviewLifecycleStore: Send + Sync {
    /// Mark the interview `cancelled` (no more polls, its candidate's place freed) with its
    /// `events`, only if it is still at `expected_version`.
    async fn cancel_interview(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
        expected_version: i64,
        at: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Saved>;
    /// Fold a `pending` row into `by`, a row of the same workspace, candidate and template:
    /// `superseded`, never polled again. `false` when `id` is not pending or `by` is no
    /// sibling.
    async fn supersede_interview(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
        by: InterviewId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Replace the interview's metadata. `false` when there is no such interview.
    async fn set_interview_metadata(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
        metadata: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

for_each_backend! {
    #[async_trait]
    impl InterviewLifecycleStore for Backend {
        async fn cancel_interview(
            &self,
            ws: WorkspaceId,
            id: InterviewId,
            expected_version: i64,
            at: DateTime<Utc>,
            events: &[NewEvent],
        ) -> StoreResult<Saved> {
            let mut tx = self.begin_write().await?;
            let row: Option<(i64,)> = sqlx::query_as(
                "UPDATE interviews SET status = 'cancelled', open_key = NULL, next_poll_at = NULL,
                     poll_leased_until = NULL, updated_at = $4, version = version + 1
                 WHERE workspace_id = $1 AND id = $2 AND version = $3
                 RETURNING version",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(expected_version)
            .bind(at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((version,)) = row else {
                drop(tx);
                let exists: Option<(i64,)> =
                    sqlx::query_as("SELECT version FROM interviews WHERE workspace_id = $1 AND id = $2")
                        .bind(ws.as_uuid())
                        .bind(id.as_uuid())
                        .fetch_optional(&self.pool)
                        .await?;
                return Ok(if exists.is_some() { Saved::Stale } else { Saved::Missing });
            };
            Backend::insert_events(&mut tx, ws, id, events).await?;
            tx.commit().await?;
            Ok(Saved::Saved { version })
        }

        async fn supersede_interview(
            &self,
            ws: WorkspaceId,
            id: InterviewId,
            by: InterviewId,
            at: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE interviews SET status = 'superseded', superseded_by = $3, open_key = NULL,
                     next_poll_at = NULL, poll_leased_until = NULL, error = NULL, updated_at = $4,
                     version = version + 1
                 WHERE workspace_id = $1 AND id = $2 AND status = 'pending' AND id <> $3
                   AND EXISTS (SELECT 1 FROM interviews s WHERE s.workspace_id = $1 AND s.id = $3
                       AND s.template_id = interviews.template_id
                       AND s.candidate_id = interviews.candidate_id)",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(by.as_uuid())
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn set_interview_metadata(
            &self,
            ws: WorkspaceId,
            id: InterviewId,
            metadata: &serde_json::Value,
            at: DateTime<Utc>,
        ) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE interviews SET metadata = $3, updated_at = $4, version = version + 1
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(Json(metadata))
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }
}
