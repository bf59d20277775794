use std::ops::Deref;
use std::sync::Arc;

use gateway_store::Store;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::registry::ProviderRegistry;
use crate::secrets::crypto::KeyRing;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

pub struct StateInner {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub master_key: KeyRing,
    pub auth: Arc<Authenticator>,
    pub registry: ProviderRegistry,
    /// Keys the per-connection inbound webhook tokens.
    pub inbound_key: [u8; 32],
    /// The gateway's vendor client, for raw requests (passthrough): the adapters' clients are
    /// made from it, so all share one pool, one outbound budget and the bulkheads.
    pub passthrough_http: provider_http::VendorHttp,
    pub limiter: Arc<crate::rate_limit::Limiter>,
    /// Told of every vendor call (`service::connection_health` and `service::call_log`).
    pub call_observer: gateway_core::Observer,
    /// The OTLP span exporter, when `telemetry.otlp_endpoint` is set.
    pub spans: Option<Arc<crate::telemetry::spans::SpanExport>>,
    /// The observer's queue, until the workers start its writer.
    pub call_queue: crate::service::connection_health::PendingQueue,
    /// The call log's queue, until the workers start its writer (`service::call_log`).
    pub call_log_queue: crate::service::call_log::PendingQueue,
}

impl AppState {
    pub fn new(inner: StateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}
