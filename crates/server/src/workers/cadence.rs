//! The poller's cadence: interviews invited recently change often and are read every
//! `poller.interval_secs`; older open ones back off (`poller.backoff_after_hours` /
//! `backoff_factors`), so the vendor budget goes where changes are likely.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_interviews_keep_the_interval_and_older_ones_back_off() {
        let c = PollerConfig {
            enabled: true,
            interval_secs: 300,
            tick_secs: 5,
            batch: 50,
            backoff_after_hours: vec![24, 168],
            backoff_factors: vec![4, 12],
        };
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
}
