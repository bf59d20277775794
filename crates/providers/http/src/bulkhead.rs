//! Bulkheads: a bounded number of calls in flight per connection. A vendor that stops
//! answering holds at most that many of the gateway's requests (each until its time budget
//! runs out); the rest are refused at once, so one hung vendor cannot take every worker, and
//! requests that need no vendor are never queued behind it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway_core::{ConnectionId, ProviderError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug)]
pub struct Bulkheads {
    /// 0 = unbounded.
    per_connection: usize,
    /// What a refused caller is told to wait (about one vendor call's time budget).
    retry_after: Duration,
    slots: Mutex<HashMap<ConnectionId, Arc<Semaphore>>>,
}

impl Bulkheads {
    pub fn new(per_connection: usize, retry_after: Duration) -> Self {
        Self {
            per_connection,
            retry_after,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A place for one call, held until the permit drops; `Overloaded` when the connection
    /// has `per_connection` calls in flight.
    pub fn enter(
        &self,
        connection: ConnectionId,
    ) -> Result<Option<OwnedSemaphorePermit>, ProviderError> {
        if self.per_connection == 0 {
            return Ok(None);
        }
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if slots.len() > 4096 {
                // Idle connections (no call in flight) are forgotten: bounded memory.
                let full = self.per_connection;
                slots.retain(|_, s| s.available_permits() < full);
            }
            slots
                .entry(connection)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_connection)))
                .clone()
        };
        semaphore
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| ProviderError::Overloaded {
                retry_after: self.retry_after,
                message: format!(
                    "{} calls to this connection's vendor are already waiting for an answer",
                    self.per_connection
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_bound_and_frees_when_a_call_ends() {
        let b = Bulkheads::new(2, Duration::from_secs(5));
        let c = ConnectionId::new();
        let one = b.enter(c).unwrap();
        let _two = b.enter(c).unwrap();
        let refused = b.enter(c).unwrap_err();
        assert!(
            matches!(refused, ProviderError::Overloaded { retry_after, .. } if retry_after == Duration::from_secs(5))
        );
        // Another connection is not affected.
        assert!(b.enter(ConnectionId::new()).is_ok());
        drop(one);
        assert!(b.enter(c).is_ok());
        // 0 = unbounded.
        let open = Bulkheads::new(0, Duration::ZERO);
        for _ in 0..100 {
            assert!(open.enter(c).unwrap().is_none());
        }
    }
}
