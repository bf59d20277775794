//! Outbound webhook endpoints and their persistent delivery queue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{
    CandidateId, Event, EventId, InterviewId, MessageId, WebhookEndpointId, WorkspaceId,
};
use serde::Serialize;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    #[schema(example = "https://hooks.example.com/interviews")]
    pub url: String,
    pub description: Option<String>,
    /// Event types delivered here; empty = all.
    #[schema(example = json!(["interview.completed", "interview.result_ready"]))]
    pub events: Vec<String>,
    /// Set when the gateway stopped delivering: the receiver answered 410 Gone, it failed
    /// without a success for `webhooks.auto_disable_after_secs`, or it was disabled through
    /// the API (`PATCH … {"disabled": true}`).
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// When the current run of failed attempts began; `null` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredEndpoint {
    pub endpoint: WebhookEndpoint,
    pub secret_ciphertext: Vec<u8>,
}

/// One message to one endpoint, with its attempts so far.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` header: the same on every attempt.
    pub id: MessageId,
    pub event_id: EventId,
    #[schema(example = "interview.completed")]
    pub event_type: String,
    /// The event's interview; `null` for `candidate.*` events.
    pub interview_id: Option<InterviewId>,
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub attempt_log: Vec<Attempt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it could not be reached.
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// A delivery ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: MessageId,
    pub workspace_id: WorkspaceId,
    pub endpoint_id: WebhookEndpointId,
    pub url: String,
    pub secret_ciphertext: Vec<u8>,
    pub attempts: i32,
    pub event: Event,
}

/// What one attempt settled.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Delivered,
    Retry {
        at: DateTime<Utc>,
    },
    /// Out of attempts.
    Failed,
    /// The receiver said 410 Gone: stop this endpoint altogether.
    DisableEndpoint {
        reason: String,
    },
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn insert_endpoint(
        &self,
        ws: WorkspaceId,
        endpoint: &WebhookEndpoint,
        secret_ciphertext: &[u8],
    ) -> StoreResult<()>;
    async fn get_endpoint(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
    ) -> StoreResult<Option<StoredEndpoint>>;
    async fn list_endpoints(
        &self,
        ws: WorkspaceId,
        page: PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>>;
    /// Soft delete; its pending deliveries fail. `false` when absent.
    async fn delete_endpoint(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn set_endpoint_secret(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        secret_ciphertext: &[u8],
        at: DateTime<Utc>,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    async fn list_deliveries(
        &self,
        ws: WorkspaceId,
        endpoint: WebhookEndpointId,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>>;
    /// Lease up to `limit` due deliveries until `lease_until`. A delivery waits while an
    /// earlier one for the same interview and endpoint is still pending, so each receiver
    /// gets an interview's events in order.
    async fn lease_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<DueDelivery>>;
    async fn record_attempt(
        &self,
        delivery: MessageId,
        attempt: &Attempt,
        outcome: &DeliveryOutcome,
    ) -> StoreResult<()>;
    /// Deliveries not yet settled (for metrics).
    async fn pending_delivery_count(&self) -> StoreResult<i64>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct EndpointRow {
    id: Uuid,
    url: String,
    description: Option<String>,
    events: Json<Vec<String>>,
    secret: Vec<u8>,
    disabled_at: Option<DateTime<Utc>>,
    disabled_reason: Option<String>,
    failing_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for StoredEndpoint {
    fn from(r: EndpointRow) -> Self {
        StoredEndpoint {
            secret_ciphertext: r.secret,
            endpoint: WebhookEndpoint {
                id: WebhookEndpointId::from_uuid(r.id),
                url: r.url,
                description: r.description,
                events: r.events.0,
                disabled_at: r.disabled_at,
                disabled_reason: r.disabled_reason,
                failing_since: r.failing_since,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    event_id: Uuid,
    event_type: String,
    interview_id: Option<Uuid>,
    status: String,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_status: Option<i32>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: Uuid,
    attempted_at: DateTime<Utc>,
    status: Option<i32>,
    error: Option<String>,
    duration_ms: i32,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: Uuid,
    workspace_id: Uuid,
    endpoint_id: Uuid,
    url: String,
    secret: Vec<u8>,
    attempts: i32,
    event_id: Uuid,
    interview_id: Option<Uuid>,
    candidate_id: Option<Uuid>,
    event_type: String,
    data: Json<serde_json::Value>,
    event_created_at: DateTime<Utc>,
}

pub(crate) const ENDPOINT_COLUMNS: &str =
    "id, url, description, events, secret, disabled_at, disabled_reason, failing_since, created_at, updated_at";

for_each_backend! {
    #[async_trait]
    impl WebhookStore for Backend {
        async fn insert_endpoint(&self, ws: WorkspaceId, e: &WebhookEndpoint, secret: &[u8]) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, workspace_id, url, description, events, secret, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(e.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(&e.url)
            .bind(&e.description)
            .bind(Json(&e.events))
            .bind(secret)
            .bind(e.created_at)
            .bind(e.updated_at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn get_endpoint(&self, ws: WorkspaceId, id: WebhookEndpointId) -> StoreResult<Option<StoredEndpoint>> {
            let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL");
            let row: Option<EndpointRow> = sqlx::query_as(&sql).bind(ws.as_uuid()).bind(id.as_uuid()).fetch_optional(&self.pool).await?;
            Ok(row.map(Into::into))
        }

        async fn list_endpoints(&self, ws: WorkspaceId, page: PageRequest) -> StoreResult<Page<WebhookEndpoint>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE deleted_at IS NULL AND workspace_id = "
            ));
            qb.push_bind(ws.as_uuid());
            push_keyset(&mut qb, "id", page);
            let rows: Vec<EndpointRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(|r| StoredEndpoint::from(r).endpoint))
        }

        async fn delete_endpoint(&self, ws: WorkspaceId, id: WebhookEndpointId, at: DateTime<Utc>) -> StoreResult<bool> {
            let mut tx = self.begin_write().await?;
            let done = sqlx::query(
                "UPDATE webhook_endpoints SET deleted_at = $3, updated_at = $3
                 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', next_attempt_at = NULL, updated_at = $2
                 WHERE endpoint_id = $1 AND status = 'pending'",
            )
            .bind(id.as_uuid())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        }

        async fn set_endpoint_secret(
            &self,
            ws: WorkspaceId,
            id: WebhookEndpointId,
            secret: &[u8],
            at: DateTime<Utc>,
        ) -> StoreResult<Option<WebhookEndpoint>> {
            sqlx::query(
                "UPDATE webhook_endpoints SET secret = $3, updated_at = $4
                 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(secret)
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(self.get_endpoint(ws, id).await?.map(|s| s.endpoint))
        }

        async fn list_deliveries(&self, ws: WorkspaceId, endpoint: WebhookEndpointId, page: PageRequest) -> StoreResult<Page<Delivery>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT d.id, d.event_id, e.type AS event_type, e.interview_id, d.status, d.attempts, d.next_attempt_at,
                     d.last_status, d.last_error, d.created_at, d.updated_at
                 FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                 WHERE d.workspace_id = ",
            );
            qb.push_bind(ws.as_uuid()).push(" AND d.endpoint_id = ").push_bind(endpoint.as_uuid());
            push_keyset(&mut qb, "d.id", page);
            let rows: Vec<DeliveryRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let mut attempts: Vec<AttemptRow> = Vec::new();
            if !page.items.is_empty() {
                let mut qb = sqlx::QueryBuilder::<Db>::new(
                    "SELECT delivery_id, attempted_at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id IN (",
                );
                let mut sep = qb.separated(", ");
                for r in &page.items {
                    sep.push_bind(r.id);
                }
                qb.push(") ORDER BY id");
                attempts = qb.build_query_as().fetch_all(&self.pool).await?;
            }
            let items = page
                .items
                .into_iter()
                .map(|r| Delivery {
                    attempt_log: attempts
                        .iter()
                        .filter(|a| a.delivery_id == r.id)
                        .map(|a| Attempt { attempted_at: a.attempted_at, status: a.status, error: a.error.clone(), duration_ms: a.duration_ms })
                        .collect(),
                    id: MessageId::from_uuid(r.id),
                    event_id: EventId::from_uuid(r.event_id),
                    event_type: r.event_type,
                    interview_id: r.interview_id.map(InterviewId::from_uuid),
                    status: r.status,
                    attempts: r.attempts,
                    next_attempt_at: r.next_attempt_at,
                    last_status: r.last_status,
                    last_error: r.last_error,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                })
                .collect();
            Ok(Page { items, next_after: page.next_after })
        }

        async fn lease_due_deliveries(&self, now: DateTime<Utc>, lease_until: DateTime<Utc>, limit: i64) -> StoreResult<Vec<DueDelivery>> {
            let sql = format!(
                "UPDATE webhook_deliveries SET leased_until = $2
                 WHERE id IN (
                     SELECT d.id FROM webhook_deliveries d
                     WHERE d.status = 'pending' AND d.next_attempt_at <= $1
                       AND (d.leased_until IS NULL OR d.leased_until < $1)
                       AND NOT EXISTS (
                           SELECT 1 FROM webhook_deliveries p
                           WHERE p.endpoint_id = d.endpoint_id AND p.interview_id = d.interview_id
                             AND p.status = 'pending' AND p.id < d.id)
                     ORDER BY d.next_attempt_at LIMIT $3{}
                 )
                 RETURNING id",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let ids: Vec<(Uuid,)> = sqlx::query_as(&sql).bind(now).bind(lease_until).bind(limit).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT d.id, d.workspace_id, d.endpoint_id, w.url, w.secret, d.attempts, e.id AS event_id, e.interview_id, e.candidate_id,
                     e.type AS event_type, e.data, e.created_at AS event_created_at
                 FROM webhook_deliveries d
                 JOIN webhook_endpoints w ON w.id = d.endpoint_id
                 JOIN events e ON e.id = d.event_id
                 WHERE d.id IN (",
            );
            let mut sep = qb.separated(", ");
            for (id,) in &ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY d.id");
            let rows: Vec<DueRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            rows.into_iter()
                .map(|r| {
                    Ok(DueDelivery {
                        id: MessageId::from_uuid(r.id),
                        workspace_id: WorkspaceId::from_uuid(r.workspace_id),
                        endpoint_id: WebhookEndpointId::from_uuid(r.endpoint_id),
                        url: r.url,
                        secret_ciphertext: r.secret,
                        attempts: r.attempts,
                        event: Event {
                            id: EventId::from_uuid(r.event_id),
                            event_type: r.event_type.parse().map_err(StoreError::Corrupt)?,
                            created_at: r.event_created_at,
                            interview_id: r.interview_id.map(InterviewId::from_uuid),
                            candidate_id: r.candidate_id.map(CandidateId::from_uuid),
                            data: r.data.0,
                        },
                    })
                })
                .collect()
        }

        async fn record_attempt(&self, delivery: MessageId, a: &Attempt, outcome: &DeliveryOutcome) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status, error, duration_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(Uuid::now_v7())
            .bind(delivery.as_uuid())
            .bind(a.attempted_at)
            .bind(a.status)
            .bind(&a.error)
            .bind(a.duration_ms)
            .execute(&mut *tx)
            .await?;
            let (status, next): (&str, Option<DateTime<Utc>>) = match outcome {
                DeliveryOutcome::Delivered => ("delivered", None),
                DeliveryOutcome::Retry { at } => ("pending", Some(*at)),
                DeliveryOutcome::Failed | DeliveryOutcome::DisableEndpoint { .. } => ("failed", None),
            };
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3,
                     leased_until = NULL, last_status = $4, last_error = $5, updated_at = $6
                 WHERE id = $1",
            )
            .bind(delivery.as_uuid())
            .bind(status)
            .bind(next)
            .bind(a.status)
            .bind(&a.error)
            .bind(a.attempted_at)
            .execute(&mut *tx)
            .await?;
            // The failure clock behind auto-disable: started by the first failure after a
            // success, stopped by the next success.
            let failed = !matches!(outcome, DeliveryOutcome::Delivered);
            sqlx::query(
                "UPDATE webhook_endpoints SET failing_since = CASE WHEN $2 THEN COALESCE(failing_since, $3) ELSE NULL END
                 WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = $1)",
            )
            .bind(delivery.as_uuid())
            .bind(failed)
            .bind(a.attempted_at)
            .execute(&mut *tx)
            .await?;
            if let DeliveryOutcome::DisableEndpoint { reason } = outcome {
                let endpoint: (Uuid,) = sqlx::query_as("SELECT endpoint_id FROM webhook_deliveries WHERE id = $1")
                    .bind(delivery.as_uuid())
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query("UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3, updated_at = $2 WHERE id = $1")
                    .bind(endpoint.0)
                    .bind(a.attempted_at)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint disabled', next_attempt_at = NULL, updated_at = $2
                     WHERE endpoint_id = $1 AND status = 'pending'",
                )
                .bind(endpoint.0)
                .bind(a.attempted_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn pending_delivery_count(&self) -> StoreResult<i64> {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await?;
            Ok(n)
        }
    }
}
