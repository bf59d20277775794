//! Configuration: embedded defaults (`config/default.toml`) → optional TOML file →
//! environment (`GATEWAY_<SECTION>__<KEY>`, plus plain `DATABASE_URL`). Unknown keys are
//! errors, so a misspelt variable fails at startup instead of being ignored, and every
//! error names the key it is about.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use gateway_core::Secret;
use serde::Deserialize;

pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub log: LogConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub auth: AuthConfig,
    pub idempotency: IdempotencyConfig,
    pub vendors: VendorsConfig,
    pub rate_limit: RateLimitConfig,
    pub poller: PollerConfig,
    pub webhooks: WebhooksConfig,
    pub retention: RetentionConfig,
    #[serde(default)]
    pub console: ConsoleConfig,
}

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    pub tick_ms: u64,
    pub timeout_secs: u64,
    pub max_concurrent: usize,
    pub retry_schedule_secs: Vec<u64>,
    pub allow_private_targets: bool,
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

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", describe_load_error(.0))]
    Load(Box<figment::Error>),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        message: message.into(),
    }
}

/// `value` as an http(s) URL, or an error naming `key`.
fn http_url(key: &'static str, value: &str) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(value).map_err(|e| invalid(key, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(key, "must be an http(s) URL"));
    }
    Ok(url)
}

/// One line per problem, naming the key as it is written in TOML (`server.bind`) and where
/// the value came from.
fn describe_load_error(err: &figment::Error) -> String {
    err.clone()
        .into_iter()
        .map(|e| {
            let key = e.path.join(".").to_ascii_lowercase();
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            if key.is_empty() {
                format!("configuration: {}{source}", e.kind)
            } else {
                format!("configuration key `{key}`{source}: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Config {
    /// Where vendor calls and passthrough may go. Private targets only when allowed, or in
    /// simulator mode, where every vendor is the built-in simulator the operator runs.
    pub fn vendor_egress(&self) -> provider_http::EgressPolicy {
        provider_http::EgressPolicy::new(
            self.security.allow_private_base_urls || !self.vendors.simulator_url.is_empty(),
        )
    }

    /// Load from the embedded defaults, an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment(file))
    }

    pub fn figment(file: Option<&Path>) -> Figment {
        let mut fig = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        fig.merge(
            Env::raw()
                .only(&["DATABASE_URL"])
                .map(|_| "database.url".into()),
        )
        // Every key has a section, so only GATEWAY_<SECTION>__<KEY> is configuration:
        // GATEWAY_CONFIG (the file) and variables others set — Kubernetes injects
        // GATEWAY_PORT, GATEWAY_SERVICE_HOST… for a service named "gateway" — are not.
        .merge(
            Env::prefixed("GATEWAY_")
                .filter(|k| k.as_str().contains("__"))
                .split("__"),
        )
    }

    pub fn from_figment(fig: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = fig.extract().map_err(|e| ConfigError::Load(Box::new(e)))?;
        config.validate()?;
        if !config.vendors.simulator_url.is_empty() {
            let root = config.vendors.simulator_url.clone();
            config.vendors.use_simulators(&root);
        }
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.validate_server()?;
        self.validate_store_and_keys()?;
        self.validate_limits_and_workers()?;
        self.validate_vendors()
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

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.server.request_timeout_secs)
    }

    /// Where clients and vendors reach this gateway.
    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.bind)
        } else {
            self.server.public_url.trim_end_matches('/').to_string()
        }
    }
}

/// What `check-config` reports: the settings an operator checks first, never a secret.
pub fn summary(config: &Config) -> Vec<String> {
    let db = match gateway_store::BackendKind::of_url(config.database.url.expose()) {
        Ok(gateway_store::BackendKind::Postgres) => "postgres",
        Ok(gateway_store::BackendKind::Sqlite) => "sqlite",
        Err(_) => "unknown",
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
            "poller: {}",
            if config.poller.enabled { "on" } else { "off" }
        ),
        format!(
            "retention: results {}, remote data {}, deliveries {}",
            days(config.retention.interview_results_days),
            days(config.retention.remote_data_days),
            days(config.retention.deliveries_days)
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

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's own signature
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(key: &str, value: &str) -> Result<Config, ConfigError> {
        Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML)).merge(Serialized::default(key, value)),
        )
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let c = Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
        assert!(c.database.url.expose().starts_with("sqlite:"));
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = with("server.bind", "not an address")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.bind"), "{err}");
        let err = with("database.url", "mysql://x").unwrap_err().to_string();
        assert!(err.contains("database.url"), "{err}");
        let err = with("log.format", "xml").unwrap_err().to_string();
        assert!(err.contains("log.format"), "{err}");
        let err = with("server.public_url", "ftp://x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.public_url"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = with("server.bnid", "x").unwrap_err().to_string();
        assert!(err.contains("bnid"), "{err}");
    }

    #[test]
    fn environment_nests_with_double_underscore() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("GATEWAY_SERVER__BIND", "0.0.0.0:9999");
            jail.set_env("GATEWAY_CONFIG", "ignored.toml");
            // What Kubernetes injects for a service named "gateway".
            jail.set_env("GATEWAY_PORT", "tcp://10.0.0.1:8080");
            jail.set_env("GATEWAY_SERVICE_HOST", "10.0.0.1");
            jail.set_env("DATABASE_URL", "postgres://u:p@db/gw");
            let c = Config::load(None).unwrap();
            assert_eq!(c.server.bind.to_string(), "0.0.0.0:9999");
            assert_eq!(c.database.url.expose(), "postgres://u:p@db/gw");
            // The database URL may hold a password: Debug must not show it.
            assert!(!format!("{c:?}").contains("u:p@"));
            Ok(())
        });
    }

    #[test]
    fn a_file_overrides_defaults_and_env_overrides_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "gw.toml",
                "[server]\nrequest_timeout_secs = 45\nbind = \"127.0.0.1:1\"\n",
            )?;
            jail.set_env("GATEWAY_SERVER__BIND", "127.0.0.1:2");
            let c = Config::load(Some(Path::new("gw.toml"))).unwrap();
            assert_eq!(c.server.request_timeout_secs, 45);
            assert_eq!(c.server.bind.to_string(), "127.0.0.1:2");
            Ok(())
        });
    }

    #[test]
    fn simulator_url_resolves_into_per_provider_base_urls() {
        let c = Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default(
                    "vendors.base_urls.heymilo",
                    "https://proxy.example/hm",
                ))
                .merge(Serialized::default(
                    "vendors.simulator_url",
                    "http://127.0.0.1:9100/",
                )),
        )
        .unwrap();
        assert_eq!(
            c.vendors.base_url_override("taptalent"),
            Some("http://127.0.0.1:9100/taptalent/v1/partner")
        );
        // The simulators win, as `simulator_url` always sent every connection there.
        assert_eq!(
            c.vendors.base_url_override("heymilo"),
            Some("http://127.0.0.1:9100/heymilo")
        );
    }

    #[test]
    fn base_urls_are_checked_and_reported_without_credentials() {
        let err = with("vendors.base_urls.heymilo", "ftp://x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("vendors.base_urls"), "{err}");
        let c = with("vendors.base_urls.heymilo", "https://u:pw@proxy.example/hm").unwrap();
        assert_eq!(c.vendors.base_url_override("flowmingo"), None);
        let lines = summary(&c).join("\n");
        assert!(lines.contains("heymilo → https://proxy.example"), "{lines}");
        assert!(!lines.contains("pw"), "{lines}");
    }
}
