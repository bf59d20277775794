//! `[call_log]`: how long the per-connection vendor call log keeps its rows.

use serde::Deserialize;

use super::{invalid, ConfigError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallLogConfig {
    /// Calls older than this many days are deleted.
    pub retention_days: u32,
    /// Past this many calls, a connection's oldest are deleted.
    pub max_rows_per_connection: u32,
    /// How often the prune runs (on one replica at a time).
    pub prune_secs: u64,
}

impl CallLogConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        // A log kept for ever or unbounded would grow with traffic: both bounds are required.
        if !(1..=365).contains(&self.retention_days) {
            return Err(invalid(
                "call_log.retention_days",
                "must be between 1 and 365",
            ));
        }
        if !(1..=1_000_000).contains(&self.max_rows_per_connection) {
            return Err(invalid(
                "call_log.max_rows_per_connection",
                "must be between 1 and 1000000",
            ));
        }
        if self.prune_secs == 0 {
            return Err(invalid("call_log.prune_secs", "must be at least 1"));
        }
        Ok(())
    }
}
