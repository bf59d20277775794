//! Inviting, syncing and recording what vendors say. The order of writes is what keeps an
//! interview from being lost or duplicated:
//!
//! 1. the candidate is upserted and the interview stored as `pending` *before* the vendor is
//!    called, so a crash or timeout leaves a visible row, never nothing (and the poller later
//!    settles it);
//! 2. the vendor's ids are mapped to the interview in the same transaction that records its
//!    answer, *before* the client hears back;
//! 3. a definite vendor refusal (4xx, invalid input) removes the pending row — nothing exists
//!    at the vendor, so nothing half-written is left; an ambiguous failure (timeout, 5xx)
//!    keeps it `pending` with the reason, for `sync` and the poller to settle.
//!
//! Every state write goes through [`record`]: compare-and-set on the interview's version,
//! with the normalized events of the transition written in the same transaction.

use chrono::{DateTime, Utc};
use gateway_core::provider::{InterviewLocator, InviteCandidate, InviteOptions, RemoteInterview};
use gateway_core::time::now;
use gateway_core::{
    CandidateInput, Capability, ConnectionStatus, Interview, InterviewId, InterviewStatus,
    Provider, ProviderError, Template, WorkspaceId,
};
use gateway_store::{ConnectionUpdate, NewInterview, Saved, Slot, StoreError, VendorState};
use serde_json::json;

use super::{connections, events, lifecycle};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How one invitation ended.
#[derive(Debug)]
pub enum Invited {
    /// The vendor confirmed a new interview.
    Created(Interview),
    /// The vendor answered with an interview this gateway already knows (e.g. HeyMilo
    /// returns a candidate's existing interview unless `retake` is set).
    Existing(Interview),
    /// The vendor's answer is unknown (timeout, 5xx): the interview stays `pending`.
    Pending(Interview, ApiError),
    Failed(ApiError),
}

/// One invitation: the candidate and the caller's references for the interview.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub candidate: CandidateInput,
    pub external_id: Option<String>,
    pub metadata: serde_json::Value,
}

/// Whether a vendor error means nothing was created there.
fn definite(e: &ProviderError) -> bool {
    !matches!(
        e,
        ProviderError::Unavailable { .. } | ProviderError::BadResponse { .. }
    )
}

pub async fn load_template(
    state: &AppState,
    ws: WorkspaceId,
    id: gateway_core::TemplateId,
) -> ApiResult<Template> {
    state
        .store
        .get_template(ws, id)
        .await?
        .ok_or_else(|| ApiError::not_found(id))
}

/// Can the poller read this provider's interviews?
pub fn pollable(provider: &dyn Provider) -> bool {
    provider.descriptor().capabilities.get_interview
}

/// When the poller should next read an interview in `status`.
pub fn next_poll(
    state: &AppState,
    pollable: bool,
    status: InterviewStatus,
) -> Option<DateTime<Utc>> {
    let p = &state.config.poller;
    (p.enabled && pollable && !status.is_terminal())
        .then(|| now() + chrono::Duration::seconds(p.interval_secs as i64))
}

/// When an interview just read from its vendor is read next: the poller's cadence (older
/// open interviews back off; a connection whose webhooks arrive (`fed`) only reconciles),
/// in the same write as the read, so no replica ever sees the plain interval in between.
pub fn next_read(
    state: &AppState,
    pollable: bool,
    status: InterviewStatus,
    created_at: DateTime<Utc>,
    fed: bool,
) -> Option<DateTime<Utc>> {
    next_poll(state, pollable, status).map(|plain| {
        crate::capacity::cadence::next_read(&state.config.poller, created_at, now(), fed)
            .unwrap_or(plain)
    })
}

/// Read the interview, compute its next state, write it if nobody changed it meanwhile
/// (retrying otherwise), with the transition's events. `compute` answers `None` when there
/// is nothing to write. `Ok(None)` when the interview does not exist.
pub async fn record(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    compute: impl Fn(&Interview) -> Option<VendorState>,
) -> Result<Option<Interview>, StoreError> {
    record_from(state, ws, id, None, compute).await
}

/// [`record`], starting from a state the caller already holds (the row it just inserted):
/// one read fewer on the invite path. A stale seed only costs a retry from a fresh read.
async fn record_from(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    mut seed: Option<(Interview, i64)>,
    compute: impl Fn(&Interview) -> Option<VendorState>,
) -> Result<Option<Interview>, StoreError> {
    for _ in 0..5 {
        let (current, version) = match seed.take() {
            Some(s) => s,
            None => match state.store.get_interview_versioned(ws, id).await? {
                Some(s) => s,
                None => return Ok(None),
            },
        };
        let Some(next_state) = compute(&current) else {
            return Ok(Some(current));
        };
        let next = events::apply(&current, &next_state);
        let evts = events::events_for(&current, &next, next_state.synced_at);
        match state
            .store
            .save_vendor_state(ws, id, &next_state, Some(version), &evts)
            .await?
        {
            // Written at the version read, so the row is `next`: no read back.
            Saved::Saved { .. } => return Ok(Some(next)),
            Saved::Stale => continue,
            Saved::Missing => return Ok(None),
        }
    }
    Err(StoreError::Conflict(
        "the interview kept changing while being updated; retry".into(),
    ))
}

/// Invite each candidate to `template`; one result per input, in order. An invitation an
/// interview already answers (its `external_id`, the candidate's open interview on the
/// template, a retake not yet confirmed) is answered with it and not sent again.
pub async fn invite(
    state: &AppState,
    ws: WorkspaceId,
    template: &Template,
    items: &[Invitation],
    options: &InviteOptions,
) -> ApiResult<Vec<Invited>> {
    let stored = state
        .store
        .get_connection(ws, template.connection_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "the template's connection {} was deleted",
                template.connection_id
            ))
        })?;
    let (provider, _) = connections::context(state, ws, &stored)?;
    let provider_name = stored.connection.provider.clone();
    if !provider.descriptor().capabilities.invite {
        return Err(ApiError::unsupported(&provider_name, Capability::Invite));
    }
    let can_poll = pollable(provider.as_ref());

    let at = now();
    let mut rows: Vec<NewInterview> = items
        .iter()
        .map(|item| NewInterview {
            id: InterviewId::new(),
            template_id: template.id,
            connection_id: template.connection_id,
            // Set by `insert_pending` to the upserted candidate's id.
            candidate_id: gateway_core::CandidateId::new(),
            provider: provider_name.clone(),
            status: InterviewStatus::Pending,
            invite_options: json!({
                "message": options.message,
                "send_invite": options.send_invite,
                "delay_hours": options.delay_hours,
                "retake": options.retake,
            }),
            created_at: at,
            next_poll_at: next_poll(state, can_poll, InterviewStatus::Pending),
            external_id: item.external_id.clone(),
            metadata: item.metadata.clone(),
            retake: options.retake,
        })
        .collect();
    let inputs: Vec<CandidateInput> = items.iter().map(|i| i.candidate.clone()).collect();
    // Candidates and their pending interviews: one transaction, one commit for the batch.
    let slots = state
        .store
        .insert_pending(ws, &inputs, &mut rows, at)
        .await?;
    let mut results: Vec<Option<Invited>> = (0..items.len()).map(|_| None).collect();
    let mut fresh = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        match slot {
            Slot::Open(existing) => {
                match lifecycle::answer_open(state, ws, existing, can_poll).await {
                    lifecycle::Answer::Done(iv) => results[i] = Some(Invited::Existing(iv)),
                    // The vendor's read says it never got it: sending it now is its first.
                    lifecycle::Answer::Resend(iv) => fresh.push(Fresh {
                        index: i,
                        id: iv.id,
                        seed: None,
                        person: iv.candidate,
                    }),
                }
            }
            Slot::New(person) => fresh.push(Fresh {
                index: i,
                id: rows[i].id,
                seed: Some((inserted(&rows[i], person.clone()), INSERTED_VERSION)),
                person,
            }),
        }
    }
    if !fresh.is_empty() {
        let sent = send(state, ws, template, &stored, &inputs, fresh, options).await?;
        for (i, r) in sent {
            results[i] = Some(r);
        }
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(ApiError::internal))
        .collect()
}

/// A pending row to send: its place in the request, and the row as just inserted (`None`:
/// an existing row, read afresh when the answer is recorded).
struct Fresh {
    index: usize,
    id: InterviewId,
    seed: Option<(Interview, i64)>,
    person: gateway_core::Candidate,
}

/// Send the pending rows of `fresh` to the vendor and record each answer.
#[allow(clippy::too_many_arguments)]
async fn send(
    state: &AppState,
    ws: WorkspaceId,
    template: &Template,
    stored: &gateway_store::StoredConnection,
    inputs: &[CandidateInput],
    fresh: Vec<Fresh>,
    options: &InviteOptions,
) -> ApiResult<Vec<(usize, Invited)>> {
    let (provider, ctx) = connections::context(state, ws, stored)?;
    let provider_name = stored.connection.provider.clone();
    let can_poll = pollable(provider.as_ref());
    let candidates: Vec<InviteCandidate> = fresh
        .iter()
        .map(|f| {
            let (person, input) = (&f.person, &inputs[f.index]);
            InviteCandidate {
                correlation_id: f.id,
                email: person.email.clone(),
                name: input.display_name().or(person.name.clone()),
                first_name: input.first_name.clone().or(person.first_name.clone()),
                last_name: input.last_name.clone().or(person.last_name.clone()),
                phone: input.phone.clone().or(person.phone.clone()),
                external_id: input.external_id.clone().or(person.external_id.clone()),
                resume_url: input.resume_url.clone().or(person.resume_url.clone()),
                metadata: input
                    .metadata
                    .clone()
                    .unwrap_or_else(|| person.metadata.clone()),
            }
        })
        .collect();

    let outcomes = match provider
        .invite(&ctx, &template.provider_ref, &candidates, options)
        .await
    {
        Ok(o) if o.len() == candidates.len() => o,
        Ok(o) => {
            tracing::error!(provider = %provider_name, expected = candidates.len(), got = o.len(), "adapter answered the wrong number of outcomes");
            let e = ProviderError::BadResponse {
                status: None,
                message: "the adapter lost track of some candidates".into(),
            };
            candidates.iter().map(|_| Err(e.clone())).collect()
        }
        Err(e) => candidates.iter().map(|_| Err(e.clone())).collect(),
    };

    let mut results = Vec::with_capacity(outcomes.len());
    let mut credentials_refused = false;
    for (f, outcome) in fresh.into_iter().zip(outcomes) {
        let result = match outcome {
            Ok(remote) => confirm(state, ws, f.id, f.seed, remote, can_poll).await?,
            Err(e) => {
                credentials_refused |= matches!(e, ProviderError::InvalidCredentials { .. });
                settle_failure(state, ws, f.id, &provider_name, e).await?
            }
        };
        results.push((f.index, result));
    }
    if credentials_refused {
        mark_connection(
            state,
            ws,
            &stored.connection.id,
            ConnectionStatus::InvalidCredentials,
        )
        .await;
    }
    Ok(results)
}

pub async fn mark_connection(
    state: &AppState,
    ws: WorkspaceId,
    id: &gateway_core::ConnectionId,
    status: ConnectionStatus,
) {
    let update = ConnectionUpdate {
        status: Some(status),
        ..Default::default()
    };
    if let Err(e) = state.store.update_connection(ws, *id, &update, now()).await {
        tracing::warn!(connection_id = %id, error = %e, "could not record the connection's status");
    }
}

/// The version column's default: a row no one has written since its insert.
const INSERTED_VERSION: i64 = 0;

/// The row `insert_interviews` just wrote, as a read would return it.
fn inserted(row: &NewInterview, candidate: gateway_core::Candidate) -> Interview {
    Interview {
        id: row.id,
        template_id: row.template_id,
        connection_id: row.connection_id,
        provider: row.provider.clone(),
        candidate,
        status: row.status,
        outcome: None,
        interview_url: None,
        provider_refs: Default::default(),
        result: None,
        error: None,
        created_at: row.created_at,
        updated_at: row.created_at,
        last_synced_at: None,
        remote_data: json!({}),
        external_id: row.external_id.clone(),
        metadata: row.metadata.clone(),
        superseded_by: None,
    }
}

/// Record what the vendor answered for one new interview.
async fn confirm(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    seed: Option<(Interview, i64)>,
    remote: RemoteInterview,
    can_poll: bool,
) -> ApiResult<Invited> {
    let written = record_from(state, ws, id, seed, |current| {
        Some(merge(
            current,
            remote.clone(),
            next_poll(
                state,
                can_poll,
                remote.status.unwrap_or(InterviewStatus::Invited),
            ),
        ))
    })
    .await;
    match written {
        Ok(Some(i)) => Ok(Invited::Created(i)),
        Ok(None) => Err(ApiError::internal()),
        Err(StoreError::Conflict(_)) => {
            // The vendor id already belongs to one of our interviews: the vendor handed back
            // an interview it had. Answer with that one and drop the new pending row.
            let connection = state
                .store
                .get_interview(ws, id)
                .await?
                .map(|i| i.connection_id);
            let mut existing = None;
            if let Some(conn) = connection {
                for (kind, vendor_id) in &remote.refs {
                    if let Some(m) = state.store.find_mapping(conn, kind, vendor_id).await? {
                        if m.workspace_id == ws && m.resource_id != id.as_uuid() {
                            existing = state
                                .store
                                .get_interview(ws, InterviewId::from_uuid(m.resource_id))
                                .await?;
                            break;
                        }
                    }
                }
            }
            state.store.delete_pending_interview(ws, id).await?;
            match existing {
                Some(i) => Ok(Invited::Existing(i)),
                None => Err(ApiError::conflict(
                    "the vendor answered with an interview that belongs elsewhere",
                )),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// A pending interview, still pending, with why.
fn still_pending(
    current: &Interview,
    error: String,
    next_poll_at: Option<DateTime<Utc>>,
) -> VendorState {
    VendorState {
        status: InterviewStatus::Pending,
        outcome: None,
        interview_url: current.interview_url.clone(),
        provider_refs: current.provider_refs.clone(),
        result: None,
        error: Some(error),
        remote_data: current.remote_data.clone(),
        synced_at: now(),
        next_poll_at,
    }
}

async fn settle_failure(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    provider: &str,
    e: ProviderError,
) -> ApiResult<Invited> {
    let err = ApiError::from_provider(provider, e.clone());
    if definite(&e) {
        state.store.delete_pending_interview(ws, id).await?;
        return Ok(Invited::Failed(err));
    }
    let reason =
        format!("not confirmed by {provider}: {e}; `POST /v1/interviews/{id}/sync` settles it");
    let poll = state
        .registry
        .get(provider)
        .map(|p| pollable(p.as_ref()))
        .unwrap_or(false);
    let written = record(state, ws, id, |current| {
        Some(still_pending(
            current,
            reason.clone(),
            next_poll(state, poll, InterviewStatus::Pending),
        ))
    })
    .await?;
    match written {
        Some(i) => Ok(Invited::Pending(i, err)),
        None => Ok(Invited::Failed(err)),
    }
}

/// The stored interview updated with what the vendor reports. Reports of an earlier stage
/// than the stored one (late webhooks, stale reads) do not move it backwards.
pub fn merge(
    current: &Interview,
    remote: RemoteInterview,
    next_poll_at: Option<DateTime<Utc>>,
) -> VendorState {
    if lifecycle::closed_by_gateway(current.status) {
        return lifecycle::recorded_only(current, remote);
    }
    let status = match remote.status {
        Some(s) if current.status.accepts(s) => s,
        _ if current.status == InterviewStatus::Pending => InterviewStatus::Invited,
        _ => current.status,
    };
    let mut refs = current.provider_refs.clone();
    refs.extend(remote.refs);
    VendorState {
        status,
        outcome: remote.outcome.or(current.outcome),
        interview_url: remote
            .interview_url
            .or_else(|| current.interview_url.clone()),
        provider_refs: refs,
        result: remote.result.or_else(|| current.result.clone()),
        error: None,
        remote_data: if remote.raw.is_null() {
            current.remote_data.clone()
        } else {
            remote.raw
        },
        synced_at: now(),
        next_poll_at,
    }
}

/// Read the interview from the vendor now and store what it says.
pub async fn sync(state: &AppState, ws: WorkspaceId, id: InterviewId) -> ApiResult<Interview> {
    Ok(sync_read(state, ws, id).await?.0)
}

/// [`sync`], and whether the vendor answered that it has no such interview (a pending row
/// it never received).
pub async fn sync_read(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
) -> ApiResult<(Interview, bool)> {
    sync_read_loaded(state, ws, id, None, false).await
}

/// [`sync_read`] of a row the caller has already loaded (the poller's sweep), if any, its
/// next read scheduled by the cadence ([`next_read`]; `fed`: the connection's webhooks are
/// arriving). The write still goes through the versioned read in [`record`], so a row
/// changed meanwhile is merged, not overwritten.
pub async fn sync_read_loaded(
    state: &AppState,
    ws: WorkspaceId,
    id: InterviewId,
    loaded: Option<Interview>,
    fed: bool,
) -> ApiResult<(Interview, bool)> {
    let current = match loaded {
        Some(i) => i,
        None => state
            .store
            .get_interview(ws, id)
            .await?
            .ok_or_else(|| ApiError::not_found(id))?,
    };
    if current.status == InterviewStatus::Superseded {
        // Folded into its sibling: that one is read and settled.
        return Ok((current, false));
    }
    let template = load_template(state, ws, current.template_id).await?;
    let stored = state
        .store
        .get_connection(ws, current.connection_id)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(format!(
                "the interview's connection {} was deleted",
                current.connection_id
            ))
        })?;
    let (provider, ctx) = connections::context(state, ws, &stored)?;
    let can_poll = pollable(provider.as_ref());
    let locator = InterviewLocator {
        template: &template.provider_ref,
        refs: &current.provider_refs,
        candidate_email: &current.candidate.email,
        correlation_id: current.id,
    };
    let written = match provider.get_interview(&ctx, locator).await {
        Ok(remote) => {
            let written = record(state, ws, id, |cur| {
                let merged = merge(cur, remote.clone(), None);
                let next = next_read(state, can_poll, merged.status, cur.created_at, fed);
                Some(VendorState {
                    next_poll_at: next,
                    ..merged
                })
            })
            .await;
            match written {
                // The vendor's interview is mapped to another of our rows.
                Err(StoreError::Conflict(why)) => {
                    let folded =
                        lifecycle::fold_into_sibling(state, ws, &current, remote, can_poll, why)
                            .await?;
                    return Ok((folded, false));
                }
                other => other?,
            }
        }
        Err(ProviderError::NotFound { message }) if current.status == InterviewStatus::Pending => {
            // Never reached the vendor: say so, keep it visible.
            let reason = format!("not found at {}: {message}", stored.connection.provider);
            let next = super::settle::recheck_at(state, &current);
            let written = record(state, ws, id, |cur| {
                Some(still_pending(cur, reason.clone(), next))
            })
            .await?;
            return written
                .map(|i| (i, true))
                .ok_or_else(|| ApiError::not_found(id));
        }
        Err(e) => {
            if matches!(e, ProviderError::InvalidCredentials { .. }) {
                mark_connection(
                    state,
                    ws,
                    &stored.connection.id,
                    ConnectionStatus::InvalidCredentials,
                )
                .await;
            }
            return Err(ApiError::from_provider(&stored.connection.provider, e));
        }
    };
    written
        .map(|i| (i, false))
        .ok_or_else(|| ApiError::not_found(id))
}
