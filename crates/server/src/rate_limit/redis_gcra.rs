//! GCRA in Redis, shared by every replica. The whole decision is one Lua script — read the
//! key's theoretical arrival time, decide, write it back — which Redis runs atomically, so
//! concurrent requests on different replicas can never both take the last slot. Time comes
//! from Redis (`TIME`), not from the replicas' clocks.

use std::time::Duration;

use gateway_core::ApiKeyId;
use redis::Script;

use super::redis_conn::RedisConn;
use super::{Decision, KeyQuota, LimiterUnavailable};

const GCRA: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1000)
local remaining = math.floor((tolerance - (new_tat - now)) / interval)
return {1, remaining, 0, math.ceil(new_tat - now)}
"#;

pub struct RedisLimiter {
    conn: RedisConn,
    script: Script,
    prefix: String,
    timeout: Duration,
}

impl RedisLimiter {
    /// Connects on first use (and again after losing Redis), so the gateway starts even while
    /// Redis is down; `fail_open` decides what requests meet meanwhile.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, LimiterUnavailable> {
        Ok(Self {
            conn: RedisConn::new(url, timeout)?,
            script: Script::new(GCRA),
            prefix: prefix.to_string(),
            timeout,
        })
    }

    pub async fn check(
        &self,
        key: ApiKeyId,
        quota: KeyQuota,
    ) -> Result<Decision, LimiterUnavailable> {
        let interval_ms = quota.interval().as_secs_f64() * 1000.0;
        let mut conn = self.conn.get().await?;
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(format!("{}:rl:{key}", self.prefix))
            .arg(interval_ms)
            .arg(quota.burst);
        let reply: Vec<i64> =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut conn))
                .await
                .map_err(|_| LimiterUnavailable("Redis did not answer in time".into()))?
                .map_err(|e| LimiterUnavailable(e.to_string()))?;
        let [allowed, remaining, retry_ms, reset_ms] = reply[..] else {
            return Err(LimiterUnavailable(
                "unexpected reply from the rate-limit script".into(),
            ));
        };
        let secs = |ms: i64| (ms.max(0) as u64).div_ceil(1000);
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.burst,
            remaining: remaining.clamp(0, i64::from(quota.burst)) as u32,
            reset_secs: secs(reset_ms),
            retry_after_secs: (allowed != 1).then(|| secs(retry_ms).max(1)),
        })
    }
}
