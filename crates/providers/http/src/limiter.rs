//! Outbound rate limits, one bucket per connection, so one tenant's burst cannot spend
//! another's vendor quota, and the gateway stays under each vendor's documented limit
//! instead of learning it from 429s.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway_core::ConnectionId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

#[derive(Default)]
pub struct OutboundLimits {
    buckets: Mutex<HashMap<ConnectionId, (u32, Arc<DefaultDirectRateLimiter>)>>,
}

impl OutboundLimits {
    fn bucket(
        &self,
        connection: ConnectionId,
        per_minute: u32,
    ) -> Option<Arc<DefaultDirectRateLimiter>> {
        let per_minute = NonZeroU32::new(per_minute)?;
        let mut buckets = self.buckets.lock().ok()?;
        let entry = buckets.entry(connection).or_insert_with(|| {
            (
                per_minute.get(),
                Arc::new(RateLimiter::direct(Quota::per_minute(per_minute))),
            )
        });
        // A changed setting takes effect with a fresh bucket.
        if entry.0 != per_minute.get() {
            *entry = (
                per_minute.get(),
                Arc::new(RateLimiter::direct(Quota::per_minute(per_minute))),
            );
        }
        Some(entry.1.clone())
    }

    /// Wait for a slot, but not past `deadline_in`. `Err` carries how long the wait would
    /// have been.
    pub async fn acquire(
        &self,
        connection: ConnectionId,
        per_minute: u32,
        deadline_in: Duration,
    ) -> Result<(), Duration> {
        let Some(bucket) = self.bucket(connection, per_minute) else {
            return Ok(());
        };
        let started = tokio::time::Instant::now();
        loop {
            match bucket.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    if started.elapsed() + wait > deadline_in {
                        return Err(wait);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spreads_calls_and_refuses_waits_past_the_deadline() {
        let limits = OutboundLimits::default();
        let conn = ConnectionId::new();
        // 600/min = one every 100 ms, with a burst of 600: the first calls pass at once.
        for _ in 0..5 {
            assert!(limits.acquire(conn, 600, Duration::ZERO).await.is_ok());
        }
        let tight = ConnectionId::new();
        assert!(limits.acquire(tight, 1, Duration::ZERO).await.is_ok());
        let refused = limits.acquire(tight, 1, Duration::from_millis(10)).await;
        assert!(refused.unwrap_err() > Duration::from_secs(50));
        // Another connection has its own bucket.
        assert!(limits
            .acquire(ConnectionId::new(), 1, Duration::ZERO)
            .await
            .is_ok());
        // Zero means unlimited.
        for _ in 0..100 {
            assert!(limits.acquire(tight, 0, Duration::ZERO).await.is_ok());
        }
    }
}
