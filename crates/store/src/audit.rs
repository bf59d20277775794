//! The audit log of security-relevant actions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ApiKeyId, WorkspaceId};
use serde::Serialize;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::page::{push_keyset, Page, PageRequest};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    #[serde(serialize_with = "audit_id")]
    #[schema(value_type = String, example = "aud_01jd8x3k5m7q9s1v3x5z7b9d1f")]
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub at: DateTime<Utc>,
    /// The API key that acted; `null` for the command line.
    pub actor_key_id: Option<ApiKeyId>,
    #[schema(example = "api_key.revoked")]
    pub action: String,
    #[schema(example = "api_key")]
    pub target_type: String,
    #[schema(example = "key_01jd8x3k5m7q9s1v3x5z7b9d1f")]
    pub target_id: String,
    pub request_id: Option<String>,
    /// What changed, without secrets.
    pub details: serde_json::Value,
}

fn audit_id<S: serde::Serializer>(id: &Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&gateway_core::id::format_prefixed("aud", *id))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<String>,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    async fn list_audit(
        &self,
        ws: WorkspaceId,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEntry>>;
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    workspace_id: Uuid,
    at: DateTime<Utc>,
    actor_key_id: Option<Uuid>,
    action: String,
    target_type: String,
    target_id: String,
    request_id: Option<String>,
    details: Json<serde_json::Value>,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        AuditEntry {
            id: r.id,
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            at: r.at,
            actor_key_id: r.actor_key_id.map(ApiKeyId::from_uuid),
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            request_id: r.request_id,
            details: r.details.0,
        }
    }
}

for_each_backend! {
    #[async_trait]
    impl AuditStore for Backend {
        async fn record_audit(&self, e: &AuditEntry) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO audit_log (id, workspace_id, at, actor_key_id, action, target_type, target_id, request_id, details)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.id)
            .bind(e.workspace_id.as_uuid())
            .bind(e.at)
            .bind(e.actor_key_id.map(|k| k.as_uuid()))
            .bind(&e.action)
            .bind(&e.target_type)
            .bind(&e.target_id)
            .bind(&e.request_id)
            .bind(Json(&e.details))
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn list_audit(&self, ws: WorkspaceId, filter: &AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEntry>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT id, workspace_id, at, actor_key_id, action, target_type, target_id, request_id, details
                 FROM audit_log WHERE workspace_id = ",
            );
            qb.push_bind(ws.as_uuid());
            if let Some(action) = &filter.action {
                qb.push(" AND action = ").push_bind(action.clone());
            }
            push_keyset(&mut qb, "id", page);
            let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(Into::into))
        }
    }
}
