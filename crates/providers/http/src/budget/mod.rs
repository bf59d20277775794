//! The outbound budget: how many calls a connection may make to its vendor in any window
//! of a minute, shared by every client that calls the vendor for it (the adapter,
//! passthrough) and, with a shared backend, by every replica.
//!
//! The budget is a sliding log (the calls of the last window, counted), not a token bucket:
//! a bucket with a burst of the whole limit lets up to twice the limit through in one
//! minute, and vendors that count per minute answer the second half with 429. A call is
//! granted while fewer than its priority's cap fall in the window; background work (the
//! poller, webhook re-registration) stops short of the reserve, so the last share is always
//! there for calls a client is waiting for.
//!
//! Where the log lives is a [`BudgetBackend`]: this process ([`MemoryBudget`], one node),
//! or — implemented by the server — Redis or the database. When a shared backend cannot be
//! reached, calls fall back to this process's own log (logged, counted), so a Redis outage
//! slows vendors down to per-replica limits instead of stopping them.

mod memory;
mod priority;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use gateway_core::{ConnectionId, WorkspaceId};

pub use memory::MemoryBudget;
pub use priority::{current_priority, in_background, Priority};

/// Whose budget a call spends: one connection (one vendor account) of one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BudgetKey {
    pub workspace: WorkspaceId,
    pub connection: ConnectionId,
}

/// What one attempt to take a slot got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Granted; `used` calls (this one included) now fall in the window.
    Granted { used: u32 },
    /// Refused: a slot under this cap frees up after this long.
    Wait(Duration),
}

#[derive(Debug, thiserror::Error)]
#[error("outbound budget store unavailable: {0}")]
pub struct BudgetUnavailable(pub String);

/// Where the log of a connection's recent calls lives. Implementations decide atomically:
/// two replicas can never both take the last slot.
#[async_trait]
pub trait BudgetBackend: Send + Sync {
    /// For logs and metrics: `memory`, `redis`, `postgres`.
    fn name(&self) -> &'static str;

    /// Take a slot if fewer than `cap` calls of `key` fall in the last `window`.
    async fn take(
        &self,
        key: BudgetKey,
        cap: u32,
        window: Duration,
    ) -> Result<Take, BudgetUnavailable>;
}

/// How a budget is spent.
#[derive(Debug, Clone, Copy)]
pub struct BudgetPolicy {
    /// Share of each connection's limit background work may not take (0–90 %).
    pub reserve_percent: u8,
    /// Added to the vendor's minute, so calls that leave a minute apart cannot arrive less
    /// than a minute apart (network jitter) and be counted in one vendor window.
    pub margin: Duration,
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        Self {
            reserve_percent: 30,
            margin: Duration::from_millis(500),
        }
    }
}

/// The budget every vendor client spends. Cheap to clone; clones share the log.
#[derive(Clone)]
pub struct Budget {
    backend: Arc<dyn BudgetBackend>,
    fallback: Arc<MemoryBudget>,
    policy: BudgetPolicy,
}

impl Default for Budget {
    /// In this process only: for a single node, and for tests.
    fn default() -> Self {
        Self::new(Arc::new(MemoryBudget::default()), BudgetPolicy::default())
    }
}

impl Budget {
    pub fn new(backend: Arc<dyn BudgetBackend>, policy: BudgetPolicy) -> Self {
        Self {
            backend,
            fallback: Arc::new(MemoryBudget::default()),
            policy,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The most calls of one priority in a window. Background gets the limit less the
    /// reserve, rounded down, but at least one call, so a tiny limit still polls.
    pub fn cap(&self, per_minute: u32, priority: Priority) -> u32 {
        match priority {
            Priority::Interactive => per_minute,
            Priority::Background => {
                let keep = 100 - u64::from(self.policy.reserve_percent.min(90));
                ((u64::from(per_minute) * keep / 100) as u32).max(1)
            }
        }
    }

    fn window(&self) -> Duration {
        Duration::from_secs(60) + self.policy.margin
    }

    /// Take one slot, waiting for it, but not past `deadline_in`. `Err` carries how long the
    /// wait would have been. `per_minute == 0` means no limit.
    pub async fn acquire(
        &self,
        key: BudgetKey,
        per_minute: u32,
        priority: Priority,
        deadline_in: Duration,
    ) -> Result<u32, Duration> {
        if per_minute == 0 {
            return Ok(0);
        }
        let cap = self.cap(per_minute, priority);
        let started = tokio::time::Instant::now();
        loop {
            let wait = match self.take_once(key, cap).await {
                Take::Granted { used } => return Ok(used),
                Take::Wait(w) => w,
            };
            if started.elapsed() + wait > deadline_in {
                return Err(wait);
            }
            // Waiters woken at once race for the freed slot; the losers wait again.
            tokio::time::sleep(wait.max(Duration::from_millis(5))).await;
        }
    }

    async fn take_once(&self, key: BudgetKey, cap: u32) -> Take {
        match self.backend.take(key, cap, self.window()).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(backend = self.backend.name(), error = %e, "outbound budget store unreachable; this replica counts alone");
                gateway_metrics::metrics()
                    .capacity
                    .budget_fallbacks
                    .with([self.backend.name()])
                    .inc();
                self.fallback.take_now(key, cap, self.window())
            }
        }
    }
}
