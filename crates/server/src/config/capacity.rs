//! `[capacity]`: the outbound budget, bulkheads and load shedding; `[interviews]`: how long
//! an interview may stay open unconfirmed.

use serde::Deserialize;

/// Where each connection's outbound budget is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetBackendChoice {
    /// Redis when `rate_limit.backend = "redis"`, else the database when it is Postgres,
    /// else this process.
    Auto,
    /// This process only: one replica.
    Memory,
    /// Redis (`rate_limit.redis_url`), shared by every replica.
    Redis,
    /// The database, shared by every replica on it (Postgres).
    Postgres,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityConfig {
    pub budget_backend: BudgetBackendChoice,
    /// Share of each connection's outbound limit background work never takes (0–90).
    pub background_reserve_percent: u8,
    /// Added to the vendor's minute when counting, against network jitter.
    pub budget_margin_ms: u64,
    /// Vendor calls in flight per connection; more are answered 503 at once (0 = no bound).
    pub max_in_flight_per_connection: usize,
    /// Writes and passthrough working in the gateway at once (waiting on a vendor is not
    /// counted: `provider_http::admission`).
    pub max_in_flight: usize,
    /// Reads in flight gateway-wide (answered from the database).
    pub max_in_flight_reads: usize,
    /// `Retry-After` of a request shed for gateway-wide load.
    pub shed_retry_after_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterviewsConfig {
    /// A `pending` interview the vendor still does not know this long after it was made
    /// never reached it, and becomes `error`.
    pub pending_settle_secs: u64,
    /// An open interview with no progress (no event) for this many days becomes
    /// `expired` (0 = never).
    pub expire_after_days: u32,
}
