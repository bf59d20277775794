//! The budget's log in this process: right for one node; every replica would count alone.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{BudgetBackend, BudgetKey, BudgetUnavailable, Take};

/// Recent call times per connection. Memory is bounded by each connection's limit.
#[derive(Default)]
pub struct MemoryBudget {
    logs: Mutex<HashMap<BudgetKey, VecDeque<Instant>>>,
}

impl MemoryBudget {
    /// The decision, without awaiting anything (also the shared backends' fallback).
    pub fn take_now(&self, key: BudgetKey, cap: u32, window: Duration) -> Take {
        let now = Instant::now();
        let Ok(mut logs) = self.logs.lock() else {
            // A panic while holding the lock: refuse briefly rather than overspend.
            return Take::Wait(Duration::from_secs(1));
        };
        // Forget connections whose whole log has expired (bounded memory).
        if logs.len() > 1024 {
            logs.retain(|_, log| log.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let log = logs.entry(key).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            log.pop_front();
        }
        let cap = cap as usize;
        if log.len() < cap {
            log.push_back(now);
            return Take::Granted {
                used: log.len() as u32,
            };
        }
        // The slot under this cap frees when the call `len - cap` places from the oldest
        // leaves the window.
        let freeing = log[log.len() - cap];
        Take::Wait(window.saturating_sub(now.duration_since(freeing)))
    }
}

#[async_trait]
impl BudgetBackend for MemoryBudget {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn take(
        &self,
        key: BudgetKey,
        cap: u32,
        window: Duration,
    ) -> Result<Take, BudgetUnavailable> {
        Ok(self.take_now(key, cap, window))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Budget, BudgetPolicy, Priority};
    use super::*;
    use gateway_core::{ConnectionId, WorkspaceId};
    use std::sync::Arc;

    fn key() -> BudgetKey {
        BudgetKey {
            workspace: WorkspaceId::new(),
            connection: ConnectionId::new(),
        }
    }

    #[tokio::test]
    async fn holds_the_limit_in_a_window_and_keeps_the_reserve_from_background() {
        let budget = Budget::new(Arc::new(MemoryBudget::default()), BudgetPolicy::default());
        let k = key();
        // 10/min with a 30 % reserve: background takes 7, then waits a whole window.
        for _ in 0..7 {
            assert!(budget
                .acquire(k, 10, Priority::Background, Duration::ZERO)
                .await
                .is_ok());
        }
        let wait = budget
            .acquire(k, 10, Priority::Background, Duration::ZERO)
            .await
            .unwrap_err();
        assert!(wait > Duration::from_secs(59), "{wait:?}");
        // A client's call still gets the reserve: three, and not a fourth.
        for _ in 0..3 {
            assert!(budget
                .acquire(k, 10, Priority::Interactive, Duration::ZERO)
                .await
                .is_ok());
        }
        assert!(budget
            .acquire(k, 10, Priority::Interactive, Duration::ZERO)
            .await
            .is_err());
        // Another connection has its own log, and 0 means unlimited.
        assert!(budget
            .acquire(key(), 1, Priority::Background, Duration::ZERO)
            .await
            .is_ok());
        assert!(budget
            .acquire(k, 0, Priority::Background, Duration::ZERO)
            .await
            .is_ok());
    }

    #[test]
    fn a_slot_frees_when_its_call_leaves_the_window() {
        let m = MemoryBudget::default();
        let k = key();
        let window = Duration::from_millis(50);
        assert!(matches!(
            m.take_now(k, 1, window),
            Take::Granted { used: 1 }
        ));
        let Take::Wait(w) = m.take_now(k, 1, window) else {
            panic!("over the cap");
        };
        assert!(w <= window);
        std::thread::sleep(window);
        assert!(matches!(
            m.take_now(k, 1, window),
            Take::Granted { used: 1 }
        ));
    }
}
