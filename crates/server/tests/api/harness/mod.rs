use std::time::Duration;

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use gateway_core::Scope;
use interview_gateway::config::DEFAULT_TOML;
use interview_gateway::ops::bootstrap::{create_key, WorkspaceChoice};
use interview_gateway::secrets::crypto::{KeyRing, MasterKey};
use interview_gateway::state::AppState;
use interview_gateway::{Config, Gateway};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::sync::oneshot;

pub(crate) mod fronts;
pub(crate) mod heymilo;
pub(crate) mod process;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Run one async test body on both backends: `mod postgres { fn name }` and `mod sqlite`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await).await;
                }
            )*
        }
    };
}

/// [`on_both_backends`] with configuration overrides for every test named.
#[macro_export]
macro_rules! on_both_backends_with {
    ($overrides:expr, $($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn_with($crate::harness::Backend::Postgres, &$overrides).await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::TestApp::spawn_with($crate::harness::Backend::Sqlite, &$overrides).await).await;
                }
            )*
        }
    };
}

pub struct TestApp {
    /// The admin key's workspace.
    pub workspace: gateway_core::WorkspaceId,
    pub base: String,
    pub client: reqwest::Client,
    /// An admin key in the first workspace.
    pub admin_key: String,
    pub state: AppState,
    pub database_url: String,
    /// The vendor simulators, on their own port.
    pub sandbox: gateway_sandbox::SandboxHandle,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub fn test_config(database_url: &str, overrides: &[(&str, Value)]) -> Config {
    let mut fig = Figment::from(Toml::string(DEFAULT_TOML))
        .merge(Serialized::default("database.url", database_url))
        .merge(Serialized::default(
            "security.master_key",
            MasterKey::generate_base64(),
        ))
        .merge(Serialized::default("log.level", "warn"))
        .merge(Serialized::default(
            "security.allow_private_base_urls",
            true,
        ))
        // Vendor faults in tests should end in seconds, not the production 25 s budget.
        .merge(Serialized::default("vendors.attempt_timeout_secs", 2))
        .merge(Serialized::default("vendors.total_budget_secs", 6))
        .merge(Serialized::default("vendors.max_retry_after_secs", 2))
        // Tests send bursts; rate-limit tests give their keys their own quota.
        .merge(Serialized::default(
            "rate_limit.default_requests_per_minute",
            600_000,
        ))
        .merge(Serialized::default("rate_limit.default_burst", 10_000))
        // Test receivers listen on loopback; workers tick fast so tests do not wait.
        .merge(Serialized::default("webhooks.allow_private_targets", true))
        .merge(Serialized::default("webhooks.tick_ms", 50))
        .merge(Serialized::default("webhooks.timeout_secs", 2))
        .merge(Serialized::default("poller.tick_secs", 1));
    for (k, v) in overrides {
        fig = fig.merge(Serialized::default(k, v.clone()));
    }
    Config::from_figment(fig).expect("test config")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[]).await
    }

    pub async fn spawn_with(backend: Backend, overrides: &[(&str, Value)]) -> Self {
        Self::spawn_configured(backend, overrides, false).await
    }

    /// With `vendors.simulator_url` pointing at this app's sandbox.
    pub async fn spawn_with_simulators(backend: Backend) -> Self {
        Self::spawn_configured(backend, &[], true).await
    }

    async fn spawn_configured(
        backend: Backend,
        overrides_in: &[(&str, Value)],
        simulators: bool,
    ) -> Self {
        let sandbox = gateway_sandbox::spawn("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // Vendors call back (webhooks) at the gateway's public URL: its real test address.
        let mut overrides: Vec<(&str, Value)> =
            vec![("server.public_url", Value::String(base.clone()))];
        overrides.extend(overrides_in.iter().cloned());
        if simulators {
            overrides.push(("vendors.simulator_url", Value::String(sandbox.base_url())));
        }
        let db = match backend {
            Backend::Postgres => gateway_store::testing::postgres().await,
            Backend::Sqlite => gateway_store::testing::sqlite().await,
        }
        .expect("test database");
        let config = test_config(&db.url, &overrides);
        let master = KeyRing::load(&config.security).unwrap();
        let gateway = Gateway::with_store(config, db.store, master).await.unwrap();
        let state = gateway.state().clone();
        let admin = create_key(
            &state,
            WorkspaceChoice::Default {
                name: "first".into(),
            },
            "admin",
            vec![Scope::Admin],
        )
        .await
        .unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(gateway.serve(listener, async {
            let _ = rx.await;
        }));
        Self {
            base,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            workspace: admin.api_key.workspace_id,
            admin_key: admin.secret.expose().clone(),
            state,
            database_url: db.url,
            sandbox,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with the given key (or none).
    pub fn request(&self, method: Method, path: &str, key: Option<&str>) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match key {
            Some(k) => rb.bearer_auth(k),
            None => rb,
        }
    }

    /// A request as the admin.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path, Some(&self.admin_key))
    }

    /// Create a workspace and a key in it with `scopes`; returns (workspace id, key).
    pub async fn workspace_with_key(&self, name: &str, scopes: &[&str]) -> (String, String) {
        let ws = self
            .admin(Method::POST, "/v1/workspaces")
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(ws.status(), 201);
        let ws_id = ws.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let key = self.key_in(&ws_id, scopes).await;
        (ws_id, key)
    }

    pub async fn key_in(&self, ws_id: &str, scopes: &[&str]) -> String {
        let res = self
            .admin(Method::POST, "/v1/api-keys")
            .json(&serde_json::json!({ "name": "test", "scopes": scopes, "workspace_id": ws_id }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Stop the server gracefully and wait for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

/// Assert an RFC 9457 problem with this status and code; returns the document.
pub async fn expect_problem(res: Response, status: u16, code: &str) -> Value {
    let got = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let request_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "status; body: {body}");
    assert_eq!(ct, "application/problem+json", "content type; body: {body}");
    assert_eq!(body["code"], code, "code; body: {body}");
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    assert_eq!(
        body["type"],
        format!("urn:interview-gateway:problem:{code}")
    );
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "the body names the request id"
    );
    body
}

/// A HeyMilo account in the sandbox with `postings` postings, and a gateway connection to it.
pub struct HeyMiloSetup {
    pub api_key: String,
    pub connection_id: String,
    pub postings: Vec<Value>,
}

impl TestApp {
    pub async fn sandbox_control(&self, path: &str, body: Value) -> Value {
        let res = self
            .client
            .post(format!("{}/_control{path}", self.sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "control {path}: {}",
            res.status()
        );
        res.json().await.unwrap_or(Value::Null)
    }

    /// Requests the simulated vendor received whose path starts with `prefix`.
    /// Remove every injected vendor fault.
    pub async fn clear_faults(&self) {
        let res = self
            .client
            .delete(format!("{}/_control/faults", self.sandbox.base_url()))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }

    pub fn vendor_calls(&self, vendor: &str, method: &str, prefix: &str) -> usize {
        self.sandbox
            .shared
            .log
            .list(Some(vendor))
            .iter()
            .filter(|r| r.method == method && r.path.starts_with(prefix))
            .count()
    }

    pub async fn heymilo(&self, key: &str, postings: usize) -> HeyMiloSetup {
        let acct = self
            .sandbox_control("/heymilo/accounts", serde_json::json!({}))
            .await;
        let api_key = acct["api_key"].as_str().unwrap().to_string();
        let mut made = Vec::new();
        for i in 0..postings {
            made.push(
                self.sandbox_control(
                    &format!("/heymilo/accounts/{api_key}/postings"),
                    serde_json::json!({"title": format!("Role {i}")}),
                )
                .await,
            );
        }
        let res = self
            .request(Method::POST, "/v1/connections", Some(key))
            .json(&serde_json::json!({
                "provider": "heymilo",
                "name": "HeyMilo sandbox",
                "credentials": {"api_key": api_key},
                "base_url": self.sandbox.vendor_url("heymilo"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let connection_id = res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        HeyMiloSetup {
            api_key,
            connection_id,
            postings: made,
        }
    }

    /// A HeyMilo connection with its postings imported; returns (setup, first template id).
    pub async fn heymilo_template(&self, key: &str) -> (HeyMiloSetup, String) {
        let hm = self.heymilo(key, 1).await;
        let res = self
            .request(
                Method::POST,
                &format!("/v1/connections/{}/templates/import", hm.connection_id),
                Some(key),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let id = res.json::<Value>().await.unwrap()["data"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        (hm, id)
    }
}
