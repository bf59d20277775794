//! Operating webhook endpoints: changing one, a test message through the normal queue,
//! re-queuing failed deliveries, and disabling one that keeps failing — with the event
//! that says so, queued in the same transaction as the change.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{EventId, EventType, MessageId, WebhookEndpointId, WorkspaceId};
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::interviews::NewEvent;
use crate::webhooks::WebhookEndpoint;

/// What a `PATCH` changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub disabled: Option<bool>,
}

/// When `disable_endpoint` acts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DisableWhen {
    /// Unconditionally (the receiver answered 410 Gone).
    Now,
    /// Only if the endpoint has failed without a success since this time or earlier.
    FailingSince(DateTime<Utc>),
}

/// Why an endpoint was disabled through the API.
pub const DISABLED_BY_API: &str = "disabled through the API";

#[async_trait]
pub trait EndpointOpsStore: Send + Sync {
    /// Apply a patch. Disabling fails the endpoint's pending deliveries (a later `recover`
    /// re-queues them); enabling, or a new URL, restarts the failure clock. `None` when absent.
    async fn update_endpoint(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        patch: &EndpointPatch,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<WebhookEndpoint>>;
    /// Store `event` and queue it to this endpoint alone, whatever it subscribes to. `None`
    /// when the endpoint is absent or disabled.
    async fn queue_test_event(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        event: &NewEvent,
    ) -> StoreResult<Option<MessageId>>;
    /// Put every delivery to this endpoint that failed and was created at or after `since`
    /// back in the queue, due now, its attempt count reset (the `webhook-id` stays).
    async fn recover_deliveries(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> StoreResult<usize>;
    /// Disable an enabled endpoint (when `when` holds), fail its pending deliveries and
    /// queue `webhook_endpoint.disabled` (id `event`) to the endpoints still enabled. The
    /// write is conditional, so of several replicas seeing the same failure only one
    /// disables and emits. `None` when nothing changed.
    async fn disable_endpoint(
        &self,
        ws: WorkspaceId,
        id: WebhookEndpointId,
        when: DisableWhen,
        reason: &str,
        event: EventId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<WebhookEndpoint>>;
}

for_each_backend! {
    impl Backend {
        /// Store an event that is about no interview and queue it to every enabled endpoint
        /// subscribed to its type. `order_key` orders its deliveries per endpoint (it fills
        /// the `interview_id` ordering column): the resource the event is about.
        pub(crate) async fn queue_event(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            event: &NewEvent,
            order_key: Uuid,
        ) -> StoreResult<usize> {
            let kind = event.event_type.as_str();
            sqlx::query(
                "INSERT INTO events (id, workspace_id, interview_id, candidate_id, type, data, created_at)
                 VALUES ($1, $2, NULL, NULL, $3, $4, $5)",
            )
            .bind(event.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(kind)
            .bind(Json(&event.data))
            .bind(event.created_at)
            .execute(&mut **tx)
            .await?;
            let endpoints: Vec<(Uuid, Json<Vec<String>>)> = sqlx::query_as(
                "SELECT id, events FROM webhook_endpoints
                 WHERE workspace_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
            )
            .bind(ws.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
            let mut queued = 0;
            for (endpoint, wanted) in endpoints {
                if !wanted.0.is_empty() && !wanted.0.iter().any(|t| t == kind) {
                    continue;
                }
                Self::insert_delivery(tx, ws, endpoint, event, order_key).await?;
                queued += 1;
            }
            Ok(queued)
        }

        async fn insert_delivery(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            endpoint: Uuid,
            event: &NewEvent,
            order_key: Uuid,
        ) -> StoreResult<MessageId> {
            let id = MessageId::new();
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, interview_id,
                     status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
            )
            .bind(id.as_uuid())
            .bind(ws.as_uuid())
            .bind(endpoint)
            .bind(event.id.as_uuid())
            .bind(order_key)
            .bind(event.created_at)
            .execute(&mut **tx)
            .await?;
            Ok(id)
        }

        /// Fail what is still pending for an endpoint that stops receiving.
        async fn fail_pending(
            tx: &mut sqlx::Transaction<'static, Db>,
            endpoint: Uuid,
            why: &str,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'failed', last_error = $2, next_attempt_at = NULL,
                     leased_until = NULL, updated_at = $3
                 WHERE endpoint_id = $1 AND status = 'pending'",
            )
            .bind(endpoint)
            .bind(why)
            .bind(at)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
    }

    #[async_trait]
    impl EndpointOpsStore for Backend {
        async fn update_endpoint(
            &self,
            ws: WorkspaceId,
            id: WebhookEndpointId,
            p: &EndpointPatch,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<WebhookEndpoint>> {
            let mut tx = self.begin_write().await?;
            let sql = format!(
                "SELECT disabled_at FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL{}",
                Backend::FOR_UPDATE
            );
            let row: Option<(Option<DateTime<Utc>>,)> =
                sqlx::query_as(&sql).bind(ws.as_uuid()).bind(id.as_uuid()).fetch_optional(&mut *tx).await?;
            let Some((disabled_at,)) = row else { return Ok(None) };
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE webhook_endpoints SET updated_at = ");
            qb.push_bind(at);
            if let Some(url) = &p.url {
                qb.push(", url = ").push_bind(url.clone()).push(", failing_since = NULL");
            }
            if let Some(events) = &p.events {
                qb.push(", events = ").push_bind(Json(events.clone()));
            }
            if let Some(description) = &p.description {
                qb.push(", description = ").push_bind(description.clone());
            }
            match (p.disabled, disabled_at) {
                (Some(true), None) => {
                    qb.push(", disabled_at = ").push_bind(at).push(", disabled_reason = ").push_bind(DISABLED_BY_API);
                }
                (Some(false), Some(_)) => {
                    qb.push(", disabled_at = NULL, disabled_reason = NULL, failing_since = NULL");
                }
                _ => {}
            }
            qb.push(" WHERE workspace_id = ").push_bind(ws.as_uuid()).push(" AND id = ").push_bind(id.as_uuid());
            qb.build().execute(&mut *tx).await?;
            if p.disabled == Some(true) && disabled_at.is_none() {
                Self::fail_pending(&mut tx, id.as_uuid(), "endpoint disabled", at).await?;
            }
            tx.commit().await?;
            Ok(crate::webhooks::WebhookStore::get_endpoint(self, ws, id).await?.map(|s| s.endpoint))
        }

        async fn queue_test_event(&self, ws: WorkspaceId, id: WebhookEndpointId, event: &NewEvent) -> StoreResult<Option<MessageId>> {
            let mut tx = self.begin_write().await?;
            let sql = format!(
                "SELECT id FROM webhook_endpoints
                 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL AND disabled_at IS NULL{}",
                Backend::FOR_UPDATE
            );
            let found: Option<(Uuid,)> = sqlx::query_as(&sql).bind(ws.as_uuid()).bind(id.as_uuid()).fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO events (id, workspace_id, interview_id, candidate_id, type, data, created_at)
                 VALUES ($1, $2, NULL, NULL, $3, $4, $5)",
            )
            .bind(event.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(event.event_type.as_str())
            .bind(Json(&event.data))
            .bind(event.created_at)
            .execute(&mut *tx)
            .await?;
            let msg = Self::insert_delivery(&mut tx, ws, id.as_uuid(), event, id.as_uuid()).await?;
            tx.commit().await?;
            Ok(Some(msg))
        }

        async fn recover_deliveries(
            &self,
            ws: WorkspaceId,
            id: WebhookEndpointId,
            since: DateTime<Utc>,
            at: DateTime<Utc>,
        ) -> StoreResult<usize> {
            let done = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $4,
                     leased_until = NULL, updated_at = $4
                 WHERE workspace_id = $1 AND endpoint_id = $2 AND status = 'failed' AND created_at >= $3
                   AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE deleted_at IS NULL AND disabled_at IS NULL)",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(since)
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() as usize)
        }

        async fn disable_endpoint(
            &self,
            ws: WorkspaceId,
            id: WebhookEndpointId,
            when: DisableWhen,
            reason: &str,
            event: EventId,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<WebhookEndpoint>> {
            let mut tx = self.begin_write().await?;
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE webhook_endpoints SET disabled_at = ");
            qb.push_bind(at)
                .push(", disabled_reason = ")
                .push_bind(reason.to_string())
                .push(", updated_at = ")
                .push_bind(at)
                .push(" WHERE workspace_id = ")
                .push_bind(ws.as_uuid())
                .push(" AND id = ")
                .push_bind(id.as_uuid())
                .push(" AND deleted_at IS NULL AND disabled_at IS NULL");
            if let DisableWhen::FailingSince(cutoff) = when {
                qb.push(" AND failing_since IS NOT NULL AND failing_since <= ").push_bind(cutoff);
            }
            if qb.build().execute(&mut *tx).await?.rows_affected() == 0 {
                return Ok(None);
            }
            Self::fail_pending(&mut tx, id.as_uuid(), "endpoint disabled", at).await?;
            let sql = format!("SELECT {} FROM webhook_endpoints WHERE id = $1", crate::webhooks::ENDPOINT_COLUMNS);
            let row: crate::webhooks::EndpointRow = sqlx::query_as(&sql).bind(id.as_uuid()).fetch_one(&mut *tx).await?;
            let endpoint = crate::webhooks::StoredEndpoint::from(row).endpoint;
            let disabled = NewEvent {
                id: event,
                event_type: EventType::WebhookEndpointDisabled,
                data: json!({ "webhook_endpoint": endpoint, "reason": reason }),
                created_at: at,
            };
            Self::queue_event(&mut tx, ws, &disabled, id.as_uuid()).await?;
            tx.commit().await?;
            Ok(Some(endpoint))
        }
    }
}
