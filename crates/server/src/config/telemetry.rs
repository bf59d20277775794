//! Operator visibility settings: how connection health is judged from real vendor calls.

use serde::Deserialize;

/// `[connection_health]`: when a vendor outage makes a connection `unavailable`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionHealthConfig {
    /// A vendor unreachable (no answer, or 5xx) without a success for this long makes the
    /// connection `unavailable` and emits `connection.unhealthy`. Refused credentials do at
    /// once. `0` = on the first failure.
    pub unavailable_after_secs: u64,
}
