//! Polling what vendors do not push. Due interviews are leased through the database (SKIP
//! LOCKED on Postgres), so replicas share the work and never read one interview twice at
//! once; each is read with the same `sync` a client can call.

use gateway_core::time::now;

use crate::service::interviews;
use crate::state::AppState;

/// Poll what is due; answers how many interviews were read.
pub async fn poll_due(state: &AppState) -> usize {
    let cfg = &state.config.poller;
    let at = now();
    // A lease outlasts the slowest vendor call, then lapses for another replica.
    let lease = at + chrono::Duration::seconds(state.config.vendors.total_budget_secs as i64 * 2);
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
    for (ws, id) in due {
        let result = interviews::sync(state, ws, id).await;
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
