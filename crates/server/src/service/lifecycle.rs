//! An interview's life beyond the vendor's reports: a retried invitation answered by the
//! interview it already made, a duplicate row folded into its confirmed sibling, the
//! caller's cancel and metadata.

use gateway_core::provider::{InterviewLocator, RemoteInterview};
use gateway_core::time::now;
use gateway_core::{
    Capability, EventId, EventType, Interview, InterviewId, InterviewStatus, ProviderError,
    WorkspaceId,
};
use gateway_store::{NewEvent, Saved, VendorState};
use serde_json::json;

use super::connections;
use super::interviews::{load_template, merge, next_poll, record, sync_read};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Ended by the gateway, not the vendor: later vendor news is kept in `remote_data` and
/// changes nothing else.
pub fn closed_by_gateway(status: InterviewStatus) -> bool {
    matches!(
        status,
        InterviewStatus::Cancelled | InterviewStatus::Superseded
    )
}

/// The vendor's report on an interview the gateway closed: recorded, not applied.
pub fn recorded_only(current: &Interview, remote: RemoteInterview) -> VendorState {
    let mut refs = current.provider_refs.clone();
    refs.extend(remote.refs);
    VendorState {
        status: current.status,
        outcome: current.outcome,
        interview_url: current.interview_url.clone(),
        provider_refs: refs,
        result: current.result.clone(),
        error: current.error.clone(),
        remote_data: if remote.raw.is_null() {
            current.remote_data.clone()
        } else {
            remote.raw
        },
        synced_at: now(),
        next_poll_at: None,
    }
}

/// How an invitation an existing interview answers is answered.
pub enum Answer {
    /// With this interview, as it stands or as the vendor's read settled it.
    Done(Interview),
    /// A `pending` row the vendor's read says it never received: send it (its first time).
    Resend(Interview),
}

/// The answer to an invitation an existing interview answers. A `pending` one is read from
/// the vendor first (a read, never a blind second invitation), so a retry after a lost
/// answer settles it; when the read fails it is answered as it stands.
pub async fn answer_open(
    state: &AppState,
    ws: WorkspaceId,
    existing: Interview,
    can_poll: bool,
) -> Answer {
    if existing.status != InterviewStatus::Pending || !can_poll {
        return Answer::Done(existing);
    }
    match sync_read(state, ws, existing.id).await {
        Ok((pending, true)) if pending.status == InterviewStatus::Pending => {
            Answer::Resend(pending)
        }
        Ok((settled, _)) => Answer::Done(settled),
        Err(e) => {
            tracing::info!(interview_id = %existing.id, error = %e.detail, "a retried invitation's pending interview stays pending");
            Answer::Done(existing)
        }
    }
}

/// A read found the vendor's interview mapped to another row. When that row is a sibling
/// (same candidate and template) and this one is `pending`, this row is folded into it
/// (`superseded`) and the sibling, updated with the read, answers: one interview, one
/// event stream. Anything else stays the conflict it is.
pub async fn fold_into_sibling(
    state: &AppState,
    ws: WorkspaceId,
    current: &Interview,
    remote: RemoteInterview,
    can_poll: bool,
    why: String,
) -> ApiResult<Interview> {
    let mut owner = None;
    for (kind, vendor_id) in &remote.refs {
        if let Some(m) = state
            .store
            .find_mapping(current.connection_id, kind, vendor_id)
            .await?
        {
            if m.workspace_id == ws && m.resource_id != current.id.as_uuid() {
                owner = Some(InterviewId::from_uuid(m.resource_id));
                break;
            }
        }
    }
    let sibling = match owner {
        Some(o) => state.store.get_interview(ws, o).await?,
        None => None,
    };
    let Some(sibling) = sibling
        .filter(|s| s.template_id == current.template_id && s.candidate.id == current.candidate.id)
    else {
        return Err(ApiError::conflict(why));
    };
    if current.status != InterviewStatus::Pending {
        return Err(ApiError::conflict(why));
    }
    state
        .store
        .supersede_interview(ws, current.id, sibling.id, now())
        .await?;
    let written = record(state, ws, sibling.id, |cur| {
        let merged = merge(cur, remote.clone(), None);
        let next = next_poll(state, can_poll, merged.status);
        Some(VendorState {
            next_poll_at: next,
            ..merged
        })
    })
    .await?;
    written.ok_or_else(|| ApiError::not_found(sibling.id))
}

/// What a cancel did.
pub struct Cancelled {
    pub interview: Interview,
    /// Whether the vendor was told. None of the four vendors documents a cancel call, so
    /// today this is always `false`: the candidate may still take the interview there.
    pub vendor_notified: bool,
}

/// Cancel an interview: `cancelled`, an `interview.cancelled` event, no more polls.
/// Terminal interviews answer 409 `invalid_state`.
pub async fn cancel(state: &AppState, ws: WorkspaceId, id: InterviewId) -> ApiResult<Cancelled> {
    let mut vendor_notified = None;
    for _ in 0..5 {
        let (current, version) = state
            .store
            .get_interview_versioned(ws, id)
            .await?
            .ok_or_else(|| ApiError::not_found(id))?;
        if current.status.is_terminal() {
            return Err(ApiError::invalid_state(format!(
                "interview {id} is {}; only an open interview can be cancelled",
                current.status
            )));
        }
        let notified = match vendor_notified {
            Some(n) => n,
            None => {
                let n = notify_vendor(state, ws, &current).await?;
                vendor_notified = Some(n);
                n
            }
        };
        let at = now();
        let mut next = current.clone();
        next.status = InterviewStatus::Cancelled;
        next.updated_at = at;
        let event = NewEvent {
            id: EventId::new(),
            event_type: EventType::Cancelled,
            data: json!({ "interview": next, "previous_status": current.status, "vendor_notified": notified }),
            created_at: at,
        };
        match state
            .store
            .cancel_interview(ws, id, version, at, &[event])
            .await?
        {
            Saved::Saved { .. } => {
                return Ok(Cancelled {
                    interview: next,
                    vendor_notified: notified,
                })
            }
            Saved::Stale => continue,
            Saved::Missing => return Err(ApiError::not_found(id)),
        }
    }
    Err(ApiError::conflict(
        "the interview kept changing while being cancelled; retry",
    ))
}

/// Tell the vendor, where its adapter can; `false` when it cannot (all four today).
async fn notify_vendor(state: &AppState, ws: WorkspaceId, current: &Interview) -> ApiResult<bool> {
    let Some(stored) = state
        .store
        .get_connection(ws, current.connection_id)
        .await?
    else {
        return Ok(false);
    };
    let Ok((provider, ctx)) = connections::context(state, ws, &stored) else {
        return Ok(false);
    };
    if !provider
        .descriptor()
        .capabilities
        .supports(Capability::Cancel)
    {
        return Ok(false);
    }
    let template = load_template(state, ws, current.template_id).await?;
    let locator = InterviewLocator {
        template: &template.provider_ref,
        refs: &current.provider_refs,
        candidate_email: &current.candidate.email,
        correlation_id: current.id,
    };
    match provider.cancel_interview(&ctx, locator).await {
        Ok(()) => Ok(true),
        Err(ProviderError::Unsupported(_)) => Ok(false),
        Err(e) => Err(ApiError::from_provider(&stored.connection.provider, e)),
    }
}

/// Replace the interview's metadata; the interview as it now reads.
pub async fn set_metadata(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    metadata: &serde_json::Value,
) -> ApiResult<Interview> {
    if !state
        .store
        .set_interview_metadata(ws, id, metadata, now())
        .await?
    {
        return Err(ApiError::not_found(id));
    }
    state
        .store
        .get_interview(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))
}
