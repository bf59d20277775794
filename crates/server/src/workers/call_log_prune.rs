//! Keeps the vendor call log bounded (`[call_log]`): calls past `retention_days`, and each
//! connection's oldest past `max_rows_per_connection`. One replica at a time holds the
//! database lease; the deletes are idempotent, so two holders (a lease that lapsed
//! mid-pass) only repeat each other's reads.

use chrono::Duration;
use gateway_core::time::now;
use gateway_store::StoreResult;

use crate::state::AppState;

const JOB: &str = "call_log_prune";
/// Rows per DELETE: each its own short statement.
const BATCH: i64 = 1000;

/// Run one pass if this replica gets the lease; answers how many rows went, `None` when
/// another replica holds it.
pub async fn run_once(state: &AppState, holder: &str) -> StoreResult<Option<u64>> {
    let cfg = &state.config.call_log;
    let at = now();
    let lease = Duration::seconds(cfg.prune_secs.max(60) as i64);
    if !state.store.lease_job(JOB, holder, at, at + lease).await? {
        return Ok(None);
    }
    let before = at - Duration::days(i64::from(cfg.retention_days));
    let mut done = 0;
    loop {
        let n = state.store.prune_vendor_calls_older(before, BATCH).await?;
        done += n;
        if n < BATCH as u64 {
            break;
        }
    }
    let keep = i64::from(cfg.max_rows_per_connection);
    loop {
        let n = state.store.prune_vendor_calls_over(keep, BATCH).await?;
        done += n;
        if n == 0 {
            break;
        }
    }
    if done > 0 {
        tracing::debug!(deleted = done, "vendor call log pruned");
    }
    Ok(Some(done))
}
