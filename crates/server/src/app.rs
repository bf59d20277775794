//! Assembling and running the gateway.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use gateway_store::{PoolSettings, Store};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{middleware::require_api_key, Authenticator, KeyHasher};
use crate::config::{Config, RateLimitBackend};
use crate::http::error::ApiError;
use crate::http::idempotency::idempotency;
use crate::http::request_context::{request_context, RequestSettings};
use crate::rate_limit::{
    rate_limit, KeyQuota, Limiter, MemoryLimiter, RateLimitState, RedisLimiter,
};
use crate::registry::ProviderRegistry;
use crate::secrets::crypto::KeyRing;
use crate::secrets::server_secrets;
use crate::state::{AppState, StateInner};

pub struct Gateway {
    state: AppState,
}

impl Gateway {
    /// Connect to the configured database, migrate it when configured to, and load secrets.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let store = gateway_store::connect(
            config.database.url.expose(),
            PoolSettings {
                max_connections: config.database.max_connections,
                acquire_timeout: Duration::from_secs(config.database.acquire_timeout_secs),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database (database.url): {e}"))?;
        if config.database.run_migrations {
            store
                .migrate()
                .await
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
        }
        let master_key = KeyRing::load(&config.security)?;
        Self::with_store(config, store, master_key).await
    }

    /// Build on an already-open store (tests, the CLI).
    pub async fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        master_key: KeyRing,
    ) -> anyhow::Result<Self> {
        let pending = store.pending_migrations().await?;
        if !pending.is_empty() {
            anyhow::bail!(
                "{} database migrations are pending; run `interview-gateway migrate` or set database.run_migrations = true",
                pending.len()
            );
        }
        let hash_key = server_secrets::load_or_create(
            store.as_ref(),
            &master_key,
            server_secrets::API_KEY_HASH_KEY,
        )
        .await?;
        let inbound_key = server_secrets::load_or_create(
            store.as_ref(),
            &master_key,
            server_secrets::INBOUND_TOKEN_KEY,
        )
        .await?;
        let auth = Arc::new(Authenticator::new(
            store.clone(),
            KeyHasher::new(hash_key),
            Duration::from_secs(config.auth.cache_ttl_secs),
        ));
        let policy = config.vendors.retry_policy();
        let egress = config.vendor_egress();
        // One client for every vendor call: the adapters' and passthrough's share its pool,
        // the outbound budget (counted fleet-wide when the backend is shared) and the
        // per-connection bulkheads.
        let vendor_http = provider_http::VendorHttp::with_capacity(
            "passthrough",
            0,
            policy,
            egress,
            crate::capacity::budget(&config, &store)?,
            config.capacity.max_in_flight_per_connection,
        );
        let registry = ProviderRegistry::standard(&vendor_http);
        if let Some(unknown) = config
            .vendors
            .base_urls
            .keys()
            .find(|p| registry.get(p).is_none())
        {
            anyhow::bail!(
                "configuration key `vendors.base_urls.{unknown}`: no such provider (known: {})",
                registry.names().join(", ")
            );
        }
        let limiter = Arc::new(match config.rate_limit.backend {
            RateLimitBackend::Memory => Limiter::Memory(MemoryLimiter::default()),
            RateLimitBackend::Redis => Limiter::Redis(
                RedisLimiter::new(
                    config.rate_limit.redis_url.expose(),
                    &config.rate_limit.redis_prefix,
                    Duration::from_millis(config.rate_limit.redis_timeout_ms),
                )
                .map_err(|e| anyhow::anyhow!("rate_limit.redis_url: {e}"))?,
            ),
        });
        let (health_observer, calls) = crate::service::connection_health::channel();
        let (log_observer, logged) = crate::service::call_log::channel();
        let spans = crate::telemetry::spans::SpanExport::start(&config.telemetry)?.map(Arc::new);
        let mut observers = vec![health_observer, log_observer];
        if let Some(s) = &spans {
            observers.push(gateway_core::Observer(s.clone()));
        }
        let call_observer =
            gateway_core::Observer(Arc::new(crate::service::call_log::Fanout(observers)));
        let gateway = Self {
            state: AppState::new(StateInner {
                registry,
                passthrough_http: vendor_http,
                inbound_key,
                limiter,
                config,
                store,
                master_key,
                auth,
                call_observer,
                spans,
                call_queue: std::sync::Mutex::new(Some(calls)),
                call_log_queue: std::sync::Mutex::new(Some(logged)),
            }),
        };
        if let Some(key) = gateway.state.config.auth.bootstrap_admin_key.clone() {
            crate::ops::bootstrap::ensure_bootstrap_key(&gateway.state, key.expose())
                .await
                .map_err(|e| anyhow::anyhow!("auth.bootstrap_admin_key: {e:#}"))?;
        }
        Ok(gateway)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The complete HTTP application.
    pub fn router(&self) -> Router {
        let (api, openapi) = crate::api::router().split_for_parts();
        let openapi = crate::http::openapi::finish(openapi);
        let settings = RequestSettings {
            timeout: self.state.config.request_timeout(),
            spans: self.state.spans.clone(),
        };
        // Swagger UI's assets are compiled in (`vendored`): /docs works offline.
        let docs = utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi);
        let mut app = api.with_state(self.state.clone()).merge(docs);
        if self.state.config.console.enabled {
            // HTML, not API: outside the OpenAPI document, authenticated by its own sessions.
            app = app.merge(crate::console::router().with_state(self.state.clone()));
        }
        app.fallback(|| async {
            ApiError::new(crate::http::error::ErrorCode::NotFound, "no such route")
        })
        .layer(DefaultBodyLimit::max(
            self.state.config.server.body_limit_bytes,
        ))
        .layer(axum::middleware::from_fn_with_state(
            self.state.clone(),
            idempotency,
        ))
        .layer(axum::middleware::from_fn_with_state(
            RateLimitState {
                limiter: self.state.limiter.clone(),
                default: KeyQuota {
                    per_minute: self.state.config.rate_limit.default_requests_per_minute,
                    burst: self.state.config.rate_limit.default_burst,
                },
                fail_open: self.state.config.rate_limit.fail_open,
            },
            rate_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            self.state.auth.clone(),
            require_api_key,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings,
            request_context,
        ))
        .layer(axum::middleware::from_fn_with_state(
            crate::capacity::shedding::Shedder::new(
                self.state.config.capacity.max_in_flight_reads,
                self.state.config.capacity.max_in_flight,
                self.state.config.capacity.shed_retry_after_secs,
            ),
            crate::capacity::shedding::shed,
        ))
    }

    /// Serve on `listener` until `shutdown` resolves, then finish in-flight requests (for at
    /// most `server.shutdown_grace_secs`) and flush buffered state.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers = crate::workers::spawn(&self.state, stop_rx.clone());
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_secs);
        let app = self.router();
        let mut stopped = stop_rx.clone();
        let server =
            axum::serve(listener, app.into_make_service()).with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            });
        let result = tokio::select! {
            r = server => r,
            _ = async {
                let _ = stopped.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_secs = grace.as_secs(), "in-flight requests did not finish within the grace period");
                Ok(())
            }
        };
        for w in workers {
            let _ = w.await;
        }
        self.state.auth.flush_usage().await;
        if let Some(spans) = self.state.spans.clone() {
            // The SDK's shutdown waits for its last export: off the async workers.
            let _ = tokio::task::spawn_blocking(move || spans.shutdown()).await;
        }
        result
    }
}

/// Resolves on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
