//! The background work of a gateway process. Each loop stops when the shutdown signal
//! flips; the work itself is coordinated through the database, so any number of replicas
//! can run them all.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod call_log_prune;
pub mod outbound_webhooks;
pub mod partner_callbacks;
pub mod poller;
pub mod retention;
pub mod sweep;

use crate::http::request_context::in_job_trace;
use crate::service::inbound_webhooks;
use crate::state::AppState;

/// Run `tick` every `every` until `stop` flips — also in the middle of a tick: a poller
/// tick reading from a hung vendor could otherwise hold a stopping process for minutes.
/// Abandoning a tick loses nothing: its work is leased through the database (the leases
/// lapse for another replica or the next start), and each write commits whole, so a read
/// not yet written is read again and a delivery not yet recorded is sent again.
fn every<F, Fut>(mut stop: watch::Receiver<bool>, period: Duration, mut tick: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = stop.changed() => break,
            }
            tokio::select! {
                _ = tick() => {}
                _ = stop.changed() => break,
            }
        }
    })
}

pub fn spawn(state: &AppState, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let cfg = &state.config;
    let mut handles = Vec::new();

    // API key last-use times, in batches.
    let s = state.clone();
    handles.push(every(
        stop.clone(),
        Duration::from_secs(cfg.auth.usage_flush_secs),
        move || {
            let s = s.clone();
            async move { s.auth.flush_usage().await }
        },
    ));

    // Expired idempotency keys.
    let s = state.clone();
    handles.push(every(stop.clone(), Duration::from_secs(3600), move || {
        let s = s.clone();
        async move {
            match s
                .store
                .purge_expired_idempotency(gateway_core::time::now())
                .await
            {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not purge idempotency keys"),
            }
        }
    }));

    // Idle rate-limit state.
    let s = state.clone();
    handles.push(every(stop.clone(), Duration::from_secs(60), move || {
        let s = s.clone();
        async move { s.limiter.retain_recent() }
    }));

    // Connection health from the vendor calls this process makes.
    let queue = state.call_queue.lock().ok().and_then(|mut q| q.take());
    if let Some(rx) = queue {
        handles.push(crate::service::connection_health::spawn_writer(
            state.clone(),
            rx,
            stop.clone(),
        ));
    }

    // The vendor call log from this process's calls, and its bounds (cluster-wide, leased).
    let queue = state.call_log_queue.lock().ok().and_then(|mut q| q.take());
    if let Some(rx) = queue {
        handles.push(crate::service::call_log::spawn_writer(
            state.clone(),
            rx,
            stop.clone(),
        ));
    }
    let s = state.clone();
    let holder = uuid::Uuid::now_v7().to_string();
    handles.push(every(
        stop.clone(),
        Duration::from_secs(cfg.call_log.prune_secs),
        move || {
            let (s, holder) = (s.clone(), holder.clone());
            async move {
                let run = call_log_prune::run_once(&s, &holder);
                if let Err(e) = in_job_trace(s.spans.as_deref(), "call_log_prune", run).await {
                    tracing::warn!(error = %e, "vendor call log prune failed; retried next tick");
                }
            }
        },
    ));

    // Outbound webhook deliveries: the moment one is queued (by this replica or another),
    // and every tick for retries coming due.
    handles.push(outbound_webhooks::spawn_sender(state.clone(), stop.clone()));

    // Completion callbacks owed to ATS partners, through the same egress rules as webhooks.
    let s = state.clone();
    let http = outbound_webhooks::client(&cfg.webhooks);
    handles.push(every(
        stop.clone(),
        Duration::from_millis(cfg.webhooks.tick_ms),
        move || {
            let (s, http) = (s.clone(), http.clone());
            async move { while partner_callbacks::send_due(&s, &http).await > 0 {} }
        },
    ));

    // Polling vendors.
    if cfg.poller.enabled {
        let s = state.clone();
        handles.push(every(
            stop.clone(),
            Duration::from_secs(cfg.poller.tick_secs),
            move || {
                let s = s.clone();
                async move {
                    poller::poll_due(&s).await;
                }
            },
        ));
    }

    // Personal data past its retention age (when any is configured).
    if cfg.retention.any() {
        let s = state.clone();
        // Names this process in the job lease; any unique text does.
        let holder = uuid::Uuid::now_v7().to_string();
        handles.push(every(
            stop.clone(),
            Duration::from_secs(cfg.retention.tick_secs),
            move || {
                let (s, holder) = (s.clone(), holder.clone());
                async move {
                    let run = retention::run_once(&s, &holder);
                    if let Err(e) = in_job_trace(s.spans.as_deref(), "retention", run).await {
                        tracing::warn!(error = %e, "retention pass failed; retried next tick");
                    }
                }
            },
        ));
    }

    // Inbound webhooks a crash left unprocessed.
    let s = state.clone();
    handles.push(every(stop.clone(), Duration::from_secs(30), move || {
        let s = s.clone();
        async move { inbound_webhooks::sweep(&s).await }
    }));

    // Key changes from other replicas.
    let s = state.clone();
    let mut changes_stop = stop;
    handles.push(tokio::spawn(async move {
        let mut rx = match s.store.subscribe_key_changes().await {
            Ok(Some(rx)) => rx,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for key changes from other replicas; cached keys expire within auth.cache_ttl_secs");
                return;
            }
        };
        loop {
            tokio::select! {
                change = rx.recv() => match change {
                    Some(gateway_store::KeyChange::Key(id)) => s.auth.evict(id),
                    Some(gateway_store::KeyChange::Resync) => s.auth.clear(),
                    None => break,
                },
                _ = changes_stop.changed() => break,
            }
        }
    }));
    handles
}
