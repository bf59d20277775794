//! A connection's health, from the outcomes of its real vendor calls, and the
//! `connection.unhealthy` / `connection.recovered` events its changes produce — written in
//! the same transaction, under a row lock, so replicas seeing the same outage emit once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{ConnectionId, EventId, EventType, WorkspaceId};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::interviews::NewEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Healthy,
    /// The vendor refused the credentials (401/403).
    InvalidCredentials,
    /// The vendor has been unreachable (no answer, or 5xx) for the configured stretch.
    Unavailable,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unavailable => "unavailable",
        }
    }

    fn parse(s: &str) -> StoreResult<Self> {
        match s {
            "healthy" => Ok(Self::Healthy),
            "invalid_credentials" => Ok(Self::InvalidCredentials),
            "unavailable" => Ok(Self::Unavailable),
            other => Err(StoreError::Corrupt(format!("unknown health `{other}`"))),
        }
    }
}

/// As the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConnectionHealth {
    pub state: HealthState,
    /// When it entered this state; `null` for a connection not called yet.
    pub since: Option<DateTime<Utc>>,
    /// The last failure, in the vendor's or the client's words (no credential).
    pub last_error: Option<String>,
}

impl Default for ConnectionHealth {
    fn default() -> Self {
        Self {
            state: HealthState::Healthy,
            since: None,
            last_error: None,
        }
    }
}

/// What one finished vendor call says about its connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The vendor answered and took the credentials.
    Ok,
    CredentialsRefused(String),
    Unreachable(String),
}

#[async_trait]
pub trait ConnectionHealthStore: Send + Sync {
    /// Fold one observation in; when the state changes, queue `connection.unhealthy` or
    /// `connection.recovered` (id `event`) and answer which. An unreachable vendor makes the
    /// connection `unavailable` once it has been unreachable for `unavailable_after`.
    async fn observe_health(
        &self,
        ws: WorkspaceId,
        id: ConnectionId,
        seen: &Observation,
        unavailable_after: chrono::Duration,
        event: EventId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<EventType>>;
    /// The health of each of these connections (healthy, never called, when absent).
    async fn connection_health(
        &self,
        ws: WorkspaceId,
        ids: &[ConnectionId],
    ) -> StoreResult<Vec<(ConnectionId, ConnectionHealth)>>;
}

type Row = (String, DateTime<Utc>, Option<String>, Option<DateTime<Utc>>);

/// The next (state, since, last_error, unreachable_since) and the event to emit.
fn fold(
    old: Option<&Row>,
    seen: &Observation,
    after: chrono::Duration,
    at: DateTime<Utc>,
) -> StoreResult<(Row, Option<EventType>)> {
    let (state, since, last_error, unreachable) = match old {
        Some((s, since, e, u)) => (HealthState::parse(s)?, *since, e.clone(), *u),
        None => (HealthState::Healthy, at, None, None),
    };
    let row = |s: HealthState, since, e, u| (s.as_str().to_string(), since, e, u);
    Ok(match seen {
        Observation::Ok if state != HealthState::Healthy => (
            row(HealthState::Healthy, at, last_error, None),
            Some(EventType::ConnectionRecovered),
        ),
        Observation::Ok => (row(state, since, last_error, None), None),
        Observation::CredentialsRefused(m) if state != HealthState::InvalidCredentials => (
            row(HealthState::InvalidCredentials, at, Some(m.clone()), None),
            Some(EventType::ConnectionUnhealthy),
        ),
        Observation::CredentialsRefused(m) => (row(state, since, Some(m.clone()), None), None),
        Observation::Unreachable(m) => {
            let from = unreachable.unwrap_or(at);
            if state == HealthState::Healthy && at - from >= after {
                (
                    row(HealthState::Unavailable, at, Some(m.clone()), Some(from)),
                    Some(EventType::ConnectionUnhealthy),
                )
            } else {
                (row(state, since, Some(m.clone()), Some(from)), None)
            }
        }
    })
}

for_each_backend! {
    #[async_trait]
    impl ConnectionHealthStore for Backend {
        async fn observe_health(
            &self,
            ws: WorkspaceId,
            id: ConnectionId,
            seen: &Observation,
            after: chrono::Duration,
            event: EventId,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<EventType>> {
            let mut tx = self.begin_write().await?;
            let sql = format!(
                "SELECT state, since, last_error, unreachable_since FROM connection_health
                 WHERE workspace_id = $1 AND connection_id = $2{}",
                Backend::FOR_UPDATE
            );
            let old: Option<Row> = sqlx::query_as(&sql).bind(ws.as_uuid()).bind(id.as_uuid()).fetch_optional(&mut *tx).await?;
            let (new, emitted) = fold(old.as_ref(), seen, after, at)?;
            if old.as_ref() == Some(&new) {
                return Ok(None);
            }
            // The connection must be this workspace's (a row for another's would be a leak).
            let owned: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM connections WHERE workspace_id = $1 AND id = $2")
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
            if owned.is_none() {
                return Ok(None);
            }
            sqlx::query(
                "INSERT INTO connection_health (connection_id, workspace_id, state, since, last_error, unreachable_since, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (connection_id) DO UPDATE SET state = excluded.state, since = excluded.since,
                     last_error = excluded.last_error, unreachable_since = excluded.unreachable_since,
                     updated_at = excluded.updated_at",
            )
            .bind(id.as_uuid())
            .bind(ws.as_uuid())
            .bind(&new.0)
            .bind(new.1)
            .bind(&new.2)
            .bind(new.3)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if let Some(kind) = emitted {
                let health = ConnectionHealth { state: HealthState::parse(&new.0)?, since: Some(new.1), last_error: new.2.clone() };
                let e = NewEvent {
                    id: event,
                    event_type: kind,
                    data: json!({ "connection_id": id, "health": health }),
                    created_at: at,
                };
                Self::queue_event(&mut tx, ws, &e, id.as_uuid()).await?;
            }
            tx.commit().await?;
            Ok(emitted)
        }

        async fn connection_health(&self, ws: WorkspaceId, ids: &[ConnectionId]) -> StoreResult<Vec<(ConnectionId, ConnectionHealth)>> {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT connection_id, state, since, last_error FROM connection_health WHERE workspace_id = ",
            );
            qb.push_bind(ws.as_uuid()).push(" AND connection_id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(id.as_uuid());
            }
            qb.push(")");
            let rows: Vec<(Uuid, String, DateTime<Utc>, Option<String>)> = qb.build_query_as().fetch_all(&self.pool).await?;
            ids.iter()
                .map(|id| {
                    let found = rows.iter().find(|r| r.0 == id.as_uuid());
                    Ok((*id, match found {
                        Some((_, state, since, error)) => ConnectionHealth {
                            state: HealthState::parse(state)?,
                            since: Some(*since),
                            last_error: error.clone(),
                        },
                        None => ConnectionHealth::default(),
                    }))
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_fold_into_states() {
        let t0 = gateway_core::time::now();
        let after = chrono::Duration::seconds(60);
        let down = Observation::Unreachable("cannot connect".into());
        let (r, e) = fold(None, &down, after, t0).unwrap();
        assert_eq!(
            (r.0.as_str(), e),
            ("healthy", None),
            "one failure is no outage"
        );
        let later = t0 + chrono::Duration::seconds(61);
        let (r, e) = fold(Some(&r), &down, after, later).unwrap();
        assert_eq!(
            (r.0.as_str(), e),
            ("unavailable", Some(EventType::ConnectionUnhealthy))
        );
        let (r2, e) = fold(Some(&r), &down, after, later).unwrap();
        assert_eq!((r2.0.as_str(), e), ("unavailable", None), "said once");
        let (r, e) = fold(Some(&r2), &Observation::Ok, after, later).unwrap();
        assert_eq!(
            (r.0.as_str(), e),
            ("healthy", Some(EventType::ConnectionRecovered))
        );
        assert_eq!(r.3, None, "a success ends the outage");
        let refused = Observation::CredentialsRefused("401".into());
        let (r, e) = fold(Some(&r), &refused, after, later).unwrap();
        assert_eq!(
            (r.0.as_str(), e),
            ("invalid_credentials", Some(EventType::ConnectionUnhealthy))
        );
        let (r, e) = fold(Some(&r), &down, after, later + after * 2).unwrap();
        assert_eq!(
            (r.0.as_str(), e),
            ("invalid_credentials", None),
            "refused credentials stay the verdict"
        );
    }
}
