//! Telling the connection's observer (`gateway_core::observe`) about each attempt: the one
//! call site is in `VendorHttp::send_with_default_limit`, beside the metrics.

use std::time::Duration;

use gateway_core::{ConnectionContext, TraceContext, VendorCall};

use crate::client::Call;

/// Report one attempt. `status` is the vendor's, `None` when there was no answer (then
/// `error` says why).
pub(crate) fn report(
    ctx: &ConnectionContext,
    provider: &'static str,
    call: &Call,
    (attempt, last): (u32, bool),
    (status, error): (Option<u16>, Option<&str>),
    latency: Duration,
    hop: Option<&TraceContext>,
) {
    let Some(observer) = &ctx.observer else {
        return;
    };
    observer.0.observe(&VendorCall {
        workspace_id: ctx.workspace_id,
        connection_id: ctx.connection_id,
        provider,
        operation: call.operation,
        method: call.method.to_string(),
        // The path alone: a query may carry vendor data or a credential.
        path: call.url.path().to_string(),
        status,
        latency,
        attempt,
        last,
        error: error.map(str::to_string),
        trace_id: hop.map(TraceContext::trace_id_hex),
        span_id: hop.map(TraceContext::span_id_hex),
        parent_span_id: ctx.trace.as_ref().map(TraceContext::span_id_hex),
        sampled: hop.is_some_and(|h| h.sampled),
    });
}
