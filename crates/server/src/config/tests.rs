//! Loading, layering and validation, each error naming its key.

#![allow(clippy::result_large_err)] // figment::Jail's own signature

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
fn telemetry_is_off_by_default_and_checked_when_on() {
    let c = Config::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
    assert!(!c.telemetry.exports());
    assert_eq!(c.telemetry.service_name, "interview-gateway");
    assert_eq!(c.telemetry.sampling_ratio, 1.0);
    let ratio = |r: f64| {
        Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default("telemetry.sampling_ratio", r)),
        )
    };
    let err = ratio(1.5).unwrap_err().to_string();
    assert!(err.contains("telemetry.sampling_ratio"), "{err}");
    assert!(ratio(-0.1).is_err());
    assert!(ratio(0.25).is_ok());
    let err = with("telemetry.otlp_endpoint", "collector:4318")
        .unwrap_err()
        .to_string();
    assert!(err.contains("telemetry.otlp_endpoint"), "{err}");
    // The batch settings matter only when exporting, and are checked then.
    let exporting_with = |k: &str, v: u64| {
        Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default(
                    "telemetry.otlp_endpoint",
                    "http://127.0.0.1:4318",
                ))
                .merge(Serialized::default(k, v)),
        )
    };
    let err = exporting_with("telemetry.batch_delay_ms", 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("telemetry.batch_delay_ms"), "{err}");
    let err = exporting_with("telemetry.export_timeout_secs", 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("telemetry.export_timeout_secs"), "{err}");
    assert!(exporting_with("telemetry.batch_delay_ms", 200).is_ok());
    for secret in [
        "http://user:pw@127.0.0.1:4318",
        "http://127.0.0.1:4318/?token=x",
    ] {
        let err = with("telemetry.otlp_endpoint", secret)
            .unwrap_err()
            .to_string();
        assert!(err.contains("telemetry.otlp_endpoint"), "{err}");
        assert!(!err.contains("pw@") && !err.contains("token=x"), "{err}");
    }
    figment::Jail::expect_with(|jail| {
        jail.set_env("GATEWAY_TELEMETRY__OTLP_ENDPOINT", "http://127.0.0.1:4318");
        let c = Config::load(None).unwrap();
        assert_eq!(c.telemetry.otlp_endpoint, "http://127.0.0.1:4318");
        assert!(c.telemetry.exports());
        Ok(())
    });
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

#[test]
fn the_summary_says_where_the_vendor_budget_is_counted() {
    // The default database is a SQLite file: one process counts.
    let number = |key: &str, n: u64| {
        Config::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML)).merge(Serialized::default(key, n)),
        )
        .unwrap()
    };
    let lines = summary(&number("capacity.background_reserve_percent", 40)).join("\n");
    assert!(
        lines.contains("vendor budget: counted in this process, 40 %"),
        "{lines}"
    );
    let c = with("database.url", "postgres://127.0.0.1/gateway").unwrap();
    let lines = summary(&c).join("\n");
    assert!(
        lines.contains("counted in the database (shared by replicas)"),
        "{lines}"
    );
    let lines = summary(&number("capacity.max_in_flight_per_connection", 0)).join("\n");
    assert!(
        lines.contains("unbounded vendor calls per connection"),
        "{lines}"
    );
}
