use std::time::Duration;

use rand::Rng;

/// How hard to try before giving up on a vendor call.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest vendor `Retry-After` we wait out; longer ones end the call.
    pub max_retry_after: Duration,
    /// All attempts and waits of one call together stay within this.
    pub total_budget: Duration,
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(10),
            total_budget: Duration::from_secs(25),
            attempt_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait up to the exponential ceiling, so many callers retrying
    /// after one vendor hiccup do not arrive together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let millis = ceiling.as_millis().min(u128::from(u64::MAX)) as u64;
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            let ceiling = p
                .base_delay
                .saturating_mul(1 << attempt.min(16))
                .min(p.max_delay);
            for _ in 0..50 {
                assert!(p.backoff(attempt) <= ceiling);
            }
        }
    }
}
