//! Open interviews that made no progress: no event since a cutoff (an event is what a
//! change yields, so a read that changed nothing is not progress), for the job that
//! expires them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{InterviewId, WorkspaceId};
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[async_trait]
pub trait InterviewExpiryStore: Send + Sync {
    /// Up to `limit` open interviews (pending, invited, in progress, evaluating) made before
    /// `cutoff` with no event since it, across workspaces (the job serves them all).
    async fn stale_open_interviews(
        &self,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(WorkspaceId, InterviewId)>>;
}

for_each_backend! {
    #[async_trait]
    impl InterviewExpiryStore for Backend {
        async fn stale_open_interviews(&self, cutoff: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(WorkspaceId, InterviewId)>> {
            let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
                "SELECT i.workspace_id, i.id FROM interviews i
                 WHERE i.status IN ('pending', 'invited', 'in_progress', 'evaluating')
                   AND i.erased_at IS NULL AND i.created_at < $1
                   AND NOT EXISTS (SELECT 1 FROM events e
                                   WHERE e.workspace_id = i.workspace_id AND e.interview_id = i.id
                                     AND e.created_at >= $1)
                 ORDER BY i.created_at LIMIT $2",
            )
            .bind(cutoff)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(w, i)| (WorkspaceId::from_uuid(w), InterviewId::from_uuid(i)))
                .collect())
        }
    }
}
