//! The outbound budget's sliding log in Redis, shared by every replica: one sorted set of
//! call times per connection, and one Lua script — trim the window, count, add — that
//! Redis runs atomically, so two replicas can never both take the last slot. Time comes
//! from Redis (`TIME`), not from the replicas' clocks.

use std::time::Duration;

use async_trait::async_trait;
use provider_http::budget::{BudgetBackend, BudgetKey, BudgetUnavailable, Take};
use redis::Script;

use crate::rate_limit::RedisConn;

const SLIDING_LOG: &str = r#"
local cap = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used < cap then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window) + 1000)
  return {1, used + 1}
end
local freeing = redis.call('ZRANGE', KEYS[1], used - cap, used - cap, 'WITHSCORES')
return {0, math.max(1, math.ceil(tonumber(freeing[2]) + window - now))}
"#;

pub struct RedisBudget {
    conn: RedisConn,
    script: Script,
    prefix: String,
    timeout: Duration,
}

impl RedisBudget {
    pub fn new(conn: RedisConn, prefix: &str, timeout: Duration) -> Self {
        Self {
            conn,
            script: Script::new(SLIDING_LOG),
            prefix: prefix.to_string(),
            timeout,
        }
    }
}

#[async_trait]
impl BudgetBackend for RedisBudget {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn take(
        &self,
        key: BudgetKey,
        cap: u32,
        window: Duration,
    ) -> Result<Take, BudgetUnavailable> {
        let mut conn = self.conn.get().await.map_err(|e| BudgetUnavailable(e.0))?;
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!(
                "{}:budget:{}:{}",
                self.prefix, key.workspace, key.connection
            ))
            .arg(cap)
            .arg(window.as_millis() as u64)
            // Members must differ: two calls in one microsecond are two calls.
            .arg(uuid::Uuid::now_v7().to_string());
        let reply: Vec<i64> =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| BudgetUnavailable("Redis did not answer in time".into()))?
                .map_err(|e| BudgetUnavailable(e.to_string()))?;
        match reply[..] {
            [1, used] => Ok(Take::Granted {
                used: used.max(0) as u32,
            }),
            [0, wait_ms] => Ok(Take::Wait(Duration::from_millis(wait_ms.max(1) as u64))),
            _ => Err(BudgetUnavailable(
                "unexpected reply from the budget script".into(),
            )),
        }
    }
}
