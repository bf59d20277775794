//! `/metrics`: Prometheus text. What the process recorded (HTTP, vendor calls, limits,
//! webhooks, the poller) plus values read at scrape time (queue depth, poller lag, memory).

use std::fmt::Write as _;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use gateway_metrics::gauge;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// The per-connection lag lists at most this many connections (the most lagging): a
/// scrape stays bounded however many connections fall behind.
const LAG_CONNECTIONS: i64 = 200;

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics. Public like the health checks: keep it off the internet (bind the
/// gateway to a private network, or filter `/metrics` at the proxy).
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text exposition format 0.0.4",
        body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::with_capacity(32 * 1024);
    gateway_metrics::metrics().render(&mut out);
    scrape_time_gauges(&state, &mut out).await;
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], out)
}

async fn scrape_time_gauges(state: &AppState, out: &mut String) {
    // A scrape must not hang on a slow database; the gauges are left out instead (their
    // absence, and /health/ready, tell the story).
    let bound = Duration::from_secs(2);
    match tokio::time::timeout(bound, state.store.pending_delivery_count()).await {
        Ok(Ok(n)) => gauge(
            out,
            "gateway_webhook_queue_depth",
            "Outbound webhook deliveries waiting to be (re)tried.",
            n as f64,
        ),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot read the webhook queue"),
        Err(_) => tracing::warn!("metrics: the webhook queue query timed out"),
    }
    let at = gateway_core::time::now();
    match tokio::time::timeout(bound, state.store.oldest_due_polls(at, LAG_CONNECTIONS)).await {
        Ok(Ok(oldest)) => {
            let lag = |due: chrono::DateTime<chrono::Utc>| {
                (at - due).num_milliseconds().max(0) as f64 / 1000.0
            };
            gauge(
                out,
                "gateway_poller_lag_seconds",
                "How long the longest-waiting due interview has waited for its poll (0: none due).",
                oldest.first().map(|(_, due)| lag(*due)).unwrap_or(0.0),
            );
            out.push_str("# HELP gateway_poller_connection_lag_seconds Per connection with polls due: how long its longest-waiting one has waited (the most lagging connections).\n");
            out.push_str("# TYPE gateway_poller_connection_lag_seconds gauge\n");
            for (connection, due) in oldest {
                let _ = writeln!(
                    out,
                    "gateway_poller_connection_lag_seconds{{connection=\"{connection}\"}} {}",
                    lag(due)
                );
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot read the poll queue"),
        Err(_) => tracing::warn!("metrics: the poll queue query timed out"),
    }
    if let Some(rss) = resident_memory_bytes() {
        gauge(
            out,
            "process_resident_memory_bytes",
            "Resident memory of the gateway process.",
            rss as f64,
        );
    }
    out.push_str("# HELP gateway_build_info The running gateway's version.\n");
    out.push_str("# TYPE gateway_build_info gauge\n");
    out.push_str(concat!(
        "gateway_build_info{version=\"",
        env!("CARGO_PKG_VERSION"),
        "\"} 1\n"
    ));
}

/// VmRSS from /proc (Linux, where the gateway's images run); `None` elsewhere.
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
