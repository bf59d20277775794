//! Providers by name: handlers look an adapter up here from a connection's `provider`,
//! never by matching on vendor names themselves.

use std::collections::BTreeMap;
use std::sync::Arc;

use gateway_core::Provider;
use provider_http::{EgressPolicy, RetryPolicy};

pub struct ProviderRegistry {
    providers: BTreeMap<&'static str, Arc<dyn Provider>>,
}

impl ProviderRegistry {
    /// Every adapter the gateway ships, with the configured retry and egress policies.
    pub fn standard(policy: RetryPolicy, egress: EgressPolicy) -> Self {
        let mut r = Self {
            providers: BTreeMap::new(),
        };
        r.register(Arc::new(provider_heymilo::HeyMilo::new(policy, egress)));
        r.register(Arc::new(provider_flowmingo::Flowmingo::new(policy, egress)));
        r.register(Arc::new(provider_taptalent::TapTalent::new(policy, egress)));
        r.register(Arc::new(provider_interviewflowai::InterviewFlowAi::new(
            policy, egress,
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
