use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gateway_core::{ConnectionContext, ProviderError, TraceContext};
use gateway_metrics::VendorOutcome;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::time::Instant;
use url::Url;

use crate::budget::{current_priority, Budget, BudgetKey};
use crate::bulkhead::Bulkheads;
use crate::egress::{refusal_in, EgressPolicy};
use crate::policy::RetryPolicy;

use gateway_core::provider::OUTBOUND_LIMIT_SETTING;

/// Vendor bodies larger than this are refused rather than buffered.
/// W3C trace context headers, set on every attempt that runs under a trace.
const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

const MAX_BODY: usize = 16 * 1024 * 1024;

/// Whether a call may be sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Reading, or writing idempotently: retried after timeouts, 5xx and 429.
    Safe,
    /// Creating things (invites, ingests): a timeout or 5xx leaves us not knowing whether
    /// the vendor acted, and a second send could invite a candidate twice. Retried only when
    /// the vendor provably did nothing: the connection was never made, or it answered 429.
    Unsafe,
}

/// One request to a vendor.
#[derive(Debug, Clone)]
pub struct Call {
    /// What the call does, for logs (`list_postings`, `ingest_bulk`).
    pub operation: &'static str,
    pub method: Method,
    pub url: Url,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Bytes>,
    pub safety: Safety,
}

impl Call {
    pub fn new(operation: &'static str, method: Method, url: Url) -> Self {
        let safety = if method == Method::GET || method == Method::HEAD {
            Safety::Safe
        } else {
            Safety::Unsafe
        };
        Self {
            operation,
            method,
            url,
            headers: Vec::new(),
            body: None,
            safety,
        }
    }

    pub fn get(operation: &'static str, url: Url) -> Self {
        Self::new(operation, Method::GET, url)
    }

    /// A JSON body; the call is `Unsafe` unless marked otherwise.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, ProviderError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ProviderError::BadResponse {
            status: None,
            message: format!("cannot encode the request: {e}"),
        })?;
        self.body = Some(Bytes::from(bytes));
        self.headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ));
        Ok(self)
    }

    pub fn raw_body(mut self, body: Bytes) -> Self {
        self.body = Some(body);
        self
    }

    pub fn safety(mut self, safety: Safety) -> Self {
        self.safety = safety;
        self
    }

    /// A header whose value is secret (credentials): marked so it is never logged.
    pub fn secret_header(mut self, name: HeaderName, value: &str) -> Result<Self, ProviderError> {
        let mut v =
            HeaderValue::from_str(value).map_err(|_| ProviderError::InvalidCredentials {
                status: None,
                message: "the stored credential contains characters a header cannot carry".into(),
            })?;
        v.set_sensitive(true);
        self.headers.push((name, v));
        Ok(self)
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// A vendor's answer: whatever status the retries settled on. Adapters read error bodies.
#[derive(Debug, Clone)]
pub struct VendorResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl VendorResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Retry-After` in seconds (the vendors we talk to send seconds, not dates).
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| ProviderError::BadResponse {
            status: Some(self.status),
            message: format!("unreadable response body: {e}"),
        })
    }

    /// The body as JSON, or `null` when it is not JSON.
    pub fn json_value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text, cut short for messages.
    pub fn text_snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut s: String = text.chars().take(300).collect();
        if text.chars().count() > 300 {
            s.push('…');
        }
        s
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// The client vendor calls go through: one per provider, sharing one connection pool, one
/// outbound budget and one set of bulkheads with every other provider's client made from the
/// same base ([`for_provider`](Self::for_provider)), passthrough included.
#[derive(Clone)]
pub struct VendorHttp {
    provider: &'static str,
    default_per_minute: u32,
    /// The adapter's reading of an error answer, for the call log and spans.
    describe: Option<DescribeFailure>,
    shared: Arc<Shared>,
}

/// An adapter's reading of its vendor's error answer (status, body as JSON) into words:
/// what the call log and the attempt's span say the vendor answered. The adapter's own
/// error parsing, so each vendor's error shape stays inside its adapter.
pub type DescribeFailure = fn(u16, &serde_json::Value) -> String;

struct Shared {
    client: reqwest::Client,
    policy: RetryPolicy,
    egress: EgressPolicy,
    budget: Budget,
    bulkheads: Bulkheads,
}

enum Attempt {
    Answer(VendorResponse),
    /// The request provably never reached the vendor.
    NotSent(String),
    /// It may have reached the vendor.
    Lost(String),
    /// Never sent, and sending again would not help: the egress policy refuses the target.
    Refused(String),
    /// The vendor answered a redirect, which is not followed: no vendor documents one, and
    /// following would carry the credential header to wherever it points.
    Redirected(u16),
}

impl VendorHttp {
    /// `default_per_minute` is the provider's outbound limit per connection (0 = none);
    /// a connection's `outbound_requests_per_minute` setting overrides it. `egress` decides
    /// which addresses may be called; it is applied when connecting, to every address DNS
    /// returns, so a name cannot smuggle a private target in.
    pub fn new(
        provider: &'static str,
        default_per_minute: u32,
        policy: RetryPolicy,
        egress: EgressPolicy,
    ) -> Self {
        Self::with_capacity(
            provider,
            default_per_minute,
            policy,
            egress,
            Budget::default(),
            0,
        )
    }

    /// [`new`](Self::new) spending `budget`, with at most `max_in_flight` calls per
    /// connection (0 = unbounded). Make the other providers' clients with
    /// [`for_provider`](Self::for_provider) so they share both.
    pub fn with_capacity(
        provider: &'static str,
        default_per_minute: u32,
        policy: RetryPolicy,
        egress: EgressPolicy,
        budget: Budget,
        max_in_flight: usize,
    ) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(egress.resolver())
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("interview-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            provider,
            default_per_minute,
            describe: None,
            shared: Arc::new(Shared {
                client,
                policy,
                egress,
                budget,
                bulkheads: Bulkheads::new(max_in_flight, policy.total_budget),
            }),
        }
    }

    /// A client for another provider on the same pool, budget and bulkheads.
    pub fn for_provider(&self, provider: &'static str, default_per_minute: u32) -> Self {
        Self {
            provider,
            default_per_minute,
            describe: None,
            shared: self.shared.clone(),
        }
    }

    /// Read error answers with `describe` when reporting attempts (see [`DescribeFailure`]).
    pub fn describing_failures(mut self, describe: DescribeFailure) -> Self {
        self.describe = Some(describe);
        self
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.shared.policy
    }

    pub fn budget(&self) -> &Budget {
        &self.shared.budget
    }

    fn per_minute(ctx: &ConnectionContext, default: u32) -> u32 {
        ctx.settings
            .get(OUTBOUND_LIMIT_SETTING)
            .and_then(|v| v.as_u64())
            .map(|v| v.min(u64::from(u32::MAX)) as u32)
            .unwrap_or(default)
    }

    /// Send with the policy's retries. `Ok` is any HTTP answer (the last one, when retries
    /// ran out); `Err` means no usable answer: the vendor could not be reached, timed out, or
    /// the outbound limit would have made us wait past the budget.
    pub async fn send(
        &self,
        ctx: &ConnectionContext,
        call: Call,
    ) -> Result<VendorResponse, ProviderError> {
        self.send_with_default_limit(ctx, call, self.default_per_minute)
            .await
    }

    /// [`send`](Self::send) for a caller that is not the provider's own adapter (passthrough),
    /// stating the provider's default outbound limit.
    pub async fn send_with_default_limit(
        &self,
        ctx: &ConnectionContext,
        call: Call,
        default_per_minute: u32,
    ) -> Result<VendorResponse, ProviderError> {
        // Waiting on a vendor (its budget, its answer, retries) is no work for the gateway:
        // the request gives its admission back meanwhile; the bulkhead bounds the waiting.
        crate::admission::away(self.send_to_vendor(ctx, call, default_per_minute)).await
    }

    async fn send_to_vendor(
        &self,
        ctx: &ConnectionContext,
        call: Call,
        default_per_minute: u32,
    ) -> Result<VendorResponse, ProviderError> {
        let started = Instant::now();
        let deadline = started + self.shared.policy.total_budget;
        let per_minute = Self::per_minute(ctx, default_per_minute);
        // Held to the end of the call, retries and budget waits included.
        let _in_flight = self
            .shared
            .bulkheads
            .enter(ctx.connection_id)
            .inspect_err(|_| {
                gateway_metrics::metrics()
                    .capacity
                    .sheds
                    .with(["connection", self.provider])
                    .inc();
            })?;
        let mut attempt: u32 = 0;
        loop {
            self.spend(ctx, per_minute, &call, started, deadline)
                .await?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt_started = Instant::now();
            // Each attempt is its own span of the caller's trace.
            let hop = ctx.trace.as_ref().map(TraceContext::child);
            let outcome = self
                .attempt(
                    &call,
                    hop.as_ref(),
                    self.shared.policy.attempt_timeout.min(remaining),
                )
                .await;
            attempt += 1;
            let last = attempt >= self.shared.policy.max_attempts;
            let wait = match &outcome {
                Attempt::Answer(r) if r.status == 429 => {
                    // Refused, so not processed: any call may go again.
                    match r.retry_after() {
                        Some(ra) if ra > self.shared.policy.max_retry_after => None,
                        Some(ra) => Some(ra),
                        None => Some(self.shared.policy.backoff(attempt)),
                    }
                }
                Attempt::Answer(r) if r.status >= 500 && call.safety == Safety::Safe => {
                    Some(self.shared.policy.backoff(attempt))
                }
                Attempt::Answer(_) => None,
                Attempt::NotSent(_) => Some(self.shared.policy.backoff(attempt)),
                Attempt::Lost(_) if call.safety == Safety::Safe => {
                    Some(self.shared.policy.backoff(attempt))
                }
                Attempt::Lost(_) | Attempt::Refused(_) | Attempt::Redirected(_) => None,
            };
            let fits = wait.is_some_and(|w| Instant::now() + w < deadline);
            // What the vendor said, for an error answer, as its adapter reads it.
            let said = match (&outcome, self.describe) {
                (Attempt::Answer(r), Some(describe)) if r.status >= 400 => {
                    Some(describe(r.status, &r.json_value()))
                }
                _ => None,
            };
            let answer = match &outcome {
                Attempt::Answer(r) => (Some(r.status), said.as_deref()),
                Attempt::Redirected(s) => (Some(*s), None),
                Attempt::NotSent(m) | Attempt::Lost(m) | Attempt::Refused(m) => {
                    (None, Some(m.as_str()))
                }
            };
            crate::observe::report(
                ctx,
                self.provider,
                &call,
                (attempt, !(wait.is_some() && !last && fits)),
                answer,
                attempt_started.elapsed(),
                hop.as_ref(),
            );
            if let (Some(w), false, true) = (wait, last, fits) {
                tracing::debug!(
                    provider = self.provider,
                    operation = call.operation,
                    attempt,
                    wait_ms = w.as_millis() as u64,
                    "retrying vendor call"
                );
                gateway_metrics::metrics()
                    .vendor_retries
                    .with([self.provider, call.operation])
                    .inc();
                tokio::time::sleep(w).await;
                continue;
            }
            let elapsed = started.elapsed();
            let elapsed_ms = elapsed.as_millis() as u64;
            let outcome_label = match &outcome {
                Attempt::Answer(r) => VendorOutcome::of_status(r.status),
                Attempt::Redirected(s) => VendorOutcome::of_status(*s),
                Attempt::NotSent(_) | Attempt::Lost(_) | Attempt::Refused(_) => {
                    VendorOutcome::Unreachable
                }
            };
            gateway_metrics::metrics()
                .vendor_calls
                .with([self.provider, call.operation, outcome_label.as_str()])
                .observe(elapsed);
            return match outcome {
                Attempt::Answer(r) => {
                    tracing::debug!(
                        provider = self.provider,
                        operation = call.operation,
                        status = r.status,
                        attempts = attempt,
                        elapsed_ms,
                        "vendor call"
                    );
                    Ok(r)
                }
                Attempt::Redirected(status) => {
                    tracing::warn!(
                        provider = self.provider,
                        operation = call.operation,
                        status,
                        "vendor answered a redirect; not followed"
                    );
                    Err(ProviderError::Rejected {
                        status: Some(status),
                        code: None,
                        message: format!(
                            "answered HTTP {status}, a redirect; the gateway does not follow redirects (no vendor documents one, and following would send the credentials elsewhere)"
                        ),
                        errors: Vec::new(),
                    })
                }
                Attempt::Refused(m) => {
                    tracing::warn!(provider = self.provider, operation = call.operation, error = %m, "vendor call refused by the egress policy");
                    Err(ProviderError::Unavailable {
                        status: None,
                        message: m,
                    })
                }
                Attempt::NotSent(m) | Attempt::Lost(m) => {
                    tracing::warn!(provider = self.provider, operation = call.operation, attempts = attempt, elapsed_ms, error = %m, "vendor call failed");
                    Err(ProviderError::Unavailable {
                        status: None,
                        message: m,
                    })
                }
            };
        }
    }

    /// Take one slot of the connection's budget at the running task's priority, waiting
    /// for it within the call's time budget.
    async fn spend(
        &self,
        ctx: &ConnectionContext,
        per_minute: u32,
        call: &Call,
        started: Instant,
        deadline: Instant,
    ) -> Result<(), ProviderError> {
        let priority = current_priority();
        let key = BudgetKey {
            workspace: ctx.workspace_id,
            connection: ctx.connection_id,
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let m = gateway_metrics::metrics();
        match self
            .shared
            .budget
            .acquire(key, per_minute, priority, remaining)
            .await
        {
            Ok(used) => {
                if per_minute > 0 {
                    let conn = ctx.connection_id.to_string();
                    let c = &m.capacity;
                    c.budget_calls.with([&conn, priority.as_str()]).inc();
                    c.budget_used.with([&conn]).set(u64::from(used));
                    c.budget_remaining
                        .with([&conn])
                        .set(u64::from(per_minute.saturating_sub(used)));
                }
                Ok(())
            }
            Err(wait) => {
                m.rate_limited.with(["outbound"]).inc();
                m.vendor_calls
                    .with([
                        self.provider,
                        call.operation,
                        VendorOutcome::OutboundLimited.as_str(),
                    ])
                    .observe(started.elapsed());
                Err(ProviderError::RateLimited {
                    retry_after: Some(wait),
                    message: format!(
                        "the gateway's outbound budget for this connection ({per_minute}/min, {} for background work) is spent",
                        self.shared.budget.cap(per_minute, priority)
                    ),
                })
            }
        }
    }

    async fn attempt(&self, call: &Call, hop: Option<&TraceContext>, timeout: Duration) -> Attempt {
        if timeout.is_zero() {
            return Attempt::NotSent("the call's time budget is spent".into());
        }
        // The resolver never sees IP literals: reqwest connects to them directly.
        if let Err(refused) = self.shared.egress.check_url(&call.url) {
            return Attempt::Refused(refused.to_string());
        }
        let mut req = self
            .shared
            .client
            .request(call.method.clone(), call.url.clone())
            .timeout(timeout);
        for (name, value) in &call.headers {
            // The gateway's own hop replaces any trace header a caller put on the call.
            if hop.is_some() && (*name == TRACEPARENT || *name == TRACESTATE) {
                continue;
            }
            req = req.header(name, value.clone());
        }
        if let Some(hop) = hop {
            req = req.header(TRACEPARENT, hop.traceparent());
            if let Some(state) = &hop.tracestate {
                req = req.header(TRACESTATE, state.as_str());
            }
        }
        if let Some(body) = &call.body {
            req = req.body(body.clone());
        }
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) if refusal_in(&e).is_some() => {
                let refused = refusal_in(&e).map(ToString::to_string).unwrap_or_default();
                return Attempt::Refused(refused);
            }
            Err(e) if e.is_connect() => {
                return Attempt::NotSent(format!("cannot connect to {}", host(&call.url)))
            }
            Err(e) if e.is_timeout() => {
                return Attempt::Lost(format!(
                    "no answer from {} within {} s",
                    host(&call.url),
                    timeout.as_secs_f32()
                ))
            }
            Err(e) => {
                return Attempt::Lost(format!(
                    "request to {} failed: {}",
                    host(&call.url),
                    without_url(&e)
                ))
            }
        };
        let status = res.status().as_u16();
        if res.status().is_redirection() {
            return Attempt::Redirected(status);
        }
        let headers = res.headers().clone();
        match read_capped(res).await {
            Ok(body) => Attempt::Answer(VendorResponse {
                status,
                headers,
                body,
            }),
            Err(m) => Attempt::Lost(m),
        }
    }
}

fn host(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "the vendor".into(),
    }
}

/// reqwest's messages include the URL, whose query could carry vendor data; keep the kind.
fn without_url(e: &reqwest::Error) -> String {
    let mut e = e.to_string();
    if let Some(i) = e.find(" for url (") {
        e.truncate(i);
    }
    e
}

async fn read_capped(mut res: reqwest::Response) -> Result<Bytes, String> {
    let mut buf = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                if buf.len() + chunk.len() > MAX_BODY {
                    return Err(format!("response body over {MAX_BODY} bytes"));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(buf)),
            Err(e) if e.is_timeout() => {
                return Err("the response body did not arrive in time".into())
            }
            Err(e) => return Err(format!("reading the response failed: {}", without_url(&e))),
        }
    }
}
