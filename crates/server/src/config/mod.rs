//! Configuration: embedded defaults (`config/default.toml`) → optional TOML file →
//! environment (`GATEWAY_<SECTION>__<KEY>`, plus plain `DATABASE_URL`). Unknown keys are
//! errors, so a misspelt variable fails at startup instead of being ignored, and every
//! error names the key it is about.

use std::path::Path;
use std::time::Duration;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

mod call_log;
mod capacity;
mod sections;
mod summary;
mod telemetry;
#[cfg(test)]
mod tests;
mod validate;

pub use call_log::CallLogConfig;
pub use capacity::{BudgetBackendChoice, CapacityConfig, InterviewsConfig};
pub use sections::*;
pub use summary::summary;
pub use telemetry::*;

pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");

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
    pub capacity: CapacityConfig,
    pub interviews: InterviewsConfig,
    pub webhooks: WebhooksConfig,
    pub retention: RetentionConfig,
    pub connection_health: ConnectionHealthConfig,
    pub call_log: CallLogConfig,
    pub telemetry: TelemetryConfig,
    #[serde(default)]
    pub console: ConsoleConfig,
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
