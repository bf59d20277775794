//! The HTTP API, one module per resource. Each handler carries its OpenAPI description
//! (`#[utoipa::path]`), so the published spec is generated from the code that serves it.

pub mod api_keys;
pub mod audit_log;
pub mod candidates;
pub mod connection_calls;
pub mod connections;
pub mod events;
pub mod health;
pub mod inbound_webhooks;
pub mod interviews;
pub mod metrics;
pub mod partners;
pub mod passthrough;
pub mod providers;
pub mod templates;
pub mod webhook_endpoint_ops;
pub mod webhook_endpoints;
pub mod workspaces;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(workspaces::router())
        .merge(api_keys::router())
        .merge(audit_log::router())
        .merge(providers::router())
        .merge(connections::router())
        .merge(connection_calls::router())
        .merge(passthrough::router())
        .merge(templates::router())
        .merge(candidates::router())
        .merge(interviews::router())
        .merge(events::router())
        .merge(webhook_endpoints::router())
        .merge(webhook_endpoint_ops::router())
        .merge(inbound_webhooks::router())
        .merge(partners::router())
        .merge(crate::partners::router())
}
