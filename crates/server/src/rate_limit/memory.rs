//! In-process GCRA with governor. Keys sharing a quota share one keyed limiter, so there are
//! as many limiters as distinct quotas (few), and `retain_recent` trims idle keys from each.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};

use gateway_core::ApiKeyId;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::{secs_ceil, Decision, KeyQuota};

type Keyed = RateLimiter<
    ApiKeyId,
    DefaultKeyedStateStore<ApiKeyId>,
    DefaultClock,
    StateInformationMiddleware,
>;

#[derive(Default)]
pub struct MemoryLimiter {
    by_quota: RwLock<HashMap<KeyQuota, Arc<Keyed>>>,
    clock: DefaultClock,
}

impl MemoryLimiter {
    fn limiter(&self, quota: KeyQuota) -> Arc<Keyed> {
        if let Some(l) = self
            .by_quota
            .read()
            .ok()
            .and_then(|m| m.get(&quota).cloned())
        {
            return l;
        }
        let mut map = match self.by_quota.write() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        map.entry(quota)
            .or_insert_with(|| {
                let per_minute = NonZeroU32::new(quota.per_minute).unwrap_or(NonZeroU32::MIN);
                let burst = NonZeroU32::new(quota.burst).unwrap_or(NonZeroU32::MIN);
                let q = Quota::per_minute(per_minute).allow_burst(burst);
                Arc::new(
                    RateLimiter::dashmap_with_clock(q, self.clock.clone())
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    pub fn check(&self, key: ApiKeyId, quota: KeyQuota) -> Decision {
        let limiter = self.limiter(quota);
        let interval = quota.interval();
        match limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    limit: quota.burst,
                    remaining,
                    reset_secs: secs_ceil(interval * quota.burst.saturating_sub(remaining)),
                    retry_after_secs: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Decision {
                    allowed: false,
                    limit: quota.burst,
                    remaining: 0,
                    reset_secs: secs_ceil(interval * quota.burst),
                    retry_after_secs: Some(secs_ceil(wait).max(1)),
                }
            }
        }
    }

    pub fn retain_recent(&self) {
        if let Ok(map) = self.by_quota.read() {
            for limiter in map.values() {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
    }

    /// Keys currently tracked (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.by_quota
            .read()
            .map(|m| m.values().map(|l| l.len()).sum())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_retry_after() {
        let m = MemoryLimiter::default();
        let key = ApiKeyId::new();
        let q = KeyQuota {
            per_minute: 60,
            burst: 3,
        };
        let d: Vec<_> = (0..4).map(|_| m.check(key, q)).collect();
        assert_eq!(
            d.iter().map(|d| d.allowed).collect::<Vec<_>>(),
            [true, true, true, false]
        );
        assert_eq!(
            d.iter().map(|d| d.remaining).collect::<Vec<_>>(),
            [2, 1, 0, 0]
        );
        assert_eq!(d[3].retry_after_secs, Some(1));
        assert_eq!(d[0].limit, 3);
        // Another key has its own allowance.
        assert!(m.check(ApiKeyId::new(), q).allowed);
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let m = MemoryLimiter::default();
        let q = KeyQuota {
            per_minute: 6_000_000,
            burst: 1,
        };
        for _ in 0..1000 {
            m.check(ApiKeyId::new(), q);
        }
        assert_eq!(m.tracked_keys(), 1000);
        std::thread::sleep(std::time::Duration::from_millis(5));
        m.retain_recent();
        assert_eq!(
            m.tracked_keys(),
            0,
            "back at full allowance: nothing to remember"
        );
    }
}
