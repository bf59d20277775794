//! Persistence. One narrow trait per concern, each implemented for Postgres (production)
//! and SQLite (the zero-setup default) from a single body of SQL (see `backend`).
//!
//! Every query on tenant data takes the workspace id. The few that cannot — authentication
//! by key, inbound webhooks by connection — say so and return the workspace they found.

mod backend;
pub mod error;
pub mod page;

pub mod api_keys;
pub mod audit;
pub mod call_log;
pub mod candidates;
pub mod connection_health;
pub mod connections;
pub mod console_sessions;
pub mod delivery_signal;
pub mod endpoint_ops;
pub mod erasure;
pub mod events;
pub mod expiry;
pub mod gateway_secrets;
pub mod health;
pub mod idempotency;
pub mod inbound;
pub mod interviews;
pub mod key_events;
pub mod lifecycle;
pub mod mappings;
pub mod outbound_budget;
pub mod partners;
pub mod retention;
pub mod secret_rotation;
pub mod templates;
pub mod webhooks;
pub mod workspaces;

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

pub use api_keys::{ApiKeyStore, KeyCredential};
pub use audit::{AuditEntry, AuditFilter, AuditStore};
pub use backend::{BackendKind, PgStore, PoolSettings, SqliteStore};
pub use call_log::{CallFilter, CallLogStore, CallOutcome, VendorCallEntry};
pub use candidates::{CandidateFilter, CandidateStore};
pub use connection_health::{ConnectionHealth, ConnectionHealthStore, HealthState, Observation};
pub use connections::{ConnectionStore, ConnectionUpdate, StoredConnection};
pub use console_sessions::{ConsoleSession, ConsoleSessionStore};
pub use delivery_signal::DeliverySignalStore;
pub use endpoint_ops::{DisableWhen, EndpointOpsStore, EndpointPatch, DISABLED_BY_API};
pub use erasure::{ErasedInterview, Erasure, ErasureStore, ReplayTombstone};
pub use error::{StoreError, StoreResult};
pub use events::{EventFilter, EventStore};
pub use expiry::InterviewExpiryStore;
pub use gateway_secrets::GatewaySecretStore;
pub use health::HealthStore;
pub use idempotency::{IdempotencyBegin, IdempotencyStore, IdempotencyTimes};
pub use inbound::{InboundStore, Receipt, ReceiptStatus};
pub use interviews::{
    InterviewFilter, InterviewStore, NewEvent, NewInterview, Saved, Slot, VendorState,
};
pub use key_events::{KeyChange, KeyEventStore};
pub use lifecycle::InterviewLifecycleStore;
pub use mappings::{Mapping, MappingStore};
pub use outbound_budget::{OutboundBudgetStore, SlotTake};
pub use page::{Page, PageRequest};
pub use partners::{
    CallbackOutcome, Claim, DueCallback, PartnerError, PartnerRequest, PartnerRequestIn,
    PartnerStore,
};
pub use retention::RetentionStore;
pub use secret_rotation::{Rewrap, SealedRef, SecretRotationStore};
pub use templates::{TemplateFilter, TemplateStore, Upserted};
pub use webhooks::{
    Attempt, Delivery, DeliveryOutcome, DueDelivery, StoredEndpoint, WebhookEndpoint, WebhookStore,
};
pub use workspaces::WorkspaceStore;

/// Everything the server needs from persistence.
pub trait Store:
    WorkspaceStore
    + ApiKeyStore
    + GatewaySecretStore
    + SecretRotationStore
    + KeyEventStore
    + AuditStore
    + EventStore
    + WebhookStore
    + EndpointOpsStore
    + DeliverySignalStore
    + InboundStore
    + ConnectionStore
    + ConnectionHealthStore
    + CallLogStore
    + TemplateStore
    + CandidateStore
    + InterviewStore
    + InterviewLifecycleStore
    + MappingStore
    + PartnerStore
    + IdempotencyStore
    + ErasureStore
    + RetentionStore
    + HealthStore
    + ConsoleSessionStore
    + OutboundBudgetStore
    + InterviewExpiryStore
{
    fn backend(&self) -> BackendKind;
}

impl Store for PgStore {
    fn backend(&self) -> BackendKind {
        BackendKind::Postgres
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> BackendKind {
        BackendKind::Sqlite
    }
}

/// Connect to the database the URL names (`postgres://…` or `sqlite:…`).
pub async fn connect(url: &str, settings: PoolSettings) -> StoreResult<Arc<dyn Store>> {
    Ok(match BackendKind::of_url(url)? {
        BackendKind::Postgres => Arc::new(PgStore::connect(url, settings).await?),
        BackendKind::Sqlite => Arc::new(SqliteStore::connect(url, settings).await?),
    })
}
