//! Connection health from real vendor calls. The HTTP client reports every attempt to the
//! connection's observer (`gateway_core::observe`); finished calls go through a bounded
//! queue to one writer task, off the request path — when the queue is full an observation
//! is dropped and counted, never waited for. The writer folds each into the stored health
//! (`ConnectionHealthStore`), which emits `connection.unhealthy` / `connection.recovered`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gateway_core::time::now;
use gateway_core::{CallObserver, ConnectionId, EventId, Observer, VendorCall};
use gateway_store::Observation;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Observations waiting for the writer; past this they are dropped.
const QUEUE: usize = 4096;

/// How long a replica trusts its own "healthy" verdict before writing a success again: a
/// success right after another replica saw a failure still recovers the connection soon.
const TRUST_HEALTHY: Duration = Duration::from_secs(10);

/// The observer handed to every `ConnectionContext`.
pub struct CallSink {
    tx: mpsc::Sender<VendorCall>,
}

impl CallObserver for CallSink {
    fn observe(&self, call: &VendorCall) {
        if !call.last {
            return;
        }
        if self.tx.try_send(call.clone()).is_err() {
            // Counted where an operator sees it.
            gateway_metrics::metrics()
                .observations_dropped
                .with(["health"])
                .inc();
        }
    }
}

/// The observer and the queue its writer reads.
pub fn channel() -> (Observer, mpsc::Receiver<VendorCall>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let sink = CallSink { tx };
    (Observer(Arc::new(sink)), rx)
}

/// What a finished call says about its connection: `None` when nothing (a 429 is the
/// vendor's limit, not the connection's health).
pub fn classify(call: &VendorCall) -> Option<Observation> {
    match call.status {
        Some(401 | 403) => Some(Observation::CredentialsRefused(format!(
            "{} answered HTTP {} to {} {}",
            call.provider,
            call.status.unwrap_or_default(),
            call.method,
            call.path
        ))),
        Some(429) => None,
        Some(s) if s >= 500 => Some(Observation::Unreachable(format!(
            "{} answered HTTP {s} to {} {}",
            call.provider, call.method, call.path
        ))),
        Some(_) => Some(Observation::Ok),
        None => Some(Observation::Unreachable(
            call.error
                .clone()
                .unwrap_or_else(|| "the vendor could not be reached".into()),
        )),
    }
}

/// The writer: one task per process.
pub fn spawn_writer(
    state: AppState,
    mut rx: mpsc::Receiver<VendorCall>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut healthy: HashMap<ConnectionId, Instant> = HashMap::new();
        loop {
            let call = tokio::select! {
                c = rx.recv() => match c { Some(c) => c, None => break },
                _ = stop.changed() => break,
            };
            record(&state, &mut healthy, &call).await;
        }
    })
}

async fn record(state: &AppState, healthy: &mut HashMap<ConnectionId, Instant>, call: &VendorCall) {
    let Some(seen) = classify(call) else { return };
    let id = call.connection_id;
    if seen == Observation::Ok
        && healthy
            .get(&id)
            .is_some_and(|t| t.elapsed() < TRUST_HEALTHY)
    {
        return;
    }
    let after =
        chrono::Duration::seconds(state.config.connection_health.unavailable_after_secs as i64);
    match state
        .store
        .observe_health(call.workspace_id, id, &seen, after, EventId::new(), now())
        .await
    {
        Ok(emitted) => {
            if let Some(kind) = emitted {
                tracing::warn!(connection_id = %id, provider = call.provider, event = kind.as_str(), "connection health changed");
            }
            if seen == Observation::Ok {
                healthy.insert(id, Instant::now());
            } else {
                healthy.remove(&id);
            }
        }
        Err(e) => {
            tracing::warn!(connection_id = %id, error = %e, "could not record connection health")
        }
    }
}

/// The shared slot the writer's queue waits in until the workers start.
pub type PendingQueue = Mutex<Option<mpsc::Receiver<VendorCall>>>;

#[cfg(test)]
mod tests {
    use super::*;

    fn call(status: Option<u16>) -> VendorCall {
        VendorCall {
            workspace_id: gateway_core::WorkspaceId::new(),
            connection_id: ConnectionId::new(),
            provider: "heymilo",
            operation: "list_postings",
            method: "GET".into(),
            path: "/api/v1/postings".into(),
            status,
            latency: Duration::from_millis(5),
            attempt: 1,
            last: true,
            error: status
                .is_none()
                .then(|| "cannot connect to x:1".to_string()),
            trace_id: None,
            span_id: None,
            parent_span_id: None,
            sampled: false,
        }
    }

    #[test]
    fn calls_are_classified() {
        assert_eq!(classify(&call(Some(200))), Some(Observation::Ok));
        assert_eq!(classify(&call(Some(404))), Some(Observation::Ok));
        assert_eq!(classify(&call(Some(429))), None);
        assert!(matches!(
            classify(&call(Some(401))),
            Some(Observation::CredentialsRefused(_))
        ));
        assert!(matches!(
            classify(&call(Some(503))),
            Some(Observation::Unreachable(_))
        ));
        assert_eq!(
            classify(&call(None)),
            Some(Observation::Unreachable("cannot connect to x:1".into()))
        );
    }
}
