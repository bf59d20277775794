//! Retention: personal data past the configured age is stripped (see `RetentionConfig` and
//! the README's "Personal data"). One replica at a time runs a pass, holding a lease in the
//! database; each batch is its own short transaction whose rows are taken with SKIP LOCKED,
//! so even two holders (a lease that lapsed mid-pass) only split the work.

use chrono::{DateTime, Duration, Utc};
use gateway_core::time::now;
use gateway_store::StoreResult;

use crate::state::AppState;

const JOB: &str = "retention";

/// What one pass stripped, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stripped {
    pub results: u64,
    pub remote_data: u64,
    pub event_payloads: u64,
}

fn cutoff(at: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    (days > 0).then(|| at - Duration::days(i64::from(days)))
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Results,
    RemoteData,
    EventPayloads,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::Results => "results",
            Self::RemoteData => "remote_data",
            Self::EventPayloads => "event_payloads",
        }
    }

    async fn strip(self, state: &AppState, before: DateTime<Utc>, batch: i64) -> StoreResult<u64> {
        match self {
            Self::Results => state.store.strip_results(before, batch).await,
            Self::RemoteData => state.store.strip_remote_data(before, batch).await,
            Self::EventPayloads => state.store.strip_event_payloads(before, now(), batch).await,
        }
    }

    fn count(self, done: &mut Stripped) -> &mut u64 {
        match self {
            Self::Results => &mut done.results,
            Self::RemoteData => &mut done.remote_data,
            Self::EventPayloads => &mut done.event_payloads,
        }
    }
}

/// Run one pass if this replica gets the lease; `None` when another replica holds it.
pub async fn run_once(state: &AppState, holder: &str) -> StoreResult<Option<Stripped>> {
    let cfg = &state.config.retention;
    let at = now();
    // The lease outlasts a few batches; a longer pass renews it after each batch.
    let lease = Duration::seconds(cfg.tick_secs.max(60) as i64);
    if !state.store.lease_job(JOB, holder, at, at + lease).await? {
        return Ok(None);
    }
    let batch = i64::from(cfg.batch);
    let metrics = &gateway_metrics::metrics().retention_stripped;
    let mut done = Stripped::default();
    let kinds = [
        (Kind::Results, cfg.interview_results_days),
        (Kind::RemoteData, cfg.remote_data_days),
        (Kind::EventPayloads, cfg.deliveries_days),
    ];
    for (kind, days) in kinds {
        let Some(before) = cutoff(at, days) else {
            continue;
        };
        loop {
            let n = kind.strip(state, before, batch).await?;
            metrics.with([kind.label()]).add(n);
            *kind.count(&mut done) += n;
            if n < batch as u64 {
                break;
            }
            // Still ours? A replica that took over a lapsed lease carries on instead.
            let t = now();
            if !state.store.lease_job(JOB, holder, t, t + lease).await? {
                return Ok(Some(done));
            }
        }
    }
    if done != Stripped::default() {
        tracing::info!(
            results = done.results,
            remote_data = done.remote_data,
            event_payloads = done.event_payloads,
            "retention stripped personal data past its age"
        );
    }
    Ok(Some(done))
}
