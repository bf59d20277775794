//! The outermost middleware: gives each request an id (`X-Request-Id`, echoed when the
//! client sent a sane one) and a W3C trace context (the client's `traceparent` continued,
//! or a new trace; answered as `traceparent` naming the gateway's span), bounds its time,
//! logs one line for it carrying both ids, and makes sure even errors produced outside
//! handlers (router 404/405, body limits) leave as problem+json.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use gateway_core::TraceContext;
use opentelemetry::trace::SpanKind;
use opentelemetry::KeyValue;

use crate::http::error::{ApiError, ErrorCode, PROBLEM_JSON};
use crate::telemetry::spans::{FinishedSpan, SpanExport};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// What the request being served on this task is known by.
struct Current {
    request_id: Arc<str>,
    /// The gateway's own span of this request (a child of the client's, if it sent one).
    trace: TraceContext,
}

tokio::task_local! {
    static CURRENT: Current;
    /// The trace of a background job run (no client request).
    static JOB: TraceContext;
}

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(|c| c.request_id.to_string()).ok()
}

/// The trace of the request being served on this task, if any: vendor calls made for it
/// carry children of it.
pub fn current_trace() -> Option<TraceContext> {
    CURRENT
        .try_with(|c| c.trace.clone())
        .or_else(|_| JOB.try_with(Clone::clone))
        .ok()
}

/// Run one background job under a trace of its own, so its vendor calls carry one trace id
/// (in their `traceparent` and in the call log), its log line names it, and (when
/// exporting) it is one `job <name>` span with its vendor calls beneath.
pub async fn in_job_trace<F: std::future::Future>(
    spans: Option<&SpanExport>,
    job: &'static str,
    f: F,
) -> F::Output {
    let trace = TraceContext::start(spans.is_none_or(SpanExport::sample_new_trace));
    tracing::debug!(job, trace_id = %trace.trace_id_hex(), "job run");
    let Some(spans) = spans else {
        return JOB.scope(trace, f).await;
    };
    let start = SystemTime::now();
    let out = JOB.scope(trace.clone(), f).await;
    spans.record(FinishedSpan {
        name: Cow::Owned(format!("job {job}")),
        kind: SpanKind::Internal,
        trace,
        parent_is_remote: false,
        start,
        end: SystemTime::now(),
        attributes: vec![KeyValue::new("gateway.job", job)],
        error: None,
    });
    out
}

/// The client's trace continued (a new span of the gateway's own), or a new trace; and
/// whether it was the client's.
fn trace_of(req: &Request, spans: Option<&SpanExport>) -> (TraceContext, bool) {
    let header = |name: &HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header(&TRACEPARENT).and_then(|parent| TraceContext::parse(parent, header(&TRACESTATE))) {
        Some(client) => (client.child(), true),
        None => (
            TraceContext::start(spans.is_none_or(SpanExport::sample_new_trace)),
            false,
        ),
    }
}

/// A client's id is echoed only when it is short printable ASCII: it ends up in logs and
/// headers, so nothing that could forge log lines or break headers is accepted.
fn client_request_id(value: &HeaderValue) -> Option<Arc<str>> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| Arc::from(s))
}

/// What the outermost middleware needs: the time bound, and the span exporter if any.
#[derive(Clone)]
pub struct RequestSettings {
    pub timeout: std::time::Duration,
    pub spans: Option<Arc<SpanExport>>,
}

pub async fn request_context(
    State(settings): State<RequestSettings>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let started_at = SystemTime::now();
    let id: Arc<str> = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(client_request_id)
        .unwrap_or_else(|| Arc::from(format!("req_{}", uuid::Uuid::now_v7().simple())));
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }
    let (trace, continued) = trace_of(&req, settings.spans.as_deref());
    // Kept only when it will be exported.
    let exported = settings.spans.as_ref().map(|_| trace.clone());
    let traceparent = trace.traceparent();
    let trace_id = trace.trace_id_hex();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());

    let current = Current {
        request_id: id.clone(),
        trace,
    };
    let mut res = CURRENT
        .scope(current, async move {
            let res = match tokio::time::timeout(settings.timeout, next.run(req)).await {
                Ok(res) => res,
                Err(_) => ApiError::new(
                    ErrorCode::Timeout,
                    format!(
                        "the request did not finish within {} s",
                        settings.timeout.as_secs()
                    ),
                )
                .into_response(),
            };
            ensure_problem(res)
        })
        .await;

    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&traceparent) {
        res.headers_mut().insert(TRACEPARENT, v);
    }
    let elapsed = started.elapsed();
    gateway_metrics::metrics()
        .http_requests
        .with([route.as_str(), method.as_str(), res.status().as_str()])
        .observe(elapsed);
    let status = res.status().as_u16();
    if let (Some(spans), Some(trace)) = (&settings.spans, exported) {
        spans.record(FinishedSpan {
            name: Cow::Owned(format!("{method} {route}")),
            kind: SpanKind::Server,
            trace,
            parent_is_remote: continued,
            start: started_at,
            end: SystemTime::now(),
            attributes: vec![
                KeyValue::new("http.request.method", method.to_string()),
                KeyValue::new("http.route", route.clone()),
                KeyValue::new("http.response.status_code", i64::from(status)),
                KeyValue::new("gateway.request_id", id.to_string()),
            ],
            error: (status >= 500).then(|| format!("answered {status}")),
        });
    }
    let latency_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
    if status >= 500 {
        tracing::error!(request_id = %id, %trace_id, %method, %route, status, latency_ms, "request failed");
    } else {
        tracing::info!(request_id = %id, %trace_id, %method, %route, status, latency_ms, "request");
    }
    res
}

/// Turn a bare error response (empty or plain-text body) into problem+json, keeping its
/// status and headers (e.g. `Allow` on a 405).
fn ensure_problem(res: Response) -> Response {
    let status = res.status();
    if status.as_u16() < 400 {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return res;
    }
    let (mut parts, _) = res.into_parts();
    let code = ErrorCode::for_status(status);
    let detail = match code {
        ErrorCode::NotFound => "no such route".to_string(),
        ErrorCode::MethodNotAllowed => "this route does not accept that method".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    let problem = ApiError::new(code, detail)
        .with_status(status)
        .into_response();
    let (new_parts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in new_parts.headers.iter() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}
