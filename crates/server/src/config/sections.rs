//! The sections of the configuration, one struct each, as they are written in TOML.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use gateway_core::Secret;
use serde::Deserialize;

/// The admin console at `/console`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    pub enabled: bool,
    /// A session unused this long ends; the next request asks to sign in again.
    pub idle_timeout_mins: u32,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            idle_timeout_mins: 30,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    pub public_url: String,
    pub request_timeout_secs: u64,
    pub body_limit_bytes: usize,
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// May carry a password, hence secret.
    pub url: Secret<String>,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    pub run_migrations: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    #[serde(default)]
    pub master_key: Option<Secret<String>>,
    #[serde(default)]
    pub master_key_file: Option<PathBuf>,
    pub generate_master_key: bool,
    pub allow_private_base_urls: bool,
    /// Earlier master keys (base64) that may still open values, during a rotation.
    #[serde(default)]
    pub previous_master_keys: Vec<Secret<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub cache_ttl_secs: u64,
    pub usage_flush_secs: u64,
    /// An admin key the gateway creates at start when it does not exist yet, so a deployment
    /// (compose, Kubernetes) can hold its first key in its secret store.
    #[serde(default)]
    pub bootstrap_admin_key: Option<Secret<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencyConfig {
    pub retention_hours: u64,
    pub lock_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollerConfig {
    pub enabled: bool,
    pub interval_secs: u64,
    pub tick_secs: u64,
    pub batch: u32,
    /// Cadence back-off: an open interview older than `backoff_after_hours[i]` is read
    /// every `interval_secs × backoff_factors[i]` (the last step that applies).
    pub backoff_after_hours: Vec<u64>,
    pub backoff_factors: Vec<u32>,
    /// While a connection's vendor webhooks are arriving (one within this long), its open
    /// interviews are read only this often, as reconciliation; `0` = always poll normally.
    pub reconcile_interval_secs: u64,
    /// Refresh a template's due interviews from the vendor's list pages where it has them
    /// (one call per page), not one read each.
    pub sweep: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    pub tick_ms: u64,
    pub timeout_secs: u64,
    pub max_concurrent: usize,
    pub retry_schedule_secs: Vec<u64>,
    pub allow_private_targets: bool,
    /// An endpoint failing without a success for this long is disabled (with a
    /// `webhook_endpoint.disabled` event); `0` = never.
    pub auto_disable_after_secs: u64,
}

/// How long personal data is kept (see the README's "Personal data"). `0` = forever.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub interview_results_days: u32,
    pub remote_data_days: u32,
    pub deliveries_days: u32,
    pub tick_secs: u64,
    pub batch: u32,
}

impl RetentionConfig {
    pub fn any(&self) -> bool {
        self.interview_results_days > 0 || self.remote_data_days > 0 || self.deliveries_days > 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitBackend {
    Memory,
    Redis,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    pub default_requests_per_minute: u32,
    pub default_burst: u32,
    pub backend: RateLimitBackend,
    /// May carry a password.
    pub redis_url: Secret<String>,
    pub redis_prefix: String,
    pub redis_timeout_ms: u64,
    pub fail_open: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorsConfig {
    pub max_attempts: u32,
    pub attempt_timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub total_budget_secs: u64,
    pub max_retry_after_secs: u64,
    pub simulator_url: String,
    /// Per provider, where its connections' vendor calls go instead of their own base URL
    /// (an egress proxy, a staging host). `simulator_url` fills this in for every simulated
    /// vendor when the configuration is loaded, so the request path only ever asks here.
    #[serde(default)]
    pub base_urls: BTreeMap<String, String>,
}

impl VendorsConfig {
    /// Send every simulated vendor to the sandbox served at `root` (`demo`, staging,
    /// tests): this is where the simulators' layout enters the configuration, once.
    pub fn use_simulators(&mut self, root: &str) {
        self.simulator_url = root.to_string();
        self.base_urls.extend(
            gateway_sandbox::base_urls(root).map(|(vendor, url)| (vendor.to_string(), url)),
        );
    }

    /// The operator's base URL for `provider`'s connections, if configured.
    pub fn base_url_override(&self, provider: &str) -> Option<&str> {
        self.base_urls.get(provider).map(String::as_str)
    }

    pub fn retry_policy(&self) -> provider_http::RetryPolicy {
        provider_http::RetryPolicy {
            max_attempts: self.max_attempts,
            attempt_timeout: Duration::from_secs(self.attempt_timeout_secs),
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
            total_budget: Duration::from_secs(self.total_budget_secs),
            max_retry_after: Duration::from_secs(self.max_retry_after_secs),
            ..provider_http::RetryPolicy::default()
        }
    }
}
