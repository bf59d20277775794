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
    }
}
