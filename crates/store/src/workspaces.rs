use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{Workspace, WorkspaceId};
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;
use crate::page::{push_keyset, Page, PageRequest};

/// Workspaces are the tenants themselves, so these are the only queries not scoped by one.
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    async fn insert_workspace(&self, workspace: &Workspace) -> StoreResult<()>;
    async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>>;
    async fn list_workspaces(&self, page: PageRequest) -> StoreResult<Page<Workspace>>;
}

#[derive(sqlx::FromRow)]
struct WorkspaceRow {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace {
            id: WorkspaceId::from_uuid(r.id),
            name: r.name,
            created_at: r.created_at,
        }
    }
}

for_each_backend! {
    #[async_trait]
    impl WorkspaceStore for Backend {
        async fn insert_workspace(&self, w: &Workspace) -> StoreResult<()> {
            sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(w.id.as_uuid())
                .bind(&w.name)
                .bind(w.created_at)
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn get_workspace(&self, id: WorkspaceId) -> StoreResult<Option<Workspace>> {
            let row: Option<WorkspaceRow> =
                sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE id = $1")
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(row.map(Into::into))
        }

        async fn list_workspaces(&self, page: PageRequest) -> StoreResult<Page<Workspace>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT id, name, created_at FROM workspaces WHERE TRUE",
            );
            push_keyset(&mut qb, "id", page);
            let rows: Vec<WorkspaceRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            Ok(Page::from_overfetch(rows, page, |r| r.id).map(Into::into))
        }
    }
}
