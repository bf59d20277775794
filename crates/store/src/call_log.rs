//! The per-connection vendor call log: every attempt the gateway made, as the vendor client
//! reported it (`gateway_core::observe`). Rows hold no credential and no body — the path is
//! without its query — and are bounded by age and by a count per connection (`prune_*`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ConnectionId, WorkspaceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

/// How a call ended: the labels of `gateway_vendor_calls_total` (`gateway_metrics::VendorOutcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// 2xx/3xx.
    Ok,
    /// 4xx other than 429 (refused credentials are 401/403).
    ClientError,
    /// 429.
    RateLimited,
    /// 5xx.
    ServerError,
    /// No answer: refused, timed out, broken body, or refused by the egress policy.
    Unreachable,
}

impl CallOutcome {
    /// From the vendor's status, `None` when it did not answer.
    pub fn of_status(status: Option<u16>) -> Self {
        match status {
            None => Self::Unreachable,
            Some(200..=399) => Self::Ok,
            Some(429) => Self::RateLimited,
            Some(400..=499) => Self::ClientError,
            Some(_) => Self::ServerError,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ClientError => "client_error",
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::Unreachable => "unreachable",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "ok" => Ok(Self::Ok),
            "client_error" => Ok(Self::ClientError),
            "rate_limited" => Ok(Self::RateLimited),
            "server_error" => Ok(Self::ServerError),
            "unreachable" => Ok(Self::Unreachable),
            other => Err(StoreError::Corrupt(format!(
                "unknown call outcome `{other}`"
            ))),
        }
    }
}

/// One attempt of one vendor call, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VendorCallEntry {
    #[serde(serialize_with = "call_id")]
    #[schema(value_type = String, example = "call_01jd8x3k5m7q9s1v3x5z7b9d1f")]
    pub id: Uuid,
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub connection_id: ConnectionId,
    /// When the attempt finished.
    pub at: DateTime<Utc>,
    #[schema(example = "heymilo")]
    pub provider: String,
    /// The adapter operation (`create_interview`, `list_templates`…).
    #[schema(example = "list_templates")]
    pub operation: String,
    #[schema(example = "GET")]
    pub method: String,
    /// The URL path, never its query.
    #[schema(example = "/api/v1/postings")]
    pub path: String,
    /// The vendor's HTTP status; `null` when it could not be reached.
    pub status: Option<u16>,
    pub outcome: CallOutcome,
    pub latency_ms: u64,
    /// 1-based.
    pub attempt: u32,
    /// Whether this attempt's result is what the caller got (no retry followed).
    pub last: bool,
    /// The `X-Request-Id` of the API request that caused it; `null` for background work.
    pub request_id: Option<String>,
    /// The W3C trace it belongs to, and this attempt's own span (sent as `traceparent`).
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    /// Why it failed: the client's own description when there was no answer, the status
    /// otherwise. Never a credential or a response body.
    pub error: Option<String>,
}

fn call_id<S: serde::Serializer>(id: &Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&gateway_core::id::format_prefixed("call", *id))
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallFilter {
    pub operation: Option<String>,
    pub outcome: Option<CallOutcome>,
    pub status: Option<u16>,
    /// `at >= since`.
    pub since: Option<DateTime<Utc>>,
    /// `at < until`.
    pub until: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait CallLogStore: Send + Sync {
    /// Insert a batch in one statement (the writer batches what the queue holds).
    async fn record_vendor_calls(&self, calls: &[VendorCallEntry]) -> StoreResult<()>;
    /// One connection's calls, newest first.
    async fn list_vendor_calls(
        &self,
        ws: WorkspaceId,
        conn: ConnectionId,
        filter: &CallFilter,
        page: PageRequest,
    ) -> StoreResult<Page<VendorCallEntry>>;
    /// Delete up to `limit` calls made before `older_than`; answers how many.
    async fn prune_vendor_calls_older(
        &self,
        older_than: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<u64>;
    /// Delete up to `limit` calls of each connection past its newest `keep`; answers how
    /// many in all.
    async fn prune_vendor_calls_over(&self, keep: i64, limit: i64) -> StoreResult<u64>;
}

const COLUMNS: &str = "id, workspace_id, connection_id, at, provider, operation, method, path, status, outcome, latency_ms, attempt, is_last, request_id, trace_id, span_id, error";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    workspace_id: Uuid,
    connection_id: Uuid,
    at: DateTime<Utc>,
    provider: String,
    operation: String,
    method: String,
    path: String,
    status: Option<i32>,
    outcome: String,
    latency_ms: i64,
    attempt: i32,
    is_last: bool,
    request_id: Option<String>,
    trace_id: Option<String>,
    span_id: Option<String>,
    error: Option<String>,
}

impl TryFrom<Row> for VendorCallEntry {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<Self> {
        Ok(Self {
            id: r.id,
            workspace_id: WorkspaceId::from_uuid(r.workspace_id),
            connection_id: ConnectionId::from_uuid(r.connection_id),
            at: r.at,
            provider: r.provider,
            operation: r.operation,
            method: r.method,
            path: r.path,
            status: r.status.and_then(|s| u16::try_from(s).ok()),
            outcome: CallOutcome::parse(&r.outcome)?,
            latency_ms: u64::try_from(r.latency_ms).unwrap_or_default(),
            attempt: u32::try_from(r.attempt).unwrap_or_default(),
            last: r.is_last,
            request_id: r.request_id,
            trace_id: r.trace_id,
            span_id: r.span_id,
            error: r.error,
        })
    }
}

for_each_backend! {
    #[async_trait]
    impl CallLogStore for Backend {
        async fn record_vendor_calls(&self, calls: &[VendorCallEntry]) -> StoreResult<()> {
            if calls.is_empty() {
                return Ok(());
            }
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO vendor_calls ({COLUMNS}) "));
            qb.push_values(calls, |mut b, c| {
                b.push_bind(c.id)
                    .push_bind(c.workspace_id.as_uuid())
                    .push_bind(c.connection_id.as_uuid())
                    .push_bind(c.at)
                    .push_bind(c.provider.clone())
                    .push_bind(c.operation.clone())
                    .push_bind(c.method.clone())
                    .push_bind(c.path.clone())
                    .push_bind(c.status.map(i32::from))
                    .push_bind(c.outcome.as_str())
                    .push_bind(i64::try_from(c.latency_ms).unwrap_or(i64::MAX))
                    .push_bind(i32::try_from(c.attempt).unwrap_or(i32::MAX))
                    .push_bind(c.last)
                    .push_bind(c.request_id.clone())
                    .push_bind(c.trace_id.clone())
                    .push_bind(c.span_id.clone())
                    .push_bind(c.error.clone());
            });
            qb.build().execute(self.writer()).await?;
            Ok(())
        }

        async fn list_vendor_calls(&self, ws: WorkspaceId, conn: ConnectionId, filter: &CallFilter, page: PageRequest) -> StoreResult<Page<VendorCallEntry>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT {COLUMNS} FROM vendor_calls WHERE workspace_id = "));
            qb.push_bind(ws.as_uuid());
            qb.push(" AND connection_id = ").push_bind(conn.as_uuid());
            if let Some(op) = &filter.operation {
                qb.push(" AND operation = ").push_bind(op.clone());
            }
            if let Some(outcome) = filter.outcome {
                qb.push(" AND outcome = ").push_bind(outcome.as_str());
            }
            if let Some(status) = filter.status {
                qb.push(" AND status = ").push_bind(i32::from(status));
            }
            if let Some(since) = filter.since {
                qb.push(" AND at >= ").push_bind(since);
            }
            if let Some(until) = filter.until {
                qb.push(" AND at < ").push_bind(until);
            }
            push_keyset(&mut qb, "id", page);
            let rows: Vec<Row> = qb.build_query_as().fetch_all(&self.pool).await?;
            let items = rows.into_iter().map(VendorCallEntry::try_from).collect::<StoreResult<Vec<_>>>()?;
            Ok(Page::from_overfetch(items, page, |c| c.id))
        }

        async fn prune_vendor_calls_older(&self, older_than: DateTime<Utc>, limit: i64) -> StoreResult<u64> {
            let done = sqlx::query(
                "DELETE FROM vendor_calls WHERE id IN (
                     SELECT id FROM vendor_calls WHERE at < $1 ORDER BY at LIMIT $2
                 )",
            )
            .bind(older_than)
            .bind(limit)
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected())
        }

        async fn prune_vendor_calls_over(&self, keep: i64, limit: i64) -> StoreResult<u64> {
            let over: Vec<(Uuid,)> = sqlx::query_as(
                "SELECT connection_id FROM vendor_calls GROUP BY connection_id HAVING COUNT(*) > $1",
            )
            .bind(keep)
            .fetch_all(&self.pool)
            .await?;
            let mut n = 0;
            for (conn,) in over {
                // The newest row past the ones kept: it and everything older goes.
                let edge: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM vendor_calls WHERE connection_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
                )
                .bind(conn)
                .bind(keep)
                .fetch_optional(&self.pool)
                .await?;
                let Some((edge,)) = edge else { continue };
                n += sqlx::query(
                    "DELETE FROM vendor_calls WHERE id IN (
                         SELECT id FROM vendor_calls WHERE connection_id = $1 AND id <= $2
                         ORDER BY id LIMIT $3
                     )",
                )
                .bind(conn)
                .bind(edge)
                .bind(limit)
                .execute(self.writer())
                .await?
                .rows_affected();
            }
            Ok(n)
        }
    }
}
