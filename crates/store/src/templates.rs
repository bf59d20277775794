use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ConnectionId, ProviderRef, Template, TemplateId, TemplateStep, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateFilter {
    pub connection_id: Option<ConnectionId>,
}

/// Whether an upsert created the template or refreshed an existing one.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted<T> {
    pub value: T,
    pub created: bool,
}

#[async_trait]
pub trait TemplateStore: Send + Sync {
    /// Insert, or — when the connection already has a template for the same vendor object —
    /// refresh that one and keep its id. The `(connection, kind, vendor id)` uniqueness is the
    /// template's provider mapping.
    async fn upsert_template(
        &self,
        ws: WorkspaceId,
        template: &Template,
    ) -> StoreResult<Upserted<Template>>;
    async fn get_template(&self, ws: WorkspaceId, id: TemplateId) -> StoreResult<Option<Template>>;
    async fn list_templates(
        &self,
        ws: WorkspaceId,
        filter: TemplateFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Template>>;
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: Uuid,
    connection_id: Uuid,
    provider: String,
    ref_kind: String,
    ref_id: String,
    ref_vendor: Json<serde_json::Map<String, serde_json::Value>>,
    name: String,
    description: Option<String>,
    status: String,
    steps: Json<Vec<TemplateStep>>,
    remote_data: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TemplateRow> for Template {
    type Error = StoreError;
    fn try_from(r: TemplateRow) -> StoreResult<Self> {
        Ok(Template {
            id: TemplateId::from_uuid(r.id),
            connection_id: ConnectionId::from_uuid(r.connection_id),
            provider: r.provider,
            provider_ref: ProviderRef {
                kind: r.ref_kind,
                id: r.ref_id,
                vendor: r.ref_vendor.0,
            },
            name: r.name,
            description: r.description,
            status: r.status.parse().map_err(StoreError::Corrupt)?,
            steps: r.steps.0,
            remote_data: r.remote_data.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str =
    "id, connection_id, provider, ref_kind, ref_id, ref_vendor, name, description, \
     status, steps, remote_data, created_at, updated_at";

for_each_backend! {
    #[async_trait]
    impl TemplateStore for Backend {
        async fn upsert_template(&self, ws: WorkspaceId, t: &Template) -> StoreResult<Upserted<Template>> {
            // The connection must belong to the workspace: checked in the statement itself so
            // no caller can attach a template to another tenant's connection.
            // A vendor answer that leaves out part of the adapter-owned ref (HeyMilo's
            // url_key, say) keeps what was known.
            let merge_vendor_part = Backend::json_overlay("templates.ref_vendor", "excluded.ref_vendor");
            let sql = format!(
                "INSERT INTO templates (id, workspace_id, connection_id, provider, ref_kind, ref_id,
                     ref_vendor, name, description, status, steps, remote_data, created_at, updated_at)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
                 WHERE EXISTS (SELECT 1 FROM connections WHERE id = $3 AND workspace_id = $2)
                 ON CONFLICT (connection_id, ref_kind, ref_id) DO UPDATE SET
                     ref_vendor = {merge_vendor_part},
                     name = excluded.name,
                     description = excluded.description,
                     status = excluded.status,
                     steps = excluded.steps,
                     remote_data = excluded.remote_data,
                     updated_at = excluded.updated_at
                 RETURNING {COLUMNS}"
            );
            let row: Option<TemplateRow> = sqlx::query_as(&sql)
                .bind(t.id.as_uuid())
                .bind(ws.as_uuid())
                .bind(t.connection_id.as_uuid())
                .bind(&t.provider)
                .bind(&t.provider_ref.kind)
                .bind(&t.provider_ref.id)
                .bind(Json(&t.provider_ref.vendor))
                .bind(&t.name)
                .bind(&t.description)
                .bind(t.status.as_str())
                .bind(Json(&t.steps))
                .bind(Json(&t.remote_data))
                .bind(t.created_at)
                .bind(t.updated_at)
                .fetch_optional(self.writer())
                .await?;
            let row = row.ok_or_else(|| {
                StoreError::Conflict("the connection does not exist in this workspace".into())
            })?;
            let created = row.id == t.id.as_uuid();
            Ok(Upserted { value: row.try_into()?, created })
        }

        async fn get_template(&self, ws: WorkspaceId, id: TemplateId) -> StoreResult<Option<Template>> {
            let sql = format!("SELECT {COLUMNS} FROM templates WHERE workspace_id = $1 AND id = $2");
            let row: Option<TemplateRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn list_templates(
            &self,
            ws: WorkspaceId,
            filter: TemplateFilter,
            page: PageRequest,
        ) -> StoreResult<Page<Template>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {COLUMNS} FROM templates WHERE workspace_id = "
            ));
            qb.push_bind(ws.as_uuid());
            if let Some(c) = filter.connection_id {
                qb.push(" AND connection_id = ").push_bind(c.as_uuid());
            }
            push_keyset(&mut qb, "id", page);
            let rows: Vec<TemplateRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let items = page.items.into_iter().map(Template::try_from).collect::<StoreResult<_>>()?;
            Ok(Page { items, next_after: page.next_after })
        }
    }
}
