//! Erasing a candidate: their personal data leaves every table that holds it, in one
//! transaction; ids, statuses and timestamps stay, so counts and audits still add up.
//!
//! Where the person's data lives, and what erasure does there:
//! - `candidates`: email becomes `''`, every other personal field `NULL`, `erased_at` is set
//!   (the row stays as a tombstone; its email no longer matches any upsert).
//! - `interviews`: url, result (transcript, artifacts, scores), error, remote_data and
//!   invite_options are cleared; `erased_at` stops pollers and vendor answers writing them back.
//! - `events` (and so every webhook delivery, pending or sent, whose payload is the event):
//!   data reduced to ids and statuses (see [`redact_event_data`]).
//! - `idempotency_keys`: completed responses naming the person are replaced by a tombstone.
//! - `inbound_receipts`: vendor payloads naming the person (their vendor ids, the gateway's
//!   interview ids, the email) are emptied.
//! - `provider_mappings` and `audit_log` hold ids only and are left as they are.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{
    CandidateId, ConnectionId, EventId, EventType, InterviewId, InterviewStatus, ProviderRefs,
    WorkspaceId,
};
use serde_json::{json, Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};

/// An interview of an erased candidate, as the answer names it: where the vendor's own
/// copy is (the gateway cannot delete it there: no vendor documents a delete call).
#[derive(Debug, Clone, PartialEq)]
pub struct ErasedInterview {
    pub id: InterviewId,
    pub connection_id: ConnectionId,
    pub provider: String,
    pub status: InterviewStatus,
    pub provider_refs: ProviderRefs,
}

/// What an erasure did (or, for a candidate erased before, had done).
#[derive(Debug, Clone, PartialEq)]
pub struct Erasure {
    pub candidate_id: CandidateId,
    pub erased_at: DateTime<Utc>,
    /// `false` when the candidate had been erased already: nothing was written.
    pub erased_now: bool,
    pub interviews: Vec<ErasedInterview>,
    /// The `candidate.erased` event (the first erasure's).
    pub event_id: Option<EventId>,
}

/// What replaces a stored idempotent response that named the person: a replay of the key
/// answers this instead (the request ran; its answer is gone with the data).
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayTombstone {
    pub status: u16,
    pub body: Vec<u8>,
}

#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Erase the candidate's personal data everywhere, emit `candidate.erased` (event
    /// `event_id`, ids only) to subscribed endpoints, all in one transaction. `None` when the
    /// workspace has no such candidate; an erased one answers its first erasure again.
    async fn erase_candidate(
        &self,
        ws: WorkspaceId,
        id: CandidateId,
        event_id: EventId,
        tombstone: &ReplayTombstone,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Erasure>>;
    /// Push freed pages out of the database files after an erasure (SQLite: checkpoint and
    /// truncate the WAL; Postgres: VACUUM the touched tables). Outside any transaction.
    async fn compact_after_erasure(&self) -> StoreResult<()>;
}

/// Event data reduced to what holds no personal data: ids, statuses, timestamps. A list of
/// what may stay, not of what must go, so fields added later are dropped until named here.
pub fn redact_event_data(data: &Value) -> Value {
    const INTERVIEW_KEEPS: [&str; 10] = [
        "id",
        "template_id",
        "connection_id",
        "provider",
        "status",
        "outcome",
        "provider_refs",
        "created_at",
        "updated_at",
        "last_synced_at",
    ];
    let mut out = Map::new();
    if let Some(p) = data.get("previous_status") {
        out.insert("previous_status".into(), p.clone());
    }
    for key in ["candidate_id", "interview_ids", "erased_at"] {
        if let Some(v) = data.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(Value::Object(i)) = data.get("interview") {
        let mut kept: Map<String, Value> = INTERVIEW_KEEPS
            .iter()
            .filter_map(|k| i.get(*k).map(|v| ((*k).to_string(), v.clone())))
            .collect();
        if let Some(cid) = i.get("candidate").and_then(|c| c.get("id")) {
            kept.insert("candidate".into(), json!({ "id": cid }));
        }
        out.insert("interview".into(), Value::Object(kept));
    }
    out.insert("redacted".into(), Value::Bool(true));
    Value::Object(out)
}

/// Whether a vendor payload names the person: a leaf equal to one of `ids`, or a text leaf
/// containing the email. Exact on ids, so `int_2` does not match another person's `int_23`.
fn names_person(v: &Value, ids: &[String], email: &str) -> bool {
    match v {
        Value::String(s) => {
            ids.iter().any(|i| i == s) || (!email.is_empty() && s.to_lowercase().contains(email))
        }
        Value::Number(n) => ids.iter().any(|i| *i == n.to_string()),
        Value::Array(a) => a.iter().any(|x| names_person(x, ids, email)),
        Value::Object(o) => o.values().any(|x| names_person(x, ids, email)),
        _ => false,
    }
}

#[derive(sqlx::FromRow)]
struct InterviewRow {
    id: Uuid,
    connection_id: Uuid,
    provider: String,
    status: String,
    provider_refs: Json<ProviderRefs>,
}

impl TryFrom<InterviewRow> for ErasedInterview {
    type Error = StoreError;
    fn try_from(r: InterviewRow) -> StoreResult<Self> {
        Ok(ErasedInterview {
            id: InterviewId::from_uuid(r.id),
            connection_id: ConnectionId::from_uuid(r.connection_id),
            provider: r.provider,
            status: r.status.parse().map_err(StoreError::Corrupt)?,
            provider_refs: r.provider_refs.0,
        })
    }
}

for_each_backend! {
    impl Backend {
        async fn person_interviews(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            id: CandidateId,
        ) -> StoreResult<Vec<ErasedInterview>> {
            let sql = format!(
                "SELECT id, connection_id, provider, status, provider_refs FROM interviews
                 WHERE workspace_id = $1 AND candidate_id = $2 ORDER BY id{}",
                Backend::FOR_UPDATE
            );
            let rows: Vec<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_all(&mut **tx)
                .await?;
            rows.into_iter().map(TryInto::try_into).collect()
        }

        /// Reduce the events of these interviews to ids.
        async fn redact_events_of(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            interviews: &[ErasedInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            for i in interviews {
                let rows: Vec<(Uuid, Json<Value>)> = sqlx::query_as(
                    "SELECT id, data FROM events WHERE workspace_id = $1 AND interview_id = $2",
                )
                .bind(ws.as_uuid())
                .bind(i.id.as_uuid())
                .fetch_all(&mut **tx)
                .await?;
                for (event, data) in rows {
                    sqlx::query("UPDATE events SET data = $2, redacted_at = COALESCE(redacted_at, $3) WHERE id = $1")
                        .bind(event)
                        .bind(Json(redact_event_data(&data.0)))
                        .bind(at)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            Ok(())
        }

        /// Replace stored responses that name the person. Ids and the email are matched
        /// with their JSON quotes, so one id cannot match inside another.
        async fn bury_replays(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            needles: &[String],
            tombstone: &ReplayTombstone,
        ) -> StoreResult<()> {
            let sql = format!(
                "UPDATE idempotency_keys SET response_status = $1, response_body = $2, subjects = $6
                 WHERE workspace_id = $3 AND state = 'completed' AND response_body IS NOT NULL
                   AND ({} > 0 OR {}(COALESCE(subjects, ''), $5) > 0)",
                Backend::find_bytes("response_body", "$4"),
                Backend::STRPOS
            );
            for needle in needles {
                let quoted = serde_json::to_vec(needle).map_err(|e| StoreError::Internal(e.to_string()))?;
                // Sealed bodies are found by the ids recorded beside them (` id ` delimited).
                sqlx::query(&sql)
                    .bind(i32::from(tombstone.status))
                    .bind(tombstone.body.clone())
                    .bind(ws.as_uuid())
                    .bind(quoted)
                    .bind(format!(" {needle} "))
                    .bind(crate::idempotency::ERASED_SUBJECTS)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        /// Empty the vendor payloads that name the person. The text search only narrows
        /// the rows; whether a payload names them is decided on its parsed JSON.
        async fn empty_receipts(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            ids: &[String],
            email: &str,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            let mut needles: Vec<&str> = ids.iter().map(String::as_str).collect();
            if !email.is_empty() {
                needles.push(email);
            }
            if needles.is_empty() {
                return Ok(());
            }
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT id, payload FROM inbound_receipts WHERE workspace_id = ");
            qb.push_bind(ws.as_uuid()).push(" AND redacted_at IS NULL AND (");
            for (n, needle) in needles.iter().enumerate() {
                if n > 0 {
                    qb.push(" OR ");
                }
                qb.push(format!("{}(lower(payload{}), ", Backend::STRPOS, Backend::JSON_TEXT))
                    .push_bind(needle.to_lowercase())
                    .push(") > 0");
            }
            qb.push(")");
            let rows: Vec<(Uuid, Json<Value>)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            for (receipt, payload) in rows {
                if !names_person(&payload.0, ids, email) {
                    continue;
                }
                sqlx::query("UPDATE inbound_receipts SET payload = $2, redacted_at = $3 WHERE id = $1")
                    .bind(receipt)
                    .bind(Json(json!({})))
                    .bind(at)
                    .execute(&mut **tx)
                    .await?;
            }
            Ok(())
        }

        /// The person's personal data out of every table, inside the caller's transaction.
        async fn erase_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            id: CandidateId,
            email: &str,
            interviews: &[ErasedInterview],
            tombstone: &ReplayTombstone,
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE candidates SET email = '', name = NULL, first_name = NULL, last_name = NULL,
                     phone = NULL, external_id = NULL, resume_url = NULL, metadata = $3, erased_at = $4
                 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(Json(json!({})))
            .bind(at)
            .execute(&mut **tx)
            .await?;
            // The version moves, so a writer holding the row as it was read must re-read it.
            sqlx::query(
                "UPDATE interviews SET interview_url = NULL, result = NULL, error = NULL,
                     remote_data = $3, invite_options = $3, metadata = $3, external_id = NULL, next_poll_at = NULL,
                     poll_leased_until = NULL, erased_at = $4, version = version + 1
                 WHERE workspace_id = $1 AND candidate_id = $2",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(Json(json!({})))
            .bind(at)
            .execute(&mut **tx)
            .await?;
            Self::redact_events_of(tx, ws, interviews, at).await?;
            // An ATS's links to the person's application (Greenhouse profile and callback
            // URLs name it); a callback not yet sent is dropped with them.
            sqlx::query(
                "UPDATE partner_requests SET callback_url = '', profile_url = NULL,
                     callback_status = CASE WHEN callback_status = 'waiting' THEN 'failed' ELSE callback_status END,
                     last_error = CASE WHEN callback_status = 'waiting' THEN 'the candidate was erased' ELSE last_error END,
                     updated_at = $3
                 WHERE workspace_id = $1 AND interview_id IN
                     (SELECT id FROM interviews WHERE workspace_id = $1 AND candidate_id = $2)",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(at)
            .execute(&mut **tx)
            .await?;

            // What other rows may name the person by: the gateway's ids (on the wire and as
            // bare UUIDs, which vendors echo as correlation ids), the vendors' ids, the email.
            let mut ids = vec![id.to_string(), id.as_uuid().to_string()];
            for i in interviews {
                ids.push(i.id.to_string());
                ids.push(i.id.as_uuid().to_string());
                ids.extend(i.provider_refs.values().cloned());
            }
            let mut needles = ids.clone();
            if !email.is_empty() {
                needles.push(email.to_string());
            }
            Self::bury_replays(tx, ws, &needles, tombstone).await?;
            Self::empty_receipts(tx, ws, &ids, email, at).await?;
            Ok(())
        }

        /// Store `candidate.erased` and queue it to every subscribed endpoint. Its deliveries
        /// are ordered by the candidate (their `interview_id` column is the ordering key).
        async fn emit_erased(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            id: CandidateId,
            event_id: EventId,
            interviews: &[ErasedInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<()> {
            let kind = EventType::CandidateErased.as_str();
            let data = json!({
                "candidate_id": id,
                "interview_ids": interviews.iter().map(|i| i.id).collect::<Vec<_>>(),
                "erased_at": at,
            });
            sqlx::query(
                "INSERT INTO events (id, workspace_id, interview_id, candidate_id, type, data, created_at)
                 VALUES ($1, $2, NULL, $3, $4, $5, $6)",
            )
            .bind(event_id.as_uuid())
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .bind(kind)
            .bind(Json(&data))
            .bind(at)
            .execute(&mut **tx)
            .await?;
            let endpoints: Vec<(Uuid, Json<Vec<String>>)> = sqlx::query_as(
                "SELECT id, events FROM webhook_endpoints
                 WHERE workspace_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
            )
            .bind(ws.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
            for (endpoint, wanted) in endpoints {
                if !wanted.0.is_empty() && !wanted.0.iter().any(|t| t == kind) {
                    continue;
                }
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_id, interview_id,
                         status, attempts, next_attempt_at, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
                )
                .bind(gateway_core::MessageId::new().as_uuid())
                .bind(ws.as_uuid())
                .bind(endpoint)
                .bind(event_id.as_uuid())
                .bind(id.as_uuid())
                .bind(at)
                .execute(&mut **tx)
                .await?;
            }
            Ok(())
        }
    }

    #[async_trait]
    impl ErasureStore for Backend {
        async fn erase_candidate(
            &self,
            ws: WorkspaceId,
            id: CandidateId,
            event_id: EventId,
            tombstone: &ReplayTombstone,
            at: DateTime<Utc>,
        ) -> StoreResult<Option<Erasure>> {
            let mut tx = self.begin_write().await?;
            // The candidate row first, as an invitation's upsert does: an erasure and an
            // invitation of the same person queue on it instead of deadlocking, and the
            // interviews read next include any the invitation just committed.
            let sql = format!(
                "SELECT email, erased_at FROM candidates WHERE workspace_id = $1 AND id = $2{}",
                Backend::FOR_UPDATE
            );
            let row: Option<(String, Option<DateTime<Utc>>)> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((email, erased_at)) = row else { return Ok(None) };
            let interviews = Self::person_interviews(&mut tx, ws, id).await?;
            if let Some(erased_at) = erased_at {
                let first: Option<(Uuid,)> = sqlx::query_as(
                    "SELECT id FROM events WHERE workspace_id = $1 AND candidate_id = $2 AND type = $3
                     ORDER BY id LIMIT 1",
                )
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .bind(EventType::CandidateErased.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                return Ok(Some(Erasure {
                    candidate_id: id,
                    erased_at,
                    erased_now: false,
                    interviews,
                    event_id: first.map(|(e,)| EventId::from_uuid(e)),
                }));
            }
            Self::erase_in(&mut tx, ws, id, &email, &interviews, tombstone, at).await?;
            Self::emit_erased(&mut tx, ws, id, event_id, &interviews, at).await?;
            tx.commit().await?;
            Ok(Some(Erasure { candidate_id: id, erased_at: at, erased_now: true, interviews, event_id: Some(event_id) }))
        }

        async fn compact_after_erasure(&self) -> StoreResult<()> {
            self.compact().await
        }
    }
}

impl crate::backend::PgStore {
    /// Old row versions go at the next VACUUM; run it now on the tables an erasure rewrote.
    /// (Plain VACUUM takes no exclusive lock. The bytes of removed versions may stay in a
    /// page's free space until reused; Postgres has no secure-delete.)
    async fn compact(&self) -> StoreResult<()> {
        sqlx::query("VACUUM candidates, interviews, events, idempotency_keys, inbound_receipts")
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl crate::backend::SqliteStore {
    /// secure_delete zeroes what the database file frees; the WAL still holds the pages as
    /// they were before the erasure until a checkpoint copies them back and truncates it.
    /// A reader in the middle of a transaction can hold the checkpoint back; the next one
    /// (the next erasure, or SQLite's own auto-checkpoint) completes it.
    async fn compact(&self) -> StoreResult<()> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(self.writer())
            .await?;
        if busy != 0 {
            tracing::debug!("WAL checkpoint after an erasure was held back by a reader");
        }
        Ok(())
    }
}
