//! Vendor id → gateway id. Interviews write their rows through
//! `InterviewStore::save_vendor_state`; templates keep theirs as the unique
//! `(connection, kind, vendor id)` of the templates table.

use async_trait::async_trait;
use gateway_core::{ConnectionId, WorkspaceId};
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub workspace_id: WorkspaceId,
    pub resource_type: String,
    pub resource_id: Uuid,
}

#[async_trait]
pub trait MappingStore: Send + Sync {
    /// Which of our resources a vendor id stands for. Keyed by connection, which belongs to
    /// exactly one workspace; the workspace comes back with the answer.
    async fn find_mapping(
        &self,
        connection: ConnectionId,
        kind: &str,
        vendor_id: &str,
    ) -> StoreResult<Option<Mapping>>;
    /// Map a vendor object to one of ours (e.g. a webhook the gateway registered for a
    /// template). An existing mapping of the same vendor id is left as it is.
    async fn insert_mapping(
        &self,
        connection: ConnectionId,
        kind: &str,
        vendor_id: &str,
        mapping: &Mapping,
    ) -> StoreResult<()>;
    /// The vendor ids of `kind` mapped on a connection, optionally only those of one resource.
    async fn vendor_ids(
        &self,
        connection: ConnectionId,
        kind: &str,
        resource: Option<Uuid>,
    ) -> StoreResult<Vec<String>>;
    async fn delete_mapping(
        &self,
        connection: ConnectionId,
        kind: &str,
        vendor_id: &str,
    ) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
struct MappingRow {
    workspace_id: Uuid,
    resource_type: String,
    resource_id: Uuid,
}

for_each_backend! {
    #[async_trait]
    impl MappingStore for Backend {
        async fn find_mapping(
            &self,
            connection: ConnectionId,
            kind: &str,
            vendor_id: &str,
        ) -> StoreResult<Option<Mapping>> {
            let row: Option<MappingRow> = sqlx::query_as(
                "SELECT workspace_id, resource_type, resource_id FROM provider_mappings
                 WHERE connection_id = $1 AND kind = $2 AND vendor_id = $3",
            )
            .bind(connection.as_uuid())
            .bind(kind)
            .bind(vendor_id)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|r| Mapping {
                workspace_id: WorkspaceId::from_uuid(r.workspace_id),
                resource_type: r.resource_type,
                resource_id: r.resource_id,
            }))
        }

        async fn insert_mapping(
            &self,
            connection: ConnectionId,
            kind: &str,
            vendor_id: &str,
            m: &Mapping,
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO provider_mappings (connection_id, kind, vendor_id, workspace_id, resource_type, resource_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (connection_id, kind, vendor_id) DO NOTHING",
            )
            .bind(connection.as_uuid())
            .bind(kind)
            .bind(vendor_id)
            .bind(m.workspace_id.as_uuid())
            .bind(&m.resource_type)
            .bind(m.resource_id)
            .bind(gateway_core::time::now())
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn vendor_ids(&self, connection: ConnectionId, kind: &str, resource: Option<Uuid>) -> StoreResult<Vec<String>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT vendor_id FROM provider_mappings WHERE connection_id = ");
            qb.push_bind(connection.as_uuid()).push(" AND kind = ").push_bind(kind.to_string());
            if let Some(r) = resource {
                qb.push(" AND resource_id = ").push_bind(r);
            }
            qb.push(" ORDER BY vendor_id");
            let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(rows.into_iter().map(|(v,)| v).collect())
        }

        async fn delete_mapping(&self, connection: ConnectionId, kind: &str, vendor_id: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM provider_mappings WHERE connection_id = $1 AND kind = $2 AND vendor_id = $3")
                .bind(connection.as_uuid())
                .bind(kind)
                .bind(vendor_id)
                .execute(self.writer())
                .await?;
            Ok(())
        }
    }
}
