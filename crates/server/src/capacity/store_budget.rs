//! The outbound budget counted in the database: for several replicas on one Postgres and
//! no Redis (see `OutboundBudgetStore`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use gateway_store::{SlotTake, Store};
use provider_http::budget::{BudgetBackend, BudgetKey, BudgetUnavailable, Take};

pub struct StoreBudget {
    store: Arc<dyn Store>,
}

impl StoreBudget {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl BudgetBackend for StoreBudget {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn take(
        &self,
        key: BudgetKey,
        cap: u32,
        window: Duration,
    ) -> Result<Take, BudgetUnavailable> {
        match self
            .store
            .take_outbound_slot(key.workspace, key.connection, cap, window)
            .await
        {
            Ok(SlotTake::Granted(used)) => Ok(Take::Granted { used }),
            Ok(SlotTake::Wait(w)) => Ok(Take::Wait(w)),
            Err(e) => Err(BudgetUnavailable(e.to_string())),
        }
    }
}
