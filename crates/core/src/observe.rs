//! What the vendor HTTP client tells the gateway about each call it makes: the hook behind
//! connection health (and, later, the per-connection call log and traces). It lives here,
//! beside `ConnectionContext`, because the context is what carries it to the client; the
//! client (`provider_http::observe`) fills it in.

use std::sync::Arc;
use std::time::Duration;

use crate::id::{ConnectionId, WorkspaceId};

/// One attempt of one vendor call. Holds no credential and no body: the path is without
/// its query, and `error` is the client's own description or the vendor's status.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorCall {
    pub workspace_id: WorkspaceId,
    pub connection_id: ConnectionId,
    pub provider: &'static str,
    pub operation: &'static str,
    pub method: String,
    /// The URL path, never its query.
    pub path: String,
    /// The vendor's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
    pub latency: Duration,
    /// 1-based.
    pub attempt: u32,
    /// Whether this attempt's result is what the caller gets (no retry follows).
    pub last: bool,
    /// Why there was no answer (unreachable, timed out, refused by the egress policy), or
    /// for an error answer what the vendor said (its adapter's reading of the body).
    pub error: Option<String>,
    /// The trace id and this attempt's own span id (the one sent as `traceparent`).
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    /// The span the attempt was made under (the API request's or the job run's).
    pub parent_span_id: Option<String>,
    /// Whether its trace is sampled: only sampled attempts are exported as spans.
    pub sampled: bool,
}

/// Told of every attempt. Called on the request path: implementations must not block
/// (hand the call to a queue, drop it when the queue is full).
pub trait CallObserver: Send + Sync {
    fn observe(&self, call: &VendorCall);
}

/// A shareable observer, as `ConnectionContext` carries it.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn CallObserver>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}
