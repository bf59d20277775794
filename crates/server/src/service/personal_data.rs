//! A candidate's personal data: the subject-access export (everything the gateway holds
//! about the person, as one document) and the erasure (see `gateway_store::erasure` for
//! what it reaches).

use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{
    ApiKeyId, Candidate, CandidateId, ConnectionId, Event, EventId, Interview, InterviewId,
    InterviewStatus, ProviderRefs, WorkspaceId,
};
use gateway_store::{EventFilter, InterviewFilter, Page, PageRequest, ReplayTombstone, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorCode};
use crate::service::audit;
use crate::state::AppState;

/// Everything the gateway holds about one person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateExport {
    pub exported_at: DateTime<Utc>,
    pub candidate: Candidate,
    /// Every interview of the person, newest first, each with its events (newest first).
    pub interviews: Vec<ExportedInterview>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedInterview {
    /// The interview as `GET /v1/interviews/{id}` answers it: result (scores, transcript,
    /// artifacts), remote_data and all.
    pub interview: Interview,
    pub events: Vec<Event>,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateErasure {
    pub candidate_id: CandidateId,
    /// When the data was erased; a repeated erase answers the first one's time.
    pub erased_at: DateTime<Utc>,
    /// How many interviews of the person were stripped.
    pub interviews_erased: usize,
    /// The `candidate.erased` event sent to subscribed webhook endpoints.
    pub event_id: Option<EventId>,
    /// Copies the gateway cannot erase: each vendor keeps its own record of the interviews
    /// it ran, and none of the four offers a delete call. Ask the vendor to erase these ids.
    pub vendor_copies: Vec<VendorCopy>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorCopy {
    #[schema(example = "heymilo")]
    pub provider: String,
    pub connection_id: ConnectionId,
    pub interview_id: InterviewId,
    pub status: InterviewStatus,
    /// Still running at the vendor (not completed, cancelled, expired or errored).
    pub open: bool,
    /// The vendor's own ids for the interview (empty when the vendor never answered).
    #[schema(value_type = Object, example = json!({"interview_id": "int_8x2k"}))]
    pub vendor_ids: ProviderRefs,
}

/// Walk every page of a listing.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, StoreError>>,
{
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(PageRequest {
            limit: PageRequest::MAX_LIMIT,
            after,
        })
        .await?;
        out.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

pub async fn export(
    state: &AppState,
    ws: WorkspaceId,
    id: CandidateId,
) -> Result<CandidateExport, ApiError> {
    let store = &state.store;
    let candidate = store
        .get_candidate(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    let filter = InterviewFilter {
        candidate_id: Some(id),
        ..Default::default()
    };
    let interviews = all_pages(|p| store.list_interviews(ws, &filter, p)).await?;
    let mut exported = Vec::with_capacity(interviews.len());
    for interview in interviews {
        let filter = EventFilter {
            interview_id: Some(interview.id),
            ..Default::default()
        };
        let events = all_pages(|p| store.list_events(ws, &filter, p)).await?;
        exported.push(ExportedInterview { interview, events });
    }
    Ok(CandidateExport {
        exported_at: now(),
        candidate,
        interviews: exported,
    })
}

/// What a replayed Idempotency-Key answers once the response it stored named an erased
/// person: 410, so a client retrying an old invitation learns it ran and is gone, rather
/// than running it again.
pub fn replay_tombstone() -> Result<ReplayTombstone, ApiError> {
    let problem = ApiError::new(
        ErrorCode::Erased,
        "this request ran, but its answer named a candidate whose personal data was erased since",
    )
    .problem();
    // Not the erasing request's id: the replay is another request.
    let problem = crate::http::error::Problem {
        request_id: None,
        ..problem
    };
    let body = serde_json::to_vec(&problem).map_err(|e| {
        tracing::error!(error = %e, "cannot serialize the erased-replay problem");
        ApiError::internal()
    })?;
    Ok(ReplayTombstone {
        status: ErrorCode::Erased.describe().0.as_u16(),
        body,
    })
}

pub async fn erase(
    state: &AppState,
    ws: WorkspaceId,
    actor: ApiKeyId,
    id: CandidateId,
) -> Result<CandidateErasure, ApiError> {
    let tombstone = replay_tombstone()?;
    let erasure = state
        .store
        .erase_candidate(ws, id, EventId::new(), &tombstone, now())
        .await?
        .ok_or_else(|| ApiError::not_found(id))?;
    let vendor_copies: Vec<VendorCopy> = erasure
        .interviews
        .iter()
        .map(|i| VendorCopy {
            provider: i.provider.clone(),
            connection_id: i.connection_id,
            interview_id: i.id,
            status: i.status,
            open: !i.status.is_terminal(),
            vendor_ids: i.provider_refs.clone(),
        })
        .collect();
    if erasure.erased_now {
        gateway_metrics::metrics()
            .candidates_erased
            .with([if vendor_copies.is_empty() {
                "no"
            } else {
                "yes"
            }])
            .inc();
        audit::record(audit::Action {
            state,
            workspace: ws,
            actor: Some(actor),
            action: "candidate.erased",
            target_type: "candidate",
            target_id: id.to_string(),
            details: serde_json::json!({
                "interview_ids": erasure.interviews.iter().map(|i| i.id).collect::<Vec<_>>(),
                "event_id": erasure.event_id,
            }),
        })
        .await;
        // SQLite's checkpoint is quick and the answer waits for it, so once it is out the
        // old pages are out of the WAL; a Postgres VACUUM may take a while: in the background.
        let store = state.store.clone();
        let compact = async move {
            if let Err(e) = store.compact_after_erasure().await {
                tracing::warn!(error = %e, "could not compact the database after an erasure");
            }
        };
        match state.store.backend() {
            gateway_store::BackendKind::Sqlite => compact.await,
            gateway_store::BackendKind::Postgres => {
                tokio::spawn(compact);
            }
        }
    }
    Ok(CandidateErasure {
        candidate_id: id,
        erased_at: erasure.erased_at,
        interviews_erased: erasure.interviews.len(),
        event_id: erasure.event_id,
        vendor_copies,
    })
}
