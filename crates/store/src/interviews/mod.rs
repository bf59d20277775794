//! Interviews: the rows an invitation writes before the vendor is called, the vendor's
//! state written back under a version check, and the poll schedule. `row` maps a joined
//! interview+candidate row, `events` queues deliveries with a state change, `insert`
//! holds an invitation's place, `store` implements [`InterviewStore`] for both backends.

mod events;
mod insert;
mod row;
mod store;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gateway_core::{
    Candidate, CandidateId, CandidateInput, ConnectionId, EventId, EventType, Interview,
    InterviewId, InterviewResult, InterviewStatus, Outcome, ProviderRefs, TemplateId, WorkspaceId,
};
use sqlx::types::Json;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use crate::page::{Page, PageRequest};

pub(crate) use row::SELECT;

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
    /// Per connection with polls due, when its longest-waiting one was due, longest-waiting
    /// connection first (at most `limit`; empty: nothing is due): the poller's lag.
    async fn oldest_due_polls(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(ConnectionId, DateTime<Utc>)>>;
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
    /// Lease until `lease_until` every interview of `template` whose poll is due by `due_by`
    /// and that no one holds at `now`: what a sweep about to read the template's pages
    /// takes at once, so that other replicas lease other work instead of walking the same
    /// pages.
    async fn lease_due_of_template(
        &self,
        ws: WorkspaceId,
        template: TemplateId,
        due_by: DateTime<Utc>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<InterviewId>>;
    /// Of the interviews the vendor lists under `listed` (an id kind and vendor ids) on a
    /// connection, lease until `lease_until` those whose poll is due by `due_by` and that no
    /// one holds at `now`: what a sweep's page can refresh beyond the polls it leased, taken
    /// so that no other replica settles (or reads) them too.
    async fn lease_due_among_listed(
        &self,
        ws: WorkspaceId,
        connection: ConnectionId,
        listed: (&str, &[String]),
        due_by: DateTime<Utc>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<Vec<InterviewId>>;
}
