use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{
    Candidate, CandidateId, CandidateInput, ConnectionId, EventId, EventType, Interview,
    InterviewId, InterviewResult, InterviewStatus, Outcome, ProviderRefs, TemplateId, WorkspaceId,
};
use sqlx::types::Json;
use uuid::Uuid;

use crate::backend::for_each_backend;
use crate::error::{StoreError, StoreResult};
use crate::page::{push_keyset, Page, PageRequest};

/// A new interview row, written before the vendor is called so it is never lost.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInterview {
    pub id: InterviewId,
    pub template_id: TemplateId,
    pub connection_id: ConnectionId,
    pub candidate_id: CandidateId,
    pub provider: String,
    pub status: InterviewStatus,
    /// What the invitation asked for (message, delay…), kept to retry or reconcile it.
    pub invite_options: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// When the poller should look at it if nothing else has (an interview stranded by a
    /// crash between this insert and the vendor's answer is settled that way).
    pub next_poll_at: Option<DateTime<Utc>>,
    /// The caller's reference, unique in the workspace.
    pub external_id: Option<String>,
    /// The caller's flat key/value data.
    pub metadata: serde_json::Value,
    /// Asked for a new interview beside the candidate's open one on this template.
    pub retake: bool,
}

/// What `insert_pending` did for one invitation.
// One per invitation, moved once into its answer: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    /// The row was stored `pending`, for this (upserted) candidate: call the vendor.
    New(Candidate),
    /// Nothing stored: the interview that already answers this invitation — the same
    /// `external_id`, the candidate's open interview on the template, or (for a retake)
    /// its unconfirmed retake. The vendor is not called again.
    Open(Interview),
}

/// The interview as the vendor last described it.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorState {
    pub status: InterviewStatus,
    pub outcome: Option<Outcome>,
    pub interview_url: Option<String>,
    pub provider_refs: ProviderRefs,
    pub result: Option<InterviewResult>,
    pub error: Option<String>,
    pub remote_data: serde_json::Value,
    pub synced_at: DateTime<Utc>,
    /// When the poller should next read this interview from the vendor; `None` = never
    /// (terminal, or the vendor has no read endpoint).
    pub next_poll_at: Option<DateTime<Utc>>,
}

/// A normalized event to store with a state change (and deliver to subscribed endpoints).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: EventId,
    pub event_type: EventType,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// What a compare-and-set state write did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    /// Written; the row is now at `version`. Nothing is read back: the caller that knew the
    /// row at its expected version knows the row now (one round trip fewer per write).
    Saved {
        version: i64,
    },
    /// Someone else changed the interview since it was read: read again and recompute.
    Stale,
    Missing,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterviewFilter {
    pub template_id: Option<TemplateId>,
    pub candidate_id: Option<CandidateId>,
    pub status: Option<InterviewStatus>,
    pub updated_after: Option<DateTime<Utc>>,
    pub external_id: Option<String>,
    /// `metadata[key]` equals this text (a number or boolean compares as its JSON text).
    pub metadata: Option<(String, String)>,
}

#[async_trait]
pub trait InterviewStore: Send + Sync {
    /// Insert all rows or none, as given: no row answers for another and none holds the
    /// candidate's open place (imports and fixtures; invitations use `insert_pending`).
    async fn insert_interviews(&self, ws: WorkspaceId, rows: &[NewInterview]) -> StoreResult<()>;
    /// Upsert each candidate and store its interview (`rows[i]`, whose `candidate_id` is set
    /// to candidate i's) in one transaction: one commit for an invitation or a whole batch.
    /// An invitation an interview already answers stores nothing (see [`Slot::Open`]);
    /// two concurrent identical invitations meet at a unique index, and the loser, retried,
    /// finds the winner's row.
    async fn insert_pending(
        &self,
        ws: WorkspaceId,
        candidates: &[CandidateInput],
        rows: &mut [NewInterview],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Slot>>;
    async fn get_interview(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
    ) -> StoreResult<Option<Interview>>;
    async fn list_interviews(
        &self,
        ws: WorkspaceId,
        filter: &InterviewFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Interview>>;
    /// The interview and its version, for a compare-and-set write.
    async fn get_interview_versioned(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
    ) -> StoreResult<Option<(Interview, i64)>>;
    /// Write what the vendor reported, map each of `provider_refs` to this interview, store
    /// `events` and queue their deliveries to every subscribed endpoint — all in one
    /// transaction, and only if the interview is still at `expected_version` (when given).
    /// A vendor id already mapped to another interview is a `Conflict`. The row written is
    /// the one read at `expected_version` with `state` applied; it is not read back.
    async fn save_vendor_state(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
        state: &VendorState,
        expected_version: Option<i64>,
        events: &[NewEvent],
    ) -> StoreResult<Saved>;
    /// Lease up to `limit` interviews due for polling until `lease_until` (so other replicas
    /// skip them); answers them with their workspace.
    async fn lease_due_polls(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(WorkspaceId, InterviewId)>>;
    /// When the longest-waiting due poll was due (`None`: nothing is due): the poller's lag.
    async fn oldest_due_poll(&self, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>>;
    /// Release a poll lease without a state change, scheduling the next poll.
    async fn reschedule_poll(
        &self,
        ws: WorkspaceId,
        id: InterviewId,
        next_poll_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Remove an interview the vendor never accepted. Only `pending` interviews go; `false`
    /// when there was none.
    async fn delete_pending_interview(&self, ws: WorkspaceId, id: InterviewId)
        -> StoreResult<bool>;
}

#[derive(sqlx::FromRow)]
struct InterviewRow {
    id: Uuid,
    template_id: Uuid,
    connection_id: Uuid,
    provider: String,
    status: String,
    outcome: Option<String>,
    interview_url: Option<String>,
    provider_refs: Json<ProviderRefs>,
    result: Option<Json<InterviewResult>>,
    error: Option<String>,
    remote_data: Json<serde_json::Value>,
    external_id: Option<String>,
    metadata: Json<serde_json::Value>,
    superseded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_synced_at: Option<DateTime<Utc>>,
    version: i64,
    c_id: Uuid,
    c_email: String,
    c_name: Option<String>,
    c_first_name: Option<String>,
    c_last_name: Option<String>,
    c_phone: Option<String>,
    c_external_id: Option<String>,
    c_resume_url: Option<String>,
    c_metadata: Json<serde_json::Value>,
    c_created_at: DateTime<Utc>,
    c_updated_at: DateTime<Utc>,
    c_erased_at: Option<DateTime<Utc>>,
}

impl TryFrom<InterviewRow> for Interview {
    type Error = StoreError;
    fn try_from(r: InterviewRow) -> StoreResult<Self> {
        Ok(Interview {
            id: InterviewId::from_uuid(r.id),
            template_id: TemplateId::from_uuid(r.template_id),
            connection_id: ConnectionId::from_uuid(r.connection_id),
            provider: r.provider,
            candidate: Candidate {
                id: CandidateId::from_uuid(r.c_id),
                email: r.c_email,
                name: r.c_name,
                first_name: r.c_first_name,
                last_name: r.c_last_name,
                phone: r.c_phone,
                external_id: r.c_external_id,
                resume_url: r.c_resume_url,
                metadata: r.c_metadata.0,
                created_at: r.c_created_at,
                updated_at: r.c_updated_at,
                erased_at: r.c_erased_at,
            },
            status: r.status.parse().map_err(StoreError::Corrupt)?,
            outcome: r
                .outcome
                .map(|o| o.parse())
                .transpose()
                .map_err(StoreError::Corrupt)?,
            interview_url: r.interview_url,
            provider_refs: r.provider_refs.0,
            result: r.result.map(|j| j.0),
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_synced_at: r.last_synced_at,
            remote_data: r.remote_data.0,
            external_id: r.external_id,
            metadata: r.metadata.0,
            superseded_by: r.superseded_by.map(InterviewId::from_uuid),
        })
    }
}

pub(crate) const SELECT: &str = "SELECT i.id, i.template_id, i.connection_id, i.provider, i.status, i.outcome, \
     i.interview_url, i.provider_refs, i.result, i.error, i.remote_data, i.external_id, i.metadata, i.superseded_by, i.created_at, i.updated_at, \
     i.last_synced_at, i.version, c.id AS c_id, c.email AS c_email, c.name AS c_name, \
     c.first_name AS c_first_name, c.last_name AS c_last_name, c.phone AS c_phone, \
     c.external_id AS c_external_id, c.resume_url AS c_resume_url, c.metadata AS c_metadata, \
     c.created_at AS c_created_at, c.updated_at AS c_updated_at, c.erased_at AS c_erased_at \
     FROM interviews i JOIN candidates c ON c.id = i.candidate_id";

/// The unique-index key a new row holds (see the lifecycle migration).
fn open_key(n: &NewInterview) -> Option<&'static str> {
    if n.status.is_terminal() {
        None
    } else if n.retake {
        (n.status == InterviewStatus::Pending).then_some("retake")
    } else {
        Some("interview")
    }
}

for_each_backend! {
    impl Backend {
        /// Store events and queue one delivery per subscribed, enabled endpoint of the
        /// workspace (an endpoint with no event list takes them all).
        pub(crate) async fn insert_events(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            interview: InterviewId,
            events: &[NewEvent],
        ) -> StoreResult<()> {
            if events.is_empty() {
                return Ok(());
            }
            let endpoints: Vec<(Uuid, Json<Vec<String>>)> = sqlx::query_as(
                "SELECT id, events FROM webhook_endpoints
                 WHERE workspace_id = $1 AND deleted_at IS NULL AND disabled_at IS NULL",
            )
            .bind(ws.as_uuid())
            .fetch_all(&mut **tx)
            .await?;
            for e in events {
                sqlx::query(
                    "INSERT INTO events (id, workspace_id, interview_id, type, data, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(e.id.as_uuid())
                .bind(ws.as_uuid())
                .bind(interview.as_uuid())
                .bind(e.event_type.as_str())
                .bind(Json(&e.data))
                .bind(e.created_at)
                .execute(&mut **tx)
                .await?;
                for (endpoint, wanted) in &endpoints {
                    if !wanted.0.is_empty() && !wanted.0.iter().any(|t| t == e.event_type.as_str()) {
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
                    .bind(e.id.as_uuid())
                    .bind(interview.as_uuid())
                    .bind(e.created_at)
                    .execute(&mut **tx)
                    .await?;
                }
            }
            Ok(())
        }
    }

    impl Backend {
        async fn try_insert_pending(
            &self,
            ws: WorkspaceId,
            candidates: &[CandidateInput],
            rows: &mut [NewInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<Vec<Slot>> {
            // Candidates are locked in address order, whatever the request's order: two batches
            // sharing people then wait for each other instead of deadlocking.
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by_cached_key(|&i| gateway_core::candidate::normalize_email(&candidates[i].email));
            let mut tx = self.begin_write().await?;
            let mut slots: Vec<Option<Slot>> = vec![None; candidates.len()];
            for i in order {
                let person = Self::upsert_candidate_in(&mut tx, ws, &candidates[i], at).await?;
                rows[i].candidate_id = person.id;
                slots[i] = Some(match Self::answering_in(&mut tx, ws, &rows[i]).await? {
                    Some(open) => Slot::Open(open),
                    None => {
                        Self::insert_interview_in(&mut tx, ws, &rows[i], open_key(&rows[i])).await?;
                        Slot::New(person)
                    }
                });
            }
            tx.commit().await?;
            slots
                .into_iter()
                .map(|p| p.ok_or_else(|| StoreError::Internal("a candidate was skipped".into())))
                .collect()
        }

        /// The interview that already answers this invitation, if any: the one with its
        /// `external_id`; for a retake, the candidate's unconfirmed retake on the template;
        /// otherwise the candidate's newest open interview there.
        async fn answering_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            n: &NewInterview,
        ) -> StoreResult<Option<Interview>> {
            if let Some(ext) = &n.external_id {
                let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.external_id = $2");
                let row: Option<InterviewRow> = sqlx::query_as(&sql)
                    .bind(ws.as_uuid())
                    .bind(ext)
                    .fetch_optional(&mut **tx)
                    .await?;
                if let Some(r) = row {
                    return Ok(Some(r.try_into()?));
                }
            }
            let which = if n.retake {
                "i.open_key = 'retake'"
            } else {
                "i.status IN ('pending', 'invited', 'in_progress', 'evaluating')"
            };
            let sql = format!(
                "{SELECT} WHERE i.workspace_id = $1 AND i.template_id = $2 AND i.candidate_id = $3
                 AND {which} ORDER BY i.created_at DESC, i.id DESC LIMIT 1"
            );
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(n.template_id.as_uuid())
                .bind(n.candidate_id.as_uuid())
                .fetch_optional(&mut **tx)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn insert_interview_in(
            tx: &mut sqlx::Transaction<'static, Db>,
            ws: WorkspaceId,
            n: &NewInterview,
            open_key: Option<&'static str>,
        ) -> StoreResult<()> {
            // Template, connection and candidate must all be this workspace's.
            let done = sqlx::query(
                "INSERT INTO interviews (id, workspace_id, template_id, connection_id, candidate_id,
                     provider, status, invite_options, created_at, updated_at, next_poll_at,
                     external_id, metadata, retake, open_key)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14
                 WHERE EXISTS (SELECT 1 FROM templates WHERE id = $3 AND workspace_id = $2 AND connection_id = $4)
                   AND EXISTS (SELECT 1 FROM candidates WHERE id = $5 AND workspace_id = $2 AND erased_at IS NULL)",
            )
            .bind(n.id.as_uuid())
            .bind(ws.as_uuid())
            .bind(n.template_id.as_uuid())
            .bind(n.connection_id.as_uuid())
            .bind(n.candidate_id.as_uuid())
            .bind(&n.provider)
            .bind(n.status.as_str())
            .bind(Json(&n.invite_options))
            .bind(n.created_at)
            .bind(n.next_poll_at)
            .bind(&n.external_id)
            .bind(Json(&n.metadata))
            .bind(n.retake)
            .bind(open_key)
            .execute(&mut **tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "template or candidate does not exist in this workspace".into(),
                ));
            }
            Ok(())
        }
    }

    #[async_trait]
    impl InterviewStore for Backend {
        async fn insert_interviews(&self, ws: WorkspaceId, rows: &[NewInterview]) -> StoreResult<()> {
            let mut tx = self.begin_write().await?;
            for n in rows {
                Self::insert_interview_in(&mut tx, ws, n, None).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn insert_pending(
            &self,
            ws: WorkspaceId,
            candidates: &[CandidateInput],
            rows: &mut [NewInterview],
            at: DateTime<Utc>,
        ) -> StoreResult<Vec<Slot>> {
            if candidates.len() != rows.len() {
                return Err(StoreError::Internal("one interview per candidate".into()));
            }
            // Two requests creating the same new person or the same open interview race to
            // its insert; the loser's transaction is rolled back whole and, on its next try,
            // finds the winner's row.
            let mut tries = 0;
            loop {
                tries += 1;
                match self.try_insert_pending(ws, candidates, rows, at).await {
                    Err(StoreError::Conflict(_)) if tries < 3 => continue,
                    other => return other,
                }
            }
        }

        async fn get_interview(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<Option<Interview>> {
            let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.id = $2");
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn list_interviews(
            &self,
            ws: WorkspaceId,
            f: &InterviewFilter,
            page: PageRequest,
        ) -> StoreResult<Page<Interview>> {
            let mut qb = sqlx::QueryBuilder::<Db>::new(SELECT);
            qb.push(" WHERE i.workspace_id = ").push_bind(ws.as_uuid());
            if let Some(t) = f.template_id {
                qb.push(" AND i.template_id = ").push_bind(t.as_uuid());
            }
            if let Some(c) = f.candidate_id {
                qb.push(" AND i.candidate_id = ").push_bind(c.as_uuid());
            }
            if let Some(s) = f.status {
                qb.push(" AND i.status = ").push_bind(s.as_str());
            }
            if let Some(u) = f.updated_after {
                qb.push(" AND i.updated_at > ").push_bind(u);
            }
            if let Some(e) = &f.external_id {
                qb.push(" AND i.external_id = ").push_bind(e.clone());
            }
            if let Some((key, value)) = &f.metadata {
                Backend::push_metadata_eq(&mut qb, key, value);
            }
            push_keyset(&mut qb, "i.id", page);
            let rows: Vec<InterviewRow> = qb.build_query_as().fetch_all(&self.pool).await?;
            let page = Page::from_overfetch(rows, page, |r| r.id);
            let items = page.items.into_iter().map(Interview::try_from).collect::<StoreResult<_>>()?;
            Ok(Page { items, next_after: page.next_after })
        }

        async fn get_interview_versioned(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<Option<(Interview, i64)>> {
            let sql = format!("{SELECT} WHERE i.workspace_id = $1 AND i.id = $2");
            let row: Option<InterviewRow> = sqlx::query_as(&sql)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
            row.map(|r| {
                let version = r.version;
                Interview::try_from(r).map(|i| (i, version))
            })
            .transpose()
        }

        async fn save_vendor_state(
            &self,
            ws: WorkspaceId,
            id: InterviewId,
            s: &VendorState,
            expected_version: Option<i64>,
            events: &[NewEvent],
        ) -> StoreResult<Saved> {
            let mut tx = self.begin_write().await?;
            let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE interviews SET status = ");
            qb.push_bind(s.status.as_str())
                .push(", outcome = ").push_bind(s.outcome.map(Outcome::as_str))
                .push(", interview_url = ").push_bind(s.interview_url.clone())
                .push(", provider_refs = ").push_bind(Json(s.provider_refs.clone()))
                .push(", result = ").push_bind(s.result.clone().map(Json))
                .push(", error = ").push_bind(s.error.clone())
                .push(", remote_data = ").push_bind(Json(s.remote_data.clone()))
                .push(", updated_at = ").push_bind(s.synced_at)
                .push(", last_synced_at = ").push_bind(s.synced_at)
                .push(", next_poll_at = ").push_bind(s.next_poll_at)
                // An ended row frees its candidate's place; a retake holds its place only
                // until the vendor confirms it.
                .push(", open_key = CASE WHEN ").push_bind(s.status.is_terminal())
                .push(" THEN NULL WHEN open_key = 'retake' AND ").push_bind(s.status != InterviewStatus::Pending)
                .push(" THEN NULL ELSE open_key END")
                .push(", poll_leased_until = NULL, version = version + 1 WHERE workspace_id = ").push_bind(ws.as_uuid())
                .push(" AND id = ").push_bind(id.as_uuid())
                // Checked on the row itself (not through its candidate), so a write that waited
                // on an erasure's row lock re-reads it and stops.
                .push(" AND erased_at IS NULL");
            if let Some(v) = expected_version {
                qb.push(" AND version = ").push_bind(v);
            }
            qb.push(" RETURNING connection_id, version");
            let row: Option<(Uuid, i64)> = qb.build_query_as().fetch_optional(&mut *tx).await?;
            let Some((connection_id, version)) = row else {
                drop(tx);
                let exists: Option<(i64,)> = sqlx::query_as("SELECT version FROM interviews WHERE workspace_id = $1 AND id = $2 AND erased_at IS NULL")
                    .bind(ws.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?;
                return Ok(if exists.is_some() { Saved::Stale } else { Saved::Missing });
            };
            for (kind, vendor_id) in &s.provider_refs {
                // A new mapping answers with its row; only an existing one needs reading.
                let inserted: Option<(Uuid,)> = sqlx::query_as(
                    "INSERT INTO provider_mappings (connection_id, kind, vendor_id, workspace_id,
                         resource_type, resource_id, created_at)
                     VALUES ($1, $2, $3, $4, 'interview', $5, $6)
                     ON CONFLICT (connection_id, kind, vendor_id) DO NOTHING
                     RETURNING resource_id",
                )
                .bind(connection_id)
                .bind(kind)
                .bind(vendor_id)
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .bind(s.synced_at)
                .fetch_optional(&mut *tx)
                .await?;
                let owner = match inserted {
                    Some((owner,)) => owner,
                    None => {
                        let (owner,): (Uuid,) = sqlx::query_as(
                            "SELECT resource_id FROM provider_mappings
                             WHERE connection_id = $1 AND kind = $2 AND vendor_id = $3",
                        )
                        .bind(connection_id)
                        .bind(kind)
                        .bind(vendor_id)
                        .fetch_one(&mut *tx)
                        .await?;
                        owner
                    }
                };
                if owner != id.as_uuid() {
                    return Err(StoreError::Conflict(format!(
                        "vendor {kind} `{vendor_id}` already belongs to {}",
                        InterviewId::from_uuid(owner)
                    )));
                }
            }
            Backend::insert_events(&mut tx, ws, id, events).await?;
            tx.commit().await?;
            Ok(Saved::Saved { version })
        }

        async fn lease_due_polls(
            &self,
            now: DateTime<Utc>,
            lease_until: DateTime<Utc>,
            limit: i64,
        ) -> StoreResult<Vec<(WorkspaceId, InterviewId)>> {
            // SKIP LOCKED (Postgres): replicas polling at once each take different rows.
            let sql = format!(
                "UPDATE interviews SET poll_leased_until = $2
                 WHERE id IN (
                     SELECT id FROM interviews
                     WHERE next_poll_at <= $1 AND (poll_leased_until IS NULL OR poll_leased_until < $1)
                       AND erased_at IS NULL
                     ORDER BY next_poll_at LIMIT $3{}
                 )
                 RETURNING workspace_id, id",
                Backend::SKIP_LOCKED
            );
            let mut tx = self.begin_write().await?;
            let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(&sql)
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(rows.into_iter().map(|(w, i)| (WorkspaceId::from_uuid(w), InterviewId::from_uuid(i))).collect())
        }

        async fn oldest_due_poll(&self, now: DateTime<Utc>) -> StoreResult<Option<DateTime<Utc>>> {
            // ORDER BY … LIMIT 1 rides the partial index on next_poll_at.
            let row: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT next_poll_at FROM interviews WHERE next_poll_at IS NOT NULL AND next_poll_at <= $1
                 ORDER BY next_poll_at LIMIT 1",
            )
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.map(|(at,)| at))
        }

        async fn reschedule_poll(&self, ws: WorkspaceId, id: InterviewId, next_poll_at: Option<DateTime<Utc>>) -> StoreResult<()> {
            sqlx::query("UPDATE interviews SET next_poll_at = $3, poll_leased_until = NULL WHERE workspace_id = $1 AND id = $2 AND erased_at IS NULL")
                .bind(ws.as_uuid())
                .bind(id.as_uuid())
                .bind(next_poll_at)
                .execute(self.writer())
                .await?;
            Ok(())
        }

        async fn delete_pending_interview(&self, ws: WorkspaceId, id: InterviewId) -> StoreResult<bool> {
            let done = sqlx::query(
                "DELETE FROM interviews WHERE workspace_id = $1 AND id = $2 AND status = 'pending'",
            )
            .bind(ws.as_uuid())
            .bind(id.as_uuid())
            .execute(self.writer())
            .await?;
            Ok(done.rows_affected() == 1)
        }
    }
}
