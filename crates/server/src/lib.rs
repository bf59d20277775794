//! Interview Gateway: the HTTP server, its configuration and its command line.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod error;
pub mod extract;
pub mod health_probe;
pub mod idempotency;
pub mod openapi;
pub mod pagination;
pub mod rate_limit;
pub mod registry;
pub mod request_context;
pub mod rotation;
pub mod routes;
pub mod server_secrets;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod validate;
pub mod workers;

pub use app::Gateway;
pub use config::Config;

/// The OpenAPI document the server publishes at `/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, api) = routes::router().split_for_parts();
    openapi::finish(api)
}
