//! Vendor webhooks: verified, stored (de-duplicated by the vendor's event), answered at
//! once, then processed — TapTalent wants a 2xx within 5 s, and a slow vendor read must not
//! make a vendor retry. A receipt left pending by a crash is processed by the sweep.

use gateway_core::provider::{InboundEvent, InboundRequest};
use gateway_core::time::now;
use gateway_core::{ConnectionId, InterviewId, ProviderError, WorkspaceId};
use gateway_store::{ReceiptStatus, StoredConnection};
use serde_json::json;

use super::{connections, interviews};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// What the gateway answered the vendor.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InboundAck {
    /// Changes stored for processing.
    pub accepted: usize,
    /// Changes already received before (vendor retries), dropped.
    pub duplicates: usize,
}

fn unverified() -> ApiError {
    ApiError::unauthorized("this webhook could not be verified")
}

/// Everything needed to act for a connection whatever its workspace.
async fn connection(state: &AppState, id: ConnectionId) -> ApiResult<StoredConnection> {
    state
        .store
        .find_connection_any_workspace(id)
        .await?
        .ok_or_else(unverified)
}

pub async fn receive(
    state: &AppState,
    connection_id: &str,
    token: &str,
    headers: &http::HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> ApiResult<(InboundAck, Vec<uuid::Uuid>)> {
    let mut provider = String::from("unknown");
    let result = receive_verified(
        state,
        connection_id,
        token,
        headers,
        query,
        body,
        &mut provider,
    )
    .await;
    let counts = &gateway_metrics::metrics().inbound_webhooks;
    match &result {
        Ok((ack, _)) => {
            counts
                .with([provider.as_str(), "accepted"])
                .add(ack.accepted as u64);
            counts
                .with([provider.as_str(), "duplicate"])
                .add(ack.duplicates as u64);
        }
        Err(_) => counts.with([provider.as_str(), "rejected"]).inc(),
    }
    result
}

async fn receive_verified(
    state: &AppState,
    connection_id: &str,
    token: &str,
    headers: &http::HeaderMap,
    query: Option<&str>,
    body: &[u8],
    provider_name: &mut String,
) -> ApiResult<(InboundAck, Vec<uuid::Uuid>)> {
    // An unknown connection and a wrong token look the same: nothing to probe.
    let id: ConnectionId = connection_id.parse().map_err(|_| unverified())?;
    let stored = connection(state, id).await?;
    if !connections::inbound_token_matches(state, id, token) {
        return Err(unverified());
    }
    // Only a caller holding the token learns (through metrics) which vendor this is.
    provider_name.clone_from(&stored.connection.provider);
    // Token right, connection gone: tell the vendor to stop.
    if stored.connection_deleted() {
        return Err(ApiError::new(
            ErrorCode::Gone,
            "this connection was deleted",
        ));
    }
    let ws = stored.workspace_id;
    let (provider, ctx) = connections::context(state, ws, &stored)?;
    let request = InboundRequest {
        headers,
        query,
        body,
    };
    provider.verify_inbound(&ctx, request).map_err(|e| {
        tracing::warn!(connection_id = %id, error = %e, "inbound webhook failed verification");
        unverified()
    })?;
    let events = provider.parse_inbound(request).map_err(|e| match e {
        ProviderError::Unsupported(_) => ApiError::new(
            ErrorCode::UnsupportedByProvider,
            format!(
                "{} sends no webhooks the gateway reads",
                stored.connection.provider
            ),
        ),
        other => ApiError::malformed(format!("unreadable webhook: {other}")),
    })?;
    let payload = json!({"body": String::from_utf8_lossy(body), "query": query});
    let mut ack = InboundAck {
        accepted: 0,
        duplicates: 0,
    };
    let mut fresh = Vec::new();
    for e in &events {
        let mut p = payload.clone();
        p["dedupe_key"] = json!(e.dedupe_key);
        match state
            .store
            .insert_receipt(id, ws, &e.dedupe_key, &p, now())
            .await?
        {
            Some(receipt) => {
                ack.accepted += 1;
                fresh.push(receipt);
            }
            None => ack.duplicates += 1,
        }
    }
    Ok((ack, fresh))
}

/// Find the interview a vendor change is about.
async fn locate(
    state: &AppState,
    ws: WorkspaceId,
    connection: ConnectionId,
    e: &InboundEvent,
) -> ApiResult<Option<InterviewId>> {
    for (kind, vendor_id) in &e.refs {
        if let Some(m) = state
            .store
            .find_mapping(connection, kind, vendor_id)
            .await?
        {
            if m.resource_type == "interview" && m.workspace_id == ws {
                return Ok(Some(InterviewId::from_uuid(m.resource_id)));
            }
        }
    }
    if let Some(id) = e.correlation_id {
        if let Some(i) = state.store.get_interview(ws, id).await? {
            if i.connection_id == connection {
                return Ok(Some(id));
            }
        }
    }
    if let Some(email) = &e.candidate_email {
        let filter = gateway_store::CandidateFilter {
            email: Some(email.clone()),
            ..Default::default()
        };
        let people = state
            .store
            .list_candidates(ws, &filter, gateway_store::PageRequest::first(5))
            .await?;
        for person in people.items {
            let f = gateway_store::InterviewFilter {
                candidate_id: Some(person.id),
                ..Default::default()
            };
            let theirs = state
                .store
                .list_interviews(ws, &f, gateway_store::PageRequest::first(50))
                .await?;
            if let Some(i) = theirs.items.into_iter().find(|i| {
                i.connection_id == connection
                    && i.status != gateway_core::InterviewStatus::Superseded
            }) {
                return Ok(Some(i.id));
            }
        }
    }
    Ok(None)
}

/// Apply one stored receipt.
pub async fn process(state: &AppState, receipt_id: uuid::Uuid) {
    let outcome = process_inner(state, receipt_id).await;
    let (status, detail) = match outcome {
        Ok(Some(id)) => (ReceiptStatus::Processed, Some(id.to_string())),
        Ok(None) => (
            ReceiptStatus::Ignored,
            Some("no interview matches this change".to_string()),
        ),
        Err(e) => {
            tracing::warn!(receipt = %receipt_id, error = %e, "could not process an inbound webhook");
            (ReceiptStatus::Failed, Some(e.detail))
        }
    };
    if let Err(e) = state
        .store
        .finish_receipt(receipt_id, status, detail.as_deref(), now())
        .await
    {
        tracing::warn!(receipt = %receipt_id, error = %e, "could not mark an inbound webhook processed");
    }
}

async fn process_inner(state: &AppState, receipt_id: uuid::Uuid) -> ApiResult<Option<InterviewId>> {
    let Some(receipt) = state.store.get_receipt(receipt_id).await? else {
        return Ok(None);
    };
    let stored = connection(state, receipt.connection_id).await?;
    let ws = receipt.workspace_id;
    let provider = connections::provider_of(state, &stored)?;
    let body = receipt.payload["body"]
        .as_str()
        .unwrap_or_default()
        .as_bytes()
        .to_vec();
    let query = receipt.payload["query"].as_str().map(str::to_string);
    let key = receipt.payload["dedupe_key"].as_str().unwrap_or_default();
    let headers = http::HeaderMap::new();
    let events = provider
        .parse_inbound(InboundRequest {
            headers: &headers,
            query: query.as_deref(),
            body: &body,
        })
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let Some(event) = events.into_iter().find(|e| e.dedupe_key == key) else {
        return Ok(None);
    };
    let Some(id) = locate(state, ws, receipt.connection_id, &event).await? else {
        return Ok(None);
    };
    let can_poll = interviews::pollable(provider.as_ref());
    interviews::record(state, ws, id, |cur| {
        let merged = interviews::merge(cur, event.observed.clone(), None);
        // A webhook just arrived: this connection's changes are pushed, so it is read next
        // only to reconcile.
        let next = interviews::next_read(state, can_poll, merged.status, cur.created_at, true);
        Some(gateway_store::VendorState {
            next_poll_at: next,
            ..merged
        })
    })
    .await?;
    if event.refresh && can_poll {
        // The webhook named the change; the vendor's read has the detail (scores, transcript).
        if let Err(e) = interviews::sync_read_loaded(state, ws, id, None, true).await {
            tracing::info!(interview_id = %id, error = %e, "refresh after a webhook failed; the poller will retry");
        }
    }
    Ok(Some(id))
}

/// Process receipts a crash left pending.
pub async fn sweep(state: &AppState) {
    let older_than = now() - chrono::Duration::seconds(30);
    match state.store.pending_receipts(older_than, 100).await {
        Ok(receipts) => {
            for r in receipts {
                process(state, r.id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot read pending inbound webhooks"),
    }
}
