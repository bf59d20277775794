//! Fault injection: make a vendor route slow, fail, hang or rate-limit, for a number of
//! requests or until cleared. Rules match on vendor, optional method and a path prefix
//! (relative to the vendor's mount, e.g. `/api/interview`).

use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};

use crate::shared::Shared;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Delay, then answer normally.
    Latency { ms: u64 },
    /// Answer with this status and the vendor's error shape.
    Status { status: u16 },
    /// Never answer (until the client gives up).
    Hang,
    /// Act on the request, then answer this status instead: the vendor did the work and
    /// its answer is lost (a proxy's 500, a reset after the commit).
    ActThenStatus { status: u16 },
    /// 429 with `Retry-After`.
    RateLimit { retry_after_secs: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub vendor: String,
    #[serde(default)]
    pub method: Option<String>,
    /// Matches paths starting with this (after the vendor prefix); empty matches all.
    #[serde(default)]
    pub path_prefix: String,
    pub fault: Fault,
    /// How many requests it applies to; `None` = until cleared.
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Default)]
pub struct FaultTable {
    rules: Mutex<Vec<FaultRule>>,
}

impl FaultTable {
    pub fn add(&self, rule: FaultRule) {
        self.rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(rule);
    }

    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The fault for this request, consuming one use of its rule.
    fn take(&self, vendor: &str, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        let i = rules.iter().position(|r| {
            r.vendor == vendor
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path.starts_with(&r.path_prefix)
                && r.times != Some(0)
        })?;
        let fault = rules[i].fault.clone();
        if let Some(t) = rules[i].times.as_mut() {
            *t -= 1;
            if *t == 0 {
                rules.remove(i);
            }
        }
        Some(fault)
    }
}

/// The error response a vendor sends for `status`, in its own documented shape.
pub fn vendor_error(vendor: &str, status: StatusCode, message: &str) -> Response {
    match crate::simulator(vendor) {
        Some(sim) => (sim.error)(status, message),
        None => (status, message.to_string()).into_response(),
    }
}

pub async fn inject(
    State((shared, vendor)): State<(Shared, &'static str)>,
    req: Request,
    next: Next,
) -> Response {
    let fault = shared
        .faults
        .take(vendor, req.method().as_str(), req.uri().path());
    match fault {
        None => next.run(req).await,
        Some(Fault::Latency { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Fault::Status { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            vendor_error(vendor, status, "injected fault")
        }
        Some(Fault::ActThenStatus { status }) => {
            let _ = next.run(req).await;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            vendor_error(vendor, status, "injected fault after acting")
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            vendor_error(vendor, StatusCode::GATEWAY_TIMEOUT, "injected hang")
        }
        Some(Fault::RateLimit { retry_after_secs }) => {
            let mut res =
                vendor_error(vendor, StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
            res.headers_mut().insert(
                http::header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs),
            );
            res
        }
    }
}
