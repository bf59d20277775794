//! Admin console sessions, shared by every replica through the database.
//!
//! A session is found by the hash of the token its cookie carries; it names the API key it
//! was opened with (id and public lookup, never the key), the workspace it acts in and its
//! CSRF token. Idle expiry is the caller's rule: `touch_console_session` only renews a
//! session seen after `idle_since`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ApiKeyId, WorkspaceId};
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::StoreResult;

#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleSession {
    pub key_id: ApiKeyId,
    pub key_lookup: String,
    pub workspace_id: WorkspaceId,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[async_trait]
pub trait ConsoleSessionStore: Send + Sync {
    async fn insert_console_session(
        &self,
        token_hash: &[u8],
        session: &ConsoleSession,
    ) -> StoreResult<()>;
    /// The session, if it exists and was last seen after `idle_since`; its last-seen time
    /// moves to `now`. Not scoped by workspace: the session is what tells us the workspace.
    async fn touch_console_session(
        &self,
        token_hash: &[u8],
        idle_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ConsoleSession>>;
    /// Switch the workspace a session acts in (admin keys).
    async fn set_console_session_workspace(
        &self,
        token_hash: &[u8],
        workspace: WorkspaceId,
    ) -> StoreResult<()>;
    async fn delete_console_session(&self, token_hash: &[u8]) -> StoreResult<()>;
    /// Forget sessions idle since before `idle_since`; how many went.
    async fn purge_console_sessions(&self, idle_since: DateTime<Utc>) -> StoreResult<u64>;
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    key_id: Uuid,
    key_lookup: String,
    workspace_id: Uuid,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl From<SessionRow> for ConsoleSession {
    fn from(r: SessionRow) -> Self {
        ConsoleSession {
            key_id: ApiKeyId::from_uuid(r.key_id),
            key_lookup: r.key_lookup,
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            csrf_token: r.csrf_token,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
        }
    }
}

for_each_backend! {
    #[async_trait]
    impl ConsoleSessionStore for Backend {
        async fn insert_console_session(&self, token_hash: &[u8], s: &ConsoleSession) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO console_sessions
                   (token_hash, key_id, key_lookup, workspace_id, csrf_token, created_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_hash)
            .bind(s.key_id.as_uuid())
            .bind(&s.key_lookup)
            .bind(s.workspace_id.as_uuid())
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .execute(self.writer())
            .await?;
            Ok(())
        }

        async fn touch_console_session(
            &self,
            token_hash: &[u8],
            idle_since: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> StoreResult<Option<ConsoleSession>> {
            let row: Option<SessionRow> = sqlx::query_as(
                "UPDATE console_sessions SET last_seen_at = $3
                 WHERE token_hash = $1 AND last_seen_at > $2
                 RETURNING key_id, key_lookup, workspace_id, csrf_token, created_at, last_seen_at",
            )
            .bind(token_hash)
            .bind(idle_since)
            .bind(now)
            .fetch_optional(self.writer())
            .await?;
            Ok(row.map(Into::into))
        }

        async fn set_console_session_workspace(&self, token_hash: &[u8], workspace: WorkspaceId) -> StoreResult<()> {
            sqlx::query("UPDATE console_sessions SET workspace_id = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(workspace.as_uuid())
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn delete_console_session(&self, token_hash: &[u8]) -> StoreResult<()> {
            sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn purge_console_sessions(&self, idle_since: DateTime<Utc>) -> StoreResult<u64> {
            let done = sqlx::query("DELETE FROM console_sessions WHERE last_seen_at <= $1")
                .bind(idle_since)
                .execute(self.writer())
                .await?;
            Ok(done.rows_affected())
        }
    }
}
