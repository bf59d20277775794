//! Outbound webhooks, per Standard Webhooks: each message carries `webhook-id` (stable across
//! retries), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256(secret,
//! "{id}.{timestamp}.{body}")>`. Deliveries come from a queue in the database, so nothing is
//! lost to a restart; a failed attempt is retried on a schedule of about three days; a 410
//! from the receiver, or failing without a success for `webhooks.auto_disable_after_secs`,
//! disables the endpoint (with a `webhook_endpoint.disabled` event to the others).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use gateway_core::time::now;
use gateway_core::{EventId, WebhookEndpointId};
use gateway_store::{Attempt, DeliveryOutcome, DisableWhen, DueDelivery};
use hmac::{Hmac, Mac};
use provider_http::EgressPolicy;
use rand::{Rng, RngCore};
use sha2::Sha256;

use crate::config::WebhooksConfig;
use crate::state::AppState;

pub fn secret_context(id: WebhookEndpointId) -> String {
    format!("webhook_endpoint:{id}:secret")
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    format!("whsec_{}", B64.encode(key))
}

/// `v1,<signature>` for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = B64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

fn egress(cfg: &WebhooksConfig) -> EgressPolicy {
    EgressPolicy::new(cfg.allow_private_targets)
}

pub fn client(cfg: &WebhooksConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.timeout_secs))
        .connect_timeout(Duration::from_secs(cfg.timeout_secs.min(5)))
        // A receiver redirecting elsewhere is not followed: the URL is the one configured.
        .redirect(reqwest::redirect::Policy::none())
        // Filtered at connect time: a public-looking name cannot smuggle a delivery onto the
        // gateway's own network, however its DNS changes.
        .dns_resolver(egress(cfg).resolver())
        .user_agent(concat!(
            "interview-gateway-webhooks/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .unwrap_or_default()
}

/// Is this receiver URL acceptable? (http(s), and not a private address unless allowed.)
pub fn check_url(raw: &str, allow_private: bool) -> Result<String, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http(s) URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    EgressPolicy::new(allow_private)
        .check_url(&url)
        .map_err(|e| format!("{e}; set webhooks.allow_private_targets to allow it"))?;
    Ok(url.to_string())
}

/// The wait before retry number `attempt` (1-based count of failures so far), with ±10 %
/// jitter so receivers coming back are not hit by every retry at once; `None` when the
/// schedule is spent.
pub fn next_wait(schedule: &[u64], failures: usize) -> Option<Duration> {
    let base = *schedule.get(failures.checked_sub(1)?)? as f64;
    let jitter = rand::thread_rng().gen_range(0.9..=1.1);
    Some(Duration::from_secs_f64(base * jitter))
}

/// Send one delivery and record the attempt.
async fn deliver(state: &AppState, http: &reqwest::Client, d: DueDelivery) {
    let started = Instant::now();
    let attempted_at = now();
    let msg_id = d.id.to_string();
    let secret = state
        .master_key
        .open(&d.secret_ciphertext, &secret_context(d.endpoint_id))
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let body = serde_json::to_vec(&d.event).unwrap_or_default();
    let timestamp = attempted_at.timestamp();
    let signature = secret
        .as_deref()
        .and_then(|s| sign(s, &msg_id, timestamp, &body));
    let (status, error) = match (
        signature,
        check_url(&d.url, state.config.webhooks.allow_private_targets),
    ) {
        (None, _) => (
            None,
            Some("the endpoint's secret cannot be opened".to_string()),
        ),
        (_, Err(e)) => (None, Some(e)),
        (Some(signature), Ok(url)) => {
            let res = http
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", &msg_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await;
            match res {
                Ok(r) => (Some(i32::from(r.status().as_u16())), None),
                Err(e) if e.is_timeout() => (
                    None,
                    Some(format!(
                        "no answer within {} s",
                        state.config.webhooks.timeout_secs
                    )),
                ),
                Err(e) if e.is_connect() => (None, Some("could not connect".to_string())),
                Err(e) => (None, Some(e.without_url().to_string())),
            }
        }
    };
    let failures = d.attempts as usize + 1;
    let outcome = match status {
        Some(s) if (200..300).contains(&s) => DeliveryOutcome::Delivered,
        // Recorded as a failure; the endpoint is disabled just after, with its event.
        Some(410) => DeliveryOutcome::Failed,
        _ => match next_wait(&state.config.webhooks.retry_schedule_secs, failures) {
            Some(wait) => DeliveryOutcome::Retry {
                at: now() + chrono::Duration::from_std(wait).unwrap_or_default(),
            },
            None => DeliveryOutcome::Failed,
        },
    };
    let label = match outcome {
        DeliveryOutcome::Delivered => "delivered",
        _ if status == Some(410) => "disabled",
        DeliveryOutcome::DisableEndpoint { .. } => "disabled",
        DeliveryOutcome::Retry { .. } => "retry",
        DeliveryOutcome::Failed => "failed",
    };
    gateway_metrics::metrics()
        .webhook_deliveries
        .with([label])
        .inc();
    let attempt = Attempt {
        attempted_at,
        status,
        error,
        duration_ms: started.elapsed().as_millis().min(i32::MAX as u128) as i32,
    };
    tracing::debug!(delivery = %msg_id, endpoint = %d.endpoint_id, status = ?attempt.status, outcome = ?outcome, "webhook attempt");
    if let Err(e) = state.store.record_attempt(d.id, &attempt, &outcome).await {
        tracing::warn!(delivery = %msg_id, error = %e, "could not record a webhook attempt; it will be retried when its lease ends");
        return;
    }
    if outcome != DeliveryOutcome::Delivered {
        disable_if_due(state, &d, status == Some(410)).await;
    }
}

/// After a failure: disable the endpoint if the receiver said 410 Gone, or if it has failed
/// without a success for `webhooks.auto_disable_after_secs`.
async fn disable_if_due(state: &AppState, d: &DueDelivery, gone: bool) {
    let after = state.config.webhooks.auto_disable_after_secs;
    let (when, reason) = if gone {
        (
            DisableWhen::Now,
            "the receiver answered 410 Gone".to_string(),
        )
    } else if after > 0 {
        let cutoff = now() - chrono::Duration::seconds(after as i64);
        (
            DisableWhen::FailingSince(cutoff),
            format!("no successful delivery for {after} s"),
        )
    } else {
        return;
    };
    match state
        .store
        .disable_endpoint(
            d.workspace_id,
            d.endpoint_id,
            when,
            &reason,
            EventId::new(),
            now(),
        )
        .await
    {
        Ok(Some(_)) => {
            tracing::warn!(endpoint = %d.endpoint_id, workspace = %d.workspace_id, reason = %reason, "webhook endpoint disabled");
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(endpoint = %d.endpoint_id, error = %e, "could not disable a failing webhook endpoint")
        }
    }
}

/// Send what is due; answers how many deliveries were attempted.
pub async fn deliver_due(state: &AppState, http: &reqwest::Client) -> usize {
    let cfg = &state.config.webhooks;
    let at = now();
    // Leases outlast an attempt, so a replica that dies mid-send frees the message for the
    // others, and no two replicas send the same message at once.
    let lease = at + chrono::Duration::seconds(cfg.timeout_secs as i64 * 3);
    let due = match state
        .store
        .lease_due_deliveries(at, lease, (cfg.max_concurrent * 4) as i64)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the webhook queue");
            return 0;
        }
    };
    let n = due.len();
    let permits = Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrent));
    let mut set = tokio::task::JoinSet::new();
    for d in due {
        let state = state.clone();
        let http = http.clone();
        let permits = permits.clone();
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            deliver(&state, &http, d).await;
        });
    }
    while set.join_next().await.is_some() {}
    n
}

/// The sender loop: drains the queue on every wake-up (a delivery queued anywhere, see
/// `DeliverySignalStore`) and every `webhooks.tick_ms` (retries coming due, missed signals).
pub fn spawn_sender(
    state: AppState,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let http = client(&state.config.webhooks);
    tokio::spawn(async move {
        let mut queued = match state.store.deliveries_queued().await {
            Ok(rx) => Some(rx),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for queued webhook deliveries; sending on each tick only");
                None
            }
        };
        let mut interval =
            tokio::time::interval(Duration::from_millis(state.config.webhooks.tick_ms));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                Some(()) = async { match queued.as_mut() { Some(rx) => rx.recv().await, None => std::future::pending().await } } => {}
                _ = stop.changed() => break,
            }
            // Keep going while the queue has work, so a backlog drains at full speed.
            while deliver_due(&state, &http).await > 0 {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's own example.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(new_secret().starts_with("whsec_"));
    }

    #[test]
    fn the_schedule_runs_out() {
        let s = [5, 300];
        let first = next_wait(&s, 1).unwrap().as_secs_f64();
        assert!((4.5..=5.5).contains(&first));
        assert!(next_wait(&s, 2).is_some());
        assert!(next_wait(&s, 3).is_none());
        let default: u64 = [5u64, 300, 1800, 7200, 18000, 36000, 50400, 72000, 72000]
            .iter()
            .sum();
        assert!(
            (60 * 3600..=80 * 3600).contains(&default),
            "about three days: {} h",
            default / 3600
        );
    }

    #[test]
    fn receiver_urls() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(check_url("http://[64:ff9b::7f00:1]/x", false).is_err());
        assert!(check_url("http://localhost./x", false).is_err());
        assert!(check_url("ftp://x", true).is_err());
    }
}
