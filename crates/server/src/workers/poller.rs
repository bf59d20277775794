//! Polling what vendors do not push. Due interviews are leased through the database (SKIP
//! LOCKED on Postgres), so replicas share the work and never read one interview twice at
//! once; each is read with the same `sync` a client can call, but spending the budget as
//! background work.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gateway_core::time::now;
use gateway_core::ConnectionId;

use super::sweep;
use crate::capacity::cadence;
use crate::service::{interviews, settle};
use crate::state::AppState;

/// Poll what is due; answers how many interviews were read. Its vendor calls are background
/// work: they never take the reserve of a connection's budget kept for clients.
pub async fn poll_due(state: &AppState) -> usize {
    let run = provider_http::budget::in_background(poll_due_now(state));
    crate::http::request_context::in_job_trace(state.spans.as_deref(), "poller", run).await
}

/// Until when a poll taken at `at` is held: it outlasts the slowest vendor call, then lapses
/// for another replica.
pub fn lease_from(state: &AppState, at: DateTime<Utc>) -> DateTime<Utc> {
    at + chrono::Duration::seconds(state.config.vendors.total_budget_secs as i64 * 2)
}

async fn poll_due_now(state: &AppState) -> usize {
    settle::expire_stale(state).await;
    let cfg = &state.config.poller;
    let at = now();
    let lease = lease_from(state, at);
    let due = match state
        .store
        .lease_due_polls(at, lease, i64::from(cfg.batch))
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the poll queue");
            return 0;
        }
    };
    let n = due.len();
    let reads = &gateway_metrics::metrics().poller_reads;
    // Asked once per connection and tick.
    let mut fed: HashMap<ConnectionId, bool> = HashMap::new();
    let swept = sweep::sweep(state, due).await;
    let swept_reads = reads.with(["swept"]);
    for _ in &swept.refreshed {
        swept_reads.inc();
    }
    for (ws, id, loaded) in swept.to_read {
        let connection_fed = match &loaded {
            Some(i) => match fed.get(&i.connection_id) {
                Some(f) => *f,
                None => {
                    let f = cadence::connection_fed(state, ws, i.connection_id).await;
                    fed.insert(i.connection_id, f);
                    f
                }
            },
            None => false,
        };
        let result = interviews::sync_read_loaded(state, ws, id, loaded, connection_fed).await;
        if let Ok((pending, true)) = &result {
            if settle::past_window(state, pending) {
                if let Err(e) = settle::never_received(state, ws, pending).await {
                    tracing::warn!(interview_id = %id, error = %e.detail, "cannot close a pending interview the vendor never received");
                }
            }
        }
        reads
            .with([if result.is_ok() { "ok" } else { "failed" }])
            .inc();
        if let Err(e) = result {
            // Try again at the next interval, not at the next tick: a vendor outage must
            // not turn into a storm of reads.
            let next = at + chrono::Duration::seconds(cfg.interval_secs as i64);
            tracing::debug!(interview_id = %id, error = %e, "poll failed; rescheduled");
            if let Err(e) = state.store.reschedule_poll(ws, id, Some(next)).await {
                tracing::warn!(interview_id = %id, error = %e, "cannot reschedule a poll");
            }
        }
    }
    n
}
