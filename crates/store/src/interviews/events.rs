//! Events stored with a state change, and one queued delivery per subscribed endpoint.

use gateway_core::{InterviewId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use super::NewEvent;
use crate::backend::for_each_backend;
use crate::error::StoreResult;

for_each_backend! {
    impl Backend {
        /// Store events and queue one delivery per subscribed, enabled endpoint of the
        /// workspace (an endpoint with no event list takes them all).
        pub(crate) async fn insert_events(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            interview: InterviewId,
            events: &[NewEvent],
        ) -> StoreResult<()> {
            if events.is_empty() {
                return Ok(());
            }
            let endpoints: Vec<(Uuid, Json<Vec<String>>)> = sqlx::query_as(
                "SELECT id, events FROM webhook_endpoints
                 WHERE workspace_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
            )
            .bind(ws.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
            for e in events {
                sqlx::query(
                    "INSERT INTO events (id, workspace_id, interview_id, type, data, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(e.id.as_uuid())
                .bind(ws.as_uuid())
                .bind(interview.as_uuid())
                .bind(e.event_type.as_str())
                .bind(Json(&e.data))
                .bind(e.created_at)
                .execute(&mut **tx)
                .await?;
                for (endpoint, wanted) in &endpoints {
                    if !wanted.0.is_empty() && !wanted.0.iter().any(|t| t == e.event_type.as_str()) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, interview_id,
                             status, attempts, next_attempt_at, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
                    )
                    .bind(gateway_core::MessageId::new().as_uuid())
                    .bind(ws.as_uuid())
                    .bind(endpoint)
                    .bind(e.id.as_uuid())
                    .bind(interview.as_uuid())
                    .bind(e.created_at)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(())
        }
    }

}
