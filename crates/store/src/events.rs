//! Normalized events (written with the state change that caused them, see `interviews`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{CandidateId, Event, EventId, EventType, InterviewId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub event_type: Option<EventType>,
    pub interview_id: Option<InterviewId>,
}

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn get_event(&self, ws: WorkspaceId, id: EventId) -> StoreResult<Option<Event>>;
    async fn list_events(
        &self,
        ws: WorkspaceId,
        filter: &EventFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Event>>;
    /// Send the event again to every endpoint now subscribed to it: existing messages keep
    /// their id (`webhook-id`) and start their schedule over; endpoints subscribed since get
    /// a new message. `None` when there is no such event.
    async fn redeliver_event(
        &self,
        ws: WorkspaceId,
        id: EventId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<usize>>;
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    interview_id: Option<Uuid>,
    candidate_id: Option<Uuid>,
    #[sqlx(rename = "type")]
    event_type: String,
    data: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Event {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<Self> {
        Ok(Event {
            id: EventId::from_uuid(r.id),
            event_type: r.event_type.parse().map_err(StoreError::Corrupt)?,
            created_at: r.created_at,
            interview_id: r.interview_id.map(InterviewId::from_uuid),
            candidate_id: r.candidate_id.map(CandidateId::from_uuid),
            data: r.data.0,
        })
    }
}

for_each_backend! {
    #[async_trait]
    impl EventStore for Backend {
        async fn get_event(&self, ws: WorkspaceId, id: EventId) -> StoreResult<Option<Event>> {
            let row: Option<Row> = sqlx::query_as(
                "SELECT id, interview_id, candidate_id, type, data, created_at FROM events WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn list_events(&self, ws: WorkspaceId, f: &EventFilter, page: PageRequest) -> StoreResult<Page<Event>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT id, interview_id, candidate_id, type, data, created_at FROM events WHERE workspace_id = ",
            );
            qb.push_bind(ws.as_uuid());
            if let Some(t) = f.event_type {
                qb.push(" AND type = ").push_bind(t.as_str());
            }
            if let Some(i) = f.interview_id {
                qb.push(" AND interview_id = ").push_bind(i.as_uuid());
            }
            push_keyset(&mut qb, "id", page);
            let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let items = page.items.into_iter().map(Event::try_from).collect::<StoreResult<_>>()?;
            Ok(Page { items, next_after: page.next_after })
        }

        async fn redeliver_event(&self, ws: WorkspaceId, id: EventId, now: DateTime<Utc>) -> StoreResult<Option<usize>> {
            let mut tx = self.begin_write().await?;
            // The delivery's ordering key: the interview, or the candidate of a candidate event.
            let event: Option<(Uuid, String)> = sqlx::query_as("SELECT COALESCE(interview_id, candidate_id, id), type FROM events WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((interview, event_type)) = event else { return Ok(None) };
            let reset = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $3,
                     leased_until = NULL, updated_at = $3
                 WHERE workspace_id = $1 AND event_id = $2
                   AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL AND disabled_at IS NULL)",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
            let newer: Vec<(Uuid, Json<Vec<String>>)> = sqlx::query_as(
                "SELECT id, events FROM webhook_endpoints
                 WHERE workspace_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL
                   AND id NOT IN (SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $2)",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .fetch_all(&mut *tx)
            .await?;
            let mut added = 0;
            for (endpoint, wanted) in newer {
                if !wanted.0.is_empty() && !wanted.0.contains(&event_type) {
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
                .bind(id.as_uuid())
                .bind(interview)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                added += 1;
            }
            tx.commit().await?;
            Ok(Some(reset + added))
        }
    }
}
