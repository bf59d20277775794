//! The per-connection vendor call log. The observer turns every attempt into a row on the
//! request's own task (so the request id is at hand) and hands it to a bounded queue; one
//! writer per process inserts what the queue holds in batches, off the request path. When
//! the queue is full a row is dropped and counted, never waited for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway_core::time::now;
use gateway_core::{CallObserver, Observer, VendorCall};
use gateway_store::{CallOutcome, VendorCallEntry};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Rows waiting for the writer; past this they are dropped.
const QUEUE: usize = 4096;
/// Rows per INSERT.
const BATCH: usize = 200;
/// The longest error text kept: the client's descriptions are short, and a bound keeps a
/// surprising one from filling the table.
const MAX_ERROR: usize = 300;

pub struct LogSink {
    tx: mpsc::Sender<VendorCallEntry>,
}

impl CallObserver for LogSink {
    fn observe(&self, call: &VendorCall) {
        let request_id = crate::http::request_context::current_request_id();
        if self.tx.try_send(entry(call, request_id)).is_err() {
            // Counted where an operator sees it.
            gateway_metrics::metrics()
                .observations_dropped
                .with(["call_log"])
                .inc();
        }
    }
}

/// The row for one attempt: only what `VendorCall` holds, which is free of credentials and
/// bodies; the error is bounded and has e-mail addresses masked all the same.
pub fn entry(call: &VendorCall, request_id: Option<String>) -> VendorCallEntry {
    let error = match (&call.error, call.status) {
        (Some(said), Some(s)) => Some(scrub(&format!(
            "{} answered HTTP {s}: {said}",
            call.provider
        ))),
        (Some(e), None) => Some(scrub(e)),
        (None, Some(s)) if s >= 400 => Some(format!("{} answered HTTP {s}", call.provider)),
        (None, _) => None,
    };
    VendorCallEntry {
        id: uuid::Uuid::now_v7(),
        workspace_id: call.workspace_id,
        connection_id: call.connection_id,
        at: now(),
        provider: call.provider.to_string(),
        operation: call.operation.to_string(),
        method: call.method.clone(),
        path: call.path.clone(),
        status: call.status,
        outcome: CallOutcome::of_status(call.status),
        latency_ms: u64::try_from(call.latency.as_millis()).unwrap_or(u64::MAX),
        attempt: call.attempt,
        last: call.last,
        request_id,
        trace_id: call.trace_id.clone(),
        span_id: call.span_id.clone(),
        error,
    }
}

/// Cap `text` at `MAX_ERROR` characters and mask anything shaped like an e-mail address.
fn scrub(text: &str) -> String {
    let masked: Vec<String> = text
        .split(' ')
        .map(|w| {
            if w.contains('@') && w.contains('.') {
                "[email]".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    masked.join(" ").chars().take(MAX_ERROR).collect()
}

/// Tell every observer of every attempt: connection health, the call log, and (when
/// exporting) the span exporter.
pub struct Fanout(pub Vec<Observer>);

impl CallObserver for Fanout {
    fn observe(&self, call: &VendorCall) {
        for o in &self.0 {
            o.0.observe(call);
        }
    }
}

pub fn channel() -> (Observer, mpsc::Receiver<VendorCallEntry>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let sink = LogSink { tx };
    (Observer(Arc::new(sink)), rx)
}

/// The shared slot the writer's queue waits in until the workers start.
pub type PendingQueue = Mutex<Option<mpsc::Receiver<VendorCallEntry>>>;

/// The writer: waits for a row, then takes whatever else is queued (up to `BATCH`) into one
/// INSERT. A failed batch is logged and dropped: the log is diagnostics, not a ledger.
pub fn spawn_writer(
    state: AppState,
    mut rx: mpsc::Receiver<VendorCallEntry>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            let got = tokio::select! {
                n = rx.recv_many(&mut batch, BATCH) => n,
                _ = stop.changed() => 0,
            };
            if got == 0 {
                break;
            }
            if let Err(e) = state.store.record_vendor_calls(&batch).await {
                tracing::warn!(error = %e, rows = batch.len(), "could not record vendor calls");
            }
            batch.clear();
        }
        // What was queued before the stop still goes in.
        while let Ok(row) = rx.try_recv() {
            batch.push(row);
        }
        if !batch.is_empty() {
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                state.store.record_vendor_calls(&batch),
            )
            .await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_and_mask_email_addresses() {
        let long = "x".repeat(1000);
        assert_eq!(scrub(&long).chars().count(), MAX_ERROR);
        assert_eq!(
            scrub("no candidate ada@example.com here"),
            "no candidate [email] here"
        );
    }
}
