//! Capacity: the outbound budget every vendor call spends (where it is counted, chosen
//! from the configuration), and the gateway-wide bound on work in flight.

pub mod cadence;
mod redis_budget;
pub mod shedding;
mod store_budget;

use std::sync::Arc;
use std::time::Duration;

use gateway_store::{BackendKind, Store};
use provider_http::budget::{BudgetBackend, MemoryBudget};
use provider_http::{Budget, BudgetPolicy};

use crate::config::{BudgetBackendChoice, Config, RateLimitBackend};
use crate::rate_limit::RedisConn;

pub use redis_budget::RedisBudget;
pub use store_budget::StoreBudget;

/// Where the budget is counted: as configured, or (`auto`) Redis when the key limiter uses
/// it, the database when it is Postgres (replicas may share it), else this process.
/// Never `Auto`.
pub fn budget_backend(config: &Config, db: BackendKind) -> BudgetBackendChoice {
    match config.capacity.budget_backend {
        BudgetBackendChoice::Auto => match (config.rate_limit.backend, db) {
            (RateLimitBackend::Redis, _) => BudgetBackendChoice::Redis,
            (_, BackendKind::Postgres) => BudgetBackendChoice::Postgres,
            (_, BackendKind::Sqlite) => BudgetBackendChoice::Memory,
        },
        other => other,
    }
}

/// The budget every vendor call spends, counted where [`budget_backend`] says.
pub fn budget(config: &Config, store: &Arc<dyn Store>) -> anyhow::Result<Budget> {
    let c = &config.capacity;
    let choice = budget_backend(config, store.backend());
    let backend: Arc<dyn BudgetBackend> = match choice {
        BudgetBackendChoice::Redis => {
            let timeout = Duration::from_millis(config.rate_limit.redis_timeout_ms);
            let conn = RedisConn::new(config.rate_limit.redis_url.expose(), timeout)
                .map_err(|e| anyhow::anyhow!("rate_limit.redis_url: {e}"))?;
            Arc::new(RedisBudget::new(
                conn,
                &config.rate_limit.redis_prefix,
                timeout,
            ))
        }
        BudgetBackendChoice::Postgres => Arc::new(StoreBudget::new(store.clone())),
        BudgetBackendChoice::Memory | BudgetBackendChoice::Auto => {
            Arc::new(MemoryBudget::default())
        }
    };
    Ok(Budget::new(
        backend,
        BudgetPolicy {
            reserve_percent: c.background_reserve_percent,
            margin: Duration::from_millis(c.budget_margin_ms),
        },
    ))
}
