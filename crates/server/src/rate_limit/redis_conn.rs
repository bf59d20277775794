//! One lazily made, self-healing connection to Redis, shared by what keeps state there (the
//! key limiter, the outbound budget).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::LimiterUnavailable;

pub struct RedisConn {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// When the last connection attempt failed: attempts pause for a second, so an outage
    /// costs each request at most the lock, not a connect timeout.
    failed_at: std::sync::Mutex<Option<std::time::Instant>>,
    timeout: Duration,
}

impl RedisConn {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, LimiterUnavailable> {
        let client = redis::Client::open(url).map_err(|e| LimiterUnavailable(e.to_string()))?;
        Ok(Self {
            client,
            conn: tokio::sync::Mutex::new(None),
            failed_at: std::sync::Mutex::new(None),
            timeout,
        })
    }

    fn failed(&self) {
        if let Ok(mut f) = self.failed_at.lock() {
            *f = Some(std::time::Instant::now());
        }
    }

    pub async fn get(&self) -> Result<ConnectionManager, LimiterUnavailable> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let recently_failed = self
            .failed_at
            .lock()
            .ok()
            .and_then(|f| *f)
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1));
        if recently_failed {
            return Err(LimiterUnavailable("Redis is unreachable".into()));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let made = tokio::time::timeout(
            self.timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await;
        match made {
            Ok(Ok(c)) => {
                *slot = Some(c.clone());
                Ok(c)
            }
            Ok(Err(e)) => {
                self.failed();
                Err(LimiterUnavailable(e.to_string()))
            }
            Err(_) => {
                self.failed();
                Err(LimiterUnavailable("timed out connecting to Redis".into()))
            }
        }
    }
}
