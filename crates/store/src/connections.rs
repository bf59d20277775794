use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{Connection, ConnectionId, ConnectionStatus, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

/// A connection with its credentials still encrypted.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConnection {
    pub workspace_id: WorkspaceId,
    pub connection: Connection,
    pub credentials_ciphertext: Vec<u8>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl StoredConnection {
    pub fn connection_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// Fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionUpdate {
    pub name: Option<String>,
    /// `Some(None)` clears the override.
    pub base_url: Option<Option<String>>,
    pub settings: Option<serde_json::Value>,
    pub credentials_ciphertext: Option<Vec<u8>>,
    pub status: Option<ConnectionStatus>,
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn insert_connection(
        &self,
        ws: WorkspaceId,
        connection: &Connection,
        credentials_ciphertext: &[u8],
    ) -> StoreResult<()>;
    /// A live (not deleted) connection.
    async fn get_connection(
        &self,
        ws: WorkspaceId,
        id: ConnectionId,
    ) -> StoreResult<Option<StoredConnection>>;
    /// Any connection, deleted ones included: inbound webhooks and the secret rotation need
    /// it. Not tenant-scoped; callers check the workspace they get back.
    async fn find_connection_any_workspace(
        &self,
        id: ConnectionId,
    ) -> StoreResult<Option<StoredConnection>>;
    async fn list_connections(
        &self,
        ws: WorkspaceId,
        page: PageRequest,
    ) -> StoreResult<Page<Connection>>;
    async fn update_connection(
        &self,
        ws: WorkspaceId,
        id: ConnectionId,
        update: &ConnectionUpdate,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<StoredConnection>>;
    /// Soft delete: the interviews made through it stay readable. `false` when absent.
    async fn delete_connection(
        &self,
        ws: WorkspaceId,
        id: ConnectionId,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    id: Uuid,
    workspace_id: Uuid,
    provider: String,
    name: String,
    base_url: Option<String>,
    credentials: Vec<u8>,
    settings: Json<serde_json::Value>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<ConnectionRow> for StoredConnection {
    type Error = StoreError;
    fn try_from(r: ConnectionRow) -> StoreResult<Self> {
        Ok(StoredConnection {
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            credentials_ciphertext: r.credentials,
            deleted_at: r.deleted_at,
            connection: Connection {
                id: ConnectionId::from_uuid(r.id),
                provider: r.provider,
                name: r.name,
                base_url: r.base_url,
                settings: r.settings.0,
                status: r.status.parse().map_err(StoreError::Corrupt)?,
                created_at: r.created_at,
                updated_at: r.updated_at,
            },
        })
    }
}

const COLUMNS: &str = "id, workspace_id, provider, name, base_url, credentials, settings, status, \
     created_at, updated_at, deleted_at";

for_each_backend! {
    #[async_trait]
    impl ConnectionStore for Backend {
        async fn insert_connection(
            &self,
            ws: WorkspaceId,
            c: &Connection,
            credentials_ciphertext: &[u8],
        ) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO connections (id, workspace_id, provider, name, base_url, credentials,
                     settings, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(c.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(&c.provider)
            .bind(&c.name)
            .bind(&c.base_url)
            .bind(credentials_ciphertext)
            .bind(Json(&c.settings))
            .bind(c.status.as_str())
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn get_connection(&self, ws: WorkspaceId, id: ConnectionId) -> StoreResult<Option<StoredConnection>> {
            let sql = format!(
                "SELECT {COLUMNS} FROM connections
                 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL"
            );
            let row: Option<ConnectionRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn find_connection_any_workspace(&self, id: ConnectionId) -> StoreResult<Option<StoredConnection>> {
            let sql = format!("SELECT {COLUMNS} FROM connections WHERE id = $1");
            let row: Option<ConnectionRow> = sqlx::query_as(&sql)
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn list_connections(&self, ws: WorkspaceId, page: PageRequest) -> StoreResult<Page<Connection>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {COLUMNS} FROM connections WHERE deleted_at IS NULL AND workspace_id = "
            ));
            qb.push_bind(ws.as_uuid());
            push_keyset(&mut qb, "id", page);
            let rows: Vec<ConnectionRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let items = page
                .items
                .into_iter()
                .map(|r| StoredConnection::try_from(r).map(|s| s.connection))
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Page { items, next_after: page.next_after })
        }

        async fn update_connection(
            &self,
            ws: WorkspaceId,
            id: ConnectionId,
            u: &ConnectionUpdate,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<StoredConnection>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE connections SET updated_at = ");
            qb.push_bind(at);
            if let Some(name) = &u.name {
                qb.push(", name = ").push_bind(name.clone());
            }
            if let Some(base_url) = &u.base_url {
                qb.push(", base_url = ").push_bind(base_url.clone());
            }
            if let Some(settings) = &u.settings {
                qb.push(", settings = ").push_bind(Json(settings.clone()));
            }
            if let Some(ct) = &u.credentials_ciphertext {
                qb.push(", credentials = ").push_bind(ct.clone());
            }
            if let Some(status) = u.status {
                qb.push(", status = ").push_bind(status.as_str());
            }
            qb.push(" WHERE workspace_id = ")
                .push_bind(ws.as_uuid())
                .push(" AND id = ")
                .push_bind(id.as_uuid())
                .push(" AND deleted_at IS NULL");
            let done = qb.build().execute(self.writer()).await?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            self.get_connection(ws, id).await
        }

        async fn delete_connection(&self, ws: WorkspaceId, id: ConnectionId, at: DateTime<Utc>) -> StoreResult<bool> {
            let done = sqlx::query(
                "UPDATE connections SET deleted_at = $3, updated_at = $3
                 WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(at)
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }
}
