//! Completion callbacks to ATS partners (Greenhouse: `PATCH <url from send_test>`, no body;
//! Greenhouse then calls `test_status`). Owed callbacks live in the database, so a restart
//! loses none; due ones are leased (SKIP LOCKED on Postgres) so replicas never send one twice
//! at once; failures retry on the webhook schedule. This loop reads its own queue and never
//! holds up the event pipeline.

use std::time::Duration;

use gateway_core::time::now;
use gateway_store::{CallbackOutcome, DueCallback};

use super::outbound_webhooks::next_wait;
use crate::state::AppState;

/// Send what is due; answers how many were attempted.
pub async fn send_due(state: &AppState, http: &reqwest::Client) -> usize {
    let cfg = &state.config.webhooks;
    let at = now();
    let lease = at + chrono::Duration::seconds(cfg.timeout_secs as i64 * 2 + 5);
    let due = match state.store.lease_due_callbacks(at, lease, 50).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the partner callback queue");
            return 0;
        }
    };
    let n = due.len();
    for callback in due {
        send(state, http, callback).await;
    }
    n
}

async fn send(state: &AppState, http: &reqwest::Client, c: DueCallback) {
    let cfg = &state.config.webhooks;
    let answer = http
        .patch(&c.callback_url)
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .send()
        .await;
    let (status, error) = match answer {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None),
        Ok(res) => (
            Some(res.status().as_u16()),
            Some(format!("the partner answered {}", res.status().as_u16())),
        ),
        // Without the URL: it is the partner's, and reqwest would print it whole.
        Err(e) => (None, Some(format!("no answer: {}", e.without_url()))),
    };
    let failures = usize::try_from(c.attempts).unwrap_or(0) + 1;
    let outcome = match (status, error) {
        (Some(status), None) => CallbackOutcome::Sent { status },
        (status, Some(error)) => match next_wait(&cfg.retry_schedule_secs, failures) {
            Some(wait) => CallbackOutcome::Retry {
                status,
                error,
                at: now() + chrono::Duration::from_std(wait).unwrap_or_default(),
            },
            None => CallbackOutcome::GaveUp { status, error },
        },
        (None, None) => return,
    };
    let label = match &outcome {
        CallbackOutcome::Sent { .. } => "sent",
        CallbackOutcome::Retry { .. } => "retry",
        CallbackOutcome::GaveUp { .. } => "failed",
    };
    gateway_metrics::metrics()
        .partner_callbacks
        .with([c.partner.as_str(), label])
        .inc();
    if let CallbackOutcome::GaveUp { error, .. } = &outcome {
        tracing::warn!(partner = %c.partner, request = %c.id, workspace_id = %c.workspace_id, error = %error, "partner callback retries exhausted");
    }
    if let Err(e) = state.store.finish_callback(c.id, &outcome, now()).await {
        tracing::warn!(request = %c.id, error = %e, "cannot record a partner callback");
    }
}
