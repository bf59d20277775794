//! OTLP span export (`[telemetry]`): one span per API request, per vendor call attempt and
//! per background job run, posted as protobuf to `<otlp_endpoint>/v1/traces` by the
//! OpenTelemetry SDK's batch processor (its own thread; a full queue drops spans, never
//! slows a request).
//!
//! The gateway already carries its own W3C trace context (`gateway_core::TraceContext`):
//! the ids a client was answered and a vendor was sent are decided there. Spans are
//! therefore built with exactly those ids and that sampling decision (the SDK is told the
//! span and trace id and the sampling result instead of choosing its own), so a span found
//! in the collector is the one named by the `traceparent` the vendor received, the one
//! answered to the client, and the `trace_id`/`span_id` in the call log.
//!
//! Nothing here runs unless `telemetry.otlp_endpoint` is set: without it there is no
//! exporter, and the request path only checks an `Option`.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SamplingDecision, SamplingResult, Span as _, SpanContext, SpanId, SpanKind, Status,
    TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, SdkTracer, SdkTracerProvider,
};
use opentelemetry_sdk::Resource;

use gateway_core::{CallObserver, TraceContext, VendorCall};

use crate::config::TelemetryConfig;

/// The exporter, when one is configured. Cheap to share (`Arc`).
pub struct SpanExport {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    sampling_ratio: f64,
}

/// One finished piece of work, as it is exported.
pub struct FinishedSpan {
    pub name: Cow<'static, str>,
    pub kind: SpanKind,
    pub trace: TraceContext,
    /// The parent is another process's span (a client's) rather than one of the gateway's.
    pub parent_is_remote: bool,
    pub start: SystemTime,
    pub end: SystemTime,
    pub attributes: Vec<KeyValue>,
    /// Set when the work failed; the span's status is then `Error` with this description.
    pub error: Option<String>,
}

impl SpanExport {
    /// The exporter for `cfg`, or `None` when no endpoint is configured.
    pub fn start(cfg: &TelemetryConfig) -> anyhow::Result<Option<Self>> {
        if !cfg.exports() {
            return Ok(None);
        }
        let endpoint = format!("{}/v1/traces", cfg.otlp_endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .with_timeout(Duration::from_secs(cfg.export_timeout_secs))
            .build()
            .map_err(|e| anyhow::anyhow!("telemetry.otlp_endpoint: {e}"))?;
        let batch = BatchConfigBuilder::default()
            .with_scheduled_delay(Duration::from_millis(cfg.batch_delay_ms))
            .build();
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(batch)
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(
                Resource::builder()
                    .with_service_name(cfg.service_name.clone())
                    .build(),
            )
            .build();
        let tracer = provider.tracer("interview-gateway");
        Ok(Some(SpanExport {
            provider,
            tracer,
            sampling_ratio: cfg.sampling_ratio,
        }))
    }

    /// Whether a trace the gateway starts itself is sampled (a client's `traceparent`
    /// decides for the traces it continues).
    pub fn sample_new_trace(&self) -> bool {
        self.sampling_ratio >= 1.0 || rand::random::<f64>() < self.sampling_ratio
    }

    /// Hand a finished span to the batch processor (never blocks). Unsampled traces are
    /// not exported.
    pub fn record(&self, span: FinishedSpan) {
        let t = &span.trace;
        if !t.sampled {
            return;
        }
        let trace_id = TraceId::from_bytes(t.trace_id);
        let parent = match t.parent_span_id {
            Some(p) => Context::new().with_remote_span_context(SpanContext::new(
                trace_id,
                SpanId::from_bytes(p),
                TraceFlags::SAMPLED,
                span.parent_is_remote,
                TraceState::default(),
            )),
            None => Context::new(),
        };
        let mut builder = self
            .tracer
            .span_builder(span.name)
            .with_kind(span.kind)
            .with_start_time(span.start)
            .with_attributes(span.attributes);
        builder.trace_id = Some(trace_id);
        builder.span_id = Some(SpanId::from_bytes(t.span_id));
        // Decided already (the flag the client and the vendor saw): the SDK must agree.
        builder.sampling_result = Some(SamplingResult {
            decision: SamplingDecision::RecordAndSample,
            attributes: Vec::new(),
            trace_state: TraceState::default(),
        });
        let mut otel = self.tracer.build_with_context(builder, &parent);
        if let Some(why) = span.error {
            otel.set_status(Status::error(why));
        }
        otel.end_with_timestamp(span.end);
    }

    /// One vendor call attempt, as the HTTP client reported it.
    pub fn record_vendor_call(&self, call: &VendorCall) {
        let (Some(trace), Some(span)) = (&call.trace_id, &call.span_id) else {
            return;
        };
        let (Ok(trace_id), Ok(span_id)) = (TraceId::from_hex(trace), SpanId::from_hex(span)) else {
            return;
        };
        let end = SystemTime::now();
        let mut attributes = vec![
            KeyValue::new("gateway.provider", call.provider),
            KeyValue::new("gateway.operation", call.operation),
            KeyValue::new("gateway.connection_id", call.connection_id.to_string()),
            KeyValue::new("http.request.method", call.method.clone()),
            KeyValue::new("url.path", call.path.clone()),
            KeyValue::new("gateway.attempt", i64::from(call.attempt)),
            KeyValue::new(
                "gateway.outcome",
                gateway_store::CallOutcome::of_status(call.status).as_str(),
            ),
        ];
        if let Some(status) = call.status {
            attributes.push(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
        }
        let failed = call.error.clone().or_else(|| {
            call.status
                .filter(|s| *s >= 500 || *s == 429)
                .map(|s| format!("the vendor answered {s}"))
        });
        self.record(FinishedSpan {
            name: Cow::Owned(format!("{} {}", call.provider, call.operation)),
            kind: SpanKind::Client,
            trace: TraceContext {
                trace_id: trace_id.to_bytes(),
                span_id: span_id.to_bytes(),
                parent_span_id: call
                    .parent_span_id
                    .as_deref()
                    .and_then(|p| SpanId::from_hex(p).ok())
                    .map(SpanId::to_bytes),
                sampled: call.sampled,
                tracestate: None,
            },
            parent_is_remote: false,
            start: end.checked_sub(call.latency).unwrap_or(end),
            end,
            attributes,
            error: failed,
        });
    }

    /// Export what is queued and stop the exporter (at shutdown; blocks up to its timeout).
    pub fn shutdown(&self) {
        if let Err(e) = self.provider.shutdown() {
            tracing::warn!(error = %e, "spans still queued for the OTLP collector were not all sent");
        }
    }
}

/// Every vendor call attempt becomes a client span (beside health and the call log).
impl CallObserver for SpanExport {
    fn observe(&self, call: &VendorCall) {
        self.record_vendor_call(call);
    }
}
