//! What `check-config` prints.

use super::{BudgetBackendChoice, Config, RateLimitBackend};

/// What `check-config` reports: the settings an operator checks first, never a secret.
pub fn summary(config: &Config) -> Vec<String> {
    let kind = gateway_store::BackendKind::of_url(config.database.url.expose()).ok();
    let db = match kind {
        Some(gateway_store::BackendKind::Postgres) => "postgres",
        Some(gateway_store::BackendKind::Sqlite) => "sqlite",
        None => "unknown",
    };
    let budget = match kind.map(|k| crate::capacity::budget_backend(config, k)) {
        Some(BudgetBackendChoice::Redis) => "redis (shared by replicas)",
        Some(BudgetBackendChoice::Postgres) => "the database (shared by replicas)",
        Some(BudgetBackendChoice::Memory | BudgetBackendChoice::Auto) => "this process",
        None => "unknown",
    };
    let capacity = &config.capacity;
    let bound = |n: usize| {
        if n == 0 {
            "unbounded".to_string()
        } else {
            n.to_string()
        }
    };
    let master_key = match (
        &config.security.master_key,
        &config.security.master_key_file,
    ) {
        (Some(_), _) => "security.master_key (value set)".to_string(),
        (None, Some(path)) => format!("security.master_key_file {}", path.display()),
        (None, None) => "none".to_string(),
    };
    let rate_limit = match config.rate_limit.backend {
        RateLimitBackend::Memory => "memory (this process)",
        RateLimitBackend::Redis => "redis (shared by replicas)",
    };
    let vendors = if !config.vendors.simulator_url.is_empty() {
        format!("the simulators at {}", config.vendors.simulator_url)
    } else if config.vendors.base_urls.is_empty() {
        "the real vendors".to_string()
    } else {
        let overrides: Vec<String> = config
            .vendors
            .base_urls
            .iter()
            // The host only: a proxy's URL may carry credentials.
            .map(|(provider, url)| match url::Url::parse(url) {
                Ok(u) => format!("{provider} → {}", u.origin().ascii_serialization()),
                Err(_) => format!("{provider} → (invalid URL)"),
            })
            .collect();
        format!("the real vendors, except {}", overrides.join(", "))
    };
    vec![
        format!("server.bind: {}", config.server.bind),
        format!(
            "database: {db} (migrations on start: {})",
            config.database.run_migrations
        ),
        format!("master key: {master_key}"),
        format!(
            "bootstrap admin key: {}",
            if config.auth.bootstrap_admin_key.is_some() {
                "set"
            } else {
                "not set"
            }
        ),
        format!(
            "rate limit: {rate_limit}, default {}/min burst {}",
            config.rate_limit.default_requests_per_minute, config.rate_limit.default_burst
        ),
        format!("vendor calls go to {vendors}"),
        format!(
            "vendor budget: counted in {budget}, {} % kept from background work",
            capacity.background_reserve_percent
        ),
        format!(
            "in flight: {} vendor calls per connection, {} requests and {} reads gateway-wide",
            bound(capacity.max_in_flight_per_connection),
            bound(capacity.max_in_flight),
            bound(capacity.max_in_flight_reads)
        ),
        format!(
            "poller: {}",
            if config.poller.enabled { "on" } else { "off" }
        ),
        format!(
            "interviews: pending settles after {} s, open ones expire {}",
            config.interviews.pending_settle_secs,
            match config.interviews.expire_after_days {
                0 => "never".to_string(),
                n => format!("after {n} d without progress"),
            }
        ),
        format!(
            "retention: results {}, remote data {}, deliveries {}",
            days(config.retention.interview_results_days),
            days(config.retention.remote_data_days),
            days(config.retention.deliveries_days)
        ),
        format!(
            "vendor call log: {} d, at most {} calls per connection",
            config.call_log.retention_days, config.call_log.max_rows_per_connection
        ),
    ]
}

fn days(n: u32) -> String {
    if n == 0 {
        "kept".into()
    } else {
        format!("{n} d")
    }
}
