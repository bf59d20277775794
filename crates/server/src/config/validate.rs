//! Checks that run once at startup, each error naming the key it is about.

use super::{http_url, invalid, Config, ConfigError, RateLimitBackend};

impl Config {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.validate_server()?;
        self.validate_store_and_keys()?;
        self.validate_limits_and_workers()?;
        self.validate_capacity()?;
        self.validate_vendors()
    }

    /// `capacity`.
    fn validate_capacity(&self) -> Result<(), ConfigError> {
        let c = &self.capacity;
        if c.background_reserve_percent > 90 {
            return Err(invalid(
                "capacity.background_reserve_percent",
                "must be between 0 and 90 (background work needs some of the budget)",
            ));
        }
        if c.budget_margin_ms > 10_000 {
            return Err(invalid(
                "capacity.budget_margin_ms",
                "must be at most 10000",
            ));
        }
        if c.budget_backend == super::BudgetBackendChoice::Redis
            && !self.rate_limit.redis_url.expose().starts_with("redis")
        {
            return Err(invalid(
                "rate_limit.redis_url",
                "must be a redis:// or rediss:// URL (capacity.budget_backend = \"redis\")",
            ));
        }
        if c.budget_backend == super::BudgetBackendChoice::Postgres
            && !self.database.url.expose().starts_with("postgres")
        {
            return Err(invalid(
                "capacity.budget_backend",
                "\"postgres\" needs a Postgres database.url (use \"memory\" on SQLite: one node)",
            ));
        }
        if c.shed_retry_after_secs == 0 {
            return Err(invalid(
                "capacity.shed_retry_after_secs",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// `server` and `log`.
    fn validate_server(&self) -> Result<(), ConfigError> {
        if self.server.request_timeout_secs == 0 {
            return Err(invalid("server.request_timeout_secs", "must be at least 1"));
        }
        if self.server.body_limit_bytes < 1024 {
            return Err(invalid("server.body_limit_bytes", "must be at least 1024"));
        }
        if !self.server.public_url.is_empty() {
            http_url("server.public_url", &self.server.public_url)?;
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| invalid("log.level", e.to_string()))?;
        Ok(())
    }

    /// `database`, `auth`, `security`, `idempotency`.
    fn validate_store_and_keys(&self) -> Result<(), ConfigError> {
        gateway_store::BackendKind::of_url(self.database.url.expose()).map_err(|_| {
            invalid(
                "database.url",
                "must start with postgres://, postgresql:// or sqlite:",
            )
        })?;
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.database.acquire_timeout_secs == 0 {
            return Err(invalid(
                "database.acquire_timeout_secs",
                "must be at least 1",
            ));
        }
        if let Some(key) = &self.auth.bootstrap_admin_key {
            if crate::auth::key::parse_lookup(key.expose()).is_none() {
                return Err(invalid(
                    "auth.bootstrap_admin_key",
                    "must look like igk_<16 letters or digits>_<40 letters or digits>; `interview-gateway keys generate` prints one",
                ));
            }
        }
        if self.security.master_key.is_none() && self.security.master_key_file.is_none() {
            return Err(invalid(
                "security.master_key",
                "set security.master_key (base64, 32 bytes) or security.master_key_file",
            ));
        }
        if self.auth.cache_ttl_secs == 0 {
            return Err(invalid("auth.cache_ttl_secs", "must be at least 1"));
        }
        if self.auth.usage_flush_secs == 0 {
            return Err(invalid("auth.usage_flush_secs", "must be at least 1"));
        }
        if self.idempotency.retention_hours == 0 {
            return Err(invalid("idempotency.retention_hours", "must be at least 1"));
        }
        if self.idempotency.lock_secs == 0 {
            return Err(invalid("idempotency.lock_secs", "must be at least 1"));
        }
        Ok(())
    }

    /// `rate_limit`, `poller`, `webhooks`.
    fn validate_limits_and_workers(&self) -> Result<(), ConfigError> {
        let r = &self.rate_limit;
        if r.default_requests_per_minute == 0 {
            return Err(invalid(
                "rate_limit.default_requests_per_minute",
                "must be at least 1",
            ));
        }
        if r.default_burst == 0 {
            return Err(invalid("rate_limit.default_burst", "must be at least 1"));
        }
        if r.backend == RateLimitBackend::Redis && !r.redis_url.expose().starts_with("redis") {
            return Err(invalid(
                "rate_limit.redis_url",
                "must be a redis:// or rediss:// URL",
            ));
        }
        if r.redis_timeout_ms == 0 {
            return Err(invalid("rate_limit.redis_timeout_ms", "must be at least 1"));
        }
        if self.poller.interval_secs == 0 || self.poller.tick_secs == 0 || self.poller.batch == 0 {
            return Err(invalid(
                "poller",
                "interval_secs, tick_secs and batch must be at least 1",
            ));
        }
        let p = &self.poller;
        if p.backoff_after_hours.len() != p.backoff_factors.len()
            || !p.backoff_after_hours.windows(2).all(|w| w[0] < w[1])
            || p.backoff_factors.contains(&0)
        {
            return Err(invalid(
                "poller.backoff_after_hours",
                "give as many ascending ages as poller.backoff_factors has factors (each at least 1)",
            ));
        }
        if p.reconcile_interval_secs != 0 && p.reconcile_interval_secs < p.interval_secs {
            return Err(invalid(
                "poller.reconcile_interval_secs",
                "must be 0 (off) or at least poller.interval_secs: reconciliation reads less often, not more",
            ));
        }
        if self.retention.tick_secs == 0 || self.retention.batch == 0 {
            return Err(invalid(
                "retention",
                "tick_secs and batch must be at least 1",
            ));
        }
        let w = &self.webhooks;
        if w.tick_ms == 0 || w.timeout_secs == 0 || w.max_concurrent == 0 {
            return Err(invalid(
                "webhooks",
                "tick_ms, timeout_secs and max_concurrent must be at least 1",
            ));
        }
        if w.retry_schedule_secs.is_empty() {
            return Err(invalid(
                "webhooks.retry_schedule_secs",
                "give at least one wait",
            ));
        }
        self.call_log.validate()?;
        let t = &self.telemetry;
        if !(0.0..=1.0).contains(&t.sampling_ratio) {
            return Err(invalid(
                "telemetry.sampling_ratio",
                "must be between 0.0 and 1.0",
            ));
        }
        if t.exports() {
            let url = http_url("telemetry.otlp_endpoint", &t.otlp_endpoint)?;
            // The endpoint is logged (at startup, and by the SDK when an export fails):
            // collector credentials belong in headers (`OTEL_EXPORTER_OTLP_HEADERS`).
            if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
                return Err(invalid(
                    "telemetry.otlp_endpoint",
                    "must not carry credentials or a query; give the collector's headers in OTEL_EXPORTER_OTLP_HEADERS",
                ));
            }
            if t.service_name.trim().is_empty() {
                return Err(invalid("telemetry.service_name", "must not be empty"));
            }
            if !(10..=60_000).contains(&t.batch_delay_ms) {
                return Err(invalid(
                    "telemetry.batch_delay_ms",
                    "must be between 10 and 60000",
                ));
            }
            if !(1..=60).contains(&t.export_timeout_secs) {
                return Err(invalid(
                    "telemetry.export_timeout_secs",
                    "must be between 1 and 60",
                ));
            }
        }
        if self.connection_health.unavailable_after_secs > 315_360_000 {
            return Err(invalid(
                "connection_health.unavailable_after_secs",
                "at most 315360000 (ten years)",
            ));
        }
        // Ten years: past that it means "never", which is 0.
        if w.auto_disable_after_secs > 315_360_000 {
            return Err(invalid(
                "webhooks.auto_disable_after_secs",
                "at most 315360000 (ten years); 0 turns auto-disable off",
            ));
        }
        Ok(())
    }

    /// `vendors`.
    fn validate_vendors(&self) -> Result<(), ConfigError> {
        let v = &self.vendors;
        if !(1..=10).contains(&v.max_attempts) {
            return Err(invalid("vendors.max_attempts", "must be between 1 and 10"));
        }
        for (key, value) in [
            ("vendors.attempt_timeout_secs", v.attempt_timeout_secs),
            ("vendors.connect_timeout_secs", v.connect_timeout_secs),
            ("vendors.total_budget_secs", v.total_budget_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if !v.simulator_url.is_empty() {
            http_url("vendors.simulator_url", &v.simulator_url)?;
        }
        for url in v.base_urls.values() {
            http_url("vendors.base_urls", url)?;
        }
        if v.total_budget_secs >= self.server.request_timeout_secs {
            return Err(invalid(
                "vendors.total_budget_secs",
                "must be less than server.request_timeout_secs, so a vendor failure is reported before the request times out",
            ));
        }
        Ok(())
    }
}
