//! Every request a simulated vendor received, so tests can assert what the gateway sent:
//! how many calls a batch took, that a retry did (or did not) happen, which fields went out.

use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::shared::Shared;

#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub vendor: String,
    pub method: String,
    /// Relative to the vendor's mount (`/api/ingest/x/bulk/key`).
    pub path: String,
    pub query: Option<String>,
    /// Header names only: values may be credentials.
    pub headers: Vec<String>,
    /// The JSON body, or `null`.
    pub body: serde_json::Value,
    pub status: u16,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Requests are kept up to this many; older ones fall off.
const KEEP: usize = 20_000;

#[derive(Default)]
pub struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
}

impl RequestLog {
    pub fn list(&self, vendor: Option<&str>) -> Vec<LoggedRequest> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .filter(|e| vendor.is_none_or(|v| e.vendor == v))
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn push(&self, entry: LoggedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= KEEP {
            entries.drain(..KEEP / 10);
        }
        entries.push(entry);
    }
}

/// Body size the log keeps per request (bulk calls are large).
const MAX_LOGGED_BODY: usize = 8 * 1024 * 1024;

pub async fn record(
    State((shared, vendor)): State<(Shared, &'static str)>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_LOGGED_BODY)
        .await
        .unwrap_or_default();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    let mut entry = LoggedRequest {
        vendor: vendor.to_string(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .keys()
            .map(|k| k.as_str().to_string())
            .collect(),
        body: json,
        status: 0,
        at: chrono::Utc::now(),
    };
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = res.status().as_u16();
    shared.log.push(entry);
    res
}
