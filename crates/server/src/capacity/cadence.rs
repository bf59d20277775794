//! The poller's cadence: interviews invited recently change often and are read every
//! `poller.interval_secs`; older open ones back off (`poller.backoff_after_hours` /
//! `backoff_factors`), so the vendor budget goes where changes are likely. A connection
//! whose vendor webhooks are arriving gets its changes pushed: its interviews are read only
//! every `poller.reconcile_interval_secs`, to catch what a lost webhook missed.

use chrono::{DateTime, Duration, Utc};

use crate::config::PollerConfig;

/// How many intervals apart an interview made `age` ago is read.
pub fn factor(config: &PollerConfig, age: Duration) -> u32 {
    config
        .backoff_after_hours
        .iter()
        .zip(&config.backoff_factors)
        .filter(|(hours, _)| age >= Duration::hours(**hours as i64))
        .map(|(_, f)| *f)
        .next_back()
        .unwrap_or(1)
}

/// When an interview made at `created_at` is read next after a read at `now`, if not at the
/// plain interval.
pub fn backed_off(
    config: &PollerConfig,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let f = factor(config, now - created_at);
    (f > 1).then(|| now + Duration::seconds(config.interval_secs as i64 * i64::from(f)))
}

/// Whether a connection whose latest webhook arrived at `latest` is fed by webhooks now.
pub fn webhook_fed(
    config: &PollerConfig,
    latest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    config.reconcile_interval_secs > 0
        && latest
            .is_some_and(|t| now - t <= Duration::seconds(config.reconcile_interval_secs as i64))
}

/// When an interview is read next after a read at `now`, if not at the plain interval: the
/// later of its age's back-off and, for a webhook-fed connection, the reconciliation
/// interval.
pub fn next_read(
    config: &PollerConfig,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
    webhook_fed: bool,
) -> Option<DateTime<Utc>> {
    let reconcile = (webhook_fed && config.reconcile_interval_secs > config.interval_secs)
        .then(|| now + Duration::seconds(config.reconcile_interval_secs as i64));
    // `None` (the plain interval) orders below any time.
    backed_off(config, created_at, now).max(reconcile)
}

/// Whether the connection's vendor webhooks are arriving now; `false` when that cannot be
/// read (polling as usual is the safe side).
pub async fn connection_fed(
    state: &crate::state::AppState,
    ws: gateway_core::WorkspaceId,
    connection: gateway_core::ConnectionId,
) -> bool {
    let cfg = &state.config.poller;
    if cfg.reconcile_interval_secs == 0 {
        return false;
    }
    match state.store.latest_receipt_at(ws, connection).await {
        Ok(latest) => webhook_fed(cfg, latest, gateway_core::time::now()),
        Err(e) => {
            tracing::warn!(connection_id = %connection, error = %e, "cannot read when webhooks last arrived");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The defaults: 300 s, back-off after 24 h / 7 d, reconcile hourly.
    fn config() -> PollerConfig {
        PollerConfig {
            enabled: true,
            interval_secs: 300,
            tick_secs: 5,
            batch: 50,
            backoff_after_hours: vec![24, 168],
            backoff_factors: vec![4, 12],
            reconcile_interval_secs: 3600,
            sweep: true,
        }
    }

    #[test]
    fn recent_interviews_keep_the_interval_and_older_ones_back_off() {
        let c = config();
        assert_eq!(factor(&c, Duration::hours(1)), 1);
        assert_eq!(factor(&c, Duration::hours(24)), 4);
        assert_eq!(factor(&c, Duration::days(6)), 4);
        assert_eq!(factor(&c, Duration::days(30)), 12);
        let now = Utc::now();
        assert_eq!(backed_off(&c, now - Duration::hours(2), now), None);
        assert_eq!(
            backed_off(&c, now - Duration::days(2), now),
            Some(now + Duration::seconds(1200))
        );
        let flat = PollerConfig {
            backoff_after_hours: vec![],
            backoff_factors: vec![],
            ..c
        };
        assert_eq!(factor(&flat, Duration::days(365)), 1);
    }

    #[test]
    fn webhook_fed_connections_only_reconcile() {
        let c = config();
        let now = Utc::now();
        assert!(webhook_fed(&c, Some(now - Duration::minutes(59)), now));
        assert!(!webhook_fed(&c, Some(now - Duration::minutes(61)), now));
        assert!(!webhook_fed(&c, None, now));
        let fresh = now - Duration::hours(1);
        assert_eq!(next_read(&c, fresh, now, false), None);
        assert_eq!(
            next_read(&c, fresh, now, true),
            Some(now + Duration::hours(1))
        );
        // A back-off longer than the reconciliation interval wins.
        let month_old = now - Duration::days(30);
        assert_eq!(
            next_read(&c, month_old, now, true),
            Some(now + Duration::hours(1))
        );
        let slow = PollerConfig {
            backoff_factors: vec![4, 24],
            ..c.clone()
        };
        assert_eq!(
            next_read(&slow, month_old, now, true),
            Some(now + Duration::hours(2))
        );
        let off = PollerConfig {
            reconcile_interval_secs: 0,
            ..c
        };
        assert!(!webhook_fed(&off, Some(now), now));
    }
}
