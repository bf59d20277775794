//! The gateway's metrics, one process-wide set (like the process itself: every handler,
//! worker and vendor client records into it; `/metrics` renders it).

use std::sync::OnceLock;

use crate::{CapacityMetrics, Counter, Family, Histogram};

pub struct GatewayMetrics {
    /// Every HTTP request the gateway answered; `_count` is the request count.
    pub http_requests: Family<Histogram, 3>,
    /// Every vendor call as the adapter saw it (retries included in its latency).
    pub vendor_calls: Family<Histogram, 3>,
    pub vendor_retries: Family<Counter, 2>,
    /// Requests refused by a rate limit: `api_key` (ours, 429 to the client) or `outbound`
    /// (the per-connection limit protecting a vendor).
    pub rate_limited: Family<Counter, 1>,
    pub webhook_deliveries: Family<Counter, 1>,
    pub inbound_webhooks: Family<Counter, 2>,
    pub poller_reads: Family<Counter, 1>,
    pub poller_sweep_pages: Family<Counter, 1>,
    pub observations_dropped: Family<Counter, 1>,
    /// Rows the retention job stripped, by kind (results, remote_data, event_payloads).
    pub retention_stripped: Family<Counter, 1>,
    /// Candidate erasures carried out (a repeated erase is not counted).
    pub candidates_erased: Family<Counter, 1>,
    /// Completion callbacks to ATS partners, by partner and outcome (sent, retry, failed).
    pub partner_callbacks: Family<Counter, 2>,
    /// Errors ATS partners reported about our answers (Greenhouse `response_error`).
    pub partner_errors_reported: Family<Counter, 1>,
    /// Vendor budgets, sweeps and load shedding.
    pub capacity: CapacityMetrics,
}

/// How a vendor call ended, as one low-cardinality label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorOutcome {
    Ok,
    ClientError,
    RateLimited,
    ServerError,
    /// No answer: connection refused, timeout, broken body.
    Unreachable,
    /// Our own outbound limit refused to send it.
    OutboundLimited,
}

impl VendorOutcome {
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=399 => Self::Ok,
            429 => Self::RateLimited,
            400..=499 => Self::ClientError,
            _ => Self::ServerError,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ClientError => "client_error",
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::Unreachable => "unreachable",
            Self::OutboundLimited => "outbound_limited",
        }
    }
}

impl GatewayMetrics {
    fn new() -> Self {
        Self {
            http_requests: Family::new(
                "gateway_http_request_duration_seconds",
                "HTTP requests answered, by route template, method and status.",
                ["route", "method", "status"],
            ),
            vendor_calls: Family::new(
                "gateway_vendor_call_duration_seconds",
                "Calls to vendors (all attempts of one call), by provider, operation and outcome.",
                ["provider", "operation", "outcome"],
            ),
            vendor_retries: Family::new(
                "gateway_vendor_retries_total",
                "Vendor call attempts after the first (5xx, timeouts, 429 for safe calls).",
                ["provider", "operation"],
            ),
            rate_limited: Family::new(
                "gateway_rate_limited_total",
                "Requests refused by a rate limit: api_key (answered 429) or outbound (a vendor's per-connection limit).",
                ["limiter"],
            ),
            webhook_deliveries: Family::new(
                "gateway_webhook_delivery_attempts_total",
                "Outbound webhook delivery attempts by outcome: delivered, retry, failed (gave up), disabled (410).",
                ["outcome"],
            ),
            inbound_webhooks: Family::new(
                "gateway_inbound_webhooks_total",
                "Vendor webhooks received: accepted, duplicate (a vendor retry), rejected (failed verification or unreadable).",
                ["provider", "outcome"],
            ),
            poller_reads: Family::new(
                "gateway_poller_reads_total",
                "Interviews read from vendors by the poller, by outcome (ok, failed; swept = refreshed from a list page).",
                ["outcome"],
            ),
            observations_dropped: Family::new(
                "gateway_vendor_call_observations_dropped_total",
                "Vendor call observations dropped because their writer's queue was full (health, call_log).",
                ["queue"],
            ),
            poller_sweep_pages: Family::new(
                "gateway_poller_sweep_pages_total",
                "List pages the poller read to refresh a template's due interviews (one vendor call each).",
                ["provider"],
            ),
            retention_stripped: Family::new(
                "gateway_retention_stripped_total",
                "Rows the retention job stripped of personal data, by kind (results, remote_data, event_payloads).",
                ["kind"],
            ),
            candidates_erased: Family::new(
                "gateway_candidates_erased_total",
                "Candidates erased on request, by whether a vendor still holds their data (vendor_copies = yes/no).",
                ["vendor_copies"],
            ),
            partner_callbacks: Family::new(
                "gateway_partner_callbacks_total",
                "Completion callbacks sent to ATS partners, by partner and outcome (sent, retry, failed).",
                ["partner", "outcome"],
            ),
            partner_errors_reported: Family::new(
                "gateway_partner_errors_reported_total",
                "Errors ATS partners reported about the gateway's answers, by partner.",
                ["partner"],
            ),
            capacity: CapacityMetrics::new(),
        }
    }

    /// Everything recorded so far, as Prometheus text.
    pub fn render(&self, out: &mut String) {
        self.http_requests.render(out);
        self.vendor_calls.render(out);
        self.vendor_retries.render(out);
        self.rate_limited.render(out);
        self.webhook_deliveries.render(out);
        self.inbound_webhooks.render(out);
        self.poller_reads.render(out);
        self.poller_sweep_pages.render(out);
        self.observations_dropped.render(out);
        self.retention_stripped.render(out);
        self.candidates_erased.render(out);
        self.partner_callbacks.render(out);
        self.partner_errors_reported.render(out);
        self.capacity.render(out);
    }
}

/// The process's metrics.
pub fn metrics() -> &'static GatewayMetrics {
    static METRICS: OnceLock<GatewayMetrics> = OnceLock::new();
    METRICS.get_or_init(GatewayMetrics::new)
}
