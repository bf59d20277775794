//! Operator visibility settings: how connection health is judged from real vendor calls.

use serde::Deserialize;

/// `[connection_health]`: when a vendor outage makes a connection `unavailable`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionHealthConfig {
    /// A vendor unreachable (no answer, or 5xx) without a success for this long makes the
    /// connection `unavailable` and emits `connection.unhealthy`. Refused credentials do at
    /// once. `0` = on the first failure.
    pub unavailable_after_secs: u64,
}

/// `[telemetry]`: OpenTelemetry trace export. Off (and free) unless `otlp_endpoint` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// An OTLP/HTTP collector's base URL (`http://collector:4318`); spans go to
    /// `<endpoint>/v1/traces` as protobuf. Empty = no export.
    pub otlp_endpoint: String,
    /// The `service.name` resource attribute every exported span carries.
    pub service_name: String,
    /// The share of traces the gateway starts that are sampled (0.0–1.0). A client's
    /// `traceparent` sampled flag is followed instead.
    pub sampling_ratio: f64,
    /// How long finished spans wait to be sent together (the batch processor's delay).
    pub batch_delay_ms: u64,
    /// How long one export to the collector may take before it is given up.
    pub export_timeout_secs: u64,
}

impl TelemetryConfig {
    pub fn exports(&self) -> bool {
        !self.otlp_endpoint.is_empty()
    }
}
