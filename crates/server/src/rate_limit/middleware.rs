use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Decision, KeyQuota, Limiter};
use crate::auth::Principal;
use crate::http::error::{ApiError, ErrorCode};

#[derive(Clone)]
pub struct RateLimitState {
    pub limiter: Arc<Limiter>,
    pub default: KeyQuota,
    pub fail_open: bool,
}

fn headers(res: &mut Response, d: &Decision) {
    let h = res.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(d.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(d.reset_secs));
    if let Some(secs) = d.retry_after_secs {
        h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

pub async fn rate_limit(State(rl): State<RateLimitState>, req: Request, next: Next) -> Response {
    let Some(principal) = req.extensions().get::<Principal>() else {
        return next.run(req).await;
    };
    let quota = principal
        .rate_limit
        .map(|r| KeyQuota {
            per_minute: r.requests_per_minute,
            burst: r.burst,
        })
        .unwrap_or(rl.default);
    let decision = match rl.limiter.check(principal.key_id, quota).await {
        Ok(d) => d,
        Err(e) if rl.fail_open => {
            tracing::warn!(error = %e, "rate limit store unavailable; letting the request through (rate_limit.fail_open)");
            // Nothing is known of the key's use: report the quota as if unused.
            Decision {
                allowed: true,
                limit: quota.burst,
                remaining: quota.burst,
                reset_secs: 0,
                retry_after_secs: None,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "rate limit store unavailable; refusing the request (rate_limit.fail_open = false)");
            let mut res = ApiError::new(
                ErrorCode::ServiceUnavailable,
                "rate limiting is unavailable; retry shortly",
            )
            .into_response();
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1u32));
            return res;
        }
    };
    let mut res = if decision.allowed {
        next.run(req).await
    } else {
        gateway_metrics::metrics()
            .rate_limited
            .with(["api_key"])
            .inc();
        ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "this API key's rate limit ({} requests/minute, bursts of {}) is reached; retry in {} s",
                quota.per_minute,
                quota.burst,
                decision.retry_after_secs.unwrap_or(1)
            ),
        )
        .into_response()
    };
    headers(&mut res, &decision);
    res
}
