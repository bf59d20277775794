//! Interviews that cannot stay open forever: a `pending` row the vendor still does not know
//! once its settle window has passed was never received, and becomes `error` with the
//! reason (one `interview.errored` event). Until then the poller reads it again at the end
//! of the window, so a late vendor answer still settles it.

use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::{Interview, InterviewStatus, WorkspaceId};
use gateway_store::VendorState;

use super::interviews::record;
use crate::http::error::ApiResult;
use crate::state::AppState;

fn window(state: &AppState) -> chrono::Duration {
    chrono::Duration::seconds(state.config.interviews.pending_settle_secs as i64)
}

/// When a `pending` row the vendor did not know is read again: at the end of its settle
/// window (soon, when that has passed). `None` when the poller is off.
pub fn recheck_at(state: &AppState, current: &Interview) -> Option<DateTime<Utc>> {
    let p = &state.config.poller;
    p.enabled.then(|| {
        (current.created_at + window(state))
            .max(now() + chrono::Duration::seconds(p.tick_secs as i64))
    })
}

/// Whether a `pending` row the vendor just said it does not know has had its window.
pub fn past_window(state: &AppState, current: &Interview) -> bool {
    current.status == InterviewStatus::Pending && now() - current.created_at >= window(state)
}

/// Close a `pending` row the vendor never received: `error`, with the reason, and no
/// further polls. Answers the row as written (unchanged when it settled meanwhile).
pub async fn never_received(
    state: &AppState,
    ws: WorkspaceId,
    current: &Interview,
) -> ApiResult<Option<Interview>> {
    let secs = state.config.interviews.pending_settle_secs;
    let written = record(state, ws, current.id, |cur| {
        (cur.status == InterviewStatus::Pending).then(|| VendorState {
            status: InterviewStatus::Error,
            outcome: None,
            interview_url: cur.interview_url.clone(),
            provider_refs: cur.provider_refs.clone(),
            result: None,
            error: Some(format!(
                "the vendor never received the invitation: it still did not know the interview {secs} s after it was made ({})",
                cur.error.as_deref().unwrap_or("no answer")
            )),
            remote_data: cur.remote_data.clone(),
            synced_at: now(),
            next_poll_at: None,
        })
    })
    .await?;
    Ok(written)
}

/// Expire open interviews with no progress (no event) for `interviews.expire_after_days`
/// (0 = never); answers how many were expired. Replicas may run it at once: each row is
/// re-read in its write, so one that another replica expired is left alone.
pub async fn expire_stale(state: &AppState) -> usize {
    let days = state.config.interviews.expire_after_days;
    if days == 0 {
        return 0;
    }
    expire_stale_before(state, now() - chrono::Duration::days(i64::from(days))).await
}

/// [`expire_stale`] with an explicit cutoff.
pub async fn expire_stale_before(state: &AppState, cutoff: DateTime<Utc>) -> usize {
    let batch = i64::from(state.config.poller.batch);
    let stale = match state.store.stale_open_interviews(cutoff, batch).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read stale interviews");
            return 0;
        }
    };
    let days = state.config.interviews.expire_after_days;
    let mut expired = 0;
    for (ws, id) in stale {
        let written = record(state, ws, id, |cur| {
            (!cur.status.is_terminal()).then(|| VendorState {
                status: InterviewStatus::Expired,
                outcome: None,
                interview_url: cur.interview_url.clone(),
                provider_refs: cur.provider_refs.clone(),
                result: cur.result.clone(),
                error: Some(format!(
                    "no progress for {days} days: expired by the gateway"
                )),
                remote_data: cur.remote_data.clone(),
                synced_at: now(),
                next_poll_at: None,
            })
        })
        .await;
        match written {
            Ok(Some(i)) if i.status == InterviewStatus::Expired => expired += 1,
            Ok(_) => {}
            Err(e) => tracing::warn!(interview_id = %id, error = %e, "cannot expire an interview"),
        }
    }
    expired
}
