//! Gateway-wide load shedding: a bounded number of requests in flight, the rest answered
//! 503 `service_unavailable` with `Retry-After` at once — under overload a fast refusal
//! lets clients back off, where a queue only makes every request slow.
//!
//! What is counted is work in the gateway: a request gives its permit back while it waits on
//! a vendor (`provider_http::admission`), where each connection's bulkhead bounds it. Two
//! pools: reads (`GET`/`HEAD`, which answer from the database) and everything else (writes
//! and passthrough). Health and metrics are never
//! shed: an orchestrator must see an overloaded gateway as alive, and operators its metrics.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::Method;
use provider_http::admission::{admitted, Admission};
use tokio::sync::Semaphore;

use crate::http::error::{ApiError, ErrorCode};

/// The bounds (0 = unbounded) and what a refusal tells the client.
#[derive(Clone)]
pub struct Shedder {
    reads: Option<Arc<Semaphore>>,
    others: Option<Arc<Semaphore>>,
    retry_after_secs: u64,
}

impl Shedder {
    pub fn new(max_reads: usize, max_others: usize, retry_after_secs: u64) -> Self {
        let pool = |n: usize| (n > 0).then(|| Arc::new(Semaphore::new(n)));
        Self {
            reads: pool(max_reads),
            others: pool(max_others),
            retry_after_secs,
        }
    }
}

fn exempt(path: &str) -> bool {
    path.starts_with("/health/") || path == "/metrics"
}

/// Passthrough calls the vendor whatever the method.
fn is_read(req: &Request) -> bool {
    matches!(*req.method(), Method::GET | Method::HEAD)
        && !req.uri().path().contains("/passthrough")
}

pub async fn shed(State(shedder): State<Shedder>, req: Request, next: Next) -> Response {
    if exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let (pool, label) = if is_read(&req) {
        (&shedder.reads, "reads")
    } else {
        (&shedder.others, "writes")
    };
    let Some(pool) = pool else {
        return next.run(req).await;
    };
    match Admission::try_admit(pool) {
        Some(admission) => admitted(admission, next.run(req)).await,
        None => {
            gateway_metrics::metrics()
                .capacity
                .sheds
                .with(["gateway", label])
                .inc();
            let mut e = ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the gateway is at capacity; retry shortly",
            );
            e.retry_after_secs = Some(shedder.retry_after_secs.max(1));
            e.into_response()
        }
    }
}
