//! Providers by name: handlers look an adapter up here from a connection's `provider`,
//! never by matching on vendor names themselves.

use std::collections::BTreeMap;
use std::sync::Arc;

use gateway_core::Provider;
use provider_http::VendorHttp;

pub struct ProviderRegistry {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
}

impl ProviderRegistry {
    /// Every adapter the gateway ships, on the gateway's one vendor client (its retry and
    /// egress policies, outbound budget and bulkheads).
    pub fn standard(http: &VendorHttp) -> Self {
        let mut r = Self {
            providers: BTreeMap::new(),
        };
        r.register(Arc::new(provider_heymilo::HeyMilo::on(http)));
        r.register(Arc::new(provider_flowmingo::Flowmingo::on(http)));
        r.register(Arc::new(provider_taptalent::TapTalent::on(http)));
        r.register(Arc::new(provider_interviewflowai::InterviewFlowAi::on(
            http,
        )));
        r
    }

    pub fn register(&mut self, provider: Arc<dyn Provider>) {
        self.providers.insert(provider.descriptor().name, provider);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.providers.values()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.providers.keys().copied().collect()
    }
}
