//! Per-API-key rate limits (GCRA), as a layer after authentication.
//!
//! Each key's quota is its own `rate_limit` or the configured default. The `memory` backend
//! keeps the state in this process (one replica); `redis` moves the authority to Redis, where
//! one Lua script does the read-compute-write atomically, so replicas share one limit.
//! Every authenticated response carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset`; a refusal is 429 `rate_limited` with `Retry-After`.

mod memory;
mod middleware;
mod redis_conn;
mod redis_gcra;

use std::time::Duration;

use gateway_core::ApiKeyId;

pub use memory::MemoryLimiter;
pub use middleware::{rate_limit, RateLimitState};
pub use redis_conn::RedisConn;
pub use redis_gcra::RedisLimiter;

/// A key's allowance: a steady rate and how many requests may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyQuota {
    pub per_minute: u32,
    pub burst: u32,
}

impl KeyQuota {
    /// Time between two requests at the steady rate.
    pub fn interval(&self) -> Duration {
        Duration::from_secs(60) / self.per_minute.max(1)
    }
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the allowance is whole again.
    pub reset_secs: u64,
    /// Seconds until a refused request may be retried.
    pub retry_after_secs: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("rate limit store unavailable: {0}")]
pub struct LimiterUnavailable(pub String);

pub enum Limiter {
    Memory(MemoryLimiter),
    Redis(RedisLimiter),
}

impl Limiter {
    pub async fn check(
        &self,
        key: ApiKeyId,
        quota: KeyQuota,
    ) -> Result<Decision, LimiterUnavailable> {
        match self {
            Self::Memory(m) => Ok(m.check(key, quota)),
            Self::Redis(r) => r.check(key, quota).await,
        }
    }

    /// Forget keys idle long enough to be back at full allowance (bounded memory).
    pub fn retain_recent(&self) {
        if let Self::Memory(m) = self {
            m.retain_recent();
        }
    }
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}
